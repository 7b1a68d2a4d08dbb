"""The checks Microsoft Learn's "Tutorial: Validate a SCIM endpoint" (SCIM Validator) runs with
Entra's default attribute mappings: discover the schema, create with generated values, query by
the joining property, PATCH every mapped attribute, remove attributes, and the same for groups.
"""

from __future__ import annotations

import random
import string

import pytest

from tests.support.http import Client, discovery_request, json_of

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

# Entra's default user attribute mappings (target attribute paths), as the Validator sends them.
DEFAULT_USER_MAPPINGS = {
    "userName": "{random}@contoso.com",
    "active": True,
    "displayName": "Validator {random}",
    "title": "Engineer",
    'emails[type eq "work"].value': "{random}@contoso.com",
    "preferredLanguage": "en-US",
    "name.givenName": "Given",
    "name.familyName": "Family",
    "name.formatted": "Given Family",
    'addresses[type eq "work"].formatted': "Building 1",
    'addresses[type eq "work"].streetAddress': "1 Main St",
    'addresses[type eq "work"].locality': "Redmond",
    'addresses[type eq "work"].region': "WA",
    'addresses[type eq "work"].postalCode': "98052",
    'addresses[type eq "work"].country': "US",
    'phoneNumbers[type eq "work"].value': "+1 425 555 0100",
    'phoneNumbers[type eq "mobile"].value': "+1 425 555 0101",
    'phoneNumbers[type eq "fax"].value': "+1 425 555 0102",
    "externalId": "{random}",
    f"{ENTERPRISE}:employeeNumber": "12345",
    f"{ENTERPRISE}:department": "Research",
}


def generate_random_string(count: int = 6) -> str:
    """The Validator's {%generateRandomString N%} expression."""
    return "".join(random.choices(string.ascii_uppercase, k=count))


def mapped_values() -> dict:
    token = generate_random_string()
    return {
        path: value.format(random=token) if isinstance(value, str) else value
        for path, value in DEFAULT_USER_MAPPINGS.items()
    }


@pytest.fixture
def user(users_api: Client) -> dict:
    body = {"schemas": [USER_SCHEMA], "userName": f"{generate_random_string()}@contoso.com", "active": True}
    return json_of(users_api.call("POST", body=body))


def test_discovered_schemas_carry_the_joining_properties(served, tenant: str, tokens: dict[str, str]):
    resources = json_of(discovery_request(tenant, "/Schemas", token=tokens[tenant]))["Resources"]
    names = {schema["id"]: {attribute["name"] for attribute in schema["attributes"]} for schema in resources}

    assert "userName" in names[USER_SCHEMA]
    assert "displayName" in names[GROUP_SCHEMA]


def test_user_created_with_generated_values_is_found_by_its_joining_property(users_api: Client, user: dict):
    found = json_of(users_api.call("GET", params={"filter": f'userName eq "{user["userName"]}"'}))

    assert [resource["id"] for resource in found["Resources"]] == [user["id"]]


def test_add_of_every_default_mapping_lands_in_the_schema(users_api: Client, user: dict):
    values = mapped_values()
    operations = [{"op": "Add", "path": path, "value": value} for path, value in values.items()]

    response = users_api.call("PATCH", f"/{user['id']}", body={"schemas": [PATCH_OP], "Operations": operations})
    body = json_of(response)

    assert response.status_code == 200
    assert body["userName"] == values["userName"]
    assert body["name"] == {"givenName": "Given", "familyName": "Family", "formatted": "Given Family"}
    assert body["emails"] == [{"type": "work", "value": values['emails[type eq "work"].value']}]
    assert len(body["addresses"]) == 1
    assert body["addresses"][0]["locality"] == "Redmond"
    assert sorted(phone["type"] for phone in body["phoneNumbers"]) == ["fax", "mobile", "work"]
    assert body[ENTERPRISE] == {"employeeNumber": "12345", "department": "Research"}


def test_replace_of_every_default_mapping_twice_keeps_one_element_per_type(users_api: Client, user: dict):
    for _ in range(2):
        operations = [{"op": "Replace", "path": path, "value": value} for path, value in mapped_values().items()]
        users_api.call("PATCH", f"/{user['id']}", body={"schemas": [PATCH_OP], "Operations": operations})

    body = json_of(users_api.call("GET", f"/{user['id']}"))

    assert (len(body["emails"]), len(body["addresses"]), len(body["phoneNumbers"])) == (1, 1, 3)


def test_remove_of_optional_attributes_removes_them(users_api: Client, user: dict):
    add = [{"op": "Add", "path": path, "value": value} for path, value in mapped_values().items()]
    users_api.call("PATCH", f"/{user['id']}", body={"schemas": [PATCH_OP], "Operations": add})
    remove = [{"op": "Remove", "path": path} for path in ("title", "name.formatted", 'phoneNumbers[type eq "fax"]')]

    body = json_of(users_api.call("PATCH", f"/{user['id']}", body={"schemas": [PATCH_OP], "Operations": remove}))

    assert "title" not in body
    assert "formatted" not in body["name"]
    assert sorted(phone["type"] for phone in body["phoneNumbers"]) == ["mobile", "work"]


def test_remove_of_the_required_user_name_is_a_clear_400(users_api: Client, user: dict):
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "Remove", "path": "userName"}]}

    response = users_api.call("PATCH", f"/{user['id']}", body=patch)

    assert (response.status_code, json_of(response)["scimType"]) == (400, "invalidValue")


def test_randomly_formatted_timezone_is_accepted(users_api: Client, user: dict):
    patch = {"schemas": [PATCH_OP], "Operations": [{"op": "Replace", "path": "timezone", "value": "GMT+07:30 Xyz"}]}

    assert users_api.call("PATCH", f"/{user['id']}", body=patch).status_code == 200


def test_group_is_found_by_display_name_and_takes_members(groups_api: Client, user: dict):
    display_name = f"Group {generate_random_string()}"
    group = json_of(groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": display_name}))
    add = {"op": "Add", "path": "members", "value": [{"value": user["id"]}]}

    patched = groups_api.call("PATCH", f"/{group['id']}", body={"schemas": [PATCH_OP], "Operations": [add]})
    found = json_of(groups_api.call("GET", params={"filter": f'displayName eq "{display_name}"'}))

    assert patched.status_code == 204
    assert [member["value"] for member in found["Resources"][0]["members"]] == [user["id"]]
