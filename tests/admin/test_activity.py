"""``python -m scim.admin activity`` answers "what happened to this user", and
``create-event-reader`` gives a tenant its event reader credential."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.data.tables import TableClient

from scim.admin import cli
from scim.auth.tokens import SettingsTokenSource
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository
from tests.support.audit import serving_audited
from tests.support.bodies import patch_body, user_body
from tests.support.http import Client, created


def activity_json(capsys, tmp_path: Path, table: TableClient, *args: str) -> list[dict]:
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {}}))
    code = cli.main(
        ["--settings-file", str(settings), "activity", *args, "--json"], environ={}, table_client=lambda: table
    )
    assert code == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def test_activity_by_user_name_tells_an_entra_like_lifecycle_even_after_the_delete(
    users_api: Client, table: TableClient, tenant: str, capsys, tmp_path: Path
):
    user = created(users_api, user_body("Alice@Example.com", displayName="Alice"))
    update = patch_body(
        {"op": "Replace", "path": "displayName", "value": "Alice Smith"},
        {"op": "Replace", "value": {"name.givenName": "Alice"}},
    )
    users_api.call("PATCH", f"/{user['id']}", update, headers={"client-request-id": "req-update"})
    users_api.call("PATCH", f"/{user['id']}", patch_body({"op": "Replace", "path": "active", "value": "False"}))
    users_api.call("DELETE", f"/{user['id']}")
    created(users_api, user_body("bob@example.com"))  # someone else

    entries = activity_json(capsys, tmp_path, table, tenant, "--user-name", "alice@example.com")

    assert [(e["event"], e["attributes"], e["active"]) for e in entries] == [
        ("create", [], None),
        ("patch", ["displayName", "name"], None),
        ("patch", ["active"], False),
        ("delete", [], None),
    ]
    assert {e["resource_id"] for e in entries} == {user["id"]}
    assert {e["actor"] for e in entries} == {"token:current"}
    assert entries[1]["request_id"] == "req-update"


def test_activity_by_resource_lists_only_that_resource(
    users_api: Client, table: TableClient, tenant: str, capsys, tmp_path: Path
):
    alice = created(users_api, user_body("alice@example.com"))
    created(users_api, user_body("bob@example.com"))

    entries = activity_json(capsys, tmp_path, table, tenant, "--resource", alice["id"])

    assert [(e["event"], e["resource_id"]) for e in entries] == [("create", alice["id"])]


def test_create_event_reader_stores_a_credential_apart_from_the_token(capsys, tmp_path: Path):
    settings = tmp_path / "local.settings.json"
    settings.write_text(
        json.dumps({"IsEncrypted": False, "Values": {"SCIM_TOKENS": json.dumps({"acme": "acme-secret-token-0001"})}})
    )

    assert cli.main(["--settings-file", str(settings), "create-event-reader", "acme"], environ={}) == 0
    printed = capsys.readouterr().out
    values = json.loads(settings.read_text())["Values"]
    record = SettingsTokenSource(values).credentials_for("acme")

    assert record.current == "acme-secret-token-0001" and record.event_reader and record.event_reader in printed
    assert record.event_reader not in record.tokens


@pytest.fixture
def audited_api(repository: TableResourceRepository, tenant: str, tokens: dict[str, str]) -> Iterator[Client]:
    with serving_audited(repository, TableRefusalLog(repository), tenant, tokens) as api:
        yield api


def test_activity_by_user_name_lists_a_refused_create_among_the_changes(
    audited_api: Client, table: TableClient, tenant: str, capsys, tmp_path: Path
):
    user = created(audited_api, user_body("alice@example.com"))
    audited_api.call("POST", body=user_body("ALICE@example.com"))  # Entra's retry of a create: 409
    audited_api.call("DELETE", f"/{user['id']}")

    entries = activity_json(capsys, tmp_path, table, tenant, "--user-name", "Alice@Example.com")

    assert [(e["event"], e.get("status")) for e in entries] == [("create", None), ("refused", 409), ("delete", None)]
    assert entries[1]["scim_type"] == "uniqueness"
