"""Journal order with each instance's clock off by a different amount (issue 19, item 2).

Four instances whose clocks run 1.5 s behind, on time, 1.5 s ahead and 3 s ahead (far more than
Azure's NTP-synchronised hosts drift) serve one user's writes in turn. Each write is keyed by the
lastModified it gives the user, which follows the version it read whatever the writer's clock
(``later_than``), so the user's journal rows sort in the order of its writes.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import pytest

from bench.instance import CLOCK_OFFSET_SETTING
from bench.instances import Instances, Spread, instances
from tests.reliability.test_concurrency import RACERS, add_email
from tests.scale.conftest import body_of
from tests.support.bodies import patch_body, user_body
from tests.support.concurrency import race
from tests.support.storage import journal_rows

CLOCK_OFFSETS_SECONDS = (-1.5, 0.0, 1.5, 3.0)
TENANT = "skewed"


@pytest.fixture(scope="module")
def skewed(azurite: str) -> Iterator[Instances]:
    offsets = [{CLOCK_OFFSET_SETTING: str(seconds)} for seconds in CLOCK_OFFSETS_SECONDS]
    try:
        with instances(len(offsets), (TENANT,), own_settings=offsets) as group:
            yield group
    except RuntimeError as problem:
        pytest.fail(str(problem))


@pytest.fixture
def spread(skewed: Instances) -> Spread:
    return skewed.spread(TENANT)


def rows_of(spread: Spread, resource_id: str) -> list[dict]:
    return [row for row in journal_rows(spread.instances.table(), TENANT) if row["ResourceId"] == resource_id]


def test_a_users_rows_follow_its_writes_served_in_turn_by_instances_whose_clocks_differ(spread: Spread):
    """Ahead-then-behind pairs (3 s, then -1.5 s) would sort backwards by the writers' clocks."""
    user = body_of(spread.request("POST", "/Users", user_body("alice"), {"client-request-id": "w00"}))
    for number in range(1, 12):
        change = patch_body({"op": "replace", "path": "displayName", "value": f"Alice {number}"})
        body_of(spread.request("PATCH", f"/Users/{user['id']}", change, {"client-request-id": f"w{number:02}"}))
    spread.request("DELETE", f"/Users/{user['id']}", headers={"client-request-id": "w12"})

    assert [row["RequestId"] for row in rows_of(spread, user["id"])] == [f"w{number:02}" for number in range(13)]


def test_racing_patches_on_skewed_instances_leave_rows_in_the_order_of_the_version_chain(spread: Spread):
    user = body_of(spread.request("POST", "/Users", user_body("bob")))

    responses = race(
        *(
            lambda n=n: spread.request("PATCH", f"/Users/{user['id']}", add_email(f"bob{n}@example.com"))
            for n in range(RACERS)
        )
    )

    assert [response.status for response in responses] == [200] * RACERS
    final = body_of(spread.request("GET", f"/Users/{user['id']}"))
    modified = [datetime.fromisoformat(row["Modified"]) for row in rows_of(spread, user["id"])]
    assert len(modified) == RACERS + 1
    assert modified == sorted(set(modified))  # strictly growing in key order
    assert modified[-1] == datetime.fromisoformat(final["meta"]["lastModified"])
