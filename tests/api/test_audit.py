"""The audit trail of writes: a log line per write request (who, what, result, request id; never a
token or a value), and authenticated callers' refused writes stored beside the journal."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableClient

from scim.service.journal import RefusedWrite, user_name_digest
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository
from tests.support.audit import serving_audited
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


@pytest.fixture
def audited_api(repository: TableResourceRepository, tenant: str, tokens: dict[str, str]) -> Iterator[Client]:
    """/Users served as production wires it, refused writes stored in the test table."""
    with serving_audited(repository, TableRefusalLog(repository), tenant, tokens) as api:
        yield api


def refusals_of(repository: TableResourceRepository, tenant: str) -> list[RefusedWrite]:
    return TableRefusalLog(repository).between(tenant, "", "")


def test_an_authenticated_callers_refused_write_is_stored_with_its_status_and_scim_type(
    audited_api: Client, repository: TableResourceRepository, tenant: str
):
    created(audited_api, user_body("alice@example.com"))
    audited_api.call("POST", body=user_body("Alice@Example.com"), headers={"client-request-id": "req-dup"})

    (refusal,) = refusals_of(repository, tenant)
    assert (refusal.operation, refusal.resource_type, refusal.status, refusal.scim_type) == (
        "POST",
        "User",
        409,
        "uniqueness",
    )
    assert (refusal.actor, refusal.request_id, refusal.name_digest) == (
        "token:current",
        "req-dup",
        user_name_digest("alice@example.com"),
    )


def test_a_refused_patch_is_stored_with_the_resource_id(
    audited_api: Client, repository: TableResourceRepository, tenant: str
):
    user = created(audited_api, user_body("alice@example.com"))
    audited_api.call("PATCH", f"/{user['id']}", patch_body({"op": "Replace", "path": "active", "value": "maybe"}))

    (refusal,) = refusals_of(repository, tenant)
    assert (refusal.operation, refusal.resource_id, refusal.status) == ("PATCH", user["id"], 400)


def test_an_unauthenticated_write_is_not_stored(audited_api: Client, repository: TableResourceRepository, tenant):
    Client(tenant, "wrong-token-of-no-one", "Users").call("POST", body=user_body("mallory@example.com"))

    assert refusals_of(repository, tenant) == []


def test_a_successful_write_stores_no_refusal(audited_api: Client, repository: TableResourceRepository, tenant):
    created(audited_api, user_body("alice@example.com"))

    assert refusals_of(repository, tenant) == []


def test_a_refusal_that_cannot_be_stored_leaves_the_answer_as_it_was(
    azurite: str, repository: TableResourceRepository, tenant: str, tokens: dict[str, str]
):
    missing_table = TableClient.from_connection_string(azurite, "t" + uuid.uuid4().hex)
    unstorable = TableRefusalLog(TableResourceRepository(missing_table))
    with serving_audited(repository, unstorable, tenant, tokens) as api:
        created(api, user_body("alice@example.com"))
        response = api.call("POST", body=user_body("alice@example.com"))

        assert (response.status_code, json.loads(response.get_body())["scimType"]) == (409, "uniqueness")
