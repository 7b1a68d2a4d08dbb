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
change), ``Added`` and ``Removed`` (JSON lists of member ids), ``RequestId``, ``Actor``, ``Time``.

Order: keys sort by the writing instance's clock. Two writes of one resource are ordered by the
resource's ETag chain (each is conditional on the version the previous one produced), and a write
starts by reading that version, so clocks would have to disagree by more than a read and a
transaction take for rows of one resource to sort out of order; ``Time`` of each row never goes
backwards for a resource as long as that holds. Across resources nothing is promised.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from scim.service import journal

JOURNAL_PREFIX = "jnl:"
# Rows a transaction may carry besides the journal row.
JOURNAL_ROWS_PER_TRANSACTION = 1

Clock = Callable[[], datetime]


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
    clock: Clock = utc_clock,
) -> list[tuple[Any, ...]]:
    """``operations`` with the journal row of this change appended (last, so that the positions of
    the other operations, which failure reports name, do not move)."""
    now = clock()
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
    return [*operations, ("create", row)]


def retention_cutoff(now: datetime, days: int) -> str:
    """Rows with keys below this are older than ``days`` days."""
    return key_before(now - timedelta(days=days))
