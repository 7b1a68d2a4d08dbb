""".search routing, cursor walks and 304s over real HTTP through the local host and Azurite."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from scim.models.user import USER_SCHEMA
from tests.support.local_host import send

SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def create_user(host, prefix: str) -> dict:
    status, _, body = send(host, "POST", "/Users", {"schemas": [USER_SCHEMA], "userName": f"{prefix}-{uuid.uuid4()}"})
    assert status == 201
    return body


def test_post_search_reaches_the_search_route_not_the_item_route(local_host_url):
    prefix = uuid.uuid4().hex
    created = create_user(local_host_url, prefix)
    search = {"schemas": [SEARCH_REQUEST_SCHEMA], "filter": f'userName sw "{prefix}"', "attributes": ["userName"]}

    status, _, body = send(local_host_url, "POST", "/Users/.search", search)

    assert status == 200
    assert body["Resources"] == [{"schemas": [USER_SCHEMA], "id": created["id"], "userName": created["userName"]}]


def test_get_on_search_path_is_a_user_that_does_not_exist(local_host_url):
    status, _, body = send(local_host_url, "GET", "/Users/.search")

    assert (status, body["status"]) == (404, "404")


def test_post_search_at_the_root_answers_a_list_response(local_host_url):
    status, _, body = send(local_host_url, "POST", "/.search", {"schemas": [SEARCH_REQUEST_SCHEMA], "count": 1})

    assert (status, body["schemas"], body["itemsPerPage"]) == (200, [LIST_RESPONSE_SCHEMA], 1)


def test_cursor_walk_through_query_strings(local_host_url):
    prefix = uuid.uuid4().hex
    ids = sorted(create_user(local_host_url, prefix)["id"] for _ in range(5))
    query = {"filter": f'userName sw "{prefix}"', "count": "2", "excludedAttributes": "groups"}
    seen, cursor = [], ""
    while cursor is not None:
        status, _, body = send(local_host_url, "GET", "/Users?" + urlencode({**query, "cursor": cursor}))
        assert (status, body["totalResults"]) == (200, 5)
        seen += [resource["id"] for resource in body["Resources"]]
        cursor = body.get("nextCursor")

    assert seen == ids


def test_if_none_match_gets_304_with_the_etag_and_no_body(local_host_url):
    created = create_user(local_host_url, "etag")
    version = created["meta"]["version"]

    status, headers, body = send(local_host_url, "GET", f"/Users/{created['id']}", headers={"If-None-Match": version})

    assert (status, headers["ETag"], body) == (304, version, None)
