"""Reading the journal, and the poll bookkeeping row, in the tenant's partition.

``evs:poll`` holds ``PollState`` as JSON (``High``, ``Pending``), written at the ETag it was read
at, so that two polls of one tenant never both hand out the same new rows as first deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from scim.service.events import JournalEntry, PollState
from scim.storage.chunks import unchunked_json
from scim.storage.journal import JOURNAL_PREFIX, retention_cutoff
from scim.storage.refusals import REFUSAL_END, REFUSAL_PREFIX
from scim.storage.resources import MAX_TRANSACTION_OPERATIONS, TableResourceRepository

POLL_STATE_KEY = "evs:poll"
JOURNAL_END = JOURNAL_PREFIX[:-1] + ";"  # ';' follows ':': above every journal key


class TableEventStore:
    """``EventStore`` (``scim.service.events``) on the repository's table."""

    def __init__(self, repository: TableResourceRepository):
        self._repository = repository

    def journal_after(self, tenant: str, after_key: str, before_key: str, limit: int) -> list[JournalEntry]:
        low = JOURNAL_PREFIX + after_key if after_key else JOURNAL_PREFIX
        rows = self._repository.query_range(
            tenant, low, JOURNAL_PREFIX + before_key, limit=limit, after=bool(after_key)
        )
        return [entry_from_row(row) for row in rows]

    def journal_between(self, tenant: str, low: str, high: str) -> list[JournalEntry]:
        """Every entry with ``low <= key < high`` (keys without the prefix; empty: open end)."""
        rows = self._repository.query_range(
            tenant, JOURNAL_PREFIX + low, JOURNAL_PREFIX + high if high else JOURNAL_END
        )
        return [entry_from_row(row) for row in rows]

    def journal_entries(self, tenant: str, keys: Sequence[str]) -> list[JournalEntry]:
        entries = []
        for key in keys:
            row = self._repository.row(tenant, JOURNAL_PREFIX + key)
            if row is not None:
                entries.append(entry_from_row(row))
        return entries

    def poll_state(self, tenant: str) -> PollState:
        row = self._repository.row(tenant, POLL_STATE_KEY)
        if row is None:
            return PollState()
        return PollState(row["High"], json.loads(row["Pending"]), row.metadata["etag"])

    def save_poll_state(self, tenant: str, state: PollState) -> None:
        entity = {
            "PartitionKey": tenant,
            "RowKey": POLL_STATE_KEY,
            "High": state.high,
            "Pending": json.dumps(state.pending, separators=(",", ":")),
        }
        if state.version is None:
            self._repository.create_row(entity)
        else:
            self._repository.write_row(entity, UpdateMode.REPLACE, state.version, MatchConditions.IfNotModified)

    def sweep(self, tenant: str, now: datetime, retention_days: int) -> int:
        """Delete the tenant's journal rows and refused writes older than ``retention_days``; how many went."""
        cutoff = retention_cutoff(now, retention_days)[len(JOURNAL_PREFIX) :]
        keys = [
            row["RowKey"]
            for prefix in (JOURNAL_PREFIX, REFUSAL_PREFIX)
            for row in self._repository.query_range(tenant, prefix, prefix + cutoff, select=["RowKey"])
        ]
        for start in range(0, len(keys), MAX_TRANSACTION_OPERATIONS):
            self._repository.delete_batch(tenant, keys[start : start + MAX_TRANSACTION_OPERATIONS])
        return len(keys)

    def tenants_with_journal(self) -> list[str]:
        """Every partition holding journal rows or refused writes (scans of keys; the retention
        sweep's daily list)."""
        journals = self._repository.partitions_with_prefix(JOURNAL_PREFIX, JOURNAL_END)
        refusals = self._repository.partitions_with_prefix(REFUSAL_PREFIX, REFUSAL_END)
        return sorted({*journals, *refusals})


def entry_from_row(row: Any) -> JournalEntry:
    active = row.get("Active")
    return JournalEntry(
        key=row["RowKey"][len(JOURNAL_PREFIX) :],
        event=row["Event"],
        resource_type=row["ResourceType"],
        resource_id=row["ResourceId"],
        time=row["Time"],
        attributes=tuple(json.loads(row.get("Attributes") or "[]")),
        active=active if isinstance(active, bool) else None,
        added=tuple(json.loads(row.get("Added") or "[]")),
        removed=tuple(json.loads(row.get("Removed") or "[]")),
        request_id=row.get("RequestId", "-"),
        actor=row.get("Actor", "-"),
        name_digest=row.get("NameDigest", ""),
        event_form=row.get("EventForm", "notice"),
        audit_values=row.get("AuditValues") is True,
        data=unchunked_json(row, "Data"),
    )
