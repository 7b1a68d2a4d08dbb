"""The journal's retention: rows older than ``SCIM_JOURNAL_RETENTION_DAYS`` (default 30) go, swept
once a day by the timer trigger in function_app.py."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from scim.storage.events import TableEventStore

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30


def retention_days(environ: Mapping[str, str] = os.environ) -> int:
    text = environ.get("SCIM_JOURNAL_RETENTION_DAYS", "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_RETENTION_DAYS


def sweep_journals(store: TableEventStore, now: datetime, days: int) -> dict[str, int]:
    """Delete every tenant's journal rows older than ``days`` at ``now``; rows deleted per tenant."""
    swept = {tenant: store.sweep(tenant, now, days) for tenant in store.tenants_with_journal()}
    logger.info("Journal retention: %d rows older than %d days deleted", sum(swept.values()), days)
    return swept


def sweep_from_settings() -> dict[str, int]:
    from scim.storage.events import TableEventStore
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    store = TableEventStore(TableResourceRepository(table_client_from_settings()))
    return sweep_journals(store, datetime.now(UTC), retention_days())
