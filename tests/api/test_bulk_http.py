"""POST {Tenant URL}/Bulk (RFC 7644 section 3.7) through function_app's trigger and Azurite."""

from __future__ import annotations

import json

import azure.functions as func
import pytest

import function_app
from scim.models.group import GROUP_SCHEMA
from scim.models.messages import BULK_REQUEST_SCHEMA, BULK_RESPONSE_SCHEMA, ERROR_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.http import HOST, Client, assert_scim_error, json_of


@pytest.fixture
def post_bulk(served, tenant: str, tokens: dict[str, str]):
    def post(body=None, raw: bytes | None = None) -> func.HttpResponse:
        request = func.HttpRequest(
            "POST",
            f"{HOST}/scim/{tenant}/v2/Bulk",
            headers={"Authorization": f"Bearer {tokens[tenant]}", "Content-Type": "application/scim+json"},
            route_params={"tenant": tenant},
            body=raw if raw is not None else json.dumps(body).encode(),
        )
        return function_app.bulk(request)

    return post


def test_bulk_answers_a_bulk_response_with_string_statuses(post_bulk):
    operation = {
        "method": "POST",
        "path": "/Users",
        "bulkId": "u",
        "data": {"schemas": [USER_SCHEMA], "userName": "ann"},
    }

    response = post_bulk({"schemas": [BULK_REQUEST_SCHEMA], "Operations": [operation]})
    body = json_of(response)

    assert (response.status_code, body["schemas"]) == (200, [BULK_RESPONSE_SCHEMA])
    assert (body["Operations"][0]["status"], body["Operations"][0]["bulkId"]) == ("201", "u")
    assert body["Operations"][0]["location"].startswith(f"{HOST}/scim/")


def test_failed_operation_carries_its_scim_error_as_response(post_bulk):
    operation = {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": [GROUP_SCHEMA]}}

    body = json_of(post_bulk({"schemas": [BULK_REQUEST_SCHEMA], "Operations": [operation]}))
    (answered,) = body["Operations"]

    assert (answered["status"], answered["response"]["schemas"], answered["response"]["status"]) == (
        "400",
        [ERROR_SCHEMA],
        "400",
    )


def test_group_with_members_by_bulk_id_is_readable_afterwards(post_bulk, groups_api: Client):
    operations = [
        {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER_SCHEMA], "userName": "ann"}},
        {
            "method": "POST",
            "path": "/Groups",
            "bulkId": "g",
            "data": {"schemas": [GROUP_SCHEMA], "displayName": "Team", "members": [{"value": "bulkId:u"}]},
        },
    ]

    answered = json_of(post_bulk({"schemas": [BULK_REQUEST_SCHEMA], "Operations": operations}))["Operations"]
    group = json_of(groups_api.call("GET", "/" + answered[1]["location"].rsplit("/", 1)[1]))

    assert [member["value"] for member in group["members"]] == [answered[0]["location"].rsplit("/", 1)[1]]


def test_body_over_max_payload_size_is_413(post_bulk):
    assert_scim_error(post_bulk(raw=b" " * (1024 * 1024 + 1)), 413)


def test_bulk_needs_the_token(served, tenant: str):
    request = func.HttpRequest(
        "POST", f"{HOST}/scim/{tenant}/v2/Bulk", headers={}, route_params={"tenant": tenant}, body=b"{}"
    )

    assert_scim_error(function_app.bulk(request), 401)
