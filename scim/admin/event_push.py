"""``python -m scim.admin event-push <tenant> <queue> | --off``: push a tenant's change events to an
Azure Storage queue, or stop (docs/events.md).

The registration is a row ``push:<tenant>`` in the function app's table (partition ``_service``),
from the same storage settings as ``activity``; the relay (the ``event_push`` timer, every minute)
sends the tenant's SETs from the moment of registration on, signed with its event reader
credential, which must exist (``create-event-reader``). Registering a registered tenant again
changes its queue and keeps its place in the journal. A deployment-wide queue is the same queue
name given for each tenant (every SET names its tenant in ``iss``).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from scim.admin.stores import AdminError, TenantStore
from scim.service.event_push import is_queue_name
from scim.service.journal import key_time
from scim.service.ports import StorageUnavailable

if TYPE_CHECKING:
    from scim.storage.event_push import TablePushStore


def add_command(commands: Any, tenant: Callable[[str], str]) -> None:
    """The ``event-push`` command, on the admin parser's subparsers."""
    push = commands.add_parser("event-push", help="push a tenant's change events to an Azure Storage queue, or stop")
    push.add_argument("tenant", type=tenant)
    target = push.add_mutually_exclusive_group(required=True)
    target.add_argument("queue", nargs="?", help="the queue (3 to 63 of a-z, 0-9 and single -); created if absent")
    target.add_argument("--off", action="store_true", help="stop pushing the tenant's events")
    push.set_defaults(command=_event_push, table_client=None)


def _event_push(args: argparse.Namespace, store: TenantStore) -> None:
    from scim.storage.event_push import TablePushStore
    from scim.storage.resources import TableResourceRepository

    registrations = TablePushStore(TableResourceRepository(_table(args)))
    try:
        if args.off:
            _stop(args.tenant, registrations)
        else:
            _start(args, store, registrations)
    except StorageUnavailable:
        raise AdminError("Table Storage could not be reached; check the storage settings") from None


def _start(args: argparse.Namespace, store: TenantStore, registrations: TablePushStore) -> None:
    if not is_queue_name(args.queue):
        raise AdminError(f"{args.queue!r} is no queue name: 3 to 63 of a-z, 0-9 and single hyphens")
    credentials = store.read(args.tenant)
    if credentials is None:
        raise AdminError(f"no tenant {args.tenant} in {store.description}")
    if not credentials.event_reader:
        raise AdminError(
            f"tenant {args.tenant} has no event reader credential to sign its events with;"
            f" run create-event-reader {args.tenant} first"
        )
    tenant_url = f"{args.base_url.rstrip('/')}/scim/{args.tenant}/v2"
    new = registrations.register(args.tenant, args.queue, tenant_url, key_time(datetime.now(UTC)))
    print(f"Queue:  {args.queue}")
    print(f"Issuer: {tenant_url}")
    if new:
        _note(f"Tenant {args.tenant}'s changes from now on are pushed to queue {args.queue}, each SET")
        _note("about two minutes after its change (SCIM_EVENTS_SETTLE_SECONDS, then the next minute's run).")
    else:
        _note(f"Tenant {args.tenant}'s changes go to queue {args.queue} from the next run, from where they left off.")


def _stop(tenant: str, registrations: TablePushStore) -> None:
    if registrations.unregister(tenant):
        _note(f"Tenant {tenant}'s changes are no longer pushed; its queue and the messages in it stay.")
    else:
        _note(f"Tenant {tenant}'s changes were not pushed.")


def _table(args: argparse.Namespace) -> Any:
    """The function app's table, from the storage settings of the environment or local.settings.json."""
    if args.table_client:
        return args.table_client()
    from scim.admin.cli import _settings_for_storage  # the settings activity reads
    from scim.storage.tables import table_client_from_settings

    for name, value in _settings_for_storage(Path(args.settings_file)).items():
        os.environ.setdefault(name, value)
    return table_client_from_settings()


def _note(text: str) -> None:
    print(text, file=sys.stderr)
