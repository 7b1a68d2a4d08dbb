"""Cross-tenant attempts, every route: tenant A's token on tenant B's routes, A's ids through B's
URL, A's users as members of B's group, A's cursors on B. All fail, and neither tenant's stored
rows change."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import azure.functions as func
import pytest
from azure.data.tables import TableClient

import function_app
from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.models.messages import PATCH_OP_SCHEMA, SEARCH_REQUEST_SCHEMA
from scim.service.groups import GroupService
from scim.service.users import UserService
from tests.reliability.integrity import assert_integrity, read_state
from tests.support.bodies import add_members, group_body, user_body
from tests.support.http import HOST, Client, assert_scim_error, created, json_of

SEARCH = json.dumps({"schemas": [SEARCH_REQUEST_SCHEMA], "filter": 'userName eq "a"'}).encode()
PATCH = json.dumps({"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "add", "path": "title", "value": "x"}]})


def resource_routes(collection, item, resource: str, id_key: str, body: dict) -> list[tuple]:
    """The routes of one resource type: list and create, then read, replace, patch and delete one."""
    written = json.dumps(body).encode()
    return [
        (collection, "GET", f"/{resource}", None, b""),
        (collection, "POST", f"/{resource}", None, written),
        *(
            (item, method, f"/{resource}/{{id}}", id_key, payload)
            for method, payload in (("GET", b""), ("PUT", written), ("PATCH", PATCH.encode()), ("DELETE", b""))
        ),
    ]


# (trigger, method, path under the Tenant URL, id route value, body): every route and method served.
ROUTES = [
    *resource_routes(function_app.users, function_app.user, "Users", "user", user_body("intruder")),
    *resource_routes(function_app.groups, function_app.group, "Groups", "group", group_body("intruders")),
    (function_app.users_search, "POST", "/Users/.search", None, SEARCH),
    (function_app.groups_search, "POST", "/Groups/.search", None, SEARCH),
    (function_app.root_search, "POST", "/.search", None, SEARCH),
    (function_app.schemas, "GET", "/Schemas", None, b""),
    (function_app.schema, "GET", "/Schemas/{id}", "urn:ietf:params:scim:schemas:core:2.0:User", b""),
    (function_app.resource_types, "GET", "/ResourceTypes", None, b""),
    (function_app.resource_type, "GET", "/ResourceTypes/{id}", "User", b""),
]


@dataclass
class Tenants:
    """Tenant A (with a user in a group, and a second user) and an empty tenant B, both served."""

    a: str
    b: str
    tokens: dict[str, str]
    ids: dict[str, str]  # A's: "user", "other", "group"
    table: TableClient

    def call(self, route: tuple, tenant: str, token_of: str, route_id: str | None, params=None):
        trigger, method, path, _, body = route
        route_params = {"tenant": tenant, **({"id": route_id} if route_id is not None else {})}
        request = func.HttpRequest(
            method,
            f"{HOST}/scim/{tenant}/v2{path.replace('{id}', route_id or '')}",
            headers={"Authorization": f"Bearer {self.tokens[token_of]}", "Content-Type": "application/scim+json"},
            params=params or {},
            route_params=route_params,
            body=body,
        )
        return trigger(request)

    def client(self, tenant: str, resource: str) -> Client:
        return Client(tenant, self.tokens[tenant], resource)

    def rows(self) -> tuple[int, int]:
        return read_state(self.table, self.a).row_count, read_state(self.table, self.b).row_count


@pytest.fixture
def tenants(users: UserService, groups: GroupService, table: TableClient) -> Iterator[Tenants]:
    a, b = "a-" + uuid.uuid4().hex[:12], "b-" + uuid.uuid4().hex[:12]
    tokens = {a: "token-a-" + uuid.uuid4().hex, b: "token-b-" + uuid.uuid4().hex}
    dependencies.override(
        dependencies.Dependencies(SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)}), users, groups)
    )
    try:
        a_users, a_groups = Client(a, tokens[a], "Users"), Client(a, tokens[a], "Groups")
        user = created(a_users, user_body("alice@a.example", externalId="a-ext"))
        other = created(a_users, user_body("bob@a.example"))
        group = created(a_groups, group_body("A-Team", members=[{"value": user["id"]}]))
        yield Tenants(a, b, tokens, {"user": user["id"], "other": other["id"], "group": group["id"]}, table)
    finally:
        dependencies.override(None)


ROUTE_IDS = [f"{route[1]} {route[2]}" for route in ROUTES]
ITEM_ROUTES = [route for route in ROUTES if route[3] in ("user", "group")]


@pytest.mark.parametrize("route", ROUTES, ids=ROUTE_IDS)
def test_tenant_a_token_on_tenant_b_routes_is_401(tenants: Tenants, route: tuple):
    before = tenants.rows()
    route_id = tenants.ids.get(route[3], route[3])

    response = tenants.call(route, tenants.b, tenants.a, route_id)

    assert_scim_error(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert tenants.rows() == before


def test_service_provider_config_is_public_and_names_only_the_tenant_addressed(tenants: Tenants):
    route = (function_app.service_provider_config, "GET", "/ServiceProviderConfig", None, b"")

    response = tenants.call(route, tenants.b, tenants.a, None)

    assert response.status_code == 200
    assert json_of(response)["meta"]["location"] == f"{HOST}/scim/{tenants.b}/v2/ServiceProviderConfig"


@pytest.mark.parametrize("route", ITEM_ROUTES, ids=[f"{route[1]} {route[2]}" for route in ITEM_ROUTES])
def test_tenant_a_ids_through_tenant_b_url_are_404(tenants: Tenants, route: tuple):
    before = read_state(tenants.table, tenants.a)

    response = tenants.call(route, tenants.b, tenants.b, tenants.ids[route[3]])

    assert_scim_error(response, 404)
    after = read_state(tenants.table, tenants.a)
    assert (after.resources, after.index_rows, after.memberships) == (
        before.resources,
        before.index_rows,
        before.memberships,
    )
    assert read_state(tenants.table, tenants.b).row_count == 0


@pytest.mark.parametrize(
    "filter_text",
    ['id eq "{user}"', 'userName eq "alice@a.example"', 'externalId eq "a-ext"', 'userName sw "alice"', "userName pr"],
)
def test_tenant_b_filters_never_find_tenant_a_users(tenants: Tenants, filter_text: str):
    params = {"filter": filter_text.format(**tenants.ids)}
    listed = json_of(tenants.client(tenants.b, "Users").call("GET", params=params))

    assert listed["totalResults"] == 0 and listed.get("Resources", []) == []


@pytest.mark.parametrize("which", ["user", "group"])
def test_tenant_a_resources_as_members_of_a_tenant_b_group_are_400(tenants: Tenants, which: str):
    b_groups = tenants.client(tenants.b, "Groups")
    b_group = created(b_groups, group_body("B-Team"))
    before = read_state(tenants.table, tenants.a)

    patched = b_groups.call("PATCH", f"/{b_group['id']}", add_members(tenants.ids[which]))
    posted = b_groups.call("POST", body=group_body("B-Other", members=[{"value": tenants.ids[which]}]))

    assert_scim_error(patched, 400, "invalidValue")
    assert_scim_error(posted, 400, "invalidValue")
    assert read_state(tenants.table, tenants.b).memberships == set()
    assert read_state(tenants.table, tenants.a).resources == before.resources
    assert_integrity(tenants.table, tenants.b)
    assert_integrity(tenants.table, tenants.a)


def test_tenant_a_cursor_on_tenant_b_is_400_invalid_cursor(tenants: Tenants):
    a_users, b_users = tenants.client(tenants.a, "Users"), tenants.client(tenants.b, "Users")
    cursor = json_of(a_users.call("GET", params={"cursor": "", "count": "1"}))["nextCursor"]
    created(b_users, user_body("carol@b.example"))
    created(b_users, user_body("dave@b.example"))

    response = b_users.call("GET", params={"cursor": cursor, "count": "1"})

    assert_scim_error(response, 400, "invalidCursor")
    assert a_users.call("GET", params={"cursor": cursor, "count": "1"}).status_code == 200  # valid where issued


def test_tenant_a_cursor_on_tenant_b_search_is_400_invalid_cursor(tenants: Tenants):
    a_page = json_of(tenants.client(tenants.a, "Users").call("GET", params={"cursor": "", "count": "1"}))
    body = json.dumps({"schemas": [SEARCH_REQUEST_SCHEMA], "cursor": a_page["nextCursor"], "count": 1}).encode()
    route = (function_app.users_search, "POST", "/Users/.search", None, body)

    response = tenants.call(route, tenants.b, tenants.b, None)

    assert_scim_error(response, 400, "invalidCursor")
