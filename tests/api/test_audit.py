"""The audit trail of writes: a log line per write request (who, an Entra JWT by its app and object
ids; what, result, request id; never a token, values only for a tenant that opts in), and
authenticated callers' refused writes stored beside the journal."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterator

import pytest
from azure.data.tables import TableClient

from scim.auth import jwt_tokens
from scim.auth.jwt_tokens import NON_GALLERY_AUDIENCE, EntraTokenVerifier
from scim.service.groups import GroupService
from scim.service.journal import RefusedWrite, user_name_digest
from scim.service.users import UserService
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository
from tests.support.audit import serving_audited
from tests.support.bodies import patch_body, user_body
from tests.support.entra_fakes import ENTRA_TENANT, new_rsa_key, serving_jwks, signed
from tests.support.http import Client, created
from tests.support.serving import serve


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


@pytest.fixture
def api_with(users: UserService, groups: GroupService, tenant: str, tokens) -> Iterator[Callable[..., Client]]:
    """Serves function_app with the test tenant's record holding the given keys; its /Users client."""
    serving: list[Iterator[object]] = []

    def served(token: str | None = None, **record: object) -> Client:
        serving.append(serve(users, groups, {tenant: {"current": tokens[tenant], **record}}))
        next(serving[-1])
        return Client(tenant, token or tokens[tenant], "Users")

    yield served
    for server in serving:
        next(server, None)


def test_with_audit_values_on_a_patch_is_logged_with_the_values_it_wrote(api_with, caplog):
    api = api_with(auditValues=True)
    user = created(api, user_body("alice@example.com"))
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="scim.audit"):
        body = patch_body(
            {"op": "Replace", "path": "displayName", "value": "Alice Smith"},
            {"op": "Replace", "path": "password", "value": "Secret-Pass-9"},
        )
        api.call("PATCH", f"/{user['id']}", body)

    (record,) = [record for record in caplog.records if record.name == "scim.audit"]
    values = json.loads(record.custom_dimensions["values"])
    assert values["Operations"] == [{"op": "replace", "path": "displayName", "value": "Alice Smith"}]
    assert "Alice Smith" in record.getMessage() and "Secret-Pass-9" not in record.getMessage()


def test_with_full_events_alone_the_audit_line_carries_no_values(api_with, caplog):
    api = api_with(eventForm="full")
    with caplog.at_level(logging.INFO, logger="scim.audit"):
        created(api, user_body("alice@example.com", displayName="Alice Visible"))

    (record,) = [record for record in caplog.records if record.name == "scim.audit"]
    assert "values" not in record.custom_dimensions and "Alice Visible" not in record.getMessage()


def test_an_entra_jwt_is_named_by_its_app_and_object_ids_in_the_journal_and_the_log(
    api_with, caplog, tenant, table, monkeypatch
):
    key = new_rsa_key()
    app_id, object_id = str(uuid.uuid4()), str(uuid.uuid4())
    claims = {
        "iss": f"https://sts.windows.net/{ENTRA_TENANT}/",
        "aud": NON_GALLERY_AUDIENCE,
        "appid": app_id,
        "oid": object_id,
    }
    with serving_jwks(key.public_key()) as jwks:
        monkeypatch.setattr(jwt_tokens, "entra_verifier_from_settings", lambda: EntraTokenVerifier(jwks.url_template))
        with caplog.at_level(logging.INFO, logger="scim.audit"):
            api = api_with(signed(key, claims), entraTenantId=ENTRA_TENANT)
            response = api.call("POST", body=user_body("alice@example.com"))

    assert response.status_code == 201, response.get_body()
    (line,) = audit_lines(caplog)
    journal = "PartitionKey eq @t and RowKey ge 'jnl:' and RowKey lt 'jnl;'"
    (row,) = table.query_entities(journal, parameters={"t": tenant})
    assert row["Actor"] == f"entra:{app_id}:{object_id}" and f"actor=entra:{app_id}:{object_id} " in line


@pytest.mark.parametrize(
    ("claims", "actor"),
    [
        ({"azp": "AAAAAAAA-1111-2222-3333-444444444444", "oid": "x"}, "entra:aaaaaaaa-1111-2222-3333-444444444444:-"),
        ({"appid": "app id with spaces\nand a newline"}, "entra:-:-"),
        ({"appid": 42, "oid": ["not", "a", "guid"]}, "entra:-:-"),
    ],
)
def test_entra_ids_that_are_not_guids_never_reach_the_audit_trail(claims, actor):
    assert jwt_tokens.entra_actor(claims) == actor
