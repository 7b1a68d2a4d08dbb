"""The throttle of failed client authentications."""

from __future__ import annotations

from scim.auth.throttle import FailedAuthentications
from tests.support.auth_fakes import FakeClock


def test_failures_within_the_burst_are_not_throttled(clock: FakeClock):
    throttle = FailedAuthentications(client_burst=5, clock=clock)

    assert [throttle.record("acme", "c1") for _ in range(5)] == [None] * 5


def test_a_failure_past_the_burst_is_throttled_until_the_next_token(clock: FakeClock):
    throttle = FailedAuthentications(client_burst=5, client_interval=12, clock=clock)
    for _ in range(5):
        throttle.record("acme", "c1")

    assert throttle.record("acme", "c1") == 12


def test_throttle_lifts_after_the_interval(clock: FakeClock):
    throttle = FailedAuthentications(client_burst=1, client_interval=12, clock=clock)
    throttle.record("acme", "c1")
    clock.advance(12)

    assert throttle.record("acme", "c1") is None


def test_failures_of_other_clients_add_up_to_the_tenant_limit(clock: FakeClock):
    throttle = FailedAuthentications(client_burst=5, tenant_burst=3, clock=clock)
    for client in ("a", "b", "c"):
        throttle.record("acme", client)

    assert throttle.record("acme", "d") is not None
    assert throttle.record("other-tenant", "d") is None


def test_made_up_client_ids_cannot_grow_the_throttle_past_its_bound(clock: FakeClock):
    throttle = FailedAuthentications(max_keys=100, clock=clock)
    for n in range(1_000):
        throttle.record("acme", f"made-up-{n}")

    assert len(throttle._buckets) == 100
