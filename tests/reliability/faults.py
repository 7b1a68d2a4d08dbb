"""Storage faults for the reliability tests: fake error responses, and serving function_app with a
TableClient of the test's choosing (``tests.support.storage.FailRequestNumber`` fails the Nth request).
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from azure.core.pipeline.transport import RequestsTransportResponse
from azure.data.tables import TableClient

from scim.api import dependencies
from scim.auth.records import TenantCredentials
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage import tables
from scim.storage.resources import TableResourceRepository
from tests.support.bodies import group_body, user_body
from tests.support.http import Client, created

TOKEN = "token-" + uuid.uuid4().hex


class OneTokenForEveryTenant:
    """A token source accepting ``TOKEN`` for any tenant, so that each attempt can use a fresh one."""

    def credentials_for(self, tenant: str) -> TenantCredentials:
        return TenantCredentials.from_json(TOKEN)

    def recheck(self, tenant: str) -> TenantCredentials | None:
        return None


def fresh_tenant() -> str:
    return "f-" + uuid.uuid4().hex[:16]


def clients(tenant: str) -> tuple[Client, Client]:
    """/Users and /Groups of ``tenant`` through function_app's triggers."""
    return Client(tenant, TOKEN, "Users"), Client(tenant, TOKEN, "Groups")


@contextmanager
def serving(table: TableClient) -> Iterator[None]:
    """function_app serves every tenant from ``table`` (with ``TOKEN``) inside the block."""
    repository = TableResourceRepository(table)
    dependencies.override(
        dependencies.Dependencies(OneTokenForEveryTenant(), UserService(repository), GroupService(repository))
    )
    try:
        yield
    finally:
        dependencies.override(None)


def tenant_with_users_and_a_group(table: TableClient) -> tuple[str, dict[str, str]]:
    """A fresh tenant with users alice@example.com and carol@example.com and the group Team, made
    through function_app on ``table``; its slug and their ids ("user", "other", "group")."""
    tenant = fresh_tenant()
    users, groups = clients(tenant)
    with serving(table):
        user = created(users, user_body("alice@example.com"))
        other = created(users, user_body("carol@example.com"))
        group = created(groups, group_body("Team"))
    return tenant, {"user": user["id"], "other": other["id"], "group": group["id"]}


def client_with(monkeypatch, azurite: str, table_name: str, **options: Any) -> TableClient:
    """A TableClient built the way production builds it (``table_client_from_settings``)."""
    monkeypatch.setenv("SCIM_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("SCIM_TABLE_NAME", table_name)
    monkeypatch.delenv("SCIM_STORAGE_TABLE_ENDPOINT", raising=False)
    return tables.table_client_from_settings(**options)


class ErrorResponses(tables.StorageTransport):
    """The production transport, answering ``status`` itself instead of sending, ``times`` times
    (None: always), with a Table Storage error body; counts what it faked and what it sent."""

    CODES = {429: "TooManyRequests", 500: "InternalError", 503: "ServerBusy"}

    def __init__(self, status: int, times: int | None = None, retry_after: str | None = None):
        super().__init__()
        self.status, self.remaining, self.retry_after = status, times, retry_after
        self.faked = 0
        self.sent = 0
        self._lock = threading.Lock()

    def send(self, request, **kwargs):
        with self._lock:
            fake = self.remaining is None or self.remaining > 0
            if fake and self.remaining is not None:
                self.remaining -= 1
            self.faked += fake
            self.sent += not fake
        if not fake:
            return super().send(request, **kwargs)
        response = requests.Response()
        response.status_code = self.status
        response.reason = "injected"
        response.url = request.url
        response.headers["Content-Type"] = "application/json;odata=minimalmetadata"
        response.headers["x-ms-error-code"] = self.CODES[self.status]
        if self.retry_after is not None:
            response.headers["Retry-After"] = self.retry_after
        code = self.CODES[self.status]
        error = {"odata.error": {"code": code, "message": {"lang": "en-US", "value": "injected"}}}
        response._content = json.dumps(error).encode()
        return RequestsTransportResponse(request, response)
