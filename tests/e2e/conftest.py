"""End-to-end fixtures: function_app served by ``python -m scim.local_host`` in a child process.

The child runs from the repository root with its own table and tokens set in its environment;
a developer's local.settings.json cannot change them, because the environment wins.
Needs Azurite (the ``azurite`` fixture of tests/conftest.py fails fast without it).
"""

from __future__ import annotations

import json
import os
import secrets
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from azure.data.tables import TableServiceClient

from scim.local_host import child_process

E2E_TENANT = "e2e-tenant"
OTHER_TENANT = "other-tenant"


@dataclass(frozen=True)
class LocalHost:
    """A running local host: where it answers and the secret token of each tenant it accepts."""

    base_url: str  # e.g. http://127.0.0.1:54321
    tokens: dict[str, str]  # tenant slug -> secret token; E2E_TENANT and OTHER_TENANT
    table_name: str

    def tenant_url(self, tenant: str = E2E_TENANT) -> str:
        """The SCIM Tenant URL of ``tenant``, e.g. http://127.0.0.1:54321/scim/e2e-tenant/v2."""
        return f"{self.base_url}/scim/{tenant}/v2"

    def auth_header(self, tenant: str = E2E_TENANT) -> dict[str, str]:
        """The Authorization header carrying ``tenant``'s secret token."""
        return {"Authorization": f"Bearer {self.tokens[tenant]}"}


@pytest.fixture(scope="session")
def local_host_url(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHost]:
    """``python -m scim.local_host`` on a free port, with a fresh table (deleted afterwards) and tokens."""
    tokens = {E2E_TENANT: secrets.token_urlsafe(32), OTHER_TENANT: secrets.token_urlsafe(32)}
    table_name = "e2e" + uuid.uuid4().hex[:16]
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": azurite,
        "SCIM_TABLE_NAME": table_name,
        "SCIM_TOKENS": json.dumps(tokens),
        "PYTHONUNBUFFERED": "1",
    }
    log_path = tmp_path_factory.mktemp("local_host") / "output.log"
    try:
        with child_process(environment, log_path) as base_url:
            yield LocalHost(base_url, tokens, table_name)
    except RuntimeError as problem:
        pytest.fail(str(problem))
    finally:
        TableServiceClient.from_connection_string(azurite).delete_table(table_name)
