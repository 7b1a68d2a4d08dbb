"""Shared fixtures: a real Azurite table per test session, fresh tenants, counted storage requests.

The tests need Azurite's Table service on 127.0.0.1:10002; ``scripts/test`` starts it.
"""

from __future__ import annotations

import json
import socket
import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableClient, TableServiceClient

from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from tests.storage_requests import RequestCounter

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
def request_counter() -> RequestCounter:
    return RequestCounter()


@pytest.fixture
def table(azurite: str, table_name: str, request_counter: RequestCounter) -> TableClient:
    return TableClient.from_connection_string(azurite, table_name, per_retry_policies=[request_counter])


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
    served = dependencies.Dependencies(
        tokens=SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)}), users=users, groups=groups
    )
    dependencies.override(served)
    yield served
    dependencies.override(None)
