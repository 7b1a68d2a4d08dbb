"""Which TableClient the settings build; the managed identity is replaced by a named-key fake."""

from __future__ import annotations

import uuid

import pytest
from azure.core.credentials import AzureNamedKeyCredential

from scim.storage import tables
from scim.storage.resources import TableResourceRepository

AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def test_connection_string_setting_reaches_that_account(monkeypatch: pytest.MonkeyPatch, azurite: str, table_name):
    monkeypatch.setenv("SCIM_STORAGE_CONNECTION_STRING", azurite)
    monkeypatch.setenv("SCIM_TABLE_NAME", table_name)
    monkeypatch.delenv("SCIM_STORAGE_TABLE_ENDPOINT", raising=False)

    client = tables.table_client_from_settings()

    assert (client.table_name, client.account_name) == (table_name, AZURITE_ACCOUNT)


def test_table_endpoint_setting_uses_the_managed_identity_credential(
    monkeypatch: pytest.MonkeyPatch, azurite: str, table_name: str
):
    monkeypatch.setenv("SCIM_STORAGE_TABLE_ENDPOINT", f"http://127.0.0.1:10002/{AZURITE_ACCOUNT}")
    monkeypatch.setenv("SCIM_TABLE_NAME", table_name)
    credential_requests = []

    def fake_identity():
        credential_requests.append(True)
        return AzureNamedKeyCredential(AZURITE_ACCOUNT, AZURITE_KEY)

    monkeypatch.setattr(tables, "azure_credential", fake_identity)

    client = tables.table_client_from_settings()

    assert credential_requests == [True]
    assert TableResourceRepository(client).get("any-tenant", "User", str(uuid.uuid4())) is None
