"""One tenant's credentials, and how they are written down.

A tenant has one record: in Key Vault the secret named ``scim-tenant-<tenant>``, locally the
tenant's value in the ``SCIM_TOKENS`` setting. Its JSON form, every key optional::

    {"current": "<token>", "next": "<token>", "entraTenantId": "<guid>", "eventReader": "<token>"}

- ``current``: the Secret Token Entra sends.
- ``next``: only while a token is being rotated; accepted as well as ``current``.
- ``entraTenantId``: the tenant accepts JWTs that this Microsoft Entra tenant issues (what Entra
  sends when the Secret Token field is left blank).
- ``eventReader``: the credential of the application reading the tenant's events at ``/Events``
  (docs/events.md); it is accepted there only, and provisioning credentials are not accepted there.
- ``{}``: a revoked tenant; nothing is accepted.

``SCIM_TOKENS`` also accepts the short forms ``"<token>"`` and ``["<current>", "<next>"]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

TENANT_SLUG = re.compile(r"[a-z0-9-]{1,63}")
SECRET_NAME_PREFIX = "scim-tenant-"
_ENTRA_TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KEYS = {"current", "next", "entraTenantId", "eventReader"}


class InvalidRecord(ValueError):
    """A tenant record that does not follow the format; it never names a token value."""


@dataclass(frozen=True)
class TenantCredentials:
    """What one tenant accepts: secret tokens and, optionally, JWTs of one Entra tenant."""

    current: str | None = None
    next: str | None = None
    entra_tenant_id: str | None = None
    event_reader: str | None = None

    @property
    def tokens(self) -> tuple[str, ...]:
        """The secret tokens accepted now: the current one and, while rotating, the next one."""
        return tuple(token for token in (self.current, self.next) if token)

    @property
    def state(self) -> str:
        """A summary that never shows a token: revoked, token, rotating, entra, or a mix."""
        parts = ["rotating" if self.next else "token"] if self.current else []
        if self.entra_tenant_id:
            parts.append("entra")
        if self.event_reader:
            parts.append("events")
        return "+".join(parts) or "revoked"

    def to_json(self) -> dict[str, str]:
        """The record's JSON object (Key Vault's secret value)."""
        record = {
            "current": self.current,
            "next": self.next,
            "entraTenantId": self.entra_tenant_id,
            "eventReader": self.event_reader,
        }
        return {key: value for key, value in record.items() if value}

    def to_setting_value(self) -> str | dict[str, str]:
        """The shortest form for ``SCIM_TOKENS``: the bare token when that is all there is."""
        record = self.to_json()
        return record["current"] if record.keys() == {"current"} else record

    @classmethod
    def from_json(cls, value: Any) -> TenantCredentials:
        """Parse any of the record's forms; raise InvalidRecord for anything else."""
        if isinstance(value, str):
            value = {"current": value}
        elif isinstance(value, list):
            if not 1 <= len(value) <= 2:
                raise InvalidRecord("a list of tokens holds the current token and at most one next token")
            value = dict(zip(("current", "next"), value, strict=False))
        if not isinstance(value, dict):
            raise InvalidRecord("a tenant record is a JSON object, a token or a list of tokens")
        if unknown := set(value) - _KEYS:
            raise InvalidRecord(f"unknown keys in a tenant record: {sorted(unknown)}")
        for key in ("current", "next", "eventReader"):
            if key in value and not (isinstance(value[key], str) and value[key]):
                raise InvalidRecord(f"{key} must be a non-empty string")
        if "next" in value and "current" not in value:
            raise InvalidRecord("a next token needs a current token")
        entra = value.get("entraTenantId")
        if entra is not None:
            entra = str(entra).lower()
            if not _ENTRA_TENANT_ID.fullmatch(entra):
                raise InvalidRecord("entraTenantId must be a GUID")
        return cls(value.get("current"), value.get("next"), entra, value.get("eventReader"))


NO_CREDENTIALS = TenantCredentials()


def is_tenant_slug(text: str) -> bool:
    """A tenant slug is 1 to 63 characters of a-z, 0-9 and '-'."""
    return TENANT_SLUG.fullmatch(text) is not None


def secret_name(tenant: str) -> str:
    """The Key Vault secret holding ``tenant``'s record (a slug always makes a valid name)."""
    if not is_tenant_slug(tenant):
        raise ValueError("not a tenant slug")
    return SECRET_NAME_PREFIX + tenant


def tenant_of_secret(name: str) -> str | None:
    """The tenant whose record a secret holds; None for a secret that is not a tenant record."""
    tenant = name.removeprefix(SECRET_NAME_PREFIX)
    return tenant if name.startswith(SECRET_NAME_PREFIX) and is_tenant_slug(tenant) else None
