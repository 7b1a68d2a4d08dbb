"""Token rotation and revocation reaching every instance within the bounds README.md states.

The instances read tenants' records from the Key Vault token source, each with its own cache (as
Function instances do), over one shared fake vault (``bench.instance.FileSecretClient``: a
file every instance reads, standing in for Key Vault, the one part faked). The cache periods are
shortened so that the bounds are seconds: a new token within ``SCIM_TOKEN_MISS_SECONDS``, an old
or revoked one refused within ``SCIM_TOKEN_CACHE_SECONDS``, on every instance, and no request
with a token that is still valid refused meanwhile.

With the default ``SCIM_TOKENS`` setting (no Key Vault) tokens are read once at start: a change
reaches an instance when it restarts, which the last test shows.
"""

from __future__ import annotations

import json
import math
import secrets
import time
from collections.abc import Iterator

import pytest

from bench.harness import user_name_filter
from bench.instances import Instances, instances
from scim.auth.records import secret_name
from tests.scale.conftest import INSTANCE_COUNT

CACHE_SECONDS = 4
MISS_SECONDS = 1
SLACK_SECONDS = 2.5  # a shared 2-core machine: a poll round over four instances can take a while
POLL_SECONDS = 0.1
LOOKUP = user_name_filter("nobody")


@pytest.fixture(scope="module")
def vault_group(azurite: str) -> Iterator[Instances]:
    settings = {"SCIM_TOKEN_CACHE_SECONDS": str(CACHE_SECONDS), "SCIM_TOKEN_MISS_SECONDS": str(MISS_SECONDS)}
    with instances(INSTANCE_COUNT, [], settings, key_vault={}) as group:
        yield group


def store(group: Instances, tenant: str, record: dict) -> None:
    group.update_key_vault({secret_name(tenant): json.dumps(record)})


def status(group: Instances, position: int, tenant: str, token: str) -> int:
    return group.running[position].endpoint(tenant, token).request("GET", LOOKUP).status


def seconds_until_each_instance_answers(
    group: Instances, tenant: str, token: str, wanted: int, *, meanwhile: str | None = None, limit: float = 15
) -> list[float]:
    """Seconds from now until each instance first answers ``wanted`` to ``token``.

    With ``meanwhile``, every poll also sends that token to the same instance and requires 200.
    """
    started = time.monotonic()
    reached: dict[int, float] = {}
    while len(reached) < INSTANCE_COUNT and time.monotonic() - started < limit:
        for position in range(INSTANCE_COUNT):
            if position in reached:
                continue
            if status(group, position, tenant, token) == wanted:
                reached[position] = time.monotonic() - started
            if meanwhile is not None:
                assert status(group, position, tenant, meanwhile) == 200, f"instance {position} refused a valid token"
        time.sleep(POLL_SECONDS)
    return [reached.get(position, math.inf) for position in range(INSTANCE_COUNT)]


def rotating_tenant(group: Instances, tenant: str) -> tuple[str, str]:
    """A tenant in the middle of a rotation that every instance has cached: (old, new) tokens."""
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store(group, tenant, {"current": old, "next": new})
    for position in range(INSTANCE_COUNT):
        assert status(group, position, tenant, old) == status(group, position, tenant, new) == 200
    return old, new


def test_a_rotated_token_works_on_every_instance_within_the_miss_period_and_the_old_one_still_works(
    vault_group: Instances,
):
    old, new = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    store(vault_group, "rotate", {"current": old})
    assert [status(vault_group, position, "rotate", old) for position in range(INSTANCE_COUNT)] == [200] * 4

    store(vault_group, "rotate", {"current": old, "next": new})
    seconds = seconds_until_each_instance_answers(vault_group, "rotate", new, 200, meanwhile=old)

    assert max(seconds) <= MISS_SECONDS + SLACK_SECONDS, seconds


def test_finishing_a_rotation_stops_the_old_token_on_every_instance_within_the_cache_period(vault_group: Instances):
    old, new = rotating_tenant(vault_group, "finish")

    store(vault_group, "finish", {"current": new})
    seconds = seconds_until_each_instance_answers(vault_group, "finish", old, 401, meanwhile=new)

    assert max(seconds) <= CACHE_SECONDS + SLACK_SECONDS, seconds


def test_a_revocation_reaches_every_instance_within_the_cache_period(vault_group: Instances):
    _, new = rotating_tenant(vault_group, "revoke")

    store(vault_group, "revoke", {})
    seconds = seconds_until_each_instance_answers(vault_group, "revoke", new, 401)

    assert max(seconds) <= CACHE_SECONDS + SLACK_SECONDS, seconds


def test_with_settings_tokens_a_rotation_reaches_each_instance_when_it_restarts(azurite: str):
    with instances(2, ["settings"]) as group:
        old, new = group.tokens["settings"], secrets.token_urlsafe(32)
        group.environment["SCIM_TOKENS"] = json.dumps({"settings": [old, new]})

        group.replace(0)

        assert [status(group, position, "settings", new) for position in (0, 1)] == [200, 401]
        assert [status(group, position, "settings", old) for position in (0, 1)] == [200, 200]
