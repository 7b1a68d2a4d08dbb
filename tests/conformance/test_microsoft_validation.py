"""Replays of the direct SCIM tests of Microsoft's gallery validation Logic App
(AzureAD/SCIMReferenceCode, Microsoft.SCIM.LogicAppValidationTemplate, SCIM-Validation-Test-Overview.md,
SCIMTests_Workflow): schema discoverability, null update, user and group create and update,
user and group pagination, manager set/change/remove. Each asserts the test's pass criteria.

Not replayed here: the tests that drive Entra's provisioning engine (they need an Entra tenant;
their requests are those of tests/conformance/test_entra_*.py) and the two authentication tests
(client credentials or workload identity federation through Entra's engine; the token endpoint's
own behaviour is tested in tests/e2e/test_oauth_over_http.py).
"""

from __future__ import annotations

import uuid

import pytest

from tests.conformance.test_scim_validator import DEFAULT_USER_MAPPINGS
from tests.support.http import Client, discovery_request, json_of

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
PAGE = 5  # the pagination tests' count


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


def flattened(schema: dict) -> set[str]:
    """A schema's attributes as the discoverability test names them: ``name``, ``name.sub``, and
    ``name[type eq "<canonical value>"].sub`` for typed multi-valued ones; extension attributes
    prefixed by their URN. Lower-cased: the test matches case-insensitively."""
    prefix = "" if schema["id"] in (USER_SCHEMA, GROUP_SCHEMA) else schema["id"] + ":"
    names = set()
    for attribute in schema["attributes"]:
        name = prefix + attribute["name"]
        names.add(name)
        subs = attribute.get("subAttributes", [])
        types = next((sub.get("canonicalValues", []) for sub in subs if sub["name"] == "type"), [])
        for sub in subs:
            names.add(f"{name}.{sub['name']}")
            names.update(f'{name}[type eq "{kind}"].{sub["name"]}' for kind in types if sub["name"] != "type")
    return {name.lower() for name in names}


@pytest.fixture
def discoverable(served, tenant: str, tokens: dict[str, str]) -> set[str]:
    response = discovery_request(tenant, "/Schemas", token=tokens[tenant])
    assert response.status_code == 200
    return set().union(*(flattened(schema) for schema in json_of(response)["Resources"]))


@pytest.fixture
def user(users_api: Client) -> dict:
    body = {"schemas": [USER_SCHEMA], "userName": f"{uuid.uuid4().hex[:8]}@contoso.com", "active": True}
    response = users_api.call("POST", body=body)
    assert response.status_code == 201
    return json_of(response)


def test_schema_discoverability_finds_every_default_user_mapping(discoverable):
    targets = {path.lower() for path in DEFAULT_USER_MAPPINGS} | {f"{ENTERPRISE}:manager".lower()}

    assert targets - discoverable == set()


def test_schema_discoverability_finds_the_ten_typed_work_targets(discoverable):
    typed = {path.lower() for path in DEFAULT_USER_MAPPINGS if "[type eq" in path}

    assert len(typed) == 10
    assert typed <= discoverable


def test_schema_discoverability_finds_every_default_group_mapping(discoverable):
    assert {"displayname", "externalid", "members"} <= discoverable


def test_null_update_with_empty_strings_leaves_the_attributes_empty(users_api: Client, user: dict):
    filled = patch(*({"op": "replace", "path": p, "value": "x"} for p in ("title", "displayName", "nickName")))
    users_api.call("PATCH", f"/{user['id']}", body=filled)
    emptied = patch(*({"op": "replace", "path": p, "value": ""} for p in ("title", "displayName", "nickName")))

    response = users_api.call("PATCH", f"/{user['id']}", body=emptied)
    body = json_of(users_api.call("GET", f"/{user['id']}"))

    assert response.status_code in (200, 204)
    assert all(body.get(name) in (None, "") for name in ("title", "displayName", "nickName"))


def test_null_update_with_nulls_leaves_the_attributes_empty(users_api: Client, user: dict):
    nulled = patch(*({"op": "replace", "path": p, "value": None} for p in ("title", "displayName", "nickName")))

    response = users_api.call("PATCH", f"/{user['id']}", body=nulled)
    body = json_of(users_api.call("GET", f"/{user['id']}"))

    assert response.status_code in (200, 204)
    assert all(body.get(name) in (None, "") for name in ("title", "displayName", "nickName"))


def test_user_create_round_trips_the_user_name(user: dict):
    assert user["id"] and user["userName"].endswith("@contoso.com")


def test_user_update_of_every_eligible_attribute_reads_back(users_api: Client, user: dict):
    values = {
        "displayName": "Updated",
        "nickName": "Upd",
        "title": "Lead",
        "userType": "Employee",
        "preferredLanguage": "en-GB",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "externalId": uuid.uuid4().hex,
        f"{ENTERPRISE}:department": "Research",
    }
    operations = [{"op": "replace", "path": path, "value": value} for path, value in values.items()]

    response = users_api.call("PATCH", f"/{user['id']}", body=patch(*operations))
    body = json_of(users_api.call("GET", f"/{user['id']}"))

    assert response.status_code in (200, 204)
    mismatches = {p: v for p, v in values.items() if ":" not in p and body.get(p) != v}
    assert (mismatches, body[ENTERPRISE]["department"]) == ({}, "Research")


def test_group_create_round_trips_the_display_name(groups_api: Client):
    name = f"Validation {uuid.uuid4().hex[:8]}"

    response = groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": name})

    assert (response.status_code, json_of(response)["displayName"], bool(json_of(response)["id"])) == (201, name, True)


def test_group_update_of_display_name_and_external_id_reads_back(groups_api: Client):
    group = json_of(groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": uuid.uuid4().hex}))
    values = {"displayName": f"Renamed {uuid.uuid4().hex[:6]}", "externalId": uuid.uuid4().hex}
    operations = [{"op": "replace", "path": path, "value": value} for path, value in values.items()]

    response = groups_api.call("PATCH", f"/{group['id']}", body=patch(*operations))
    body = json_of(groups_api.call("GET", f"/{group['id']}", params={"excludedAttributes": "members"}))

    assert response.status_code in (200, 204)
    assert {key: body[key] for key in values} == values


@pytest.mark.parametrize("resource", ["Users", "Groups"])
def test_pagination_answers_the_expected_start_index_on_every_page(served, tenant, tokens, resource):
    api = Client(tenant, tokens[tenant], resource)
    for number in range(11):
        key = "userName" if resource == "Users" else "displayName"
        schema = USER_SCHEMA if resource == "Users" else GROUP_SCHEMA
        assert api.call("POST", body={"schemas": [schema], key: f"page-{number}"}).status_code == 201
    pages = [
        json_of(api.call("GET", params={"startIndex": str(page * PAGE + 1), "count": str(PAGE)})) for page in range(3)
    ]

    assert [page["startIndex"] for page in pages] == [1, 6, 11]
    assert [page["itemsPerPage"] for page in pages] == [5, 5, 1]


def test_manager_set_change_and_remove_read_back(users_api: Client, user: dict):
    first, second = (
        json_of(users_api.call("POST", body={"schemas": [USER_SCHEMA], "userName": f"m{n}-{uuid.uuid4().hex[:6]}"}))
        for n in (1, 2)
    )
    path = f"{ENTERPRISE}:manager"
    seen = []
    for operation in (
        {"op": "Add", "path": path, "value": first["id"]},
        {"op": "Replace", "path": path, "value": second["id"]},
        {"op": "Replace", "path": path, "value": ""},
    ):
        assert users_api.call("PATCH", f"/{user['id']}", body=patch(operation)).status_code in (200, 204)
        body = json_of(users_api.call("GET", f"/{user['id']}"))
        seen.append(body.get(ENTERPRISE, {}).get("manager", {}).get("value"))

    assert seen == [first["id"], second["id"], None]
