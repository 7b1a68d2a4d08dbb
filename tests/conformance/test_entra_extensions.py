"""Replays of Entra's documented custom-attribute and role requests, read back through GET and filters.

Sources (Microsoft Learn, "Customize application attributes"): "Provisioning a custom extension
attribute to a SCIM compliant application" (the URN pattern, the extension object in a POST, the
URN left out of ``schemas``) and "Provisioning a role to a SCIM app" (SingleAppRoleAssignment:
``roles[primary eq "True"].value`` and a PATCH whose role value is a JSON-encoded object;
AppRoleAssignmentsComplex: every role, ``primary`` false). PATCH shapes: Microsoft Learn,
"Tutorial: Develop and plan provisioning for a SCIM endpoint" (path and no-path operations).
"""

from __future__ import annotations

import json

import pytest

from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.extension_schemas import ENTRA_EXTENSION, ENTRA_SCHEMA, declare
from tests.support.http import Client, json_of

ATTRIBUTE = f"{ENTRA_EXTENSION}:CustomAttribute"
# The user of Learn's example, with the extension object Entra sends (and no extension URN in schemas).
ENTRA_POST = {
    "schemas": [USER_SCHEMA],
    "userName": "bjensen",
    "externalId": "bjensen",
    "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
    ENTRA_EXTENSION: {"CustomAttribute": "701984"},
}


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": list(operations)}


def found(client: Client, filter_text: str) -> list[dict]:
    return json_of(client.call("GET", params={"filter": filter_text}))["Resources"]


@pytest.fixture(params=["declared", "undeclared"])
def custom(request, repository, tenant, users_http: Client) -> Client:
    """The tenant with Entra's extension declared, or not (kept by the default policy)."""
    if request.param == "declared":
        declare(repository, tenant, ENTRA_SCHEMA)
    return users_http


def test_post_with_the_extension_object_is_stored_and_read_back(custom: Client):
    created = custom.call("POST", body=ENTRA_POST)
    read = json_of(custom.call("GET", f"/{json_of(created)['id']}"))

    assert created.status_code == 201
    assert read[ENTRA_EXTENSION] == {"CustomAttribute": "701984"}
    assert read["schemas"] == [USER_SCHEMA, ENTRA_EXTENSION]


def test_the_custom_attribute_is_found_by_a_filter(custom: Client):
    custom.call("POST", body=ENTRA_POST)

    assert [user["userName"] for user in found(custom, f'{ATTRIBUTE} eq "701984"')] == ["bjensen"]


def test_patch_with_the_urn_path_replaces_the_value(custom: Client):
    user_id = json_of(custom.call("POST", body=ENTRA_POST))["id"]

    response = custom.call("PATCH", f"/{user_id}", patch({"op": "Replace", "path": ATTRIBUTE, "value": "42"}))

    assert response.status_code == 200
    assert json_of(custom.call("GET", f"/{user_id}"))[ENTRA_EXTENSION] == {"CustomAttribute": "42"}
    assert [user["id"] for user in found(custom, f'{ATTRIBUTE} eq "42"')] == [user_id]


def test_no_path_patch_keyed_by_the_urn_path_replaces_the_value(custom: Client):
    user_id = json_of(custom.call("POST", body=ENTRA_POST))["id"]

    custom.call("PATCH", f"/{user_id}", patch({"op": "Replace", "value": {ATTRIBUTE: "43", "active": "False"}}))

    read = json_of(custom.call("GET", f"/{user_id}"))
    assert read[ENTRA_EXTENSION] == {"CustomAttribute": "43"}
    assert read["active"] is False


def test_patch_adding_the_attribute_to_a_user_without_it(custom: Client):
    user_id = json_of(custom.call("POST", body={"schemas": [USER_SCHEMA], "userName": "plain"}))["id"]

    custom.call("PATCH", f"/{user_id}", patch({"op": "Add", "path": ATTRIBUTE, "value": "701984"}))

    assert json_of(custom.call("GET", f"/{user_id}"))[ENTRA_EXTENSION] == {"CustomAttribute": "701984"}


# roles

SINGLE_ROLE_POST = {
    "schemas": [USER_SCHEMA],
    "externalId": "alias",
    "userName": "alias@contoso.OnMicrosoft.com",
    "active": True,
    "displayName": "First Name Last Name",
    "meta": {"resourceType": "User"},
    "roles": [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}],
}
COMPLEX_ROLES_POST = {
    **SINGLE_ROLE_POST,
    "roles": [
        {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "display": "Admin", "value": "Admin"},
        {"primary": False, "type": "WindowsAzureActiveDirectoryRole", "display": "User", "value": "User"},
    ],
}
ENCODED_ROLE = json.dumps({"id": "06b07648-ecfe-589f-9d2f-6325724a46ee", "value": "25", "displayName": "Role1234"})


def test_single_app_role_assignment_post_is_read_back_as_a_primary_role(users_http: Client):
    user_id = json_of(users_http.call("POST", body=SINGLE_ROLE_POST))["id"]

    assert json_of(users_http.call("GET", f"/{user_id}"))["roles"] == SINGLE_ROLE_POST["roles"]
    assert [u["id"] for u in found(users_http, 'roles[value eq "Admin" and primary eq true]')] == [user_id]


def test_replace_of_the_primary_role_value_replaces_it(users_http: Client):
    user_id = json_of(users_http.call("POST", body=SINGLE_ROLE_POST))["id"]

    operation = {"op": "Replace", "path": 'roles[primary eq "True"].value', "value": "Reader"}
    users_http.call("PATCH", f"/{user_id}", patch(operation))

    roles = json_of(users_http.call("GET", f"/{user_id}"))["roles"]
    assert roles == [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Reader"}]


def test_primary_role_value_on_a_user_without_roles_creates_one_primary_role(users_http: Client):
    user_id = json_of(users_http.call("POST", body={"schemas": [USER_SCHEMA], "userName": "norole"}))["id"]

    operation = {"op": "Add", "path": 'roles[primary eq "True"].value', "value": "Admin"}
    users_http.call("PATCH", f"/{user_id}", patch(operation))

    assert json_of(users_http.call("GET", f"/{user_id}"))["roles"] == [{"primary": True, "value": "Admin"}]


def test_patch_adding_a_json_encoded_role_stores_the_role_it_encodes(users_http: Client):
    user_id = json_of(users_http.call("POST", body={"schemas": [USER_SCHEMA], "userName": "encoded"}))["id"]

    operation = {"op": "Add", "path": "roles", "value": [{"value": ENCODED_ROLE}]}
    users_http.call("PATCH", f"/{user_id}", patch(operation))

    assert json_of(users_http.call("GET", f"/{user_id}"))["roles"] == [{"value": "25", "display": "Role1234"}]
    assert [u["id"] for u in found(users_http, 'roles.value eq "25"')] == [user_id]


def test_app_role_assignments_complex_post_keeps_every_role(users_http: Client):
    user_id = json_of(users_http.call("POST", body=COMPLEX_ROLES_POST))["id"]

    assert json_of(users_http.call("GET", f"/{user_id}"))["roles"] == COMPLEX_ROLES_POST["roles"]
    assert [u["id"] for u in found(users_http, 'roles[display eq "User"]')] == [user_id]
