"""The event_push timer through function_app, built from settings as in Azure: it pushes the SETs
poll delivers, on Azurite's Table and Queue services."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableClient

import function_app
from scim.api import dependencies
from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.event_push import new_queue_name, register
from tests.support.events import poll, verified_claims
from tests.support.http import Client, created, json_of
from tests.support.queues import consumed


@pytest.fixture
def credentials(tenant: str) -> dict[str, str]:
    return {"current": "token-" + uuid.uuid4().hex, "eventReader": "reader-" + uuid.uuid4().hex}


@pytest.fixture
def from_settings(monkeypatch, push_table: TableClient, tenant: str, credentials) -> Iterator[None]:
    """function_app builds everything from settings, as in a deployment: the test's table, Azurite's
    queues (the same connection string), the tenant's record with its event reader credential."""
    monkeypatch.setenv("SCIM_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    monkeypatch.setenv("SCIM_TABLE_NAME", push_table.table_name)
    monkeypatch.setenv("SCIM_TOKENS", json.dumps({tenant: credentials}))
    monkeypatch.setenv("SCIM_EVENTS_SETTLE_SECONDS", "0")
    for name in ("SCIM_KEY_VAULT_URL", "SCIM_STORAGE_TABLE_ENDPOINT", "SCIM_EVENTS_QUEUE_ENDPOINT", "SCIM_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    dependencies.override(None)
    yield
    dependencies.override(None)


def test_the_timer_pushes_the_sets_poll_delivers(from_settings, push_table, tenant, credentials):
    queue = new_queue_name()
    register(push_table, tenant, queue)
    users = Client(tenant, credentials["current"], "Users")
    groups = Client(tenant, credentials["current"], "Groups")
    user = created(users, user_body("alice@example.com"))
    users.call("PATCH", f"/{user['id']}", patch_body({"op": "Replace", "path": "active", "value": "False"}))
    group = created(groups, group_body("Team"))
    groups.call("PATCH", f"/{group['id']}", add_members(user["id"]))
    users.call("DELETE", f"/{user['id']}")

    function_app.event_push(None)
    pushed = [verified_claims(token, credentials["eventReader"]) for token in consumed(queue)]
    polled = json_of(poll(tenant, credentials["eventReader"]))["sets"]

    assert len(pushed) == 6  # create, deactivate, create, members, delete, the group losing its member
    assert {claims["jti"]: claims for claims in pushed} == {
        jti: verified_claims(token, credentials["eventReader"]) for jti, token in polled.items()
    }
