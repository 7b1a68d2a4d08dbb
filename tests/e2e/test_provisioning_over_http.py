"""Entra-like provisioning flows over real HTTP through the local host and Azurite."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
import uuid
from urllib.parse import quote_plus

from tests.support.local_host import send

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


def test_entra_provisioning_flow_over_http(local_host_url):
    host = local_host_url
    user_name = f"{uuid.uuid4().hex[:8]}@contoso.example"

    # Test Connection: a filter on a random GUID, URL-encoded the way Entra does it.
    status, headers, body = send(host, "GET", "/Users?filter=" + quote_plus(f'userName eq "{uuid.uuid4()}"'))
    assert (status, body["totalResults"]) == (200, 0)
    assert headers["Content-Type"].startswith("application/scim+json")

    # Create, then find by filter as Entra does before every update.
    status, headers, created = send(
        host, "POST", "/Users", {"schemas": [USER_SCHEMA], "userName": user_name, "active": True, "externalId": "e-1"}
    )
    assert status == 201
    assert headers["Location"] == created["meta"]["location"] == f"{host.tenant_url()}/Users/{created['id']}"
    status, _, found = send(host, "GET", "/Users?filter=" + quote_plus(f'userName eq "{user_name.upper()}"'))
    assert found["Resources"] == [created]

    # Disable with Entra's PATCH dialect, then read it back.
    disable = {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}
    status, headers, patched = send(host, "PATCH", f"/Users/{created['id']}", disable)
    assert (status, patched["active"]) == (200, False)
    assert headers["ETag"] == patched["meta"]["version"] != created["meta"]["version"]

    # Replace, delete, and the user is gone.
    status, _, replaced = send(
        host, "PUT", f"/Users/{created['id']}", {"schemas": [USER_SCHEMA], "userName": user_name}
    )
    assert (status, "active" in replaced) == (200, False)
    status, _, _ = send(host, "DELETE", f"/Users/{created['id']}")
    assert status == 204
    status, _, error = send(host, "GET", f"/Users/{created['id']}")
    assert (status, error["status"]) == (404, "404")


def test_another_tenants_token_is_refused_over_http(local_host_url):
    request = urllib.request.Request(
        local_host_url.tenant_url() + "/Users", headers=local_host_url.auth_header("other-tenant")
    )

    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("expected 401")
    except urllib.error.HTTPError as error:
        assert error.code == 401
        assert error.headers["WWW-Authenticate"].startswith("Bearer")


def test_entra_group_flow_over_http(local_host_url):
    host = local_host_url
    member_ids = []
    for _ in range(3):
        body = {"schemas": [USER_SCHEMA], "userName": f"{uuid.uuid4().hex[:8]}@contoso.example"}
        member_ids.append(send(host, "POST", "/Users", body)[2]["id"])

    # Entra creates the group without members, then PATCHes them in.
    status, _, group = send(host, "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": uuid.uuid4().hex})
    assert status == 201
    add = {"op": "Add", "path": "members", "value": [{"value": member} for member in member_ids]}
    status, _, _ = send(host, "PATCH", f"/Groups/{group['id']}", {"schemas": [PATCH_OP_SCHEMA], "Operations": [add]})
    assert status == 204

    # Every group read Entra makes excludes members.
    status, _, read = send(host, "GET", f"/Groups/{group['id']}?excludedAttributes=members")
    assert (status, "members" in read) == (200, False)

    remove = {"op": "Remove", "path": f'members[value eq "{member_ids[0]}"]'}
    send(host, "PATCH", f"/Groups/{group['id']}", {"schemas": [PATCH_OP_SCHEMA], "Operations": [remove]})
    send(host, "DELETE", f"/Users/{member_ids[1]}")

    status, _, read = send(host, "GET", f"/Groups/{group['id']}")
    assert [member["value"] for member in read["members"]] == [member_ids[2]]


def test_unknown_path_under_scim_is_a_scim_404_over_http(local_host_url):
    status, headers, body = send(local_host_url, "GET", "/NoSuchEndpoint")

    assert (status, body["status"]) == (404, "404")
    assert headers["Content-Type"].startswith("application/scim+json")


def test_service_provider_config_is_served_without_a_token_over_http(local_host_url):
    request = urllib.request.Request(local_host_url.tenant_url() + "/ServiceProviderConfig")

    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200
        assert json.loads(response.read())["patch"] == {"supported": True}
