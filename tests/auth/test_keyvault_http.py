"""Key Vault tokens through function_app's triggers: the request cost in steady state, and outages."""

from __future__ import annotations

import dataclasses

import azure.functions as func
import pytest
from azure.core.exceptions import ServiceRequestError

import function_app
from scim.api import dependencies
from scim.auth.keyvault import KeyVaultTokenSource
from tests.support.auth_fakes import FakeClock, FakeVault

CACHE = 300


@pytest.fixture
def vault(tenant: str) -> FakeVault:
    vault = FakeVault()
    vault.put_record(tenant, {"current": "kv-token-0123456789abcdef"})
    return vault


@dataclasses.dataclass(frozen=True)
class KeyVaultServed:
    vault: FakeVault
    clock: FakeClock


@pytest.fixture
def served_from_key_vault(served, vault: FakeVault, clock: FakeClock) -> KeyVaultServed:
    """function_app serves the test table with tokens from the fake Key Vault."""
    source = KeyVaultTokenSource(vault.client, cache_seconds=CACHE, miss_seconds=30, grace_seconds=600, clock=clock)
    dependencies.override(dataclasses.replace(served, tokens=source))
    return KeyVaultServed(vault, clock)


def entra_test_connection(tenant: str, token: str) -> func.HttpResponse:
    """What Entra's Test Connection sends: a filter on a userName nobody has."""
    request = func.HttpRequest(
        "GET",
        f"https://scim.example.net/scim/{tenant}/v2/Users",
        headers={"Authorization": f"Bearer {token}"},
        params={"filter": 'userName eq "no-such-user"'},
        route_params={"tenant": tenant},
        body=b"",
    )
    return function_app.users(request)


@pytest.mark.parametrize(
    ("requests_per_second", "key_vault_reads"),
    [(25, 0), (1, 3)],  # 1,000 requests span 40 s, or 1,000 s: one read per 300 s cache period
)
def test_key_vault_reads_per_thousand_requests_in_steady_state(
    served_from_key_vault, tenant, requests_per_second, key_vault_reads
):
    vault, clock = served_from_key_vault.vault, served_from_key_vault.clock
    assert entra_test_connection(tenant, "kv-token-0123456789abcdef").status_code == 200  # warm: the first read
    reads_before = vault.reads

    for _ in range(1_000):
        clock.advance(1 / requests_per_second)
        assert entra_test_connection(tenant, "kv-token-0123456789abcdef").status_code == 200

    assert vault.reads - reads_before == key_vault_reads


def test_key_vault_outage_past_the_grace_period_is_503_with_retry_after(served_from_key_vault, vault, clock, tenant):
    entra_test_connection(tenant, "kv-token-0123456789abcdef")
    vault.failure = ServiceRequestError("connection refused")
    clock.advance(CACHE + 600)

    response = entra_test_connection(tenant, "kv-token-0123456789abcdef")

    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) >= 1


def test_key_vault_outage_within_the_grace_period_is_unnoticed(served_from_key_vault, vault, clock, tenant):
    entra_test_connection(tenant, "kv-token-0123456789abcdef")
    vault.failure = ServiceRequestError("connection refused")
    clock.advance(CACHE + 60)

    assert entra_test_connection(tenant, "kv-token-0123456789abcdef").status_code == 200
