"""One tenant's credentials, and how they are written down.

A tenant has one record: in Key Vault the secret named ``scim-tenant-<tenant>``, locally the
tenant's value in the ``SCIM_TOKENS`` setting. Its JSON form, every key optional::

    {"current": "<token>", "next": "<token>", "entraTenantId": "<guid>",
     "oauthClients": {"<client id>": [{"id": "<secret id>", "salt": "<b64>", "sha256": "<b64>",
                                       "expires": <epoch seconds>}]},
     "federation": {"clientId": "<client id>", "entraTenantId": "<guid>", "audience": "<aud>",
                    "subject": "<sub>"},
     "tokenLifetimeSeconds": 3600, "eventReader": "<token>", "eventForm": "full", "auditValues": true}

- ``current``: the Secret Token Entra sends.
- ``next``: only while a token is being rotated; accepted as well as ``current``.
- ``entraTenantId``: the tenant accepts JWTs that this Microsoft Entra tenant issues (what Entra
  sends when the Secret Token field is left blank).
- ``oauthClients``: OAuth 2.0 clients (RFC 6749 section 4.4) by client id, each with its client
  secrets, stored as salted SHA-256 digests only (``scim.auth.client_secrets``); two while a
  secret is being rotated.
- ``federation``: workload identity federation (RFC 7523): the client id Entra sends and the
  Entra tenant, audience and (optionally) subject its assertions must carry.
- ``tokenLifetimeSeconds``: lifetime of the access tokens the token endpoint issues, 3600 to 21600.
- ``eventReader``: the credential of the application reading the tenant's events at ``/Events``
  (docs/events.md); it is accepted there only, and provisioning credentials are not accepted there.
- ``eventForm``: ``"full"`` makes the tenant's change events RFC 9967 full events, carrying the
  values a change wrote (absent or ``"notice"``: notice events, names only).
- ``auditValues``: ``true`` lets the activity trail (``python -m scim.admin activity``, the audit
  log line) show the values a change wrote (absent or ``false``: attribute names only).
- ``{}``: a revoked tenant; nothing is accepted.

``SCIM_TOKENS`` also accepts the short forms ``"<token>"`` and ``["<current>", "<next>"]``.

A Secret Token is at least ``MIN_TOKEN_LENGTH`` characters of RFC 6750's b64token syntax (what a
``Bearer`` header can carry) and no placeholder (``<generated-on-first-run>``, ``changeme``):
a record breaking this is invalid, so the tenant accepts nothing and the reason is logged.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

TENANT_SLUG = re.compile(r"[a-z0-9-]{1,63}")
SECRET_NAME_PREFIX = "scim-tenant-"
_ENTRA_TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_KEYS = {
    "current",
    "next",
    "entraTenantId",
    "oauthClients",
    "federation",
    "tokenLifetimeSeconds",
    "eventReader",
    "eventForm",
    "auditValues",
}
# RFC 9967 section 2.4: a provisioning event is a notice (attribute names) or full (the data).
EVENT_FORMS = ("notice", "full")
_CLIENT_ID = re.compile(r"[A-Za-z0-9._~-]{1,128}")
# The range Microsoft's gallery requirements ask of access tokens (AzureAD/SCIMReferenceCode,
# Entra-AppGallery-AI-Validation-Checklist.md, 2.2.6): 60 minutes to 6 hours.
MIN_TOKEN_LIFETIME_SECONDS = 3600
MAX_TOKEN_LIFETIME_SECONDS = 6 * 3600
DEFAULT_TOKEN_LIFETIME_SECONDS = 3600
# The admin command line makes 43 characters (256 bits); 16 is the least a guessed secret can be.
MIN_TOKEN_LENGTH = 16
# RFC 6750 section 2.1: b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
BEARER_TOKEN_SYNTAX = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_PLACEHOLDER = re.compile(r"^<.*>$|changeme|change-me|placeholder|your[-_]?(secret|token)", re.IGNORECASE)
# Compared against in place of a token a tenant does not have: every check does the same work.
_NO_TOKEN_DIGESTS = (hashlib.sha256(b"no current token").digest(), hashlib.sha256(b"no next token").digest())


class InvalidRecord(ValueError):
    """A tenant record that does not follow the format; it never names a token value."""


@dataclass(frozen=True)
class ClientSecret:
    """One client secret, as stored: a salted SHA-256 digest, never the secret itself."""

    id: str
    salt: str  # base64
    sha256: str  # base64 of sha256(salt + secret)
    expires: int  # epoch seconds

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "salt": self.salt, "sha256": self.sha256, "expires": self.expires}


@dataclass(frozen=True)
class Federation:
    """Workload identity federation: who may present an Entra-issued assertion, and what it must say."""

    client_id: str
    entra_tenant_id: str
    audience: str
    subject: str | None = None

    def to_json(self) -> dict[str, str]:
        record = {
            "clientId": self.client_id,
            "entraTenantId": self.entra_tenant_id,
            "audience": self.audience,
            "subject": self.subject,
        }
        return {key: value for key, value in record.items() if value}


@dataclass(frozen=True)
class TenantCredentials:
    """What one tenant accepts: secret tokens, JWTs of one Entra tenant, OAuth clients, federation."""

    current: str | None = None
    next: str | None = None
    entra_tenant_id: str | None = None
    oauth_clients: tuple[tuple[str, tuple[ClientSecret, ...]], ...] = ()
    federation: Federation | None = None
    token_lifetime_seconds: int = DEFAULT_TOKEN_LIFETIME_SECONDS
    event_reader: str | None = None
    event_form: str = "notice"  # of the tenant's change events: "notice" or "full" (EVENT_FORMS)
    audit_values: bool = False  # the activity trail shows the values a change wrote
    # SHA-256 of (current, next), a fixed digest for either that is absent: hashed once per record.
    digests: tuple[bytes, bytes] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        digests = tuple(
            hashlib.sha256(token.encode("utf-8")).digest() if token else absent
            for token, absent in zip((self.current, self.next), _NO_TOKEN_DIGESTS, strict=True)
        )
        object.__setattr__(self, "digests", digests)

    def client_secrets(self, client_id: str) -> tuple[ClientSecret, ...] | None:
        """The secrets of an OAuth client; None when the tenant has no such client."""
        for known, secrets in self.oauth_clients:
            if known == client_id:
                return secrets
        return None

    def with_client(self, client_id: str, secrets: tuple[ClientSecret, ...] | None) -> TenantCredentials:
        """A copy with the client's secrets replaced (None: the client removed)."""
        clients = [(known, kept) for known, kept in self.oauth_clients if known != client_id]
        if secrets is not None:
            clients.append((client_id, secrets))
        return replace(self, oauth_clients=tuple(sorted(clients)))

    def has_client(self, client_id: str) -> bool:
        """Whether access tokens of ``client_id`` are still honoured (an OAuth or federated client)."""
        federated = self.federation is not None and self.federation.client_id == client_id
        return federated or self.client_secrets(client_id) is not None

    @property
    def methods(self) -> tuple[str, ...]:
        """What the tenant accepts: ``bearer`` (Secret Tokens), ``entra``, ``oauth``, ``federation``."""
        accepted = {
            "bearer": bool(self.current),
            "entra": bool(self.entra_tenant_id),
            "oauth": bool(self.oauth_clients),
            "federation": self.federation is not None,
        }
        return tuple(method for method, on in accepted.items() if on)

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
        if self.event_form == "full":
            parts.append("full-events")
        if self.audit_values:
            parts.append("audit-values")
        if self.oauth_clients:
            rotating = any(len(secrets) > 1 for _, secrets in self.oauth_clients)
            parts.append(f"oauth({len(self.oauth_clients)}{' rotating' if rotating else ''})")
        if self.federation is not None:
            parts.append("federation")
        return "+".join(parts) or "revoked"

    def to_json(self) -> dict[str, Any]:
        """The record's JSON object (Key Vault's secret value)."""
        record: dict[str, Any] = {"current": self.current, "next": self.next, "entraTenantId": self.entra_tenant_id}
        if self.oauth_clients:
            record["oauthClients"] = {
                client: [secret.to_json() for secret in secrets] for client, secrets in self.oauth_clients
            }
        if self.federation is not None:
            record["federation"] = self.federation.to_json()
        if self.token_lifetime_seconds != DEFAULT_TOKEN_LIFETIME_SECONDS:
            record["tokenLifetimeSeconds"] = self.token_lifetime_seconds
        if self.event_reader:
            record["eventReader"] = self.event_reader
        if self.event_form != "notice":
            record["eventForm"] = self.event_form
        if self.audit_values:
            record["auditValues"] = True
        return {key: value for key, value in record.items() if value}

    def to_setting_value(self) -> str | dict[str, Any]:
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
            if key in value:
                _check_token(key, value[key])
        if "next" in value and "current" not in value:
            raise InvalidRecord("a next token needs a current token")
        entra = value.get("entraTenantId")
        if entra is not None:
            entra = _entra_tenant_id(entra, "entraTenantId")
        lifetime = value.get("tokenLifetimeSeconds", DEFAULT_TOKEN_LIFETIME_SECONDS)
        if not (isinstance(lifetime, int) and MIN_TOKEN_LIFETIME_SECONDS <= lifetime <= MAX_TOKEN_LIFETIME_SECONDS):
            raise InvalidRecord(
                f"tokenLifetimeSeconds must be from {MIN_TOKEN_LIFETIME_SECONDS} to {MAX_TOKEN_LIFETIME_SECONDS}"
            )
        event_form = value.get("eventForm", "notice")
        if event_form not in EVENT_FORMS:
            raise InvalidRecord(f"eventForm must be one of {list(EVENT_FORMS)}")
        audit_values = value.get("auditValues", False)
        if not isinstance(audit_values, bool):
            raise InvalidRecord("auditValues must be true or false")
        return cls(
            value.get("current"),
            value.get("next"),
            entra,
            _oauth_clients(value.get("oauthClients", {})),
            _federation(value.get("federation")),
            lifetime,
            value.get("eventReader"),
            event_form,
            audit_values,
        )


def _entra_tenant_id(value: Any, key: str) -> str:
    text = str(value).lower()
    if not _ENTRA_TENANT_ID.fullmatch(text):
        raise InvalidRecord(f"{key} must be a GUID")
    return text


def is_client_id(text: str) -> bool:
    """A client id is 1 to 128 URL-safe characters (so it needs no encoding in a form or Basic header)."""
    return _CLIENT_ID.fullmatch(text) is not None


def _oauth_clients(value: Any) -> tuple[tuple[str, tuple[ClientSecret, ...]], ...]:
    if not isinstance(value, dict):
        raise InvalidRecord("oauthClients is an object of client id to a list of secrets")
    clients = []
    for client_id, secrets in value.items():
        if not is_client_id(client_id):
            raise InvalidRecord("an OAuth client id is 1 to 128 characters of A-Z, a-z, 0-9 and ._~-")
        if not isinstance(secrets, list):
            raise InvalidRecord(f"the secrets of OAuth client {client_id} are a list")
        clients.append((client_id, tuple(_client_secret(client_id, secret) for secret in secrets)))
    return tuple(sorted(clients))


def _client_secret(client_id: str, value: Any) -> ClientSecret:
    fields = {"id": str, "salt": str, "sha256": str, "expires": int}
    if not isinstance(value, dict) or set(value) != set(fields):
        raise InvalidRecord(f"a secret of OAuth client {client_id} has exactly the keys {sorted(fields)}")
    for key, kind in fields.items():
        if not isinstance(value[key], kind):
            raise InvalidRecord(f"{key} of a secret of OAuth client {client_id} must be a {kind.__name__}")
    return ClientSecret(value["id"], value["salt"], value["sha256"], value["expires"])


def _federation(value: Any) -> Federation | None:
    if value is None:
        return None
    keys = {"clientId", "entraTenantId", "audience", "subject"}
    if not isinstance(value, dict) or not {"clientId", "entraTenantId", "audience"} <= set(value) <= keys:
        raise InvalidRecord("federation has clientId, entraTenantId, audience and optionally subject")
    if not all(isinstance(value[key], str) and value[key] for key in value):
        raise InvalidRecord("federation's values are non-empty strings")
    if not is_client_id(value["clientId"]):
        raise InvalidRecord("federation's clientId is 1 to 128 characters of A-Z, a-z, 0-9 and ._~-")
    entra = _entra_tenant_id(value["entraTenantId"], "federation.entraTenantId")
    return Federation(value["clientId"], entra, value["audience"], value.get("subject"))


NO_CREDENTIALS = TenantCredentials()


def _check_token(key: str, token: Any) -> None:
    if not (isinstance(token, str) and token):
        raise InvalidRecord(f"{key} must be a non-empty string")
    if _PLACEHOLDER.search(token):
        raise InvalidRecord(f"{key} is a placeholder, not a token: make one with python -m scim.admin")
    if not BEARER_TOKEN_SYNTAX.fullmatch(token):
        raise InvalidRecord(f"{key} holds characters a Bearer header cannot carry (RFC 6750 b64token)")
    if len(token) < MIN_TOKEN_LENGTH:
        raise InvalidRecord(f"{key} is too short to be a secret: at least {MIN_TOKEN_LENGTH} characters")


def parse_record_text(text: str) -> Any:
    """The JSON of a record as stored; InvalidRecord for text that is not JSON or nests too deep."""
    try:
        return json.loads(text)
    except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
        raise InvalidRecord("a tenant record must be JSON") from None


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
