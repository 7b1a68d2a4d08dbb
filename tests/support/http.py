"""function_app's triggers called the way the Functions host calls them, and what the tests read
from their responses."""

from __future__ import annotations

import json
import uuid

import azure.functions as func

import function_app
from scim.models.messages import ERROR_SCHEMA
from tests.support.bodies import group_body, user_body

HOST = "https://scim.example.net"
TRIGGERS = {
    "Users": (function_app.users, function_app.user),
    "Groups": (function_app.groups, function_app.group),
}
SEARCH = "/.search"  # a path of its own: POST .../Users/.search (RFC 7644 section 3.4.3)
SEARCH_TRIGGERS = {"Users": function_app.users_search, "Groups": function_app.groups_search}


class Client:
    """Builds func.HttpRequest objects the way the Functions host does and calls the triggers."""

    def __init__(self, tenant: str, token: str | None, resource: str = "Users"):
        self.tenant = tenant
        self.token = token
        self.resource = resource

    def call(self, method: str, path: str = "", body=None, *, params=None, headers=None, raw: bytes | None = None):
        route = f"scim/{self.tenant}/v2/{self.resource}{path}"
        request_headers = {"Content-Type": "application/scim+json", **(headers or {})}
        if self.token is not None:
            request_headers["Authorization"] = f"Bearer {self.token}"
        route_params = {"tenant": self.tenant}
        if path and path != SEARCH:
            route_params["id"] = path.lstrip("/")
        request = func.HttpRequest(
            method,
            f"{HOST}/{route}",
            headers=request_headers,
            params=params or {},
            route_params=route_params,
            body=raw if raw is not None else (json.dumps(body).encode() if body is not None else b""),
        )
        if path == SEARCH:
            return SEARCH_TRIGGERS[self.resource](request)
        collection, item = TRIGGERS[self.resource]
        return item(request) if path else collection(request)


def json_of(response: func.HttpResponse) -> dict:
    return json.loads(response.get_body())


def outcome(response: func.HttpResponse) -> tuple[int, str | None]:
    """Status and scimType of a response, for comparing the outcomes of a race."""
    body = json_of(response) if response.get_body() else {}
    return response.status_code, body.get("scimType")


def created(client: Client, body: dict) -> dict:
    """POST ``body``, which must be created (201); the resource as answered."""
    response = client.call("POST", body=body)
    assert response.status_code == 201, response.get_body()
    return json_of(response)


def new_user(client: Client, user_name: str = "alice@example.com", **attributes) -> dict:
    return created(client, user_body(user_name, **attributes))


def new_user_id(client: Client, user_name: str | None = None) -> str:
    """The id of a new user, named ``user_name`` or else uniquely."""
    return new_user(client, user_name or f"user-{uuid.uuid4().hex[:8]}")["id"]


def new_group(client: Client, display_name: str = "Engineering", **attributes) -> dict:
    return created(client, group_body(display_name, **attributes))


def assert_scim_error(response: func.HttpResponse, status: int, scim_type: str | None = None) -> dict:
    body = json_of(response)
    assert response.status_code == status
    assert response.mimetype == "application/scim+json"
    assert body["schemas"] == [ERROR_SCHEMA]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert "Traceback" not in response.get_body().decode()
    return body


def assert_created_at_its_location(response: func.HttpResponse, client: Client) -> dict:
    """201, with ``Location`` and ``meta.location`` both the new resource's URL (RFC 7644 section 3.3)."""
    body = json_of(response)
    assert response.status_code == 201
    assert response.headers["Location"] == body["meta"]["location"]
    assert body["meta"]["location"] == f"{HOST}/scim/{client.tenant}/v2/{client.resource}/{body['id']}"
    return body


def discovery_request(tenant: str, path: str, method: str = "GET", token: str | None = None) -> func.HttpResponse:
    segments = path.strip("/").split("/")
    route_params = {"tenant": tenant, **({"id": segments[1]} if len(segments) > 1 else {})}
    trigger = {
        ("ServiceProviderConfig", 1): function_app.service_provider_config,
        ("Schemas", 1): function_app.schemas,
        ("Schemas", 2): function_app.schema,
        ("ResourceTypes", 1): function_app.resource_types,
        ("ResourceTypes", 2): function_app.resource_type,
    }[(segments[0], len(segments))]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = func.HttpRequest(
        method, f"{HOST}/scim/{tenant}/v2{path}", headers=headers, route_params=route_params, body=b""
    )
    return trigger(request)
