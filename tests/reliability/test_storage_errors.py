"""Table Storage answering 503, 500 or 429: the SDK retries a bounded number of times with pauses
(production settings, ``scim.storage.tables``), then the client gets 503 with Retry-After, never
500; a transient error is absorbed by those retries."""

from __future__ import annotations

import time

import pytest
from azure.data.tables import TableClient

from scim.storage import tables
from tests.reliability.faults import ErrorResponses, clients, serving, tenant_with_users_and_a_group
from tests.reliability.integrity import assert_integrity
from tests.support.bodies import add_members, patch_body, user_body
from tests.support.http import assert_scim_error, json_of

ATTEMPTS = 1 + tables.SDK_RETRY_SETTINGS["retry_total"]

REQUESTS = {
    "get": lambda users, groups, ids: users.call("GET", f"/{ids['user']}"),
    "filter": lambda users, groups, ids: users.call("GET", params={"filter": 'userName eq "alice@example.com"'}),
    "create": lambda users, groups, ids: users.call("POST", body=user_body("bob@example.com")),
    "patch": lambda users, groups, ids: users.call(
        "PATCH", f"/{ids['user']}", patch_body({"op": "replace", "path": "displayName", "value": "Alice"})
    ),
    "membership": lambda users, groups, ids: groups.call("PATCH", f"/{ids['group']}", add_members(ids["other"])),
    "delete": lambda users, groups, ids: users.call("DELETE", f"/{ids['user']}"),
}
SUCCESS = {"get": 200, "filter": 200, "create": 201, "patch": 200, "membership": 204, "delete": 204}


@pytest.fixture
def quick_pauses(monkeypatch) -> None:
    """Pauses between the SDK's attempts of 10 ms at most (the real ones are tested below)."""
    monkeypatch.setattr(tables, "MAX_RETRY_PAUSE_SECONDS", 0.01)


@pytest.fixture
def prepared(table: TableClient) -> tuple[str, dict[str, str]]:
    """A fresh tenant with a user in a group and another user; its slug and the ids."""
    tenant, ids = tenant_with_users_and_a_group(table)
    with serving(table):
        assert clients(tenant)[1].call("PATCH", f"/{ids['group']}", add_members(ids["user"])).status_code == 204
    return tenant, ids


@pytest.mark.usefixtures("quick_pauses")
@pytest.mark.parametrize("request_name", list(REQUESTS))
@pytest.mark.parametrize("status", [503, 500, 429])
def test_storage_failing_every_attempt_is_503_with_retry_after_after_bounded_retries(
    storage_client, table: TableClient, prepared, status: int, request_name: str
):
    tenant, ids = prepared
    transport = ErrorResponses(status)
    with serving(storage_client(transport=transport)):
        response = REQUESTS[request_name](*clients(tenant), ids)

    assert_scim_error(response, 503)
    assert response.headers["Retry-After"].isdigit()
    # Retried up to retry_total times; a transaction (POST) is not retried on a 429 without Retry-After.
    # A failed create is then undone by id: one more storage call, retried as many times.
    calls = 2 if request_name == "create" else 1
    assert 1 <= transport.faked <= ATTEMPTS * calls and transport.sent == 0
    assert_integrity(table, tenant)


@pytest.mark.usefixtures("quick_pauses")
@pytest.mark.parametrize("request_name", list(REQUESTS))
@pytest.mark.parametrize("error", [(503, None), (500, None), (429, "1")], ids=["503", "500", "429-retry-after"])
def test_a_transient_storage_error_is_absorbed_by_the_sdk_retries(
    storage_client, table: TableClient, prepared, error: tuple[int, str | None], request_name: str
):
    tenant, ids = prepared
    status, retry_after = error
    transport = ErrorResponses(status, times=2, retry_after=retry_after)
    with serving(storage_client(transport=transport)):
        response = REQUESTS[request_name](*clients(tenant), ids)

    assert response.status_code == SUCCESS[request_name], response.get_body()
    assert transport.faked == 2
    assert_integrity(table, tenant)


def test_the_sdk_pauses_grow_between_attempts_and_are_bounded(monkeypatch, storage_client, prepared):
    """Production pauses: none before the first retry, then 0.8 s and 1.6 s."""
    tenant, ids = prepared
    transport = ErrorResponses(503)
    started = time.monotonic()
    with serving(storage_client(transport=transport)):
        response = REQUESTS["get"](*clients(tenant), ids)
    elapsed = time.monotonic() - started

    assert response.status_code == 503 and transport.faked == ATTEMPTS
    assert 2.4 <= elapsed < 4.4


def test_a_huge_retry_after_from_storage_is_capped(monkeypatch, storage_client, prepared):
    """azure-core would sleep an hour three times; the transport caps each pause."""
    monkeypatch.setattr(tables, "MAX_RETRY_PAUSE_SECONDS", 0.3)
    tenant, ids = prepared
    transport = ErrorResponses(429, retry_after="3600")
    started = time.monotonic()
    with serving(storage_client(transport=transport)):
        response = REQUESTS["get"](*clients(tenant), ids)
    elapsed = time.monotonic() - started

    assert response.status_code == 503 and transport.faked == ATTEMPTS
    assert elapsed < 3 * 0.3 + 1.5


def test_production_pauses_are_capped_at_a_few_seconds():
    assert tables.MAX_RETRY_PAUSE_SECONDS <= 5
    transport = tables.StorageTransport()
    slept = []
    original = time.sleep
    try:
        time.sleep = slept.append
        transport.sleep(3600)
    finally:
        time.sleep = original
    assert slept == [tables.MAX_RETRY_PAUSE_SECONDS]


def test_an_error_body_never_carries_a_traceback_or_storage_detail(monkeypatch, storage_client, prepared):
    monkeypatch.setattr(tables, "MAX_RETRY_PAUSE_SECONDS", 0.01)
    tenant, ids = prepared
    with serving(storage_client(transport=ErrorResponses(500))):
        body = json_of(REQUESTS["get"](*clients(tenant), ids))

    assert "odata" not in str(body) and "injected" not in str(body) and "Traceback" not in str(body)
