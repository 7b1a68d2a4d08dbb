"""Per-tenant rate and concurrency limits (scim/api/fair_share.py): 429 with Retry-After."""

from __future__ import annotations

import dataclasses
import threading

import pytest

from scim.api import dependencies
from scim.api.fair_share import FairShare, TooManyRequests, fair_share_from_settings
from tests.support.auth_fakes import FakeClock
from tests.support.http import Client, assert_scim_error


def test_entras_pace_of_25_requests_a_second_is_never_throttled_by_the_defaults():
    clock = FakeClock()
    share = FairShare(clock=clock)
    for _ in range(25 * 600):  # ten minutes at 25 a second
        with share.admit("acme"):
            pass
        clock.advance(1 / 25)


def test_a_burst_past_the_rate_is_too_many_requests_with_retry_after():
    share = FairShare(requests_per_second=10, burst=10, clock=FakeClock())
    for _ in range(10):
        with share.admit("acme"):
            pass

    with pytest.raises(TooManyRequests) as raised, share.admit("acme"):
        pass
    assert raised.value.status == 429
    assert raised.value.retry_after_seconds == 1


def test_one_tenants_burst_leaves_another_tenant_its_whole_share():
    share = FairShare(requests_per_second=10, burst=10, clock=FakeClock())
    for _ in range(10):
        with share.admit("noisy"):
            pass

    for _ in range(10):
        with share.admit("quiet"):
            pass


def test_requests_past_the_concurrency_limit_are_too_many_requests():
    share = FairShare(concurrency=2, clock=FakeClock())
    with share.admit("acme"), share.admit("acme"):
        with pytest.raises(TooManyRequests) as raised, share.admit("acme"):
            pass
        with share.admit("other"):
            pass
    assert raised.value.retry_after_seconds == 1


def test_a_finished_request_frees_its_slot_even_when_it_failed():
    share = FairShare(concurrency=1, clock=FakeClock())
    with pytest.raises(RuntimeError), share.admit("acme"):
        raise RuntimeError("failed")

    with share.admit("acme"):
        pass


def test_a_wrong_limit_setting_is_an_error():
    with pytest.raises(ValueError, match="SCIM_TENANT_CONCURRENCY"):
        fair_share_from_settings({"SCIM_TENANT_CONCURRENCY": "0"})


def test_a_tenant_over_its_share_gets_a_scim_429_with_retry_after(served, tenant: str, tokens):
    dependencies.override(dataclasses.replace(served, fair_share=FairShare(requests_per_second=1, burst=2)))
    client = Client(tenant, tokens[tenant])
    assert [client.call("GET").status_code for _ in range(2)] == [200, 200]

    response = client.call("GET")

    assert_scim_error(response, 429)
    assert int(response.headers["Retry-After"]) >= 1


def test_requests_without_a_valid_token_spend_nothing_of_a_tenants_share(served, tenant: str, tokens):
    dependencies.override(dataclasses.replace(served, fair_share=FairShare(requests_per_second=0.001, burst=1)))
    for _ in range(5):
        assert Client(tenant, "wrong-token-0123456789").call("GET").status_code == 401

    assert Client(tenant, tokens[tenant]).call("GET").status_code == 200


def test_a_slow_request_holds_its_slot_until_it_ends(served, tenant: str, tokens, monkeypatch):
    dependencies.override(dataclasses.replace(served, fair_share=FairShare(concurrency=1)))
    entered, release = threading.Event(), threading.Event()
    real_find = served.users.find

    def slow_find(*args, **kwargs):
        entered.set()
        release.wait(5)
        return real_find(*args, **kwargs)

    monkeypatch.setattr(served.users, "find", slow_find)
    client = Client(tenant, tokens[tenant])
    slow = threading.Thread(target=client.call, args=("GET",))
    slow.start()
    entered.wait(5)

    assert_scim_error(client.call("GET", "/" + "0" * 8 + "-0000-0000-0000-" + "0" * 12), 429)
    release.set()
    slow.join(5)
