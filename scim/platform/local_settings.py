"""Reading ``local.settings.json``: the file whose ``Values`` ``func start`` (and the local host)
loads into the environment, and where the admin command line keeps ``SCIM_TOKENS`` locally.

Standard library only; imports nothing else of ``scim``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

FILE_NAME = "local.settings.json"


class UnreadableSettings(ValueError):
    """The file is not a JSON object with an object of ``Values``, or it is encrypted (only ``func`` decrypts)."""


def read_settings(path: Path) -> dict[str, Any]:
    """The whole document; raises ``FileNotFoundError`` when there is none, else ``UnreadableSettings``."""
    try:
        settings = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as problem:
        raise UnreadableSettings(f"{path} is not valid JSON: {problem}") from None
    if not isinstance(settings, dict):
        raise UnreadableSettings(f"{path} is not a JSON object")
    if settings.get("IsEncrypted"):
        raise UnreadableSettings(f"{path} is encrypted; only unencrypted settings are read")
    return settings


def values_of(settings: dict[str, Any]) -> dict[str, str]:
    """``Values`` of a settings document as environment variables: a value that is not a string
    becomes its JSON text (``true``, ``3``), as ``func start`` passes it."""
    values = settings.get("Values") or {}
    if not isinstance(values, dict):
        raise UnreadableSettings("Values of the local settings is not a JSON object")
    return {name: value if isinstance(value, str) else json.dumps(value) for name, value in values.items()}


def settings_values(path: Path) -> dict[str, str]:
    """``Values`` of the local.settings.json at ``path`` (see ``values_of``); none when there is no file."""
    try:
        return values_of(read_settings(path))
    except FileNotFoundError:
        return {}
