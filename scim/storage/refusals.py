"""Refused writes of the audit trail, in the tenant's partition beside its journal.

Row ``ref:<time>:<random>`` (the journal's key form, ``scim.storage.journal``); properties
``Operation``, ``ResourceType``, ``ResourceId``, ``Status``, ``ScimType``, ``Actor``, ``RequestId``,
``Time``, ``NameDigest``. A prefix of its own, so that event readers never read them and the
journal's ranges stay what they were; swept by the same retention (``TableEventStore.sweep``).
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from scim.service.journal import RefusedWrite, key_time
from scim.storage.resources import TableResourceRepository

REFUSAL_PREFIX = "ref:"
REFUSAL_END = REFUSAL_PREFIX[:-1] + ";"  # ';' follows ':': above every refusal key


class TableRefusalLog:
    """``RefusalLog`` (``scim.service.journal``) on the repository's table."""

    def __init__(self, repository: TableResourceRepository):
        self._repository = repository

    def record(self, tenant: str, refusal: RefusedWrite) -> None:
        moment = datetime.fromisoformat(refusal.time)
        entity = {
            "PartitionKey": tenant,
            "RowKey": f"{REFUSAL_PREFIX}{key_time(moment)}:{secrets.token_hex(8)}",
            "Operation": refusal.operation,
            "ResourceType": refusal.resource_type,
            "ResourceId": refusal.resource_id,
            "Status": refusal.status,
            "ScimType": refusal.scim_type,
            "Actor": refusal.actor,
            "RequestId": refusal.request_id,
            "Time": refusal.time,
            "NameDigest": refusal.name_digest,
        }
        self._repository.create_row(entity)

    def between(self, tenant: str, low: str, high: str) -> list[RefusedWrite]:
        rows = self._repository.query_range(
            tenant, REFUSAL_PREFIX + low, REFUSAL_PREFIX + high if high else REFUSAL_END
        )
        return [_refusal_from_row(row) for row in rows]


def _refusal_from_row(row: Any) -> RefusedWrite:
    return RefusedWrite(
        time=row["Time"],
        operation=row["Operation"],
        resource_type=row["ResourceType"],
        resource_id=row["ResourceId"],
        status=int(row["Status"]),
        scim_type=row.get("ScimType", "-"),
        actor=row.get("Actor", "-"),
        request_id=row.get("RequestId", "-"),
        name_digest=row.get("NameDigest", ""),
    )
