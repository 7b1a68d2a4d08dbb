"""``python -m scim.admin activity <tenant>``: what happened to a tenant's resources, from its journal.

Each successful change is a journal row (``scim.storage.journal``): when, what (event, resource type
and id, attribute names), who (the credential: ``token:current``, ``token:next``,
``entra:<appid>:<oid>``, ``oauth``) and the request id, which finds the request's log lines. The
values a change wrote are shown only for changes made while the tenant's ``auditValues`` was on
(its record; ``event-settings --audit-values on``): a row kept for full events alone shows none.
``--user-name`` finds a user's rows by the digest of its userName (the journal holds no names),
deleted users included. Refused writes of authenticated callers (``scim.api.audit``,
``scim.storage.refusals``) are listed among them as ``refused`` with their status and scimType.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from azure.data.tables import TableClient

from scim.service.events import JournalEntry
from scim.service.journal import RefusedWrite, key_time, user_name_digest
from scim.storage.events import TableEventStore
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository

DEFAULT_DAYS = 30


def activity(
    table: TableClient,
    tenant: str,
    *,
    since: datetime | None = None,
    resource_id: str | None = None,
    user_name: str | None = None,
) -> list[JournalEntry | RefusedWrite]:
    """The tenant's journal entries and refused writes since ``since`` (default: 30 days ago), oldest
    first, narrowed to one resource (by id, or a user by userName, in any letter case)."""
    start = key_time(since or datetime.now(UTC) - timedelta(days=DEFAULT_DAYS))
    repository = TableResourceRepository(table)
    entries = TableEventStore(repository).journal_between(tenant, start, "")
    refusals = TableRefusalLog(repository).between(tenant, start, "")
    if user_name is not None:
        digest = user_name_digest(user_name)
        ids = {entry.resource_id for entry in entries if entry.resource_type == "User" and entry.name_digest == digest}
        entries = [entry for entry in entries if _concerns(entry, ids)]
        refusals = [refusal for refusal in refusals if refusal.resource_id in ids or refusal.name_digest == digest]
    elif resource_id is not None:
        entries = [entry for entry in entries if _concerns(entry, {resource_id})]
        refusals = [refusal for refusal in refusals if refusal.resource_id == resource_id]
    entries = [entry if entry.audit_values else dataclasses.replace(entry, data=None) for entry in entries]
    return sorted([*entries, *refusals], key=lambda item: item.time)


def _concerns(entry: JournalEntry, ids: set[str]) -> bool:
    """The entry changed one of ``ids`` or the membership of one of them."""
    return entry.resource_id in ids or bool(ids & {*entry.added, *entry.removed})


def print_activity(
    entries: list[JournalEntry | RefusedWrite], as_json: bool, write: Callable[[str], None] = print
) -> None:
    if as_json:
        write(json.dumps([_as_json(entry) for entry in entries], indent=2))
        return
    for entry in entries:
        if isinstance(entry, RefusedWrite):
            what = f"{entry.operation} refused {entry.status} {entry.scim_type}"
            write(
                f"{entry.time}  refused  {entry.resource_type} {entry.resource_id}  {what}"
                f"  by {entry.actor}  request {entry.request_id}"
            )
            continue
        what = ",".join(entry.attributes) or "-"
        if entry.active is not None:
            what += f" active={str(entry.active).lower()}"
        if entry.added or entry.removed:
            what = f"+{len(entry.added)} -{len(entry.removed)} members"
        if entry.data is not None:
            what += f"  values {json.dumps(entry.data, separators=(',', ':'))}"
        write(
            f"{entry.time}  {entry.event:<8} {entry.resource_type} {entry.resource_id}  {what}"
            f"  by {entry.actor}  request {entry.request_id}"
        )


def _as_json(entry: JournalEntry | RefusedWrite) -> dict[str, Any]:
    """A change as its journal entry; a refused write with ``event`` ``refused``."""
    if isinstance(entry, RefusedWrite):
        return {"event": "refused", **dataclasses.asdict(entry)}
    return dataclasses.asdict(entry)
