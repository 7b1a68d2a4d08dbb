"""Decoding what a client sends (scim/api/decoding.py): media type, JSON members, text that is not Unicode."""

from __future__ import annotations

import json

import pytest

from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.http import Client, assert_scim_error, json_of

USER = {"schemas": [USER_SCHEMA], "userName": "alice"}
LONE_SURROGATE_FILTER = 'userName eq "x\\ud800"'  # the JSON escape of a lone surrogate, as text


def created_user(users_api: Client) -> dict:
    response = users_api.call("POST", body=USER)
    assert response.status_code == 201
    return json_of(response)


# --- Content-Type (RFC 7644 section 3.1, RFC 9110 section 15.5.16) -----------------------------


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml", "application/octet-stream"]
)
def test_post_with_a_body_that_is_not_json_by_its_media_type_is_415(users_api: Client, content_type: str):
    response = users_api.call("POST", body=USER, headers={"Content-Type": content_type})

    assert_scim_error(response, 415)
    assert json_of(users_api.call("GET", params={"filter": 'userName eq "alice"'}))["totalResults"] == 0


def test_put_with_a_text_plain_body_is_415(users_api: Client):
    user = created_user(users_api)

    response = users_api.call("PUT", f"/{user['id']}", body=USER, headers={"Content-Type": "text/plain"})

    assert_scim_error(response, 415)


def test_a_charset_other_than_utf_8_is_415(users_api: Client):
    response = users_api.call("POST", body=USER, headers={"Content-Type": "application/scim+json; charset=latin-1"})

    assert_scim_error(response, 415)


@pytest.mark.parametrize(
    "content_type",
    [
        "application/scim+json",
        "application/json",
        "Application/SCIM+JSON",
        "application/json; charset=utf-8",
        'application/scim+json;charset="UTF-8"',
    ],
)
def test_scim_json_and_json_with_or_without_a_utf_8_charset_are_accepted(users_api: Client, content_type: str):
    assert users_api.call("POST", body=USER, headers={"Content-Type": content_type}).status_code == 201


def test_a_body_without_a_content_type_is_read_as_json(users_api: Client):
    assert users_api.call("POST", body=USER, headers={"Content-Type": ""}).status_code == 201


# --- duplicate member names (RFC 8259 section 4: names SHOULD be unique) ----------------------


def test_a_body_with_one_member_name_twice_is_invalid_syntax_naming_it(users_api: Client):
    raw = b'{"schemas": ["' + USER_SCHEMA.encode() + b'"], "userName": "a", "userName": "b"}'

    body = assert_scim_error(users_api.call("POST", raw=raw), 400, "invalidSyntax")

    assert "userName" in body["detail"]


def test_a_nested_member_name_twice_is_invalid_syntax(users_api: Client):
    raw = (
        b'{"schemas": ["' + USER_SCHEMA.encode() + b'"], "userName": "a", "name": {"givenName": "a", "givenName": "b"}}'
    )

    body = assert_scim_error(users_api.call("POST", raw=raw), 400, "invalidSyntax")

    assert "givenName" in body["detail"]


def test_a_patch_with_one_attribute_in_two_letter_cases_is_invalid_syntax(users_api: Client):
    user = created_user(users_api)
    patch = {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "value": {"title": "a", "TITLE": "b"}}]}

    assert_scim_error(users_api.call("PATCH", f"/{user['id']}", body=patch), 400, "invalidSyntax")


# --- text that is not Unicode ------------------------------------------------------------------


def test_a_filter_escaping_a_lone_surrogate_is_invalid_filter(users_api: Client):
    assert_scim_error(users_api.call("GET", params={"filter": LONE_SURROGATE_FILTER}), 400, "invalidFilter")


def test_a_search_filter_escaping_a_lone_surrogate_is_invalid_filter(users_api: Client):
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": LONE_SURROGATE_FILTER}

    assert_scim_error(users_api.call("POST", "/.search", body=search), 400, "invalidFilter")


def test_a_patch_path_escaping_a_lone_surrogate_is_invalid_path(users_api: Client):
    user = created_user(users_api)
    operation = {"op": "add", "path": 'emails[type eq "\\udc00"].value', "value": "a@x.com"}
    patch = {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]}

    assert_scim_error(users_api.call("PATCH", f"/{user['id']}", body=patch), 400, "invalidPath")


def test_a_query_parameter_holding_a_lone_surrogate_is_invalid_syntax(users_api: Client):
    assert_scim_error(users_api.call("GET", params={"attributes": "userName\ud800"}), 400, "invalidSyntax")


def test_a_header_holding_a_lone_surrogate_is_invalid_syntax(users_api: Client):
    user = created_user(users_api)

    response = users_api.call("GET", f"/{user['id']}", headers={"If-None-Match": 'W/"\udfff"'})

    assert_scim_error(response, 400, "invalidSyntax")


def test_a_token_holding_a_lone_surrogate_is_401(users_api: Client):
    users_api.token = "token\ud800"

    assert_scim_error(users_api.call("GET"), 401)


def test_json_escapes_of_a_valid_surrogate_pair_are_accepted(users_api: Client):
    raw = json.dumps({"schemas": [USER_SCHEMA], "userName": "\U0001f600"}).encode()  # ensure_ascii: "\ud83d\ude00"

    assert users_api.call("POST", raw=raw).status_code == 201
