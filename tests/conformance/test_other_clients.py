"""Replays of what other provisioning clients' documentation shows, over real HTTP (local host).

- Google Workspace auto-provisioning probes the endpoint with ``GET /Users?count=1`` when the
  admin saves the Endpoint URL and token (authn.sh's Google Workspace guide).
- JumpCloud's custom SCIM integration tests the connection by creating a test user and a test
  group and deleting both when DELETE is supported (JumpCloud support, "Identity Management
  using a Custom SCIM Integration").
- OneLogin's "SCIM Provisioner with SAML (SCIM v2 Enterprise)" creates users from a JSON
  template: core and enterprise schemas, a work e-mail, addresses, and a manager with a
  ``displayName`` (the template published in customers' OneLogin guides).
Rippling's documentation, as found, lists features and attributes to tick, not request shapes:
nothing of it is replayed. docs/clients.md says what each client needs.
"""

from __future__ import annotations

import uuid

from scim.models.group import GROUP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.support.local_host import send

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


def test_google_workspace_probe_answers_a_list_response(local_host_url):
    status, _, body = send(local_host_url, "GET", "/Users?count=1")

    assert (status, body["schemas"], isinstance(body["totalResults"], int)) == (200, [LIST_RESPONSE], True)


def test_jumpcloud_test_connection_creates_and_deletes_a_test_user_and_group(local_host_url):
    suffix = uuid.uuid4().hex[:8]
    _, _, user = send(
        local_host_url, "POST", "/Users", {"schemas": [USER_SCHEMA], "userName": f"jc-test-{suffix}@x.example"}
    )
    _, _, group = send(
        local_host_url, "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"jc-test-{suffix}"}
    )

    deleted = [
        send(local_host_url, "DELETE", f"/{kind}/{r['id']}")[0] for kind, r in (("Groups", group), ("Users", user))
    ]
    gone = [send(local_host_url, "GET", f"/{kind}/{r['id']}")[0] for kind, r in (("Groups", group), ("Users", user))]

    assert (deleted, gone) == ([204, 204], [404, 404])


def test_onelogin_enterprise_template_creates_the_user(local_host_url):
    manager_status, _, manager = send(
        local_host_url, "POST", "/Users", {"schemas": [USER_SCHEMA], "userName": f"boss-{uuid.uuid4().hex[:8]}"}
    )
    body = {
        "schemas": [USER_SCHEMA, ENTERPRISE],
        "userName": f"ol-{uuid.uuid4().hex[:8]}@x.example",
        "name": {"familyName": "Lastname", "givenName": "Firstname"},
        "title": "",
        "userType": "",
        "timezone": "",
        "emails": [{"value": "ol@x.example", "type": "work", "primary": True}],
        "addresses": [{"locality": "Oslo", "region": "", "country": "NO"}],
        ENTERPRISE: {
            "organization": "",
            "division": "",
            "department": "Sales",
            "manager": {"value": manager["id"], "displayName": "Boss Person"},
        },
    }

    status, _, created = send(local_host_url, "POST", "/Users", body)

    assert (manager_status, status, created[ENTERPRISE]["manager"]["value"]) == (201, 201, manager["id"])
