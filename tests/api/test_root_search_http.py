"""POST {Tenant URL}/.search (RFC 7644 section 3.4.3): Users and Groups in one query, through
function_app's trigger and Azurite."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

import function_app
from scim.models.group import GROUP_SCHEMA
from scim.models.messages import LIST_RESPONSE_SCHEMA, SEARCH_REQUEST_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.http import HOST, Client, assert_scim_error, json_of


@pytest.fixture
def root_search(served, tenant: str, tokens: dict[str, str]):
    def search(**parameters) -> func.HttpResponse:
        request = func.HttpRequest(
            "POST",
            f"{HOST}/scim/{tenant}/v2/.search",
            headers={"Authorization": f"Bearer {tokens[tenant]}", "Content-Type": "application/scim+json"},
            route_params={"tenant": tenant},
            body=json.dumps({"schemas": [SEARCH_REQUEST_SCHEMA], **parameters}).encode(),
        )
        return function_app.root_search(request)

    return search


@pytest.fixture
def directory(users_api: Client, groups_api: Client) -> dict[str, str]:
    """Users ann and bob, groups Admins (with ann) and Builders. Name -> id."""
    ids = {}
    for name in ("ann", "bob"):
        ids[name] = json_of(users_api.call("POST", body={"schemas": [USER_SCHEMA], "userName": name}))["id"]
    for name, members in (("Admins", [ids["ann"]]), ("Builders", [])):
        body = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": m} for m in members]}
        ids[name] = json_of(groups_api.call("POST", body=body))["id"]
    return ids


def names(body: dict) -> list[str]:
    return [resource.get("userName") or resource.get("displayName") for resource in body["Resources"]]


def test_root_search_lists_users_then_groups(root_search, directory):
    body = json_of(root_search())

    assert body["schemas"] == [LIST_RESPONSE_SCHEMA]
    assert (body["totalResults"], sorted(names(body)[:2]), sorted(names(body)[2:])) == (
        4,
        ["ann", "bob"],
        ["Admins", "Builders"],
    )


def test_root_search_pages_across_both_types(root_search, directory):
    pages = [json_of(root_search(startIndex=start, count=3)) for start in (1, 4)]

    assert [page["itemsPerPage"] for page in pages] == [3, 1]
    assert sorted(names(pages[0]) + names(pages[1])) == ["Admins", "Builders", "ann", "bob"]
    assert {page["totalResults"] for page in pages} == {4}


def test_root_search_filter_on_an_attribute_of_one_type_finds_only_that_type(root_search, directory):
    body = json_of(root_search(filter='userName eq "ann"'))

    assert (body["totalResults"], names(body)) == (1, ["ann"])


def test_root_search_not_on_a_user_attribute_matches_every_group(root_search, directory):
    body = json_of(root_search(filter="not (userName pr)"))

    assert sorted(names(body)) == ["Admins", "Builders"]


def test_root_search_or_across_types(root_search, directory):
    body = json_of(root_search(filter='userName eq "bob" or displayName eq "Builders"'))

    assert sorted(names(body)) == ["Builders", "bob"]


def test_root_search_member_filter_finds_the_groups_of_a_user(root_search, directory):
    body = json_of(root_search(filter=f'members.value eq "{directory["ann"]}"'))

    assert names(body) == ["Admins"]


def test_root_search_sorts_both_types_by_one_key(root_search, directory):
    body = json_of(root_search(sortBy="meta.created", sortOrder="descending", count=2))

    assert (body["totalResults"], names(body)) == (4, ["Builders", "Admins"])


def test_root_search_sorted_by_an_attribute_of_one_type_puts_the_other_last(root_search, directory):
    body = json_of(root_search(sortBy="userName"))

    assert names(body)[:2] == ["ann", "bob"]


def test_root_search_applies_attributes_to_each_type(root_search, directory):
    body = json_of(root_search(attributes=["userName", "displayName"], excludedAttributes=["members"]))

    assert all(set(resource) <= {"schemas", "id", "userName", "displayName"} for resource in body["Resources"])


def test_root_search_on_an_attribute_no_type_has_is_400_invalid_filter(root_search, directory):
    assert_scim_error(root_search(filter='nickname2 eq "x"'), 400, "invalidFilter")


def test_root_search_by_cursor_is_400_invalid_value(root_search, directory):
    assert_scim_error(root_search(cursor=""), 400, "invalidValue")


def test_root_search_without_the_search_request_schema_is_400_invalid_syntax(served, tenant, tokens):
    request = func.HttpRequest(
        "POST",
        f"{HOST}/scim/{tenant}/v2/.search",
        headers={"Authorization": f"Bearer {tokens[tenant]}"},
        route_params={"tenant": tenant},
        body=b"{}",
    )

    assert_scim_error(function_app.root_search(request), 400, "invalidSyntax")
