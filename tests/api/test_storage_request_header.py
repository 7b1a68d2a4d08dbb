"""The opt-in X-Storage-Requests header (SCIM_COUNT_STORAGE_REQUESTS=1), used by the benchmarks."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.models.user import USER_SCHEMA
from scim.platform import request_count
from scim.service.groups import GroupService
from scim.service.query import ListRequest
from scim.service.users import UserService
from scim.storage import tables
from scim.storage.resources import TableResourceRepository
from tests.support.http import Client, new_user
from tests.support.storage import StorageRequests

HEADER = "X-Storage-Requests"

TOKEN = "storage-request-token-0123456789"


@pytest.fixture
def counted_client(monkeypatch: pytest.MonkeyPatch, azurite: str, table_name: str, tenant: str) -> Iterator[Client]:
    """function_app served by a table client built from settings, with the counting setting on."""
    monkeypatch.setenv(request_count.SETTING, "1")
    monkeypatch.setenv("SCIM_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("SCIM_TABLE_NAME", table_name)
    monkeypatch.delenv("SCIM_STORAGE_TABLE_ENDPOINT", raising=False)
    repository = TableResourceRepository(tables.table_client_from_settings())
    tokens = SettingsTokenSource({"SCIM_TOKENS": json.dumps({tenant: TOKEN})})
    dependencies.override(dependencies.Dependencies(tokens, UserService(repository), GroupService(repository)))
    yield Client(tenant, TOKEN)
    dependencies.override(None)


def test_no_header_without_the_setting(served, tenant: str, tokens: dict[str, str], monkeypatch):
    monkeypatch.delenv(request_count.SETTING, raising=False)

    response = Client(tenant, tokens[tenant]).call("GET", params={"filter": 'userName eq "nobody"'})

    assert response.status_code == 200
    assert HEADER not in response.headers


def test_header_counts_the_requests_the_table_client_sent(counted_client: Client, request_counter: StorageRequests):
    created = new_user(counted_client, "alice")
    calls = [
        ("POST", "", {"schemas": [USER_SCHEMA], "userName": "bob"}, None),
        ("GET", f"/{created['id']}", None, None),
        ("GET", "", None, {"filter": 'userName eq "alice"'}),
        ("DELETE", f"/{created['id']}", None, None),
        ("GET", f"/{created['id']}", None, None),  # 404 answers carry the count too
    ]
    for method, path, body, params in calls:
        before = request_counter.count

        response = counted_client.call(method, path, body, params=params)

        assert int(response.headers[HEADER]) == request_counter.count - before > 0


def test_concurrent_requests_count_only_their_own(counted_client: Client):
    ids = [new_user(counted_client, f"user{number}")["id"] for number in range(8)]
    single = int(counted_client.call("GET", f"/{ids[0]}").headers[HEADER])

    with ThreadPoolExecutor(max_workers=8) as pool:
        counts = list(pool.map(lambda user_id: int(counted_client.call("GET", f"/{user_id}").headers[HEADER]), ids))

    assert counts == [single] * len(ids)


def test_requests_outside_a_served_request_are_not_counted(counted_client: Client, tenant: str):
    with request_count.counting() as count:
        pass
    dependencies.current().users.find(tenant, ListRequest('userName eq "nobody"'))

    assert count() == 0
