"""``python -m scim.admin activity <tenant>``: what happened to a tenant's resources, from its journal.

Each successful change is a journal row (``scim.storage.journal``): when, what (event, resource type
and id, attribute names), who (the credential: ``token:current``, ``token:next``, ``entra``) and the
request id, which finds the request's log lines. ``--user-name`` finds a user's rows by the digest
of its userName (the journal holds no names), deleted users included. Refused writes are not in
the journal; the audit log lines (``scim.api.audit``) have them.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from azure.data.tables import TableClient

from scim.service.events import JournalEntry
from scim.service.journal import key_time
from scim.storage.events import TableEventStore
from scim.storage.journal import name_digest
from scim.storage.resources import TableResourceRepository

DEFAULT_DAYS = 30


def activity(
    table: TableClient,
    tenant: str,
    *,
    since: datetime | None = None,
    resource_id: str | None = None,
    user_name: str | None = None,
) -> list[JournalEntry]:
    """The tenant's journal entries since ``since`` (default: 30 days ago), oldest first, narrowed
    to one resource (by id, or a user by userName, in any letter case)."""
    start = since or datetime.now(UTC) - timedelta(days=DEFAULT_DAYS)
    entries = TableEventStore(TableResourceRepository(table)).journal_between(tenant, key_time(start), "")
    if user_name is not None:
        digest = name_digest(user_name.lower())
        ids = {entry.resource_id for entry in entries if entry.resource_type == "User" and entry.name_digest == digest}
        entries = [entry for entry in entries if _concerns(entry, ids)]
    elif resource_id is not None:
        entries = [entry for entry in entries if _concerns(entry, {resource_id})]
    return entries


def _concerns(entry: JournalEntry, ids: set[str]) -> bool:
    """The entry changed one of ``ids`` or the membership of one of them."""
    return entry.resource_id in ids or bool(ids & {*entry.added, *entry.removed})


def print_activity(entries: list[JournalEntry], as_json: bool, write: Callable[[str], None] = print) -> None:
    if as_json:
        write(json.dumps([dataclasses.asdict(entry) for entry in entries], indent=2))
        return
    for entry in entries:
        what = ",".join(entry.attributes) or "-"
        if entry.active is not None:
            what += f" active={str(entry.active).lower()}"
        if entry.added or entry.removed:
            what = f"+{len(entry.added)} -{len(entry.removed)} members"
        write(
            f"{entry.time}  {entry.event:<8} {entry.resource_type} {entry.resource_id}  {what}"
            f"  by {entry.actor}  request {entry.request_id}"
        )
