"""Replays of Okta's documented SCIM 2.0 requests over real HTTP (local host, Azurite), with Okta's
headers, and the answers Okta requires.

Sources: Okta's "SCIM 2.0 Protocol Reference" (developer.okta.com, docs/reference/scim/scim-20:
users, Group Push) and its Runscope "Okta SCIM 2.0 Spec Test" collection (the required tests: list,
get, filter, 409 on re-create, userName case, 401 and 404 error bodies). Okta never DELETEs users.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote, quote_plus

import pytest

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
# The spec test's headers; the reference adds "User-Agent: Okta SCIM Client 1.0.0".
OKTA_HEADERS = {
    "Accept": "application/scim+json",
    "Accept-Charset": "utf-8",
    "Content-Type": "application/json; charset=utf-8",
    "User-Agent": "Okta SCIM Client 1.0.0",
}


def okta(host, method: str, path: str, body=None, *, authorization: str | None = None):
    """One request as Okta sends it; returns (status, parsed JSON body or None)."""
    headers = {**OKTA_HEADERS, "Authorization": authorization or host.auth_header()["Authorization"]}
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(host.tenant_url() + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, json.loads(payload) if payload else None


def user_body(user_name: str, **extra) -> dict:
    """The reference's create request: Okta sends an empty groups list and the password."""
    return {
        "schemas": [USER_SCHEMA],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": True, "value": user_name, "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": True,
        **extra,
    }


@pytest.fixture
def user_name() -> str:
    return f"test.user.{uuid.uuid4().hex[:8]}@okta.local"


@pytest.fixture
def created(local_host_url, user_name) -> dict:
    status, body = okta(local_host_url, "POST", "/Users", user_body(user_name))
    assert status == 201
    return body


def group_patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP], "Operations": list(operations)}


@pytest.fixture
def pushed_group(local_host_url) -> dict:
    body = {"schemas": [GROUP_SCHEMA], "displayName": f"Test SCIMv2 {uuid.uuid4().hex[:6]}", "members": []}
    status, group = okta(local_host_url, "POST", "/Groups", body)
    assert status == 201
    return group


# --- users ------------------------------------------------------------------------------------


def test_lookup_before_create_percent_encoded_answers_an_empty_list(local_host_url, user_name):
    query = quote(f'userName eq "{user_name}"', safe="")

    status, body = okta(local_host_url, "GET", f"/Users?filter={query}&startIndex=1&count=100")

    assert (status, body["schemas"], body["totalResults"], body["Resources"]) == (200, [LIST_RESPONSE], 0, [])


def test_lookup_with_plus_encoded_filter_finds_the_user(local_host_url, created, user_name):
    status, body = okta(local_host_url, "GET", "/Users?filter=" + quote_plus(f'userName eq "{user_name}"'))

    assert (status, [user["id"] for user in body["Resources"]]) == (200, [created["id"]])


def test_create_answers_201_with_the_user_and_never_the_password(created, user_name):
    assert (created["userName"], created["name"]["familyName"], created["active"]) == (user_name, "User", True)
    assert "password" not in created


def test_recreating_the_same_user_is_409_with_an_error_body(local_host_url, created, user_name):
    status, body = okta(local_host_url, "POST", "/Users", user_body(user_name))

    assert (status, body["schemas"], body["status"]) == (409, [ERROR], "409")


def test_user_name_lookup_in_capitals_finds_the_user(local_host_url, created, user_name):
    query = quote(f'userName eq "{user_name.upper()}"', safe="")

    status, body = okta(local_host_url, "GET", f"/Users?filter={query}")

    assert (status, body["totalResults"]) == (200, 1)


def test_list_page_carries_integers_and_the_attributes_okta_asserts(local_host_url, created):
    status, body = okta(local_host_url, "GET", "/Users?count=1&startIndex=1")
    first = body["Resources"][0]

    assert status == 200
    assert all(isinstance(body[key], int) for key in ("totalResults", "startIndex", "itemsPerPage"))
    assert all(first.get(key) not in (None, "") for key in ("id", "userName", "active"))
    assert first["name"]["givenName"] and first["name"]["familyName"] and first["emails"][0]["value"]


def test_get_by_id_answers_the_user(local_host_url, created):
    status, body = okta(local_host_url, "GET", f"/Users/{created['id']}")

    assert (status, body["id"], body["userName"]) == (200, created["id"], created["userName"])


def test_unknown_user_id_is_404_with_detail_and_error_schema(local_host_url):
    status, body = okta(local_host_url, "GET", "/Users/00919288221112222")

    assert (status, body["status"], body["schemas"], bool(body["detail"])) == (404, "404", [ERROR], True)


def test_wrong_authorization_is_401_with_detail_and_error_schema(local_host_url):
    status, body = okta(local_host_url, "GET", "/Users?filter=userName%20eq%20%22x%22", authorization="non-token")

    assert (status, body["status"], body["schemas"], bool(body["detail"])) == (401, "401", [ERROR], True)


def test_put_with_id_meta_and_groups_updates_the_user(local_host_url, created, user_name):
    body = {**user_body(user_name), "id": created["id"], "meta": {"resourceType": "User"}}
    body["name"] = {"givenName": "Another", "middleName": "Excited", "familyName": "User"}

    status, updated = okta(local_host_url, "PUT", f"/Users/{created['id']}", body)

    assert (status, updated["name"]["middleName"], "password" in updated) == (200, "Excited", False)


def test_deactivation_by_no_path_replace_answers_the_inactive_user(local_host_url, created):
    patch = group_patch({"op": "replace", "value": {"active": False}})

    status, body = okta(local_host_url, "PATCH", f"/Users/{created['id']}", patch)

    assert (status, body["active"]) == (200, False)


def test_deactivated_user_is_still_found_by_user_name(local_host_url, created, user_name):
    okta(local_host_url, "PATCH", f"/Users/{created['id']}", group_patch({"op": "replace", "value": {"active": False}}))

    status, body = okta(local_host_url, "GET", "/Users?filter=" + quote_plus(f'userName eq "{user_name}"'))

    assert (status, body["Resources"][0]["active"]) == (200, False)


# --- Group Push -------------------------------------------------------------------------------


def test_group_push_create_answers_201_with_the_group(pushed_group):
    assert pushed_group["id"] and pushed_group["displayName"].startswith("Test SCIMv2")


def test_group_rename_carrying_the_groups_own_id_succeeds(local_host_url, pushed_group):
    rename = group_patch(
        {"op": "replace", "value": {"id": pushed_group["id"], "displayName": "Renamed " + uuid.uuid4().hex}}
    )

    status, _ = okta(local_host_url, "PATCH", f"/Groups/{pushed_group['id']}", rename)
    _, group = okta(local_host_url, "GET", f"/Groups/{pushed_group['id']}")

    assert status in (200, 204)
    assert group["displayName"] == rename["Operations"][0]["value"]["displayName"]


def test_group_rename_carrying_another_id_is_400_mutability(local_host_url, pushed_group):
    rename = group_patch({"op": "replace", "value": {"id": str(uuid.uuid4()), "displayName": "x"}})

    status, body = okta(local_host_url, "PATCH", f"/Groups/{pushed_group['id']}", rename)

    assert (status, body["scimType"]) == (400, "mutability")


def test_membership_update_removes_by_filter_and_adds_with_display(local_host_url, pushed_group, created):
    _, other = okta(local_host_url, "POST", "/Users", user_body(f"other.{uuid.uuid4().hex[:8]}@okta.local"))
    add_other = {"op": "add", "path": "members", "value": [{"value": other["id"], "display": "other"}]}
    okta(local_host_url, "PATCH", f"/Groups/{pushed_group['id']}", group_patch(add_other))
    update = group_patch(
        {"op": "remove", "path": f'members[value eq "{other["id"]}"]'},
        {"op": "add", "path": "members", "value": [{"value": created["id"], "display": created["userName"]}]},
    )

    status, _ = okta(local_host_url, "PATCH", f"/Groups/{pushed_group['id']}", update)
    _, group = okta(local_host_url, "GET", f"/Groups/{pushed_group['id']}")

    assert status in (200, 204)
    assert [member["value"] for member in group["members"]] == [created["id"]]


def test_membership_replace_sets_exactly_the_given_members(local_host_url, pushed_group, created):
    replace = group_patch({"op": "replace", "path": "members", "value": [{"value": created["id"], "display": "x"}]})

    status, _ = okta(local_host_url, "PATCH", f"/Groups/{pushed_group['id']}", replace)
    _, group = okta(local_host_url, "GET", f"/Groups/{pushed_group['id']}")

    assert (status in (200, 204), [member["value"] for member in group["members"]]) == (True, [created["id"]])


def test_group_put_with_id_and_members_replaces_them(local_host_url, pushed_group, created):
    body = {
        "schemas": [GROUP_SCHEMA],
        "id": pushed_group["id"],
        "displayName": pushed_group["displayName"],
        "members": [{"value": created["id"], "display": created["userName"]}],
    }

    status, group = okta(local_host_url, "PUT", f"/Groups/{pushed_group['id']}", body)

    assert (status, [member["value"] for member in group["members"]]) == (200, [created["id"]])


def test_group_lookup_by_display_name_finds_it(local_host_url, pushed_group):
    query = quote_plus(f'displayName eq "{pushed_group["displayName"]}"')

    status, body = okta(local_host_url, "GET", f"/Groups?filter={query}&startIndex=1&count=100")

    assert (status, [group["id"] for group in body["Resources"]]) == (200, [pushed_group["id"]])


def test_group_import_page_answers_integers(local_host_url, pushed_group):
    status, body = okta(local_host_url, "GET", "/Groups?startIndex=1&count=100")

    assert status == 200
    assert all(isinstance(body[key], int) for key in ("totalResults", "startIndex", "itemsPerPage"))


def test_unlinking_with_delete_answers_204(local_host_url, pushed_group):
    status, body = okta(local_host_url, "DELETE", f"/Groups/{pushed_group['id']}")

    assert (status, body) == (204, None)
