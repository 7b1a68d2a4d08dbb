"""Shared fixtures: Azurite tables, fresh tenants, counted storage requests, a local host over HTTP.

The tests need Azurite's Table service on 127.0.0.1:10002; ``scripts/test`` starts it.
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableClient, TableServiceClient

from bench.harness import UNTHROTTLED
from local_host.processes import child_process
from scim.api import dependencies
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from scim.storage.tables import StorageRequestCounter
from tests.support.event_push import push_table  # noqa: F401 (fixture)
from tests.support.http import Client
from tests.support.local_host import E2E_TENANT, OTHER_TENANT, LocalHost
from tests.support.serving import serve, served_with_extensions, users_http  # noqa: F401 (fixtures)
from tests.support.storage import StorageRequests, storage_requests

AZURITE_CONNECTION_STRING = "UseDevelopmentStorage=true"
AZURITE_TABLE_ADDRESS = ("127.0.0.1", 10002)


@pytest.fixture(scope="session")
def azurite() -> str:
    """Azurite's connection string; fails fast with a hint when it is not running."""
    try:
        socket.create_connection(AZURITE_TABLE_ADDRESS, timeout=2).close()
    except OSError:
        pytest.fail("Azurite's Table service is not listening on 127.0.0.1:10002: run the tests with scripts/test")
    return AZURITE_CONNECTION_STRING


@pytest.fixture(scope="session")
def table_name(azurite: str) -> Iterator[str]:
    """A table of its own for this test session, deleted afterwards."""
    name = "test" + uuid.uuid4().hex[:12]
    service = TableServiceClient.from_connection_string(azurite)
    service.create_table(name)
    yield name
    service.delete_table(name)


@pytest.fixture
def request_counter() -> Iterator[StorageRequests]:
    """The storage requests this test's table clients send, counted as production counts them."""
    with storage_requests() as counter:
        yield counter


@pytest.fixture
def table(azurite: str, table_name: str) -> TableClient:
    """The test table, its requests counted by the production policy (see ``request_counter``)."""
    return TableClient.from_connection_string(azurite, table_name, per_retry_policies=[StorageRequestCounter()])


@pytest.fixture
def repository(table: TableClient) -> TableResourceRepository:
    return TableResourceRepository(table)


@pytest.fixture
def tenant() -> str:
    """A fresh tenant (partition) per test, so tests never see each other's data."""
    return "t-" + uuid.uuid4().hex[:16]


@pytest.fixture
def users(repository: TableResourceRepository) -> UserService:
    return UserService(repository)


@pytest.fixture
def groups(repository: TableResourceRepository) -> GroupService:
    return GroupService(repository)


@pytest.fixture
def tokens(tenant: str) -> dict[str, str]:
    """Secret tokens of the test tenant and of a second tenant."""
    return {tenant: "token-" + uuid.uuid4().hex, "other-tenant": "token-" + uuid.uuid4().hex}


@pytest.fixture
def served(users: UserService, groups: GroupService, tokens: dict[str, str]) -> Iterator[dependencies.Dependencies]:
    """function_app serves with the test table and tokens for the duration of one test."""
    yield from serve(users, groups, tokens)


@pytest.fixture
def users_api(served, tenant: str, tokens: dict[str, str]) -> Client:
    """/Users of the test tenant through function_app's triggers, with the tenant's token."""
    return Client(tenant, tokens[tenant], "Users")


@pytest.fixture
def groups_api(served, tenant: str, tokens: dict[str, str]) -> Client:
    """/Groups of the test tenant through function_app's triggers, with the tenant's token."""
    return Client(tenant, tokens[tenant], "Groups")


# --- a local host in a child process, for tests over real HTTP --------------------------------


@pytest.fixture(scope="session")
def local_host_url(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHost]:
    """``python -m local_host`` on a free port, with a fresh table (deleted afterwards) and tokens."""
    tokens = {E2E_TENANT: secrets.token_urlsafe(32), OTHER_TENANT: secrets.token_urlsafe(32)}
    table_name = "e2e" + uuid.uuid4().hex[:16]
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": azurite,
        "SCIM_TABLE_NAME": table_name,
        "SCIM_TOKENS": json.dumps(tokens),
        "PYTHONUNBUFFERED": "1",
        **UNTHROTTLED,
    }
    log_path = tmp_path_factory.mktemp("local_host") / "output.log"
    try:
        with child_process(environment, log_path) as base_url:
            yield LocalHost(base_url, tokens, table_name)
    except RuntimeError as problem:
        pytest.fail(str(problem))
    finally:
        TableServiceClient.from_connection_string(azurite).delete_table(table_name)
