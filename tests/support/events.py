"""Polling /Events through function_app's trigger, and reading the SETs it answers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func

import function_app
from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.service.events import EventService
from scim.service.extension_catalog import ExtensionCatalog
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.events import TableEventStore
from scim.storage.resources import TableResourceRepository
from tests.support.http import HOST


class FakeClock:
    """The real time, moved on by hand (``advance``) to skip waiting for a timeout."""

    def __init__(self) -> None:
        self.offset = timedelta(seconds=0)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += timedelta(seconds=seconds)


def poll(tenant: str, credential: str | None, body: dict | None = None) -> func.HttpResponse:
    headers = {"Content-Type": "application/json"}
    if credential is not None:
        headers["Authorization"] = f"Bearer {credential}"
    request = func.HttpRequest(
        "POST",
        f"{HOST}/scim/{tenant}/v2/Events",
        headers=headers,
        params={},
        route_params={"tenant": tenant},
        body=json.dumps(body if body is not None else {"returnImmediately": True}).encode(),
    )
    return function_app.events(request)


def verified_claims(token: str, reader_credential: str) -> dict:
    """The claims of a SET, after checking its HS256 signature as an application would."""
    header, claims, signature = token.split(".")
    key = hmac.new(reader_credential.encode(), b"scim-events-set-signing", hashlib.sha256).digest()
    expected = hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert hmac.compare_digest(_unb64(signature), expected), "bad signature"
    assert json.loads(_unb64(header)) == {"alg": "HS256", "typ": "secevent+jwt"}
    return json.loads(_unb64(claims))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@contextmanager
def serving_events(
    repository: TableResourceRepository,
    tokens: dict[str, str],
    readers: dict[str, str],
    clock: FakeClock,
    *,
    redelivery_seconds: float,
    settle_seconds: float,
    settings: Mapping[str, Mapping[str, Any]] | None = None,
) -> Iterator[None]:
    """function_app serves SCIM and /Events from ``repository`` (with tenants' extension schemas);
    each tenant of ``tokens`` has its token, from ``readers`` its event reader credential and, from
    ``settings``, more keys of its record (``eventForm``, ``auditValues``)."""
    records = {
        name: {"current": tokens[name], "eventReader": readers[name], **(settings or {}).get(name, {})}
        for name in tokens
    }
    store = TableEventStore(repository)
    events = EventService(store, clock=clock, redelivery_seconds=redelivery_seconds, settle_seconds=settle_seconds)
    source = SettingsTokenSource({"SCIM_TOKENS": json.dumps(records)})
    catalog = ExtensionCatalog(repository)
    users, groups = UserService(repository, extensions=catalog), GroupService(repository, extensions=catalog)
    dependencies.override(dependencies.Dependencies(source, users, groups, events=events))
    try:
        yield
    finally:
        dependencies.override(None)
