"""Every limit, at and past its value: enforced with a clear SCIM error, advertised where SCIM has
a place for it (ServiceProviderConfig), and refused before any storage request where possible."""

from __future__ import annotations

import json
import uuid

import pytest

from scim.api import decoding
from scim.service import groups
from scim.service.bulk import MAX_OPERATIONS, MAX_PAYLOAD_BYTES
from scim.service.cursors import MAX_CURSOR_LENGTH
from scim.service.filters.parser import parse_filter
from scim.service.query import MAX_PAGE_SIZE
from scim.service.resources import MAX_PATCH_OPERATIONS
from scim.service.users import UserService
from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.http import Client, assert_scim_error, created, discovery_request, json_of
from tests.support.storage import StorageRequests

MAX_FILTER_LENGTH = 4096
MAX_FILTER_DEPTH = 32


def filter_of_length(length: int) -> str:
    text = 'userName eq "'
    return text + "a" * (length - len(text) - 1) + '"'


def test_the_filter_length_limit_is_the_parsers_default():
    # The service relies on these defaults; this test notices if they change.
    defaults = parse_filter.__kwdefaults__
    assert (defaults["max_length"], defaults["max_depth"]) == (MAX_FILTER_LENGTH, MAX_FILTER_DEPTH)


def test_a_filter_at_the_length_limit_is_answered(users_api: Client):
    assert users_api.call("GET", params={"filter": filter_of_length(MAX_FILTER_LENGTH)}).status_code == 200


def test_a_filter_past_the_length_limit_is_400_invalid_filter(users_api: Client, request_counter: StorageRequests):
    before = request_counter.count
    response = users_api.call("GET", params={"filter": filter_of_length(MAX_FILTER_LENGTH + 1)})

    assert "4096" in assert_scim_error(response, 400, "invalidFilter")["detail"]
    assert request_counter.count == before


def test_a_filter_nested_past_the_depth_limit_is_400_invalid_filter(users_api: Client):
    def nested(depth: int) -> str:
        return "(" * depth + 'userName eq "a"' + ")" * depth

    assert users_api.call("GET", params={"filter": nested(MAX_FILTER_DEPTH - 1)}).status_code == 200
    body = assert_scim_error(
        users_api.call("GET", params={"filter": nested(MAX_FILTER_DEPTH + 1)}), 400, "invalidFilter"
    )
    assert "deeper" in body["detail"]


def test_a_body_of_exactly_1_mib_is_read_and_one_byte_more_is_413(users_api: Client):
    user = created(users_api, user_body("alice"))
    text = json.dumps(patch_body({"op": "replace", "path": "title", "value": "T"}))
    exact = (text[:-1] + " " * (decoding.MAX_BODY_BYTES - len(text)) + "}").encode()

    assert users_api.call("PATCH", f"/{user['id']}", raw=exact).status_code == 200
    assert_scim_error(users_api.call("PATCH", f"/{user['id']}", raw=exact + b" "), 413)


def test_a_body_nested_past_the_json_depth_limit_is_400_invalid_syntax(users_api: Client):
    depth = decoding.MAX_JSON_DEPTH
    deep = {
        "schemas": [user_body("x")["schemas"][0]],
        "userName": "deep",
        "x": json.loads("[" * (depth - 1) + "]" * (depth - 1)),
    }
    assert users_api.call("POST", body=deep).status_code == 201  # depth: the object, then depth - 1 lists

    deep["x"] = [deep["x"]]
    assert "32" in assert_scim_error(users_api.call("POST", body=deep), 400, "invalidSyntax")["detail"]


@pytest.mark.parametrize(
    "raw",
    [b"[" * 100_000 + b"]" * 100_000, b'{"userName": ' + b"9" * 5000 + b"}", b'{"userName": NaN}', b'"\\ud800"'],
    ids=["nesting-past-the-parsers-recursion", "5000-digit-number", "NaN", "lone-surrogate"],
)
def test_json_that_python_cannot_take_is_400_not_500(users_api: Client, raw: bytes):
    assert_scim_error(users_api.call("POST", raw=raw), 400, "invalidSyntax")


def test_patch_operations_up_to_the_limit_are_applied_and_more_are_400_too_many(users_api: Client):
    user = created(users_api, user_body("alice"))
    operation = {"op": "replace", "path": "title", "value": "T"}

    assert users_api.call("PATCH", f"/{user['id']}", patch_body(*[operation] * MAX_PATCH_OPERATIONS)).status_code == 200
    response = users_api.call("PATCH", f"/{user['id']}", patch_body(*[operation] * (MAX_PATCH_OPERATIONS + 1)))
    assert str(MAX_PATCH_OPERATIONS) in assert_scim_error(response, 400, "tooMany")["detail"]


def test_members_past_the_limit_are_400_too_many_before_any_storage_request(
    groups_api: Client, request_counter: StorageRequests
):
    group = created(groups_api, group_body("Big"))
    ghosts = [str(uuid.uuid4()) for _ in range(groups.MAX_MEMBERS_PER_REQUEST + 1)]
    before = request_counter.count

    response = groups_api.call("PATCH", f"/{group['id']}", add_members(*ghosts))

    assert str(groups.MAX_MEMBERS_PER_REQUEST) in assert_scim_error(response, 400, "tooMany")["detail"]
    assert request_counter.count == before
    assert_scim_error(
        groups_api.call("POST", body=group_body("Other", members=[{"value": g} for g in ghosts])), 400, "tooMany"
    )


def test_members_at_the_limit_are_applied(monkeypatch, users_api: Client, groups_api: Client):
    monkeypatch.setattr(groups, "MAX_MEMBERS_PER_REQUEST", 3)
    group = created(groups_api, group_body("Small"))
    members = [created(users_api, user_body(f"m{number}"))["id"] for number in range(4)]

    assert groups_api.call("PATCH", f"/{group['id']}", add_members(*members[:3])).status_code == 204
    assert_scim_error(groups_api.call("PATCH", f"/{group['id']}", add_members(*members)), 400, "tooMany")
    removal = patch_body({"op": "remove", "path": "members", "value": [{"value": m} for m in members]})
    assert_scim_error(groups_api.call("PATCH", f"/{group['id']}", removal), 400, "tooMany")


def test_a_page_holds_at_most_max_page_size_resources(users: UserService, users_api: Client, tenant: str):
    for number in range(MAX_PAGE_SIZE + 5):
        users.create(tenant, user_body(f"user{number:04}"))

    page = json_of(users_api.call("GET", params={"count": "100000"}))

    assert page["totalResults"] == MAX_PAGE_SIZE + 5
    assert page["itemsPerPage"] == len(page["Resources"]) == MAX_PAGE_SIZE


def test_a_cursor_past_its_length_limit_is_400_invalid_cursor(users_api: Client):
    response = users_api.call("GET", params={"cursor": "a" * (MAX_CURSOR_LENGTH + 1) + ".b"})

    assert_scim_error(response, 400, "invalidCursor")


def test_service_provider_config_advertises_the_page_size_and_the_bulk_limits(served, tenant: str):
    config = json_of(discovery_request(tenant, "/ServiceProviderConfig"))

    assert config["filter"] == {"supported": True, "maxResults": MAX_PAGE_SIZE}
    assert config["pagination"]["maxPageSize"] == MAX_PAGE_SIZE
    assert config["bulk"] == {"supported": True, "maxOperations": MAX_OPERATIONS, "maxPayloadSize": MAX_PAYLOAD_BYTES}
