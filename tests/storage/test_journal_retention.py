"""The journal's retention sweep, with a fake clock: rows older than the retention go, others stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from azure.data.tables import TableClient

from scim.api.retention import retention_days, sweep_journals
from scim.service.journal import RefusedWrite
from scim.storage.events import TableEventStore
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository
from tests.support.storage import journal_rows, make_resource


def test_the_sweep_deletes_rows_older_than_the_retention_and_keeps_the_rest(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    for number in range(3):
        repository.insert(tenant, make_resource(f"user{number}"), [])
    store = TableEventStore(repository)
    now = datetime.now(UTC)

    kept = sweep_journals(store, now + timedelta(days=29), 30).get(tenant, 0)
    remaining = len(journal_rows(table, tenant))
    swept = sweep_journals(store, now + timedelta(days=31), 30).get(tenant, 0)

    assert (kept, remaining, swept, journal_rows(table, tenant)) == (0, 3, 3, [])


def test_the_sweep_leaves_resources_alone(repository: TableResourceRepository, tenant: str):
    stored = repository.insert(tenant, make_resource("alice"), [])

    sweep_journals(TableEventStore(repository), datetime.now(UTC) + timedelta(days=365), 30)

    assert repository.get(tenant, "User", stored.id) is not None


def test_retention_is_30_days_unless_configured():
    assert (retention_days({}), retention_days({"SCIM_JOURNAL_RETENTION_DAYS": "7"})) == (30, 7)
    assert retention_days({"SCIM_JOURNAL_RETENTION_DAYS": "never"}) == 30


def test_the_sweep_deletes_refused_writes_older_than_the_retention(repository: TableResourceRepository, tenant: str):
    refusals = TableRefusalLog(repository)
    now = datetime.now(UTC)
    refusals.record(tenant, RefusedWrite(_iso(now), "POST", "User", "-", 409, "uniqueness", "token:current", "r1"))

    kept = sweep_journals(TableEventStore(repository), now + timedelta(days=29), 30).get(tenant, 0)
    swept = sweep_journals(TableEventStore(repository), now + timedelta(days=31), 30).get(tenant, 0)

    assert (kept, swept, refusals.between(tenant, "", "")) == (0, 1, [])


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")
