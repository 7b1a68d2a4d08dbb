"""Query power over HTTP: filters, cursor paging, sorting, attribute selection, .search and ETags.

Through function_app's own trigger functions and Azurite, the way the Functions host calls them.
"""

from __future__ import annotations

import uuid

from scim.models.group import GROUP_SCHEMA
from scim.models.messages import LIST_RESPONSE_SCHEMA, SEARCH_REQUEST_SCHEMA
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from scim.service import query
from tests.support.bodies import add_members, patch_body
from tests.support.http import SEARCH, Client, assert_scim_error, json_of, new_user


def new_users(users_api: Client, count: int, **attributes) -> list[str]:
    """``count`` users; their ids in id order."""
    return sorted(new_user(users_api, f"user{number:02d}", **attributes)["id"] for number in range(count))


def search_body(**parameters) -> dict:
    return {"schemas": [SEARCH_REQUEST_SCHEMA], **parameters}


# filters and selection on lists


def test_filter_with_any_operator_returns_a_list_response_with_the_true_total(users_api: Client):
    new_user(users_api, "alice", title="Engineer")
    new_user(users_api, "bob", title="Engineering Manager")
    new_user(users_api, "carol", title="Sales")

    body = json_of(users_api.call("GET", params={"filter": 'title sw "engineer"', "count": "1"}))

    assert body["schemas"] == [LIST_RESPONSE_SCHEMA]
    assert (body["totalResults"], body["itemsPerPage"], body["startIndex"]) == (2, 1, 1)


def test_invalid_filter_is_400_invalid_filter_with_the_position(users_api: Client):
    body = assert_scim_error(users_api.call("GET", params={"filter": 'userName eq "a" and'}), 400, "invalidFilter")

    assert "position 19" in body["detail"]


def test_scan_past_the_maximum_is_400_too_many(users_api: Client, monkeypatch):
    new_users(users_api, 3)
    monkeypatch.setattr(query, "MAX_SCAN_RESOURCES", 2)
    monkeypatch.setattr(query, "SCAN_PAGE_SIZE", 2)

    assert_scim_error(users_api.call("GET", params={"filter": "userName pr"}), 400, "tooMany")


def test_list_applies_attributes_to_every_resource(users_api: Client):
    new_users(users_api, 2, title="Engineer", name={"givenName": "X", "familyName": "Y"})

    body = json_of(users_api.call("GET", params={"attributes": "userName,name.familyName"}))

    assert [sorted(resource) for resource in body["Resources"]] == [["id", "name", "schemas", "userName"]] * 2
    assert {resource["name"]["familyName"] for resource in body["Resources"]} == {"Y"}
    assert all(resource["name"] == {"familyName": "Y"} for resource in body["Resources"])


def test_sort_by_and_sort_order_over_http(users_api: Client):
    for name in ("b", "c", "a"):
        new_user(users_api, name)

    body = json_of(users_api.call("GET", params={"sortBy": "userName", "sortOrder": "descending"}))

    assert [resource["userName"] for resource in body["Resources"]] == ["c", "b", "a"]


def test_responses_to_post_put_and_patch_honour_attributes(users_api: Client):
    selection = {"attributes": "userName"}
    created = users_api.call("POST", body={"schemas": [USER_SCHEMA], "userName": "a", "title": "T"}, params=selection)
    user_id = json_of(created)["id"]
    replaced = users_api.call(
        "PUT", f"/{user_id}", {"schemas": [USER_SCHEMA], "userName": "b", "title": "T"}, params=selection
    )
    patch = patch_body({"op": "replace", "path": "title", "value": "U"})
    patched = users_api.call("PATCH", f"/{user_id}", patch, params={"excludedAttributes": "title,meta"})

    assert sorted(json_of(created)) == sorted(json_of(replaced)) == ["id", "schemas", "userName"]
    assert sorted(json_of(patched)) == ["id", "schemas", "userName"]


def test_extension_attribute_selection_over_http(users_api: Client):
    user = new_user(users_api, "a", **{ENTERPRISE_USER_SCHEMA: {"department": "Sales", "costCenter": "1"}})

    body = json_of(
        users_api.call("GET", f"/{user['id']}", params={"attributes": f"{ENTERPRISE_USER_SCHEMA}:department"})
    )

    assert body[ENTERPRISE_USER_SCHEMA] == {"department": "Sales"}
    assert body["schemas"] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]


# cursor paging (RFC 9865)


def test_cursor_walk_over_http_returns_every_user_once(users_api: Client):
    ids = new_users(users_api, 5)
    seen, params = [], {"cursor": "", "count": "2"}
    while True:
        body = json_of(users_api.call("GET", params=params))
        assert "startIndex" not in body and body["totalResults"] == 5
        seen += [resource["id"] for resource in body["Resources"]]
        if "nextCursor" not in body:
            break
        params = {"cursor": body["nextCursor"], "count": "2"}

    assert seen == ids


def test_cursor_uses_only_unreserved_characters(users_api: Client):
    new_users(users_api, 2)

    cursor = json_of(users_api.call("GET", params={"cursor": "", "count": "1"}))["nextCursor"]

    assert all(character.isalnum() or character in "-._~" for character in cursor)


def test_forged_cursor_is_400_invalid_cursor(users_api: Client):
    assert_scim_error(users_api.call("GET", params={"cursor": "eyJhIjoiMSJ9.AAAA"}), 400, "invalidCursor")


def test_cursor_of_another_tenant_is_400_invalid_cursor(users_api: Client, tokens: dict[str, str]):
    other = Client("other-tenant", tokens["other-tenant"])  # a partition other tests write to as well
    for _ in range(2):
        new_user(other, f"someone-{uuid.uuid4()}")
    cursor = json_of(other.call("GET", params={"cursor": "", "count": "1"}))["nextCursor"]

    assert_scim_error(users_api.call("GET", params={"cursor": cursor, "count": "1"}), 400, "invalidCursor")


def test_cursor_with_start_index_is_400_invalid_value(users_api: Client):
    assert_scim_error(users_api.call("GET", params={"cursor": "", "startIndex": "1"}), 400, "invalidValue")


# POST .search (RFC 7644 section 3.4.3)


def test_search_answers_like_get_with_the_same_query(users_api: Client):
    new_user(users_api, "alice", title="Engineer")
    new_user(users_api, "bob", title="Sales")
    query_parameters = {"filter": 'title eq "engineer"', "attributes": "userName"}

    listed = json_of(users_api.call("GET", params=query_parameters))
    searched = users_api.call(
        "POST", SEARCH, search_body(filter='title eq "engineer"', attributes=["userName"], startIndex=1)
    )

    assert searched.status_code == 200
    assert json_of(searched) == listed


def test_search_on_groups(groups_api: Client):
    for name in ("Engineering", "Sales"):
        groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": name})

    body = json_of(groups_api.call("POST", SEARCH, search_body(filter='displayName co "sal"')))

    assert [group["displayName"] for group in body["Resources"]] == ["Sales"]


def test_search_pages_by_cursor(users_api: Client):
    ids = new_users(users_api, 3)

    first = json_of(users_api.call("POST", SEARCH, search_body(cursor="", count=2, excludedAttributes=["groups"])))
    second = json_of(users_api.call("POST", SEARCH, search_body(cursor=first["nextCursor"], count=2)))

    assert [resource["id"] for resource in first["Resources"] + second["Resources"]] == ids
    assert "nextCursor" not in second


def test_search_sorts(users_api: Client):
    for name in ("b", "a"):
        new_user(users_api, name)

    body = json_of(users_api.call("POST", SEARCH, search_body(sortBy="userName")))

    assert [resource["userName"] for resource in body["Resources"]] == ["a", "b"]


def test_search_without_the_search_request_schema_is_400_invalid_syntax(users_api: Client):
    response = users_api.call("POST", SEARCH, {"schemas": [USER_SCHEMA], "filter": "userName pr"})

    assert_scim_error(response, 400, "invalidSyntax")


def test_search_with_attributes_that_are_not_a_list_is_400_invalid_syntax(users_api: Client):
    assert_scim_error(users_api.call("POST", SEARCH, search_body(attributes=42)), 400, "invalidSyntax")


def test_search_with_a_bad_filter_is_400_invalid_filter(users_api: Client):
    assert_scim_error(users_api.call("POST", SEARCH, search_body(filter="userName")), 400, "invalidFilter")


def test_search_needs_the_token(served, tenant: str):
    assert_scim_error(Client(tenant, None).call("POST", SEARCH, search_body()), 401)


# ETags (RFC 7644 section 3.14)


def test_get_with_if_none_match_of_the_current_version_is_304_without_body(users_api: Client):
    user = new_user(users_api, "alice")

    response = users_api.call("GET", f"/{user['id']}", headers={"If-None-Match": user["meta"]["version"]})

    assert response.status_code == 304
    assert response.get_body() == b""
    assert response.headers["ETag"] == user["meta"]["version"]


def test_get_with_if_none_match_star_is_304(users_api: Client):
    user = new_user(users_api, "alice")

    assert users_api.call("GET", f"/{user['id']}", headers={"If-None-Match": "*"}).status_code == 304


def test_get_with_if_none_match_of_an_old_version_is_200(users_api: Client):
    user = new_user(users_api, "alice")
    users_api.call("PATCH", f"/{user['id']}", patch_body({"op": "replace", "path": "title", "value": "CEO"}))

    response = users_api.call("GET", f"/{user['id']}", headers={"If-None-Match": user["meta"]["version"]})

    assert response.status_code == 200
    assert json_of(response)["title"] == "CEO"


def test_if_none_match_compares_weakly(users_api: Client):
    user = new_user(users_api, "alice")
    strong = user["meta"]["version"].removeprefix("W/")

    assert users_api.call("GET", f"/{user['id']}", headers={"If-None-Match": f'"x", {strong}'}).status_code == 304


def test_put_with_stale_if_match_is_412(users_api: Client):
    user = new_user(users_api, "alice")
    body = {"schemas": [USER_SCHEMA], "userName": "alice", "title": "CEO"}
    users_api.call("PUT", f"/{user['id']}", body)

    response = users_api.call("PUT", f"/{user['id']}", body, headers={"If-Match": user["meta"]["version"]})

    assert_scim_error(response, 412)


def test_put_with_current_if_match_succeeds(users_api: Client):
    user = new_user(users_api, "alice")
    body = {"schemas": [USER_SCHEMA], "userName": "alice", "title": "CEO"}

    response = users_api.call("PUT", f"/{user['id']}", body, headers={"If-Match": user["meta"]["version"]})

    assert response.status_code == 200
    assert response.headers["ETag"] != user["meta"]["version"]


def test_delete_with_stale_if_match_is_412_and_keeps_the_user(users_api: Client):
    user = new_user(users_api, "alice")
    users_api.call("PATCH", f"/{user['id']}", patch_body({"op": "replace", "path": "title", "value": "CEO"}))

    response = users_api.call("DELETE", f"/{user['id']}", headers={"If-Match": user["meta"]["version"]})

    assert_scim_error(response, 412)
    assert users_api.call("GET", f"/{user['id']}").status_code == 200


def test_group_membership_patch_with_stale_if_match_is_412_and_adds_nobody(users_api: Client, groups_api: Client):
    group = json_of(groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": "G"}))
    rename = patch_body({"op": "replace", "path": "displayName", "value": "G2"})
    groups_api.call("PATCH", f"/{group['id']}", rename)
    member = new_user(users_api, "member")["id"]
    add = add_members(member)

    response = groups_api.call("PATCH", f"/{group['id']}", add, headers={"If-Match": group["meta"]["version"]})

    assert_scim_error(response, 412)
    assert "members" not in json_of(groups_api.call("GET", f"/{group['id']}"))


def test_group_membership_patch_with_current_if_match_is_204(users_api: Client, groups_api: Client):
    group = json_of(groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": "G"}))
    member = new_user(users_api, "member")["id"]
    add = add_members(member)

    response = groups_api.call("PATCH", f"/{group['id']}", add, headers={"If-Match": group["meta"]["version"]})

    assert response.status_code == 204
    assert [m["value"] for m in json_of(groups_api.call("GET", f"/{group['id']}"))["members"]] == [member]


# storage requests


def test_user_read_with_groups_excluded_reads_no_membership_rows(users_api: Client, request_counter):
    user = new_user(users_api, "alice")

    excluded = request_counter.sent_by(
        lambda: users_api.call("GET", f"/{user['id']}", params={"excludedAttributes": "groups"})
    )
    included = request_counter.sent_by(lambda: users_api.call("GET", f"/{user['id']}"))
    unselected = request_counter.sent_by(
        lambda: users_api.call("GET", f"/{user['id']}", params={"attributes": "userName"})
    )

    assert (excluded, included, unselected) == (1, 2, 1)


def test_user_list_page_without_groups_costs_the_same_for_any_page_size(users_api: Client, request_counter):
    new_users(users_api, 12)

    small = request_counter.sent_by(
        lambda: users_api.call("GET", params={"count": "2", "excludedAttributes": "groups"})
    )
    large = request_counter.sent_by(
        lambda: users_api.call("GET", params={"count": "12", "excludedAttributes": "groups"})
    )

    assert small == large == 2  # the ids (keys only), one page of users


def test_a_page_of_users_reads_their_groups_in_one_range_query(users_api: Client, groups_api: Client, request_counter):
    ids = new_users(users_api, 6)
    for name, members in (("odd", ids[1::2]), ("all", ids)):
        group = json_of(groups_api.call("POST", body={"schemas": [GROUP_SCHEMA], "displayName": name}))
        add = add_members(*members)
        groups_api.call("PATCH", f"/{group['id']}", add)
    page = None

    def list_users() -> None:
        nonlocal page
        page = json_of(users_api.call("GET", params={"count": "6"}))

    assert request_counter.sent_by(list_users) == 3  # the ids, the page, the page's memberships
    for listed in page["Resources"]:
        alone = json_of(users_api.call("GET", f"/{listed['id']}"))
        assert sorted(g["value"] for g in listed["groups"]) == sorted(g["value"] for g in alone["groups"])
    assert [len(listed["groups"]) for listed in page["Resources"]] == [1, 2, 1, 2, 1, 2]
