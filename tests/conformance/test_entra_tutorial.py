"""Replays the requests of Microsoft Learn's "Tutorial: Develop and plan provisioning for a SCIM
endpoint in Microsoft Entra ID" (section "SCIM protocol requests and responses"), request by
request, asserting the responses the tutorial expects. Ids in the tutorial are replaced by ours.
"""

from __future__ import annotations

import pytest

from tests.support.http import Client, discovery_request, json_of

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"

CREATE_USER = {
    "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
    "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
    "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
    "active": True,
    "emails": [
        {"primary": True, "type": "work", "value": "Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com"}
    ],
    "meta": {"resourceType": "User"},
    "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
    "roles": [],
}
CREATE_GROUP = {
    "schemas": [GROUP_SCHEMA, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
    "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
    "displayName": "displayName",
    "meta": {"resourceType": "Group"},
}


@pytest.fixture
def user(users_api: Client) -> dict:
    return json_of(users_api.call("POST", body=CREATE_USER))


@pytest.fixture
def group(groups_api: Client) -> dict:
    return json_of(groups_api.call("POST", body=CREATE_GROUP))


def test_create_user(users_api: Client):
    response = users_api.call("POST", body=CREATE_USER)
    body = json_of(response)

    assert response.status_code == 201
    assert body["schemas"] == [USER_SCHEMA]
    assert body["id"]
    assert body["meta"]["resourceType"] == "User"
    assert {key: body[key] for key in ("externalId", "userName", "active", "emails")} == {
        key: CREATE_USER[key] for key in ("externalId", "userName", "active", "emails")
    }
    assert body["name"] == CREATE_USER["name"]


def test_get_user(users_api: Client, user: dict):
    response = users_api.call("GET", f"/{user['id']}")

    assert response.status_code == 200
    assert json_of(response)["userName"] == CREATE_USER["userName"]


def test_get_user_not_found(users_api: Client):
    response = users_api.call("GET", "/5171a35d82074e068ce2")

    assert response.status_code == 404
    assert json_of(response)["schemas"] == [ERROR]
    assert json_of(response)["status"] == "404"


def test_get_user_by_query(users_api: Client, user: dict):
    response = users_api.call("GET", params={"filter": f'userName eq "{CREATE_USER["userName"]}"'})
    body = json_of(response)

    assert response.status_code == 200
    assert body["schemas"] == [LIST_RESPONSE]
    assert (body["totalResults"], body["startIndex"]) == (1, 1)
    assert body["Resources"][0]["id"] == user["id"]


def test_get_user_by_query_zero_results(users_api: Client):
    body = json_of(users_api.call("GET", params={"filter": 'userName eq "non-existent user"'}))

    assert (body["schemas"], body["totalResults"], body["Resources"], body["startIndex"]) == (
        [LIST_RESPONSE],
        0,
        [],
        1,
    )


def test_update_user_multi_valued_properties(users_api: Client, user: dict):
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "updatedEmail@microsoft.com"},
            {"op": "Replace", "path": "name.familyName", "value": "updatedFamilyName"},
        ],
    }

    response = users_api.call("PATCH", f"/{user['id']}", body=patch)
    body = json_of(response)

    assert response.status_code == 200
    assert body["emails"] == [{"value": "updatedEmail@microsoft.com", "type": "work", "primary": True}]
    assert body["name"]["familyName"] == "updatedFamilyName"


def test_update_user_single_valued_properties(users_api: Client, user: dict):
    new_name = "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com"
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "userName", "value": new_name}]}

    response = users_api.call("PATCH", f"/{user['id']}", body=patch)

    assert (response.status_code, json_of(response)["userName"]) == (200, new_name)


def test_disable_user(users_api: Client, user: dict):
    patch = {"Operations": [{"op": "Replace", "path": "active", "value": False}], "schemas": [PATCH_OP]}

    response = users_api.call("PATCH", f"/{user['id']}", body=patch)

    assert (response.status_code, json_of(response)["active"]) == (200, False)
    # Deprovisioned users are still found by Entra's lookup.
    found = json_of(users_api.call("GET", params={"filter": f'userName eq "{CREATE_USER["userName"]}"'}))
    assert found["totalResults"] == 1


def test_delete_user(users_api: Client, user: dict):
    assert users_api.call("DELETE", f"/{user['id']}").status_code == 204


def test_create_group(groups_api: Client):
    response = groups_api.call("POST", body=CREATE_GROUP)
    body = json_of(response)

    assert response.status_code == 201
    assert body["schemas"] == [GROUP_SCHEMA]
    assert (body["externalId"], body["displayName"]) == (CREATE_GROUP["externalId"], "displayName")
    assert body["meta"]["resourceType"] == "Group"


def test_get_group_excluding_members(groups_api: Client, group: dict):
    response = groups_api.call("GET", f"/{group['id']}", params={"excludedAttributes": "members"})

    assert response.status_code == 200
    assert json_of(response)["displayName"] == "displayName"
    assert "members" not in json_of(response)


def test_get_group_by_display_name(groups_api: Client, group: dict):
    params = {"excludedAttributes": "members", "filter": 'displayName eq "displayName"'}

    body = json_of(groups_api.call("GET", params=params))

    assert (body["schemas"], body["totalResults"]) == ([LIST_RESPONSE], 1)
    assert body["Resources"][0]["id"] == group["id"]


def test_update_group_non_member_attributes(groups_api: Client, group: dict):
    new_name = "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName"
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "displayName", "value": new_name}]}

    response = groups_api.call("PATCH", f"/{group['id']}", body=patch)

    assert response.status_code == 204
    assert json_of(groups_api.call("GET", f"/{group['id']}"))["displayName"] == new_name


def test_update_group_add_members(groups_api: Client, group: dict, user: dict):
    patch = {
        "schemas": [PATCH_OP],
        "Operations": [{"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]}],
    }

    response = groups_api.call("PATCH", f"/{group['id']}", body=patch)

    assert response.status_code == 204
    assert [member["value"] for member in json_of(groups_api.call("GET", f"/{group['id']}"))["members"]] == [user["id"]]


def test_update_group_remove_members(groups_api: Client, group: dict, user: dict):
    members = [{"$ref": None, "value": user["id"]}]
    groups_api.call(
        "PATCH",
        f"/{group['id']}",
        body={"schemas": [PATCH_OP], "Operations": [{"op": "Add", "path": "members", "value": members}]},
    )

    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": "members", "value": members}]}
    response = groups_api.call("PATCH", f"/{group['id']}", body=patch)

    assert response.status_code == 204
    assert "members" not in json_of(groups_api.call("GET", f"/{group['id']}"))


def test_delete_group(groups_api: Client, group: dict):
    assert groups_api.call("DELETE", f"/{group['id']}").status_code == 204


def test_discover_schema(served, tenant: str, tokens: dict[str, str]):
    body = json_of(discovery_request(tenant, "/Schemas", token=tokens[tenant]))

    assert body["schemas"] == [LIST_RESPONSE]
    assert {schema["id"] for schema in body["Resources"]} == {USER_SCHEMA, GROUP_SCHEMA, ENTERPRISE_SCHEMA}


def test_get_user_by_work_email_query(users_api: Client, user: dict):
    work_email = CREATE_USER["emails"][0]["value"]

    body = json_of(users_api.call("GET", params={"filter": f'emails[type eq "work"].value eq "{work_email}"'}))

    assert (body["totalResults"], body["Resources"][0]["id"]) == (1, user["id"])
