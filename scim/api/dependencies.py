"""The objects requests are served with, built from settings on first use and shared.

Tests replace them with ``override``; nothing Azure is built until a request needs it.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from scim.auth.tokens import TokenSource
from scim.service.events import EventService
from scim.service.groups import GroupService
from scim.service.users import UserService

if TYPE_CHECKING:
    from scim.storage.events import TableEventStore


@dataclass(frozen=True)
class Dependencies:
    tokens: TokenSource
    users: UserService
    groups: GroupService
    events: EventService | None = None  # /Events (RFC 8936 poll)


_lock = threading.Lock()
_current: Dependencies | None = None


def current() -> Dependencies:
    """The shared dependencies, built from the environment the first time."""
    global _current
    with _lock:
        if _current is None:
            _current = _from_settings()
        return _current


def override(dependencies: Dependencies | None) -> None:
    """Serve with ``dependencies`` (None: build from settings again on next use)."""
    global _current
    with _lock:
        _current = dependencies


def _from_settings() -> Dependencies:
    from scim.auth.tokens import token_source_from_settings
    from scim.storage.events import TableEventStore
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    repository = TableResourceRepository(table_client_from_settings())
    events = EventService(
        TableEventStore(repository),
        redelivery_seconds=float(os.environ.get("SCIM_EVENTS_REDELIVERY_SECONDS", "300")),
        settle_seconds=float(os.environ.get("SCIM_EVENTS_SETTLE_SECONDS", "120")),
    )
    return Dependencies(
        tokens=token_source_from_settings(),
        users=UserService(repository),
        groups=GroupService(repository),
        events=events,
    )


def journal_store_from_settings() -> TableEventStore:
    """The journal of the table in settings, for the retention timer (no request dependencies)."""
    from scim.storage.events import TableEventStore
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    return TableEventStore(TableResourceRepository(table_client_from_settings()))
