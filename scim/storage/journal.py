"""Journal rows: one per write, in the same entity group transaction as the write.

Row ``jnl:<time>:<random>`` in the tenant's partition (``<time>`` is UTC to the microsecond,
``YYYYMMDDTHHMMSS.ffffffZ``, so keys sort by time; ``<random>`` is 64 random bits in hex). Since
it is one more entity in a transaction that is sent anyway, it costs no storage request, and the
change and its row are committed together or not at all.

Properties: ``Event`` (create, put, patch, delete, members; unlinked: memberships a delete removed,
``Removed`` naming the other sides), ``ResourceType``, ``ResourceId``,
``Attributes`` (JSON list of the attribute names changed), ``Modified`` (the ``LastModified`` the
write stored), ``NameDigest`` (SHA-256 of the resource's normalized unique name, as in its index
row: the operator finds a user's rows by userName without the journal holding it), ``Active`` (after an activation
change), ``Added`` and ``Removed`` (JSON lists of member ids), ``RequestId``, ``Actor``, ``Time``;
and, as the tenant's settings were when the change was made, ``EventForm`` (``full``: its change
event is a full one), ``AuditValues`` (true: the activity trail may show its values) and, with
either, ``DataChunks``/``Data0..N``: the RFC 9967 ``data`` of a create, put or patch
(``scim.service.change_data``), split like a resource's JSON (``scim.storage.chunks``), at most
``MAX_DATA_CHUNKS`` of them; larger values are left out (``DataOmitted``), and the write goes on.

Order: a write of a resource (create, replace, delete) is keyed by its lastModified, which the
service makes grow by at least 1 ms along the resource's version chain (each write is conditional on
the version the previous one produced, and starts by reading it: ``later_than`` in
``scim.service.resources``); a delete 1 ms after it (or the clock, if later). So the rows of one
resource sort in the order of its writes whatever the instances' clocks say. Membership rows
(unconditional merges that commute) and a delete's cleanup rows take the writing instance's clock.
Across resources nothing is promised.
"""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scim.service import journal
from scim.storage.chunks import chunked_json

logger = logging.getLogger(__name__)

JOURNAL_PREFIX = "jnl:"
# The values of one change: 15 chunks (450,000 characters, 900,000 bytes as UTF-16) keep the row
# under Table Storage's 1 MiB entity limit, as a resource's (scim.storage.resources.MAX_JSON_CHUNKS),
# and the two together under a transaction's 4 MiB.
MAX_DATA_CHUNKS = 15
# Rows a transaction may carry besides the journal row.
JOURNAL_ROWS_PER_TRANSACTION = 1


def utc_clock() -> datetime:
    return datetime.now(UTC)


def journal_key(moment: datetime, suffix: str) -> str:
    return f"{JOURNAL_PREFIX}{journal.key_time(moment)}:{suffix}"


def key_before(moment: datetime) -> str:
    """The smallest journal key at or after ``moment``: rows below it are older."""
    return journal_key(moment, "")


def with_journal_row(
    operations: list[tuple[Any, ...]],
    tenant: str,
    event: str,
    resource_type: str,
    resource_id: str,
    *,
    added: Sequence[str] = (),
    removed: Sequence[str] = (),
    modified: str | None = None,
    name_digest: str | None = None,
    at: datetime | None = None,
) -> list[tuple[Any, ...]]:
    """``operations`` with the journal row of this change appended (last, so that the positions of
    the other operations, which failure reports name, do not move).

    The row's time (the order of its key) is ``at`` when given, else the instance's clock. The
    writes of a resource give the time of its version chain (``row_time``), so that its rows sort
    in the order of its writes whatever the writers' clocks."""
    now = at if at is not None else utc_clock()
    change = journal.current_change() if event == "replace" else None
    if event == "replace":  # the service said whether a PUT or a PATCH (scim.service.journal)
        event = change.event if change else "patch"
    row: dict[str, Any] = {
        "PartitionKey": tenant,
        "RowKey": journal_key(now, secrets.token_hex(8)),
        "Event": event,
        "ResourceType": resource_type,
        "ResourceId": resource_id,
        "Time": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
    }
    if change is not None:
        row["Attributes"] = json.dumps(list(change.attributes))
        if change.activation is not None:
            row["Active"] = change.activation
    if modified is not None:
        row["Modified"] = modified  # the LastModified the write gives the resource (and added members)
    if name_digest:
        row["NameDigest"] = name_digest  # of the unique name (userName, displayName): findable, not readable
    if added:
        row["Added"] = json.dumps(list(added))
    if removed:
        row["Removed"] = json.dumps(list(removed))
    facts = journal.current_request()
    row["RequestId"] = facts.request_id if facts else "-"
    row["Actor"] = facts.actor if facts else "-"
    if facts is not None and facts.keeps_values:
        row.update(_values(facts, journal.current_change(), event))
    return [*operations, ("create", row)]


def row_time(last_modified: str, *, after: bool = False) -> datetime:
    """The journal time of a write of a resource whose lastModified is ``last_modified`` (RFC 3339):
    that moment for the write that set it (a create, a replace), 1 ms after it for a write that
    follows it (a delete). The service makes lastModified grow along the version chain
    (``scim.service.resources.later_than``), so rows of one resource sort in the order of its writes."""
    moment = datetime.fromisoformat(last_modified)
    return moment + timedelta(milliseconds=1) if after else moment


def _values(facts: journal.RequestFacts, change: journal.ChangeFacts | None, event: str) -> dict[str, Any]:
    """The properties saying what the tenant's settings were and, for a create, put or patch, its data."""
    properties: dict[str, Any] = {}
    if facts.event_form == "full":
        properties["EventForm"] = "full"
    if facts.audit_values:
        properties["AuditValues"] = True
    if change is None or change.event != event or change.data is None:
        return properties  # deletes and membership changes carry no values (member ids are in Added/Removed)
    chunks = chunked_json("Data", change.data, MAX_DATA_CHUNKS)
    if chunks is None:
        logger.warning("The values of a %s are too large for its journal row; journaled without them", event)
        properties["DataOmitted"] = True
    else:
        properties.update(chunks)
    return properties


def retention_cutoff(now: datetime, days: int) -> str:
    """Rows with keys below this are older than ``days`` days."""
    return key_before(now - timedelta(days=days))
