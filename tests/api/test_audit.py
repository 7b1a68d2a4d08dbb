"""The audit log line of each write request: who, what, result, request id; never a token or a value."""

from __future__ import annotations

import logging

from tests.support.bodies import patch_body, user_body
from tests.support.http import Client, created


def audit_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "scim.audit"]


def test_a_patch_is_logged_with_the_credential_the_attribute_names_and_the_status(
    users_api: Client, caplog, tokens, tenant
):
    user = created(users_api, user_body("alice@example.com"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="scim.audit"):
        body = patch_body({"op": "Replace", "path": "displayName", "value": "Secret Name"})
        users_api.call("PATCH", f"/{user['id']}", body, headers={"client-request-id": "req-42"})

    (line,) = audit_lines(caplog)
    assert line == (
        f"SCIM audit tenant={tenant} actor=token:current operation=PATCH resourceType=User"
        f" resourceId={user['id']} attributes=displayName status=200 requestId=req-42"
    )
    assert "Secret Name" not in line and tokens[tenant] not in line


def test_a_refused_write_is_logged_with_its_status(users_api: Client, caplog, tenant):
    with caplog.at_level(logging.INFO, logger="scim.audit"):
        Client(tenant, "wrong-token", "Users").call("POST", body=user_body("mallory@example.com"))

    (line,) = audit_lines(caplog)
    assert "actor=- operation=POST resourceType=User" in line and "status=401" in line


def test_reads_are_not_audited(users_api: Client, caplog):
    with caplog.at_level(logging.INFO, logger="scim.audit"):
        users_api.call("GET")

    assert audit_lines(caplog) == []
