"""``python -m scim.admin event-settings <tenant> [--form notice|full] [--audit-values on|off]``.

Both settings live in the tenant's record (``scim.auth.records``: ``eventForm``, ``auditValues``),
beside its tokens, so instances read them with the record they read anyway (no storage request)
and apply a change within ``SCIM_TOKEN_CACHE_SECONDS``. They take effect for changes made after
that: a change is journaled with the values, or without them, as the tenant's settings were when
it was made (docs/events.md).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from scim.admin.stores import AdminError, TenantStore
from scim.auth.records import EVENT_FORMS

SWITCH = {"on": True, "off": False}


def add_command(commands: Any, tenant: Callable[[str], str]) -> None:
    settings = commands.add_parser(
        "event-settings", help="a tenant's change events (notice or full) and activity values (docs/events.md)"
    )
    settings.add_argument("tenant", type=tenant)
    settings.add_argument("--form", choices=EVENT_FORMS, help="notice: attribute names only; full: the values too")
    settings.add_argument(
        "--audit-values", choices=sorted(SWITCH), help="on: the activity trail and audit log show values"
    )
    settings.set_defaults(command=event_settings)


def event_settings(args: argparse.Namespace, store: TenantStore) -> None:
    """Change what is given (a setting left out keeps its value) and print both settings."""
    credentials = store.read(args.tenant)
    if credentials is None:
        raise AdminError(f"no tenant {args.tenant} in {store.description}")
    changed = replace(
        credentials,
        event_form=args.form or credentials.event_form,
        audit_values=SWITCH[args.audit_values] if args.audit_values else credentials.audit_values,
    )
    if changed != credentials:
        store.write(args.tenant, changed)
        print(f"Changes from now on are journaled accordingly. {store.applies}", file=sys.stderr)
    audit = "on" if changed.audit_values else "off"
    print(f"{args.tenant}\tevent form: {changed.event_form}\taudit values: {audit}")
