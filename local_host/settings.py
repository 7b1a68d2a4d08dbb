"""The settings files the Functions host reads: local.settings.json ``Values`` and host.json."""

from __future__ import annotations

import json
import os
from collections.abc import MutableMapping
from pathlib import Path

from scim.platform.local_settings import UnreadableSettings, settings_values

DEFAULT_ROUTE_PREFIX = "api"


def load_local_settings(path: Path, environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Copy ``Values`` of a local.settings.json into ``environ``, as ``func start`` does.

    A variable already set in ``environ`` is kept (the environment wins). Non-string values are
    stored as their JSON text. A missing file changes nothing. Returns the variables it set.
    """
    try:
        values = settings_values(path)
    except UnreadableSettings as problem:
        raise SystemExit(f"the local host cannot read its settings: {problem}") from None
    applied = {name: value for name, value in values.items() if name not in environ}
    environ.update(applied)
    return applied


def read_route_prefix(path: Path) -> str:
    """``extensions.http.routePrefix`` of host.json; "api" when the file or the setting is absent."""
    if not path.is_file():
        return DEFAULT_ROUTE_PREFIX
    host = json.loads(path.read_text(encoding="utf-8"))
    prefix: str = host.get("extensions", {}).get("http", {}).get("routePrefix", DEFAULT_ROUTE_PREFIX)
    return prefix.strip("/")
