"""The objects requests are served with, built from settings on first use and shared.

Tests replace them with ``override``; nothing Azure is built until a request needs it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from scim.api.fair_share import FairShare, fair_share_from_settings
from scim.auth.tokens import TokenSource
from scim.service.events import EventService
from scim.service.groups import GroupService
from scim.service.journal import RefusalLog
from scim.service.users import UserService

if TYPE_CHECKING:
    from scim.auth.oauth import OAuthServer
    from scim.service.event_push import EventRelay
    from scim.service.extension_catalog import ExtensionCatalog
    from scim.service.ports import SchemaRepository
    from scim.storage.events import TableEventStore

# The deployment's extension schemas: the repository's schemas/ folder, shipped with the app.
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


@dataclass(frozen=True)
class Dependencies:
    tokens: TokenSource
    users: UserService
    groups: GroupService
    events: EventService | None = None  # /Events (RFC 8936 poll)
    refusals: RefusalLog | None = None  # the audit trail's refused writes; None: logged only
    # SCIM_BASE_URL: Tenant URLs (Location, meta.location, discovery, access tokens' issuer and
    # audience) start with it; None: from the request's Host header (scim.api.adapter.tenant_url_of).
    base_url: str | None = None
    # Per-tenant request limits (scim.api.fair_share); None: unlimited.
    fair_share: FairShare | None = None
    # The token endpoint and access-token check; None: built from settings over ``tokens`` on first use.
    oauth_server: OAuthServer | None = None
    _built: dict[str, OAuthServer] = field(default_factory=dict, init=False, compare=False, repr=False)

    def oauth(self) -> OAuthServer:
        """The OAuth server (its signing keys and throttle are made once, on first use)."""
        if self.oauth_server is not None:
            return self.oauth_server
        with _lock:
            if "oauth" not in self._built:
                from scim.auth.oauth import OAuthServer
                from scim.auth.signing_keys import signing_keys_from_settings

                bench_lifetime = int(os.environ.get("SCIM_OAUTH_BENCH_TOKEN_SECONDS") or 0) or None
                keys = signing_keys_from_settings(os.environ)
                self._built["oauth"] = OAuthServer(self.tokens, keys, lifetime_override=bench_lifetime)
            return self._built["oauth"]


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
    from scim.storage.refusals import TableRefusalLog
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    repository = TableResourceRepository(table_client_from_settings())
    events = EventService(
        TableEventStore(repository),
        redelivery_seconds=float(os.environ.get("SCIM_EVENTS_REDELIVERY_SECONDS", "300")),
        settle_seconds=float(os.environ.get("SCIM_EVENTS_SETTLE_SECONDS", "120")),
    )
    extensions = extension_catalog(repository, os.environ)
    return Dependencies(
        tokens=token_source_from_settings(),
        users=UserService(repository, extensions=extensions),
        groups=GroupService(repository, extensions=extensions),
        events=events,
        refusals=TableRefusalLog(repository),
        base_url=os.environ.get("SCIM_BASE_URL", "").strip() or None,
        fair_share=fair_share_from_settings(os.environ),
    )


def journal_store_from_settings() -> TableEventStore:
    """The journal of the table in settings, for the retention timer (no request dependencies)."""
    from scim.storage.events import TableEventStore
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    return TableEventStore(TableResourceRepository(table_client_from_settings()))


def event_relay_from_settings() -> EventRelay | None:
    """The event push relay (the timer's, every minute): registrations and journal in the table of the
    settings, SETs built by the served events service and signed with the tenants' event reader
    credentials, sent to the queue account of the settings (``scim.storage.queues``). None when
    events are not served."""
    from scim.service.event_push import EventRelay
    from scim.storage.event_push import TablePushStore
    from scim.storage.queues import queue_sender_from_settings
    from scim.storage.resources import TableResourceRepository
    from scim.storage.tables import table_client_from_settings

    served = current()
    if served.events is None:
        return None
    tokens = served.tokens
    return EventRelay(
        TablePushStore(TableResourceRepository(table_client_from_settings())),
        queue_sender_from_settings(),
        served.events,
        lambda tenant: tokens.credentials_for(tenant).event_reader,
    )


def extension_catalog(repository: SchemaRepository, environ: Mapping[str, str]) -> ExtensionCatalog:
    """Extension schemas from ``SCIM_SCHEMA_DIR`` (default: ``schemas/`` beside function_app.py, read at
    first use) and the tenants' own, re-read every ``SCIM_SCHEMA_CACHE_SECONDS`` (default 60)."""
    from scim.service.extension_catalog import DEFAULT_STALENESS_SECONDS, ExtensionCatalog, load_deployment_schemas

    folder = Path(environ.get("SCIM_SCHEMA_DIR") or DEFAULT_SCHEMA_DIR)
    staleness = float(environ.get("SCIM_SCHEMA_CACHE_SECONDS") or DEFAULT_STALENESS_SECONDS)
    return ExtensionCatalog(repository, lambda: load_deployment_schemas(folder), staleness_seconds=staleness)
