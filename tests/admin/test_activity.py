"""``python -m scim.admin activity`` answers "what happened to this user", and
``create-event-reader`` gives a tenant its event reader credential; the values of a change only
where the tenant opted in (``event-settings``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from azure.data.tables import TableClient

from scim.admin import cli
from scim.auth.tokens import SettingsTokenSource
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository
from tests.support.audit import serving_audited
from tests.support.bodies import patch_body, user_body
from tests.support.http import Client, created
from tests.support.serving import serve


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


@pytest.fixture
def create_user_as(users: UserService, groups: GroupService, tokens, tenant: str) -> Callable[[dict, dict], dict]:
    """Creates a user through function_app while the test tenant's record holds the given keys."""

    def create(record: dict, body: dict) -> dict:
        served = serve(users, groups, {tenant: {"current": tokens[tenant], **record}})
        next(served)
        try:
            return created(Client(tenant, tokens[tenant], "Users"), body)
        finally:
            next(served, None)

    return create


def test_activity_shows_values_only_of_changes_made_with_audit_values_on(
    create_user_as, table: TableClient, tenant: str, capsys, tmp_path: Path
):
    create_user_as({"auditValues": True}, user_body("audited@example.com", password="Secret-Pass-7"))
    create_user_as({"eventForm": "full"}, user_body("full@example.com"))

    audited, full_only = activity_json(capsys, tmp_path, table, tenant)

    assert audited["data"]["userName"] == "audited@example.com" and "password" not in audited["data"]
    assert full_only["data"] is None


def test_activity_lines_show_the_values_with_audit_values_on(
    create_user_as, table: TableClient, tenant: str, capsys, tmp_path: Path
):
    create_user_as({"auditValues": True}, user_body("alice@example.com", displayName="Alice Shown"))
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {}}))

    code = cli.main(["--settings-file", str(settings), "activity", tenant], environ={}, table_client=lambda: table)

    assert code == 0 and '"displayName":"Alice Shown"' in capsys.readouterr().out


def local_settings(tmp_path: Path, record: dict) -> Path:
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {"SCIM_TOKENS": json.dumps({"acme": record})}}))
    return settings


def test_event_settings_writes_the_form_and_audit_values_to_the_tenants_record(tmp_path: Path):
    settings = local_settings(tmp_path, {"current": "acme-secret-token-0001"})

    arguments = ["--settings-file", str(settings), "event-settings", "acme", "--form", "full", "--audit-values", "on"]
    assert cli.main(arguments, environ={}) == 0
    record = SettingsTokenSource(json.loads(settings.read_text())["Values"]).credentials_for("acme")

    assert (record.event_form, record.audit_values, record.current) == ("full", True, "acme-secret-token-0001")


def test_event_settings_changes_only_what_it_is_given(tmp_path: Path):
    record = {"current": "acme-secret-token-0001", "eventForm": "full", "auditValues": True}
    settings = local_settings(tmp_path, record)

    assert (
        cli.main(["--settings-file", str(settings), "event-settings", "acme", "--audit-values", "off"], environ={}) == 0
    )
    stored = SettingsTokenSource(json.loads(settings.read_text())["Values"]).credentials_for("acme")

    assert (stored.event_form, stored.audit_values) == ("full", False)


@pytest.mark.parametrize("arguments", [["--form", "loud"], ["--audit-values", "yes"]])
def test_event_settings_refuses_values_it_does_not_know(tmp_path: Path, arguments: list[str], capsys):
    settings = local_settings(tmp_path, {"current": "acme-secret-token-0001"})
    before = settings.read_text()

    with pytest.raises(SystemExit) as exit_:
        cli.main(["--settings-file", str(settings), "event-settings", "acme", *arguments], environ={})

    assert exit_.value.code == 2 and settings.read_text() == before and "invalid choice" in capsys.readouterr().err


def test_event_settings_of_an_unknown_tenant_is_an_error(tmp_path: Path, capsys):
    settings = local_settings(tmp_path, {"current": "acme-secret-token-0001"})

    code = cli.main(["--settings-file", str(settings), "event-settings", "globex", "--form", "full"], environ={})

    assert code == 1 and "no tenant globex" in capsys.readouterr().err
