"""Racing requests on the same resources, through function_app's triggers on Azurite.

After every race the outcomes the clients saw must agree with each other and with the table,
which ``assert_integrity`` reads directly: no lost update, no duplicate, no index row without its
resource or the reverse, no membership row without both sides.
"""

from __future__ import annotations

import uuid

import pytest
from azure.data.tables import TableClient

from tests.reliability.integrity import assert_integrity
from tests.support.bodies import add_members, group_body, patch_body, remove_members, user_body
from tests.support.concurrency import letter_case_variant, race
from tests.support.http import Client, created, json_of, outcome

RACERS = 20


def add_email(address: str) -> dict:
    return patch_body({"op": "add", "path": "emails", "value": [{"value": address, "type": "work"}]})


# creates of one unique value


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_concurrent_creates_of_one_unique_value_make_exactly_one_resource(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str, resource: str
):
    client, body_of = (users_api, user_body) if resource == "Users" else (groups_api, group_body)
    spellings = [letter_case_variant("same.name@example.com", variant) for variant in range(RACERS)]

    responses = race(*(lambda name=name: client.call("POST", body=body_of(name)) for name in spellings))

    assert sorted(map(outcome, responses), key=str) == [(201, None)] + [(409, "uniqueness")] * (RACERS - 1)
    state = assert_integrity(table, tenant)
    assert len(state.resources) == 1 and len(state.index_rows) == 1


# membership


def test_concurrent_patches_adding_different_members_lose_none(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str
):
    group = created(groups_api, group_body("Engineering"))
    members = [created(users_api, user_body(f"member{number}"))["id"] for number in range(RACERS)]

    responses = race(*(lambda m=m: groups_api.call("PATCH", f"/{group['id']}", add_members(m)) for m in members))

    assert [response.status_code for response in responses] == [204] * RACERS
    state = assert_integrity(table, tenant)
    assert state.members(group["id"]) == set(members)


def test_concurrent_additions_and_removals_of_members_all_apply(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str
):
    group = created(groups_api, group_body("Engineering"))
    leaving = [created(users_api, user_body(f"leaving{number}"))["id"] for number in range(RACERS // 2)]
    joining = [created(users_api, user_body(f"joining{number}"))["id"] for number in range(RACERS // 2)]
    assert groups_api.call("PATCH", f"/{group['id']}", add_members(*leaving)).status_code == 204
    remove = [patch_body({"op": "remove", "path": f'members[value eq "{member}"]'}) for member in leaving[::2]] + [
        remove_members(member) for member in leaving[1::2]
    ]
    changes = remove + [add_members(member) for member in joining]

    responses = race(*(lambda body=body: groups_api.call("PATCH", f"/{group['id']}", body) for body in changes))

    assert [response.status_code for response in responses] == [204] * len(changes)
    state = assert_integrity(table, tenant)
    assert state.members(group["id"]) == set(joining)


# PATCH and PUT of one user


def test_concurrent_patches_without_if_match_lose_no_update(users_api: Client, table: TableClient, tenant: str):
    user = created(users_api, user_body("alice"))
    addresses = [f"alice{number}@example.com" for number in range(RACERS)]

    responses = race(*(lambda a=a: users_api.call("PATCH", f"/{user['id']}", add_email(a)) for a in addresses))

    assert [response.status_code for response in responses] == [200] * RACERS
    final = json_of(users_api.call("GET", f"/{user['id']}"))
    assert sorted(email["value"] for email in final["emails"]) == sorted(addresses)
    assert_integrity(table, tenant)


def test_concurrent_puts_without_if_match_all_apply_and_leave_one_user_name(
    users_api: Client, table: TableClient, tenant: str
):
    user = created(users_api, user_body("alice", externalId="e-0"))
    names = [f"alice{number}" for number in range(RACERS)]

    responses = race(
        *(lambda n=n: users_api.call("PUT", f"/{user['id']}", user_body(n, externalId=f"e-{n}")) for n in names)
    )

    assert [response.status_code for response in responses] == [200] * RACERS
    final = json_of(users_api.call("GET", f"/{user['id']}"))
    assert final["userName"] in names and final["externalId"] == f"e-{final['userName']}"
    state = assert_integrity(table, tenant)
    assert len(state.index_rows) == 2  # the final userName and externalId only
    for name in names:  # every other userName is free again
        expected = 1 if name == final["userName"] else 0
        listed = json_of(users_api.call("GET", params={"filter": f'userName eq "{name}"'}))
        assert listed["totalResults"] == expected


# By method, the change every racer makes to one user: each racer's value, the body setting that
# value, and the values the user shows afterwards.
CHANGES_OF_ONE_USER = {
    "PATCH": ("alice{}@example.com", add_email, lambda user: [email["value"] for email in user["emails"]]),
    "PUT": ("alice{}", user_body, lambda user: [user["userName"]]),
}


@pytest.mark.parametrize("method", list(CHANGES_OF_ONE_USER))
def test_concurrent_changes_with_one_if_match_let_exactly_one_win(
    users_api: Client, table: TableClient, tenant: str, method: str
):
    value_pattern, body_with, shown = CHANGES_OF_ONE_USER[method]
    user = created(users_api, user_body("alice"))
    version = user["meta"]["version"]
    values = [value_pattern.format(number) for number in range(RACERS)]

    responses = race(
        *(
            lambda v=v: users_api.call(method, f"/{user['id']}", body_with(v), headers={"If-Match": version})
            for v in values
        )
    )

    assert sorted(response.status_code for response in responses) == [200] + [412] * (RACERS - 1)
    winner = values[[response.status_code for response in responses].index(200)]
    assert shown(json_of(users_api.call("GET", f"/{user['id']}"))) == [winner]
    assert_integrity(table, tenant)


def test_patch_and_put_racing_on_one_user_leave_a_consistent_user(users_api: Client, table: TableClient, tenant: str):
    user = created(users_api, user_body("alice", externalId="x"))
    calls = []
    for number in range(RACERS // 2):
        calls.append(lambda n=number: users_api.call("PUT", f"/{user['id']}", user_body(f"put{n}", externalId=f"p{n}")))
        calls.append(lambda n=number: users_api.call("PATCH", f"/{user['id']}", add_email(f"patch{n}@example.com")))

    responses = race(*calls)

    assert [response.status_code for response in responses] == [200] * len(calls)
    assert_integrity(table, tenant)


# deletes racing changes


def user_in_groups(users_api: Client, groups_api: Client, groups: int = 2) -> tuple[dict, list[str]]:
    user = created(users_api, user_body("member-" + uuid.uuid4().hex[:8]))
    group_ids = [created(groups_api, group_body(f"group-{uuid.uuid4().hex[:8]}"))["id"] for _ in range(groups)]
    for group_id in group_ids:
        assert groups_api.call("PATCH", f"/{group_id}", add_members(user["id"])).status_code == 204
    return user, group_ids


@pytest.mark.parametrize("round_number", range(3))
def test_delete_racing_a_patch_leaves_the_user_gone_with_no_rows(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str, round_number: int
):
    user, _ = user_in_groups(users_api, groups_api)

    deleted, patched = race(
        lambda: users_api.call("DELETE", f"/{user['id']}"),
        lambda: users_api.call("PATCH", f"/{user['id']}", add_email("late@example.com")),
    )

    assert deleted.status_code == 204 and patched.status_code in (200, 404)
    state = assert_integrity(table, tenant)
    assert ("User", user["id"]) not in state.resources
    assert not any(user["id"] in pair for pair in state.memberships | state.reverse)


@pytest.mark.parametrize("round_number", range(3))
def test_conditional_delete_racing_a_patch_leaves_either_the_patched_user_or_nothing(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str, round_number: int
):
    user, group_ids = user_in_groups(users_api, groups_api)
    version = json_of(users_api.call("GET", f"/{user['id']}"))["meta"]["version"]

    deleted, patched = race(
        lambda: users_api.call("DELETE", f"/{user['id']}", headers={"If-Match": version}),
        lambda: users_api.call("PATCH", f"/{user['id']}", add_email("late@example.com")),
    )

    state = assert_integrity(table, tenant)
    if deleted.status_code == 204:
        assert patched.status_code in (200, 404)
        assert ("User", user["id"]) not in state.resources
        assert not any(user["id"] in pair for pair in state.memberships | state.reverse)
    else:
        assert (deleted.status_code, patched.status_code) == (412, 200)
        assert state.resources[("User", user["id"])]["emails"][0]["value"] == "late@example.com"
        assert all(state.members(group_id) == {user["id"]} for group_id in group_ids)


@pytest.mark.parametrize("round_number", range(3))
def test_group_delete_racing_a_membership_patch_leaves_no_membership_rows(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str, round_number: int
):
    group = created(groups_api, group_body("Doomed"))
    members = [created(users_api, user_body(f"m{number}"))["id"] for number in range(5)]
    assert groups_api.call("PATCH", f"/{group['id']}", add_members(*members[:2])).status_code == 204

    deleted, patched = race(
        lambda: groups_api.call("DELETE", f"/{group['id']}"),
        lambda: groups_api.call("PATCH", f"/{group['id']}", add_members(*members[2:])),
    )

    assert deleted.status_code == 204 and patched.status_code in (204, 404)
    state = assert_integrity(table, tenant)
    assert state.memberships == state.reverse == set()
    assert state.ids("User") == set(members)


@pytest.mark.parametrize("round_number", range(3))
def test_member_delete_racing_its_addition_to_a_group_leaves_no_dangling_membership(
    users_api: Client, groups_api: Client, table: TableClient, tenant: str, round_number: int
):
    group = created(groups_api, group_body("Team"))
    doomed = created(users_api, user_body("doomed"))["id"]

    deleted, patched = race(
        lambda: users_api.call("DELETE", f"/{doomed}"),
        lambda: groups_api.call("PATCH", f"/{group['id']}", add_members(doomed)),
    )

    assert deleted.status_code == 204
    assert outcome(patched) in ((204, None), (400, "invalidValue"))
    state = assert_integrity(table, tenant)
    assert state.members(group["id"]) == set()
