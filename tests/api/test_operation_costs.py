"""Storage requests of the operations Entra sends most, at the minimum the data model allows."""

from __future__ import annotations

import uuid

from scim.models.group import GROUP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.bodies import add_members, remove_members
from tests.support.http import Client, assert_scim_error, json_of, new_group, new_user_id


def new_group_id(client: Client, name: str, members: list[str] = ()) -> str:
    """A group, its members added by a PATCH as Entra adds them."""
    group_id = new_group(client, name)["id"]
    if members:
        assert client.call("PATCH", f"/{group_id}", add_members(*members)).status_code == 204
    return group_id


def test_a_lookup_that_finds_nothing_costs_one_request(users_api: Client, groups_api: Client, request_counter):
    user_cost, user_response = request_counter.during(
        lambda: users_api.call("GET", params={"filter": 'userName eq "nobody"'})
    )
    group_cost, group_response = request_counter.during(
        lambda: groups_api.call("GET", params={"filter": 'displayName eq "none"', "excludedAttributes": "members"}),
    )

    external_cost, external_response = request_counter.during(
        lambda: users_api.call("GET", params={"filter": 'externalId eq "none"'})
    )

    assert json_of(user_response)["totalResults"] == json_of(group_response)["totalResults"] == 0
    assert json_of(external_response)["totalResults"] == 0
    # a point read of a unique index row; a range query over the rows of a non-unique value
    assert user_cost == group_cost == external_cost == 1


def test_creating_costs_one_transaction(users_api: Client, groups_api: Client, request_counter):
    user_cost, user_response = request_counter.during(
        lambda: users_api.call("POST", body={"schemas": [USER_SCHEMA], "userName": "alice"})
    )
    group_cost, group_response = request_counter.during(
        lambda: groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": "staff"})
    )

    assert user_response.status_code == group_response.status_code == 201
    assert "groups" not in json_of(user_response) and "members" not in json_of(group_response)
    assert user_cost == group_cost == 1  # nothing to read: a new resource has no memberships yet


def test_a_group_created_with_members_returns_them(users_api: Client, groups_api: Client):
    member = new_user_id(users_api, "alice")

    response = groups_api.call(
        "POST", body={"schemas": [GROUP_SCHEMA], "displayName": "staff", "members": [{"value": member}]}
    )

    assert [entry["value"] for entry in json_of(response)["members"]] == [member]


def test_deleting_a_user_in_groups_costs_four_requests(users_api: Client, groups_api: Client, request_counter):
    member = new_user_id(users_api, "alice")
    first, second = new_group_id(groups_api, "first", [member]), new_group_id(groups_api, "second", [member])

    cost, response = request_counter.during(lambda: users_api.call("DELETE", f"/{member}"))

    assert response.status_code == 204
    assert cost == 4  # read, transaction (row, index rows, marker), its memberships, one cleanup transaction
    for group_id in (first, second):
        assert "members" not in json_of(groups_api.call("GET", f"/{group_id}"))


def test_deleting_a_group_costs_five_requests(users_api: Client, groups_api: Client, request_counter):
    members = [new_user_id(users_api, f"user{number}") for number in range(3)]
    group_id = new_group_id(groups_api, "staff", members)

    cost, response = request_counter.during(lambda: groups_api.call("DELETE", f"/{group_id}"))

    assert response.status_code == 204
    assert cost == 5  # read, transaction, its members, the groups it is in, one cleanup transaction
    assert "groups" not in json_of(users_api.call("GET", f"/{members[0]}"))


def test_adding_members_in_one_patch_costs_one_transaction(users_api: Client, groups_api: Client, request_counter):
    members = [new_user_id(users_api, f"user{number}") for number in range(25)]
    group_id = new_group_id(groups_api, "staff")

    cost, response = request_counter.during(lambda: groups_api.call("PATCH", f"/{group_id}", add_members(*members)))

    assert response.status_code == 204
    assert cost == 1  # the transaction touches every member: no read is needed to know they exist
    assert len(json_of(groups_api.call("GET", f"/{group_id}"))["members"]) == 25


def test_an_unknown_member_in_a_membership_patch_adds_no_one(users_api: Client, groups_api: Client):
    group_id = new_group_id(groups_api, "staff")

    response = groups_api.call("PATCH", f"/{group_id}", add_members(new_user_id(users_api, "alice"), str(uuid.uuid4())))

    assert_scim_error(response, 400, "invalidValue")
    assert "members" not in json_of(groups_api.call("GET", f"/{group_id}"))


def test_a_group_added_without_its_type_is_found_by_one_more_read(groups_api: Client, request_counter):
    child, parent = new_group_id(groups_api, "child"), new_group_id(groups_api, "parent")

    cost, response = request_counter.during(lambda: groups_api.call("PATCH", f"/{parent}", add_members(child)))

    assert response.status_code == 204
    assert cost == 3  # the transaction presuming a User fails whole, the Group's existence, the transaction
    assert [(m["value"], m["type"]) for m in json_of(groups_api.call("GET", f"/{parent}"))["members"]] == [
        (child, "Group")
    ]


def test_removing_members_costs_one_transaction(users_api: Client, groups_api: Client, request_counter):
    members = [new_user_id(users_api, f"user{number}") for number in range(3)]
    group_id = new_group_id(groups_api, "staff", members)

    cost, response = request_counter.during(
        lambda: groups_api.call("PATCH", f"/{group_id}", remove_members(*members[:2]))
    )

    assert response.status_code == 204
    assert cost == 1
    assert [member["value"] for member in json_of(groups_api.call("GET", f"/{group_id}"))["members"]] == members[2:]


def test_removing_an_absent_member_reads_which_are_members_after_the_transaction_fails(
    users_api: Client, groups_api: Client, request_counter
):
    present, absent = new_user_id(users_api, "alice"), new_user_id(users_api, "bob")
    group_id = new_group_id(groups_api, "staff", [present])

    cost, response = request_counter.during(
        lambda: groups_api.call("PATCH", f"/{group_id}", remove_members(present, absent))
    )

    assert response.status_code == 204
    assert cost == 4  # the failed transaction, one membership read each, the transaction
    assert "members" not in json_of(groups_api.call("GET", f"/{group_id}"))
