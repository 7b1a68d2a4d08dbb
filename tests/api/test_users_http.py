"""HTTP behaviour of /Users, through function_app's own trigger functions and Azurite."""

from __future__ import annotations

import dataclasses
import json
import uuid

import pytest

from scim.api import dependencies
from scim.models.messages import LIST_RESPONSE_SCHEMA, PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.bodies import user_body
from tests.support.concurrency import letter_case_variant, race
from tests.support.http import (
    Client,
    assert_created_at_its_location,
    assert_scim_error,
    json_of,
    new_user,
    outcome,
)


@pytest.fixture
def client(served, tenant: str, tokens: dict[str, str]) -> Client:
    return Client(tenant, tokens[tenant])


def test_post_returns_201_with_location_matching_meta_location(client: Client):
    response = client.call("POST", body=user_body("alice"))

    assert_created_at_its_location(response, client)


def test_responses_are_scim_json(client: Client):
    response = client.call("POST", body={"schemas": [USER_SCHEMA], "userName": "alice"})

    assert response.mimetype == "application/scim+json"


def test_etag_header_equals_meta_version(client: Client):
    created = new_user(client)

    response = client.call("GET", f"/{created['id']}")

    assert response.headers["ETag"] == json_of(response)["meta"]["version"] == created["meta"]["version"]


def test_get_returns_the_created_user(client: Client):
    created = new_user(client, name={"givenName": "Alice"})

    response = client.call("GET", f"/{created['id']}")

    assert response.status_code == 200
    assert json_of(response) == created


def test_missing_token_is_401_with_www_authenticate(served, tenant: str):
    response = Client(tenant, None).call("GET")

    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_wrong_token_is_401(served, tenant: str):
    assert_scim_error(Client(tenant, "not-the-token").call("GET"), 401)


def test_token_of_another_tenant_is_401(served, tenant: str, tokens: dict[str, str]):
    assert_scim_error(Client(tenant, tokens["other-tenant"]).call("GET"), 401)


def test_tenant_that_is_not_a_slug_is_404(served, tokens: dict[str, str], tenant: str):
    assert_scim_error(Client("Not_A_Slug", tokens[tenant]).call("GET"), 404)


def test_malformed_json_is_400_invalid_syntax(client: Client):
    assert_scim_error(client.call("POST", raw=b'{"userName": '), 400, "invalidSyntax")


def test_body_that_is_not_utf8_is_400_invalid_syntax(client: Client):
    assert_scim_error(client.call("POST", raw=b"\xff\xfe{}"), 400, "invalidSyntax")


def test_missing_user_name_is_400(client: Client):
    body = assert_scim_error(client.call("POST", body={"schemas": [USER_SCHEMA]}), 400, "invalidValue")

    assert "userName" in body["detail"]


def test_wrong_attribute_type_is_400_invalid_value(client: Client):
    response = client.call("POST", body={"schemas": [USER_SCHEMA], "userName": "a", "active": {"no": 1}})

    assert_scim_error(response, 400, "invalidValue")


def test_body_over_one_mebibyte_is_413_and_stores_nothing(client: Client):
    huge = json.dumps({"schemas": [USER_SCHEMA], "userName": "big", "title": "x" * (1024 * 1024)}).encode()

    assert_scim_error(client.call("POST", raw=huge), 413)
    assert json_of(client.call("GET", params={"filter": 'userName eq "big"'}))["totalResults"] == 0


def test_taken_user_name_is_409_uniqueness(client: Client):
    new_user(client, "alice")

    response = client.call("POST", body={"schemas": [USER_SCHEMA], "userName": "ALICE"})

    assert_scim_error(response, 409, "uniqueness")


def test_unknown_id_is_404(client: Client):
    assert_scim_error(client.call("GET", f"/{uuid.uuid4()}"), 404)


def test_delete_returns_204_then_get_returns_404(client: Client):
    created = new_user(client)

    deleted = client.call("DELETE", f"/{created['id']}")

    assert deleted.status_code == 204
    assert deleted.get_body() == b""
    assert_scim_error(client.call("GET", f"/{created['id']}"), 404)


def test_put_replaces_the_user(client: Client):
    created = new_user(client, title="Engineer")

    response = client.call("PUT", f"/{created['id']}", body={"schemas": [USER_SCHEMA], "userName": "alice2"})

    assert response.status_code == 200
    assert json_of(response)["userName"] == "alice2"
    assert "title" not in json_of(response)


def test_patch_returns_200_with_the_updated_user(client: Client):
    created = new_user(client, active=True)
    patch = {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}

    response = client.call("PATCH", f"/{created['id']}", body=patch)

    assert response.status_code == 200
    assert json_of(response)["active"] is False
    assert response.headers["ETag"] == json_of(response)["meta"]["version"]


def test_patch_with_stale_if_match_returns_412(client: Client):
    created = new_user(client)
    patch = {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "add", "path": "title", "value": "x"}]}
    client.call("PATCH", f"/{created['id']}", body=patch)

    response = client.call("PATCH", f"/{created['id']}", body=patch, headers={"If-Match": created["meta"]["version"]})

    assert_scim_error(response, 412)


def test_entra_test_connection_filter_returns_empty_list_response(client: Client):
    response = client.call("GET", params={"filter": f'userName eq "{uuid.uuid4()}"'})

    assert response.status_code == 200
    assert json_of(response) == {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": 0,
        "startIndex": 1,
        "itemsPerPage": 0,
        "Resources": [],
    }


def test_filter_by_user_name_returns_the_user(client: Client):
    created = new_user(client, "Bob@Example.com")

    body = json_of(client.call("GET", params={"filter": 'userName eq "bob@example.com"'}))

    assert body["totalResults"] == 1
    assert body["Resources"] == [created]


def test_filter_on_an_unknown_attribute_is_400_invalid_filter(client: Client):
    assert_scim_error(client.call("GET", params={"filter": 'titel co "x"'}), 400, "invalidFilter")


def test_non_integer_count_is_400_invalid_value(client: Client):
    assert_scim_error(client.call("GET", params={"count": "ten"}), 400, "invalidValue")


def test_list_pages_with_start_index_and_count(client: Client):
    for number in range(3):
        new_user(client, f"user{number}")

    body = json_of(client.call("GET", params={"startIndex": "2", "count": "1"}))

    assert (body["totalResults"], body["startIndex"], body["itemsPerPage"]) == (3, 2, 1)


def test_method_not_served_is_405(client: Client):
    assert_scim_error(client.call("PUT"), 405)


def test_storage_unreachable_is_503_with_retry_after(served, tenant: str, tokens: dict[str, str]):
    from azure.data.tables import TableClient

    from scim.service.users import UserService
    from scim.storage.resources import TableResourceRepository

    unreachable = TableClient.from_connection_string(
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1",
        "users",
        retry_total=0,
    )
    dependencies.override(
        dependencies.Dependencies(served.tokens, UserService(TableResourceRepository(unreachable)), served.groups)
    )

    response = Client(tenant, tokens[tenant]).call("GET")

    assert_scim_error(response, 503)
    assert response.headers["Retry-After"].isdigit()


def test_unexpected_error_is_500_without_traceback(served, tenant: str, tokens: dict[str, str]):
    class BrokenService:
        def query(self, *args):
            raise RuntimeError("secret internal detail")

    dependencies.override(dependencies.Dependencies(served.tokens, BrokenService(), served.groups))

    body = assert_scim_error(Client(tenant, tokens[tenant]).call("GET"), 500)

    assert "secret internal detail" not in json.dumps(body)


def test_twenty_concurrent_posts_of_one_user_name_create_exactly_one_user(client: Client):
    spellings = [letter_case_variant("concurrent@example.com", variant) for variant in range(20)]

    responses = race(*(lambda name=name: client.call("POST", body=user_body(name)) for name in spellings))

    assert sorted(map(outcome, responses), key=str) == [(201, None)] + [(409, "uniqueness")] * 19
    assert json_of(client.call("GET"))["totalResults"] == 1


def test_location_is_built_from_the_configured_base_url_not_the_host_header(served, tenant: str, tokens):
    dependencies.override(dataclasses.replace(served, base_url="https://scim.contoso.example/"))
    client = Client(tenant, tokens[tenant])

    response = client.call("POST", body={"schemas": [USER_SCHEMA], "userName": "located"})

    user_id = json_of(response)["id"]
    expected = f"https://scim.contoso.example/scim/{tenant}/v2/Users/{user_id}"
    assert response.headers["Location"] == expected
    assert json_of(response)["meta"]["location"] == expected
