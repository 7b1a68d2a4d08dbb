"""The races of tests/reliability/test_concurrency.py, with the racers spread over four processes.

Within one process the races are decided by storage (atomic transactions, ETags); these show that
nothing in a process (a cache, a lock, the order of threads) was needed: the same outcomes hold
when each racer's request is served by another instance.
"""

from __future__ import annotations

import uuid

import pytest

from bench.instances import Spread
from tests.reliability.test_concurrency import RACERS, add_email
from tests.scale.conftest import body_of, outcome, stored
from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.concurrency import letter_case_variant, race


@pytest.mark.parametrize(("resource", "order"), [("Users", "round-robin"), ("Groups", "random")])
def test_creates_of_one_unique_value_on_four_instances_make_exactly_one_resource(
    spread: Spread, resource: str, order: str
):
    client = spread.instances.spread(spread.tenant, order)
    build = user_body if resource == "Users" else group_body
    spellings = [letter_case_variant("same.name@example.com", variant) for variant in range(RACERS)]

    responses = race(*(lambda name=name: client.request("POST", f"/{resource}", build(name)) for name in spellings))

    assert sorted(map(outcome, responses), key=str) == [(201, None)] + [(409, "uniqueness")] * (RACERS - 1)
    state = stored(spread)
    assert len(state.resources) == 1 and len(state.index_rows) == 1


def test_patches_without_if_match_on_four_instances_lose_no_update(spread: Spread):
    user = body_of(spread.request("POST", "/Users", user_body("alice")))
    addresses = [f"alice{number}@example.com" for number in range(RACERS)]

    responses = race(*(lambda a=a: spread.request("PATCH", f"/Users/{user['id']}", add_email(a)) for a in addresses))

    assert [response.status for response in responses] == [200] * RACERS
    final = body_of(spread.request("GET", f"/Users/{user['id']}"))
    assert sorted(email["value"] for email in final["emails"]) == sorted(addresses)
    stored(spread)


def test_patches_with_one_if_match_on_four_instances_let_exactly_one_win(spread: Spread):
    user = body_of(spread.request("POST", "/Users", user_body("alice")))
    condition = {"If-Match": user["meta"]["version"]}
    addresses = [f"alice{number}@example.com" for number in range(RACERS)]

    responses = race(
        *(lambda a=a: spread.request("PATCH", f"/Users/{user['id']}", add_email(a), condition) for a in addresses)
    )

    assert sorted(response.status for response in responses) == [200] + [412] * (RACERS - 1)
    winner = addresses[[response.status for response in responses].index(200)]
    final = body_of(spread.request("GET", f"/Users/{user['id']}"))
    assert [email["value"] for email in final["emails"]] == [winner]
    stored(spread)


def test_puts_without_if_match_on_four_instances_leave_one_user_name_and_its_index_rows(spread: Spread):
    user = body_of(spread.request("POST", "/Users", user_body("alice", externalId="e-0")))
    names = [f"alice{number}" for number in range(RACERS)]

    responses = race(
        *(lambda n=n: spread.request("PUT", f"/Users/{user['id']}", user_body(n, externalId=f"e-{n}")) for n in names)
    )

    assert [response.status for response in responses] == [200] * RACERS
    final = body_of(spread.request("GET", f"/Users/{user['id']}"))
    assert final["userName"] in names and final["externalId"] == f"e-{final['userName']}"
    assert len(stored(spread).index_rows) == 2  # the final userName and externalId only


def test_member_additions_on_four_instances_are_all_stored(spread: Spread):
    group = body_of(spread.request("POST", "/Groups", group_body("Engineering")))
    members = [body_of(spread.request("POST", "/Users", user_body(f"member{n}")))["id"] for n in range(RACERS)]

    responses = race(*(lambda m=m: spread.request("PATCH", f"/Groups/{group['id']}", add_members(m)) for m in members))

    assert [response.status for response in responses] == [204] * RACERS
    assert stored(spread).members(group["id"]) == set(members)


def test_member_additions_and_removals_on_four_instances_all_apply(spread: Spread):
    group = body_of(spread.request("POST", "/Groups", group_body("Engineering")))
    leaving = [body_of(spread.request("POST", "/Users", user_body(f"leaving{n}")))["id"] for n in range(RACERS // 2)]
    joining = [body_of(spread.request("POST", "/Users", user_body(f"joining{n}")))["id"] for n in range(RACERS // 2)]
    assert spread.request("PATCH", f"/Groups/{group['id']}", add_members(*leaving)).status == 204
    removals = [patch_body({"op": "remove", "path": f'members[value eq "{member}"]'}) for member in leaving[::2]] + [
        patch_body({"op": "remove", "path": "members", "value": [{"value": member}]}) for member in leaving[1::2]
    ]
    changes = removals + [add_members(member) for member in joining]

    responses = race(*(lambda body=body: spread.request("PATCH", f"/Groups/{group['id']}", body) for body in changes))

    assert [response.status for response in responses] == [204] * len(changes)
    assert stored(spread).members(group["id"]) == set(joining)


def user_in_two_groups(spread: Spread) -> dict:
    user = body_of(spread.request("POST", "/Users", user_body("member-" + uuid.uuid4().hex[:8])))
    for _ in range(2):
        group = body_of(spread.request("POST", "/Groups", group_body("group-" + uuid.uuid4().hex[:8])))
        assert spread.request("PATCH", f"/Groups/{group['id']}", add_members(user["id"])).status == 204
    return user


@pytest.mark.parametrize("round_number", range(3))
def test_delete_on_one_instance_racing_a_patch_on_another_leaves_the_user_gone_with_no_rows(
    spread: Spread, round_number: int
):
    user = user_in_two_groups(spread)

    deleted, patched = race(
        lambda: spread.on(round_number).request("DELETE", f"/Users/{user['id']}"),
        lambda: spread.on(round_number + 1).request("PATCH", f"/Users/{user['id']}", add_email("late@example.com")),
    )

    assert deleted.status == 204 and patched.status in (200, 404)
    state = stored(spread)
    assert ("User", user["id"]) not in state.resources
    assert not any(user["id"] in pair for pair in state.memberships | state.reverse)


@pytest.mark.parametrize("round_number", range(3))
def test_group_delete_racing_a_membership_patch_on_another_instance_leaves_no_membership_rows(
    spread: Spread, round_number: int
):
    group = body_of(spread.request("POST", "/Groups", group_body("Doomed")))
    members = [body_of(spread.request("POST", "/Users", user_body(f"m{number}")))["id"] for number in range(5)]
    assert spread.request("PATCH", f"/Groups/{group['id']}", add_members(*members[:2])).status == 204

    deleted, patched = race(
        lambda: spread.on(round_number).request("DELETE", f"/Groups/{group['id']}"),
        lambda: spread.on(round_number + 1).request("PATCH", f"/Groups/{group['id']}", add_members(*members[2:])),
    )

    assert deleted.status == 204 and patched.status in (204, 404)
    state = stored(spread)
    assert state.memberships == state.reverse == set()
    assert state.ids("User") == set(members)


@pytest.mark.parametrize("round_number", range(3))
def test_member_delete_racing_its_addition_on_another_instance_leaves_no_dangling_membership(
    spread: Spread, round_number: int
):
    group = body_of(spread.request("POST", "/Groups", group_body("Team")))
    doomed = body_of(spread.request("POST", "/Users", user_body("doomed")))["id"]

    deleted, patched = race(
        lambda: spread.on(round_number).request("DELETE", f"/Users/{doomed}"),
        lambda: spread.on(round_number + 1).request("PATCH", f"/Groups/{group['id']}", add_members(doomed)),
    )

    assert deleted.status == 204
    assert outcome(patched) in ((204, None), (400, "invalidValue"))
    assert stored(spread).members(group["id"]) == set()
