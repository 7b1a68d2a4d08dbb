"""HTTP behaviour of /Groups, through function_app's own trigger functions and Azurite."""

from __future__ import annotations

import uuid

from scim.models.group import GROUP_SCHEMA
from tests.support.bodies import add_members, group_body
from tests.support.http import (
    Client,
    assert_created_at_its_location,
    assert_scim_error,
    json_of,
    new_group,
    new_user_id,
)


def test_post_returns_201_with_location(groups_api: Client):
    response = groups_api.call("POST", body=group_body("Sales"))

    assert_created_at_its_location(response, groups_api)


def test_taken_display_name_is_409_uniqueness(groups_api: Client):
    new_group(groups_api, "Sales")

    response = groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": "sales"})

    assert_scim_error(response, 409, "uniqueness")


def test_entra_group_lookup_by_display_name_returns_empty_list_when_absent(groups_api: Client):
    response = groups_api.call(
        "GET", params={"filter": f'displayName eq "{uuid.uuid4()}"', "excludedAttributes": "members"}
    )

    assert response.status_code == 200
    assert json_of(response)["totalResults"] == 0


def test_membership_patch_returns_204(groups_api: Client, users_api: Client):
    group = new_group(groups_api)

    response = groups_api.call("PATCH", f"/{group['id']}", body=add_members(new_user_id(users_api)))

    assert response.status_code == 204
    assert response.get_body() == b""


def test_membership_patch_asking_for_attributes_returns_200_with_them(groups_api: Client, users_api: Client):
    group = new_group(groups_api)
    member = new_user_id(users_api)

    response = groups_api.call("PATCH", f"/{group['id']}", body=add_members(member), params={"attributes": "members"})

    assert response.status_code == 200
    assert [entry["value"] for entry in json_of(response)["members"]] == [member]


def test_get_lists_members_unless_excluded(groups_api: Client, users_api: Client):
    group = new_group(groups_api)
    member = new_user_id(users_api)
    groups_api.call("PATCH", f"/{group['id']}", body=add_members(member))

    with_members = json_of(groups_api.call("GET", f"/{group['id']}"))
    without = json_of(groups_api.call("GET", f"/{group['id']}", params={"excludedAttributes": "members"}))

    assert [entry["value"] for entry in with_members["members"]] == [member]
    assert "members" not in without
    assert without["displayName"] == "Engineering"


def test_unknown_member_is_400_invalid_value(groups_api: Client):
    group = new_group(groups_api)

    response = groups_api.call("PATCH", f"/{group['id']}", body=add_members(str(uuid.uuid4())))

    assert_scim_error(response, 400, "invalidValue")


def test_user_shows_its_groups(groups_api: Client, users_api: Client):
    member = new_user_id(users_api)
    group = new_group(groups_api, members=[{"value": member}])

    body = json_of(users_api.call("GET", f"/{member}"))

    assert [entry["value"] for entry in body["groups"]] == [group["id"]]


def test_delete_returns_204_then_get_returns_404(groups_api: Client):
    group = new_group(groups_api)

    assert groups_api.call("DELETE", f"/{group['id']}").status_code == 204
    assert_scim_error(groups_api.call("GET", f"/{group['id']}"), 404)
