"""Event push registrations: one row per tenant in the service partition, and the journal they relay.

Row ``push:<tenant>`` in partition ``_service`` (no tenant slug contains ``_``): ``Queue`` (the
queue's name), ``TenantUrl`` (the SETs' issuer), ``High`` (the last journal key relayed, without
its ``jnl:`` prefix). One range query reads every registration; the relay saves ``High`` alone
(a merge) at the ETag it read, so two relays never move it back, and an operator's change of
queue makes a relay's concurrent save fail rather than be lost.
"""

from __future__ import annotations

from typing import Any

from azure.core import MatchConditions
from azure.data.tables import UpdateMode

from scim.service.event_push import PushRegistration
from scim.service.events import JournalEntry
from scim.service.ports import ResourceMissing, VersionConflict
from scim.storage.events import TableEventStore
from scim.storage.resources import SERVICE_PARTITION, TableResourceRepository

PUSH_PREFIX = "push:"
PUSH_END = "push;"  # ';' follows ':': above every registration's key


class TablePushStore:
    """``PushStore`` (``scim.service.event_push``) on the repository's table, and the operator's
    registrations (``scim.admin.event_push``)."""

    def __init__(self, repository: TableResourceRepository):
        self._repository = repository
        self._journal = TableEventStore(repository)

    def registrations(self) -> list[PushRegistration]:
        rows = self._repository.query_range(SERVICE_PARTITION, PUSH_PREFIX, PUSH_END)
        return [_registration(row) for row in rows]

    def registration(self, tenant: str) -> PushRegistration | None:
        row = self._repository.row(SERVICE_PARTITION, PUSH_PREFIX + tenant)
        return _registration(row) if row is not None else None

    def journal_after(self, tenant: str, after_key: str, before_key: str, limit: int) -> list[JournalEntry]:
        return self._journal.journal_after(tenant, after_key, before_key, limit)

    def save_high(self, registration: PushRegistration, high: str) -> None:
        entity = {"PartitionKey": SERVICE_PARTITION, "RowKey": PUSH_PREFIX + registration.tenant, "High": high}
        try:
            self._repository.write_row(entity, UpdateMode.MERGE, registration.version, MatchConditions.IfNotModified)
        except ResourceMissing:  # unregistered meanwhile
            raise VersionConflict() from None

    def register(self, tenant: str, queue: str, tenant_url: str, high: str) -> bool:
        """Push ``tenant``'s events to ``queue`` from journal key ``high`` on; a registered tenant
        keeps its mark (only its queue and issuer change). True when it was not registered."""
        key = PUSH_PREFIX + tenant
        entity = {"PartitionKey": SERVICE_PARTITION, "RowKey": key, "Queue": queue, "TenantUrl": tenant_url}
        try:
            self._repository.create_row({**entity, "High": high})
        except VersionConflict:  # registered already: its mark stays
            self._repository.write_row(entity, UpdateMode.MERGE, "", MatchConditions.Unconditionally)
            return False
        return True

    def unregister(self, tenant: str) -> bool:
        """Stop pushing ``tenant``'s events; False when it was not registered."""
        if self.registration(tenant) is None:
            return False
        self._repository.delete_rows(SERVICE_PARTITION, [PUSH_PREFIX + tenant])
        return True


def _registration(row: Any) -> PushRegistration:
    return PushRegistration(
        tenant=row["RowKey"][len(PUSH_PREFIX) :],
        queue=row["Queue"],
        tenant_url=row["TenantUrl"],
        high=row["High"],
        version=row.metadata["etag"],
    )
