"""The harness itself: requests of a Spread really reach every instance, so the races cross processes."""

from __future__ import annotations

from bench.harness import user_name_filter
from bench.instances import Spread
from tests.scale.conftest import INSTANCE_COUNT


def requests_logged(spread: Spread) -> list[int]:
    """How many of the tenant's requests each instance logged (the local host logs every request line)."""
    marker = f"/scim/{spread.tenant}/"
    return [instance.log_path.read_text(errors="replace").count(marker) for instance in spread.instances.running]


def test_round_robin_sends_each_instance_the_same_share_of_requests(spread: Spread):
    for _ in range(3 * INSTANCE_COUNT):
        assert spread.request("GET", user_name_filter("nobody")).status == 200

    assert requests_logged(spread) == [3] * INSTANCE_COUNT


def test_random_order_reaches_every_instance(spread: Spread):
    randomly = spread.instances.spread(spread.tenant, "random", seed=7)
    for _ in range(10 * INSTANCE_COUNT):
        assert randomly.request("GET", user_name_filter("nobody")).status == 200

    assert all(count > 0 for count in requests_logged(spread)) and sum(requests_logged(spread)) == 10 * INSTANCE_COUNT
