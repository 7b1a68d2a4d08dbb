"""The access-token signing key ring: in Key Vault (versions of one secret, add-only) and in settings."""

from __future__ import annotations

import json
import threading

import pytest
from azure.core.exceptions import HttpResponseError, ServiceRequestError

from scim.auth.signing_keys import (
    RETENTION_SECONDS,
    SIGNING_KEY_SECRET,
    KeyVaultSigningKeys,
    SettingsSigningKeys,
    key_to_json,
    new_key,
)
from scim.errors import ServiceUnavailable
from tests.support.auth_fakes import FakeClock, VersionedVault


@pytest.fixture
def wall_clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def vault(wall_clock) -> VersionedVault:
    return VersionedVault(wall_clock)


def test_first_use_creates_a_key_in_key_vault(vault, wall_clock):
    ring = KeyVaultSigningKeys(vault, clock=wall_clock).ring()

    assert len(vault.versions) == 1
    assert json.loads(vault.versions[0].value)["kid"] == ring.signing_key.kid


def test_two_instances_creating_the_first_key_at_once_accept_each_others_keys(vault, wall_clock):
    first, second = KeyVaultSigningKeys(vault, clock=wall_clock), KeyVaultSigningKeys(vault, clock=wall_clock)
    vault.barrier = threading.Barrier(2)  # both list the versions before either writes
    rings = {}
    threads = [threading.Thread(target=lambda s=s: rings.__setitem__(s, s.ring())) for s in (first, second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    vault.barrier = None

    assert len(vault.versions) == 2
    wall_clock.advance(301)  # both instances read the ring again
    assert {key.kid for key in first.ring().keys} == {key.kid for key in second.ring().keys}
    assert first.ring().signing_key == second.ring().signing_key


def test_the_ring_is_read_once_per_cache_period(vault, wall_clock):
    keys = KeyVaultSigningKeys(vault, cache_seconds=300, clock=wall_clock)
    keys.ring()
    requests = vault.requests

    for _ in range(1_000):
        wall_clock.advance(0.4)  # 1,000 requests over 400 s
        keys.ring()

    assert vault.requests - requests == 2  # one listing and one version read, once, after 300 s


def test_a_key_made_elsewhere_is_found_by_refreshing_once(vault, wall_clock):
    keys = KeyVaultSigningKeys(vault, clock=wall_clock)
    keys.ring()
    wall_clock.advance(60)
    vault.set_secret(SIGNING_KEY_SECRET, json.dumps(key_to_json(new_key(wall_clock()))))
    newest = json.loads(vault.versions[-1].value)["kid"]

    refreshed = keys.refresh()

    assert refreshed is not None and refreshed.find(newest) is not None and refreshed.signing_key.kid == newest


def test_refreshing_again_within_the_cooldown_reads_nothing(vault, wall_clock):
    keys = KeyVaultSigningKeys(vault, clock=wall_clock)
    keys.ring()
    requests = vault.requests

    assert keys.refresh() is None
    assert vault.requests == requests


def test_a_superseded_key_stays_until_its_tokens_have_expired(vault, wall_clock):
    keys = KeyVaultSigningKeys(vault, cache_seconds=300, clock=wall_clock)
    old = keys.ring().signing_key
    wall_clock.advance(1)
    vault.set_secret(SIGNING_KEY_SECRET, json.dumps(key_to_json(new_key(wall_clock()))))

    wall_clock.advance(RETENTION_SECONDS - 1)
    assert keys.ring().find(old.kid) is not None
    wall_clock.advance(301)  # the next read of the ring
    assert keys.ring().find(old.kid) is None


def test_key_vault_outage_keeps_the_ring_it_has(vault, wall_clock):
    keys = KeyVaultSigningKeys(vault, cache_seconds=300, clock=wall_clock)
    ring = keys.ring()
    vault.failure = ServiceRequestError("unreachable")
    wall_clock.advance(301)

    assert keys.ring() == ring


def test_key_vault_outage_with_no_ring_is_service_unavailable(vault, wall_clock):
    vault.failure = ServiceRequestError("unreachable")

    with pytest.raises(ServiceUnavailable):
        KeyVaultSigningKeys(vault, clock=wall_clock).ring()


def test_no_key_and_no_write_access_is_service_unavailable_logged_with_the_secret_and_the_deploy_step(
    vault, wall_clock, monkeypatch, caplog
):
    def forbidden(*args, **kwargs):
        error = HttpResponseError("(Forbidden) Caller is not authorized to perform action on resource.")
        error.status_code = 403
        raise error

    monkeypatch.setattr(vault, "set_secret", forbidden)  # a Key Vault Secrets User, as in Azure

    with pytest.raises(ServiceUnavailable):
        KeyVaultSigningKeys(vault, clock=wall_clock).ring()
    (logged,) = [record for record in caplog.records if record.levelname == "ERROR"]
    assert SIGNING_KEY_SECRET in logged.getMessage()
    assert "scripts/deploy-steps ensure-signing-key" in logged.getMessage()


def test_settings_ring_signs_with_the_newest_key(wall_clock):
    old, new = new_key(wall_clock() - 100), new_key(wall_clock())
    setting = json.dumps([key_to_json(old), key_to_json(new)])

    ring = SettingsSigningKeys({"SCIM_OAUTH_SIGNING_KEYS": setting}, clock=wall_clock).ring()

    assert ring.signing_key.kid == new.kid and ring.find(old.kid) is not None
