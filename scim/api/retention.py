"""The journal's retention: rows older than ``SCIM_JOURNAL_RETENTION_DAYS`` (default 30) go, swept
once a day by the timer trigger in function_app.py."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Protocol

logger = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 30


class JournalStore(Protocol):
    def tenants_with_journal(self) -> list[str]: ...

    def sweep(self, tenant: str, now: datetime, retention_days: int) -> int: ...


def retention_days(environ: Mapping[str, str] = os.environ) -> int:
    text = environ.get("SCIM_JOURNAL_RETENTION_DAYS", "")
    return int(text) if text.isdigit() and int(text) > 0 else DEFAULT_RETENTION_DAYS


def sweep_journals(store: JournalStore, now: datetime, days: int) -> dict[str, int]:
    """Delete every tenant's journal rows older than ``days`` at ``now``; rows deleted per tenant."""
    swept = {tenant: store.sweep(tenant, now, days) for tenant in store.tenants_with_journal()}
    logger.info("Journal retention: %d rows older than %d days deleted", sum(swept.values()), days)
    return swept


def sweep_from_settings() -> dict[str, int]:
    from scim.api.dependencies import journal_store_from_settings

    return sweep_journals(journal_store_from_settings(), datetime.now(UTC), retention_days())
