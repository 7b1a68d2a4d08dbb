"""Fixtures of the reliability tests (the users_api/groups_api clients come from tests/conftest.py;
bodies, clients and races from tests/support)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from azure.data.tables import TableClient

from tests.reliability.faults import client_with


@pytest.fixture
def storage_client(monkeypatch, azurite: str, table_name: str) -> Callable[..., TableClient]:
    """Builds TableClients on the test table as production does, with the options given."""

    def build(**options: Any) -> TableClient:
        return client_with(monkeypatch, azurite, table_name, **options)

    return build
