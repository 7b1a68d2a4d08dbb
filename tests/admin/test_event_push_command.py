"""``python -m scim.admin event-push``: registering a tenant's events for a queue writes its row in the
service partition; ``--off`` removes it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from azure.data.tables import TableClient

from scim.admin import cli
from scim.service.journal import key_time
from scim.storage.event_push import TablePushStore
from scim.storage.resources import TableResourceRepository

TENANT = "acme"
BASE_URL = "https://scim.example.com"


@pytest.fixture
def settings_file(tmp_path: Path) -> Path:
    """local.settings.json with tenant acme, which has an event reader, and tenant plain, which has not."""
    records = {TENANT: {"current": "acme-token-0123456789", "eventReader": "acme-reader-0123456789"}}
    records["plain"] = "plain-token-0123456789"
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": False, "Values": {"SCIM_TOKENS": json.dumps(records)}}))
    return path


@pytest.fixture
def admin(capsys, settings_file: Path, push_table: TableClient):
    def run(*args: str) -> tuple[int, str]:
        code = cli.main(
            ["--settings-file", str(settings_file), "--base-url", BASE_URL, "event-push", *args],
            environ={},
            table_client=lambda: push_table,
        )
        return code, capsys.readouterr().err

    return run


def registrations(table: TableClient) -> TablePushStore:
    return TablePushStore(TableResourceRepository(table))


def test_event_push_registers_the_tenant_from_now_on_with_its_queue_and_tenant_url(admin, push_table):
    before = key_time(datetime.now(UTC))

    code, _ = admin(TENANT, "acme-events")
    registration = registrations(push_table).registration(TENANT)

    assert code == 0 and registration is not None
    assert (registration.queue, registration.tenant_url) == ("acme-events", f"{BASE_URL}/scim/{TENANT}/v2")
    assert before <= registration.high <= key_time(datetime.now(UTC))


def test_event_push_again_changes_the_queue_and_keeps_the_mark(admin, push_table):
    admin(TENANT, "acme-events")
    first = registrations(push_table).registration(TENANT)

    code, _ = admin(TENANT, "deployment-events")
    second = registrations(push_table).registration(TENANT)

    assert code == 0 and first is not None and second is not None
    assert (second.queue, second.high) == ("deployment-events", first.high)


def test_event_push_off_removes_the_registration(admin, push_table):
    admin(TENANT, "acme-events")

    code, _ = admin(TENANT, "--off")

    assert code == 0
    assert registrations(push_table).registration(TENANT) is None


def test_event_push_off_of_an_unregistered_tenant_changes_nothing(admin, push_table):
    code, said = admin(TENANT, "--off")

    assert code == 0 and "were not pushed" in said
    assert registrations(push_table).registrations() == []


def test_event_push_is_refused_for_a_tenant_without_an_event_reader(admin, push_table):
    code, said = admin("plain", "plain-events")

    assert code == 1 and "create-event-reader plain" in said
    assert registrations(push_table).registrations() == []


def test_event_push_is_refused_for_an_unknown_tenant(admin, push_table):
    code, said = admin("nobody", "nobody-events")

    assert code == 1 and "no tenant nobody" in said
    assert registrations(push_table).registrations() == []


@pytest.mark.parametrize("name", ["ab", "Acme-Events", "acme--events", "acme-", "acme_events", "a" * 64])
def test_event_push_refuses_what_is_no_queue_name(admin, push_table, name):
    code, said = admin(TENANT, name)

    assert code == 1 and "no queue name" in said
    assert registrations(push_table).registrations() == []


def test_event_push_needs_a_queue_or_off(admin):
    with pytest.raises(SystemExit):
        admin(TENANT)
