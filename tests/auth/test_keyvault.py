"""Tokens from Key Vault through a fake SecretClient: caching, rotation, revocation, outages."""

from __future__ import annotations

import threading

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from scim.auth import keyvault
from scim.auth.keyvault import KeyVaultTokenSource, key_vault_token_source_from_settings
from scim.auth.tokens import SettingsTokenSource, authenticate, token_source_from_settings
from scim.errors import ServiceUnavailable
from tests.support.auth_fakes import (
    VAULT_URL,
    FakeClock,
    FakeVault,
    disabled_secret_error,
    forbidden_secret_error,
    is_accepted,
)

CACHE = 300
MISS = 30
GRACE = 600


@pytest.fixture
def vault() -> FakeVault:
    vault = FakeVault()
    vault.put_record("acme", {"current": "acme-token-0123456789abcdef"})
    return vault


@pytest.fixture
def source(vault: FakeVault, clock: FakeClock) -> KeyVaultTokenSource:
    return KeyVaultTokenSource(vault.client, cache_seconds=CACHE, miss_seconds=MISS, grace_seconds=GRACE, clock=clock)


def accepted(source: KeyVaultTokenSource, token: str, tenant: str = "acme") -> bool:
    return is_accepted(source, tenant, token)


def test_tenant_token_from_its_secret_is_accepted(source, vault):
    assert accepted(source, "acme-token-0123456789abcdef")
    vault.client.get_secret.assert_called_once_with("scim-tenant-acme")


def test_wrong_token_is_unauthorized(source):
    assert not accepted(source, "guess")


def test_requests_within_the_cache_period_are_served_from_cache(source, vault, clock):
    for _ in range(10):
        assert accepted(source, "acme-token-0123456789abcdef")
        clock.advance(CACHE / 20)

    assert vault.reads == 1


def test_record_is_read_again_once_the_cache_period_is_over(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    clock.advance(CACHE)

    accepted(source, "acme-token-0123456789abcdef")

    assert vault.reads == 2


def test_unknown_tenant_is_cached_negatively(source, vault, clock):
    for _ in range(10):
        assert not accepted(source, "anything", tenant="made-up")
        clock.advance(MISS / 20)

    assert vault.reads == 1


def test_unknown_tenant_is_looked_up_again_after_the_miss_interval(source, vault, clock):
    assert not accepted(source, "new-token-0123456789abcdef", tenant="newcomer")
    vault.put_record("newcomer", {"current": "new-token-0123456789abcdef"})
    clock.advance(MISS)

    assert accepted(source, "new-token-0123456789abcdef", tenant="newcomer")


def test_wrong_tokens_reread_the_secret_at_most_once_per_miss_interval(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    clock.advance(MISS)
    for _ in range(10):
        accepted(source, "guess")
        clock.advance(MISS / 20)

    assert vault.reads == 2


def test_both_tokens_are_accepted_while_rotating(source, vault):
    vault.put_record("acme", {"current": "acme-token-0123456789abcdef", "next": "acme-next-0123456789abcdef"})

    assert accepted(source, "acme-token-0123456789abcdef")
    assert accepted(source, "acme-next-0123456789abcdef")


def test_next_token_is_accepted_before_the_cached_record_expires(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.put_record("acme", {"current": "acme-token-0123456789abcdef", "next": "acme-next-0123456789abcdef"})
    clock.advance(MISS)

    assert accepted(source, "acme-next-0123456789abcdef")


def test_old_token_stops_working_once_rotation_is_finished_and_the_cache_period_is_over(source, vault, clock):
    vault.put_record("acme", {"current": "acme-token-0123456789abcdef", "next": "acme-next-0123456789abcdef"})
    accepted(source, "acme-token-0123456789abcdef")
    vault.put_record("acme", {"current": "acme-next-0123456789abcdef"})
    clock.advance(CACHE)

    assert not accepted(source, "acme-token-0123456789abcdef")
    assert accepted(source, "acme-next-0123456789abcdef")


def test_revoked_tenant_is_refused_once_the_cache_period_is_over(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.put_record("acme", {})
    clock.advance(CACHE)

    assert not accepted(source, "acme-token-0123456789abcdef")


def test_cached_token_keeps_working_during_an_outage_within_the_grace_period(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.failure = ServiceRequestError("connection refused")
    clock.advance(CACHE + GRACE - 1)

    assert accepted(source, "acme-token-0123456789abcdef")


def test_outage_past_the_grace_period_is_service_unavailable_with_retry_after(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.failure = ServiceRequestError("connection refused")
    clock.advance(CACHE + GRACE)

    with pytest.raises(ServiceUnavailable) as raised:
        authenticate("acme", "Bearer acme-token-0123456789abcdef", source)
    assert raised.value.retry_after_seconds >= 1


def test_outage_with_nothing_cached_is_service_unavailable(source, vault):
    vault.failure = ServiceRequestError("connection refused")

    with pytest.raises(ServiceUnavailable):
        authenticate("acme", "Bearer acme-token-0123456789abcdef", source)


def test_permission_denied_by_key_vault_fails_closed(source, vault):
    vault.failure = HttpResponseError("Forbidden")

    with pytest.raises(ServiceUnavailable):
        authenticate("acme", "Bearer acme-token-0123456789abcdef", source)


def test_key_vault_is_not_asked_again_until_the_retry_delay_after_a_failure(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.failure = ServiceRequestError("connection refused")
    clock.advance(CACHE)
    for _ in range(10):
        accepted(source, "acme-token-0123456789abcdef")
        clock.advance(0.5)

    assert vault.reads == 2


def test_fresh_record_is_served_once_key_vault_is_back(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.failure = ServiceRequestError("connection refused")
    clock.advance(CACHE)
    accepted(source, "acme-token-0123456789abcdef")
    vault.failure = None
    vault.put_record("acme", {"current": "acme-next-0123456789abcdef"})
    clock.advance(60)

    assert accepted(source, "acme-next-0123456789abcdef")
    assert not accepted(source, "acme-token-0123456789abcdef")


def test_secret_that_is_not_a_record_accepts_nothing(source, vault):
    vault.put_record("broken", '{"current": ')

    assert not accepted(source, "anything", tenant="broken")


def test_concurrent_requests_read_the_secret_once(vault, clock):
    release = threading.Event()
    real_get = vault.client.get_secret.side_effect

    def slow_get(name, **kwargs):
        release.wait(5)
        return real_get(name, **kwargs)

    vault.client.get_secret.side_effect = slow_get
    source = KeyVaultTokenSource(vault.client, clock=clock)
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(accepted(source, "acme-token-0123456789abcdef")))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    release.set()
    for thread in threads:
        thread.join(5)

    assert results == [True] * 8
    assert vault.reads == 1


def test_stream_of_made_up_tenants_is_rate_limited(source, vault):
    outcomes = []
    for number in range(100):
        try:
            outcomes.append(accepted(source, "guess", tenant=f"made-up-{number}"))
        except ServiceUnavailable:
            outcomes.append("limited")

    assert "limited" in outcomes
    assert vault.reads < 100


def test_disabled_secret_revokes_the_tenant_once_the_cache_period_is_over_without_grace(source, vault, clock):
    accepted(source, "acme-token-0123456789abcdef")
    vault.secret_failures["scim-tenant-acme"] = disabled_secret_error()
    clock.advance(CACHE)

    assert not accepted(source, "acme-token-0123456789abcdef")


def test_forbidden_secret_of_one_tenant_does_not_pause_reads_of_the_others(source, vault, clock):
    vault.put_record("healthy", {"current": "healthy-token-0123456789"})
    vault.secret_failures["scim-tenant-broken"] = forbidden_secret_error()
    for _ in range(3):
        with pytest.raises(ServiceUnavailable):
            authenticate("broken", "Bearer anything-0123456789abc", source)
        clock.advance(1)

    assert accepted(source, "healthy-token-0123456789", tenant="healthy")


def test_forbidden_secret_is_not_read_again_until_the_retry_delay(source, vault, clock):
    vault.secret_failures["scim-tenant-broken"] = forbidden_secret_error()
    for _ in range(10):
        with pytest.raises(ServiceUnavailable):
            authenticate("broken", "Bearer anything-0123456789abc", source)
        clock.advance(0.5)

    assert vault.reads == 1


def test_made_up_names_once_cached_are_re_read_only_within_the_budget_for_unknown_names(source, vault, clock):
    names = [f"made-up-{number}" for number in range(2_000)]
    for name in names:  # first reads: at most 20 a second, so this takes ~100 simulated seconds
        while True:
            try:
                accepted(source, "guess-0123456789abcdef", tenant=name)
                break
            except ServiceUnavailable:
                clock.advance(0.05)
    clock.advance(MISS)
    reads_before = vault.reads
    for name in names:  # every name again, within one simulated second, each past its miss interval
        accepted(source, "guess-0123456789abcdef", tenant=name)
        clock.advance(1 / len(names))

    assert vault.reads - reads_before <= 2 * 20


def test_key_vault_url_setting_selects_the_key_vault_source(monkeypatch):
    monkeypatch.setattr(keyvault, "azure_credential", FakeCredential)

    source = token_source_from_settings({"SCIM_KEY_VAULT_URL": VAULT_URL})

    assert isinstance(source, KeyVaultTokenSource)


def test_without_key_vault_url_tokens_come_from_the_setting():
    source = token_source_from_settings({"SCIM_TOKENS": '{"acme": "acme-token-0123456789abcdef"}'})

    assert isinstance(source, SettingsTokenSource)


def test_malformed_cache_setting_is_an_error(monkeypatch):
    monkeypatch.setattr(keyvault, "azure_credential", FakeCredential)

    with pytest.raises(ValueError, match="SCIM_TOKEN_GRACE_SECONDS"):
        key_vault_token_source_from_settings({"SCIM_KEY_VAULT_URL": VAULT_URL, "SCIM_TOKEN_GRACE_SECONDS": "an hour"})


class FakeCredential:
    """Never asked for a token: building the client sends nothing."""

    def get_token(self, *scopes, **kwargs):
        raise AssertionError("no request may be sent")


def test_reads_per_minute_stay_within_the_bound_under_random_names_and_wrong_tokens(vault, clock):
    """Each simulated minute: 10,000 random tenant names and 1,000 wrong tokens for 10 real tenants."""
    import random

    rng = random.Random(16)
    real = {f"real-{number}": f"real-token-{number}-0123456789" for number in range(10)}
    for tenant, token in real.items():
        vault.put_record(tenant, {"current": token})
    source = KeyVaultTokenSource(vault.client, cache_seconds=CACHE, miss_seconds=MISS, grace_seconds=GRACE, clock=clock)
    names = [f"random-{rng.getrandbits(64):x}" for _ in range(10_000)]
    bound = 20 * 60 + 20 + 3 * len(real)
    reads_per_minute, refused_real = [], []
    for _minute in range(3):
        refused_real.append(0)
        requests = [(name, "guess-0123456789abcdef") for name in names]
        requests += [(rng.choice(list(real)), f"wrong-{number}-0123456789") for number in range(1_000)]
        requests += [(tenant, token) for tenant, token in real.items()] * 10
        rng.shuffle(requests)
        reads_before = vault.reads
        for tenant, token in requests:
            try:
                if accepted(source, token, tenant=tenant) != (real.get(tenant) == token):
                    refused_real[-1] += 1
            except ServiceUnavailable:
                refused_real[-1] += tenant in real and real[tenant] == token
            clock.advance(60 / len(requests))
        reads_per_minute.append(vault.reads - reads_before)
    print(f"Key Vault reads per minute: {reads_per_minute} (bound {bound}); real requests refused: {refused_real}")

    assert max(reads_per_minute) <= bound
    # A real tenant not yet cached competes with the flood for first reads (503, Entra retries);
    # once read, it is never refused.
    assert refused_real[1:] == [0, 0]
