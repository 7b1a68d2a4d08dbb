"""Storage requests of the operations Entra sends most, at the minimum the data model allows."""

from __future__ import annotations

import uuid

from scim.models.group import GROUP_SCHEMA
from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.api.http_client import Client, assert_scim_error, json_of
from tests.storage_requests import RequestCounter


def requests_for(counter: RequestCounter, action) -> tuple[int, object]:
    before = counter.count
    response = action()
    return counter.count - before, response


def new_user(client: Client, user_name: str) -> str:
    return json_of(client.call("POST", body={"schemas": [USER_SCHEMA], "userName": user_name}))["id"]


def add_members(client: Client, group_id: str, members: list[str]):
    operation = {"op": "Add", "path": "members", "value": [{"value": member} for member in members]}
    return client.call("PATCH", f"/{group_id}", {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]})


def new_group(client: Client, name: str, members: list[str] = ()) -> str:
    group_id = json_of(client.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": name}))["id"]
    if members:
        assert add_members(client, group_id, members).status_code == 204
    return group_id


def test_a_lookup_that_finds_nothing_costs_one_request(users_api: Client, groups_api: Client, request_counter):
    user_cost, user_response = requests_for(
        request_counter, lambda: users_api.call("GET", params={"filter": 'userName eq "nobody"'})
    )
    group_cost, group_response = requests_for(
        request_counter,
        lambda: groups_api.call("GET", params={"filter": 'displayName eq "none"', "excludedAttributes": "members"}),
    )

    external_cost, external_response = requests_for(
        request_counter, lambda: users_api.call("GET", params={"filter": 'externalId eq "none"'})
    )

    assert json_of(user_response)["totalResults"] == json_of(group_response)["totalResults"] == 0
    assert json_of(external_response)["totalResults"] == 0
    # a point read of a unique index row; a range query over the rows of a non-unique value
    assert user_cost == group_cost == external_cost == 1


def test_creating_costs_one_transaction(users_api: Client, groups_api: Client, request_counter):
    user_cost, user_response = requests_for(
        request_counter, lambda: users_api.call("POST", body={"schemas": [USER_SCHEMA], "userName": "alice"})
    )
    group_cost, group_response = requests_for(
        request_counter, lambda: groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": "staff"})
    )

    assert user_response.status_code == group_response.status_code == 201
    assert "groups" not in json_of(user_response) and "members" not in json_of(group_response)
    assert user_cost == group_cost == 1  # nothing to read: a new resource has no memberships yet


def test_a_group_created_with_members_returns_them(users_api: Client, groups_api: Client):
    member = new_user(users_api, "alice")

    response = groups_api.call(
        "POST", body={"schemas": [GROUP_SCHEMA], "displayName": "staff", "members": [{"value": member}]}
    )

    assert [entry["value"] for entry in json_of(response)["members"]] == [member]


def test_deleting_a_user_in_groups_costs_four_requests(users_api: Client, groups_api: Client, request_counter):
    member = new_user(users_api, "alice")
    first, second = new_group(groups_api, "first", [member]), new_group(groups_api, "second", [member])

    cost, response = requests_for(request_counter, lambda: users_api.call("DELETE", f"/{member}"))

    assert response.status_code == 204
    assert cost == 4  # read, transaction (row, index rows, marker), its memberships, one cleanup transaction
    for group_id in (first, second):
        assert "members" not in json_of(groups_api.call("GET", f"/{group_id}"))


def test_deleting_a_group_costs_five_requests(users_api: Client, groups_api: Client, request_counter):
    members = [new_user(users_api, f"user{number}") for number in range(3)]
    group_id = new_group(groups_api, "staff", members)

    cost, response = requests_for(request_counter, lambda: groups_api.call("DELETE", f"/{group_id}"))

    assert response.status_code == 204
    assert cost == 5  # read, transaction, its members, the groups it is in, one cleanup transaction
    assert "groups" not in json_of(users_api.call("GET", f"/{members[0]}"))


def test_adding_members_in_one_patch_costs_one_transaction(users_api: Client, groups_api: Client, request_counter):
    members = [new_user(users_api, f"user{number}") for number in range(25)]
    group_id = new_group(groups_api, "staff")

    cost, response = requests_for(request_counter, lambda: add_members(groups_api, group_id, members))

    assert response.status_code == 204
    assert cost == 1  # the transaction touches every member: no read is needed to know they exist
    assert len(json_of(groups_api.call("GET", f"/{group_id}"))["members"]) == 25


def test_an_unknown_member_in_a_membership_patch_adds_no_one(users_api: Client, groups_api: Client):
    group_id = new_group(groups_api, "staff")

    response = add_members(groups_api, group_id, [new_user(users_api, "alice"), str(uuid.uuid4())])

    assert_scim_error(response, 400, "invalidValue")
    assert "members" not in json_of(groups_api.call("GET", f"/{group_id}"))


def test_a_group_added_without_its_type_is_found_by_one_more_read(groups_api: Client, request_counter):
    child, parent = new_group(groups_api, "child"), new_group(groups_api, "parent")

    cost, response = requests_for(request_counter, lambda: add_members(groups_api, parent, [child]))

    assert response.status_code == 204
    assert cost == 3  # the transaction presuming a User fails whole, the Group's existence, the transaction
    assert [(m["value"], m["type"]) for m in json_of(groups_api.call("GET", f"/{parent}"))["members"]] == [
        (child, "Group")
    ]


def remove_members(client: Client, group_id: str, members: list[str]):
    operation = {"op": "Remove", "path": "members", "value": [{"value": member} for member in members]}
    return client.call("PATCH", f"/{group_id}", {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]})


def test_removing_members_costs_one_transaction(users_api: Client, groups_api: Client, request_counter):
    members = [new_user(users_api, f"user{number}") for number in range(3)]
    group_id = new_group(groups_api, "staff", members)

    cost, response = requests_for(request_counter, lambda: remove_members(groups_api, group_id, members[:2]))

    assert response.status_code == 204
    assert cost == 1
    assert [member["value"] for member in json_of(groups_api.call("GET", f"/{group_id}"))["members"]] == members[2:]


def test_removing_an_absent_member_reads_which_are_members_after_the_transaction_fails(
    users_api: Client, groups_api: Client, request_counter
):
    present, absent = new_user(users_api, "alice"), new_user(users_api, "bob")
    group_id = new_group(groups_api, "staff", [present])

    cost, response = requests_for(request_counter, lambda: remove_members(groups_api, group_id, [present, absent]))

    assert response.status_code == 204
    assert cost == 4  # the failed transaction, one membership read each, the transaction
    assert "members" not in json_of(groups_api.call("GET", f"/{group_id}"))
