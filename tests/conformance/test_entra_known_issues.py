"""Replays both PATCH dialects of Microsoft Learn's "Known issues and resolutions with SCIM 2.0
protocol compliance of the Microsoft Entra user provisioning service": the requests Entra sends
without the aadOptscim062020 Tenant URL flag and with it, each of which must have the same effect.
"""

from __future__ import annotations

import pytest

from tests.support.bodies import patch_body
from tests.support.http import Client, json_of

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
EMPLOYEE_NUMBER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
# The flag travels as a query parameter of the Tenant URL; every request then carries it.
DIALECTS = {"without flag": {}, "with aadOptscim062020": {"aadOptscim062020": ""}}


@pytest.fixture(params=list(DIALECTS))
def dialect(request) -> str:
    return request.param


@pytest.fixture
def user(users_api: Client) -> dict:
    body = {
        "schemas": [USER_SCHEMA],
        "userName": "babs@contoso.example",
        "active": True,
        "emails": [{"type": "work", "value": "old@test.microsoft.com", "primary": True}],
    }
    return json_of(users_api.call("POST", body=body))


DISABLE = {
    "without flag": patch_body({"op": "Replace", "path": "active", "value": "False"}),
    "with aadOptscim062020": patch_body({"op": "replace", "path": "active", "value": False}),
}
ADD_SINGLE_VALUE = {
    "without flag": patch_body({"op": "Add", "path": "nickName", "value": "Babs"}),
    "with aadOptscim062020": patch_body({"op": "add", "path": "nickName", "value": "Babs"}),
}
REPLACE_MANY = {
    "without flag": patch_body(
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "TestBcwqnm@test.microsoft.com"},
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {"op": "Replace", "path": EMPLOYEE_NUMBER, "value": "Eqpj"},
    ),
    "with aadOptscim062020": patch_body(
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "TestBcwqnm@test.microsoft.com"},
        {
            "op": "replace",
            "value": {
                "displayName": "Pvlo",
                "name.givenName": "Gtfd",
                "name.familyName": "Pkqf",
                "externalId": "Eqpj",
                EMPLOYEE_NUMBER: "Eqpj",
            },
        },
    ),
}


def test_disable_user(users_api: Client, user: dict, dialect: str):
    response = users_api.call("PATCH", f"/{user['id']}", body=DISABLE[dialect], params=DIALECTS[dialect])

    assert (response.status_code, json_of(response)["active"]) == (200, False)


def test_add_single_value_string_attribute(users_api: Client, user: dict, dialect: str):
    response = users_api.call("PATCH", f"/{user['id']}", body=ADD_SINGLE_VALUE[dialect], params=DIALECTS[dialect])

    assert (response.status_code, json_of(response)["nickName"]) == (200, "Babs")


def test_replace_multiple_attributes(users_api: Client, user: dict, dialect: str):
    response = users_api.call("PATCH", f"/{user['id']}", body=REPLACE_MANY[dialect], params=DIALECTS[dialect])
    body = json_of(response)

    assert response.status_code == 200
    assert (body["displayName"], body["externalId"]) == ("Pvlo", "Eqpj")
    assert body["name"] == {"givenName": "Gtfd", "familyName": "Pkqf"}
    assert body["emails"] == [{"type": "work", "value": "TestBcwqnm@test.microsoft.com", "primary": True}]
    assert body[ENTERPRISE] == {"employeeNumber": "Eqpj"}
    assert "name.givenName" not in body and EMPLOYEE_NUMBER not in body


def test_remove_group_member(groups_api: Client, users_api: Client, user: dict, dialect: str):
    other = json_of(users_api.call("POST", body={"schemas": [USER_SCHEMA], "userName": "other@contoso.example"}))
    group = json_of(groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": "Team"}))
    members = [{"value": user["id"]}, {"value": other["id"]}]
    groups_api.call("PATCH", f"/{group['id']}", body=patch_body({"op": "Add", "path": "members", "value": members}))
    remove = {
        "without flag": patch_body({"op": "Remove", "path": "members", "value": [{"value": user["id"]}]}),
        "with aadOptscim062020": patch_body({"op": "remove", "path": f'members[value eq "{user["id"]}"]'}),
    }[dialect]

    response = groups_api.call("PATCH", f"/{group['id']}", body=remove, params=DIALECTS[dialect])

    assert response.status_code == 204
    remaining = json_of(groups_api.call("GET", f"/{group['id']}"))["members"]
    assert [member["value"] for member in remaining] == [other["id"]]
