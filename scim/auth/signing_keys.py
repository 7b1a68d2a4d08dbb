"""The keys that sign this service's access tokens: a ring, newest first, shared by every instance.

Rules:
- Tokens are signed with the newest key and carry its ``kid``; any key of the ring verifies.
- A key stays in the ring until ``RETENTION_SECONDS`` after a newer key was made: longer than the
  longest token lifetime plus the time an instance may go on signing with it (its cache period),
  so a rotation invalidates no token before it expires.
- In Key Vault the ring is the versions of one secret (``SIGNING_KEY_SECRET``), one key per
  version. In Azure the deployment writes the first key (``scripts/deploy-steps
  ensure-signing-key``) and the operator adds the next ones (``rotate-signing-key``), so the app's
  identity only reads; an instance that finds no key writes one if it may, else answers 503.
  Key Vault has no compare-and-swap, so keys are never rewritten, only added: two instances
  writing the first key at once each add a version, both keys verify, and every instance signs
  with the newer one once it has read both. No write can lose another's key.
- Instances read the ring once per ``cache_seconds``; a token with an unknown ``kid`` (signed by an
  instance that saw a newer key first) re-reads it, at most once per ``REFRESH_COOLDOWN_SECONDS``.
- Locally the ring is the ``SCIM_OAUTH_SIGNING_KEYS`` setting, which the admin command line writes.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from scim.auth.records import MAX_TOKEN_LIFETIME_SECONDS

logger = logging.getLogger(__name__)

SIGNING_KEY_SECRET = "scim-oauth-signing-key"
SETTING = "SCIM_OAUTH_SIGNING_KEYS"
KEY_BYTES = 32  # HS256 with a 256-bit key (RFC 7518 section 3.2 asks for at least the hash size)
CACHE_SECONDS = 300
REFRESH_COOLDOWN_SECONDS = 30
LEEWAY_SECONDS = 60
RETENTION_SECONDS = MAX_TOKEN_LIFETIME_SECONDS + CACHE_SECONDS + 2 * LEEWAY_SECONDS


@dataclass(frozen=True)
class SigningKey:
    kid: str
    secret: bytes
    created: float  # epoch seconds


@dataclass(frozen=True)
class KeyRing:
    """Keys newest first."""

    keys: tuple[SigningKey, ...]

    @property
    def signing_key(self) -> SigningKey:
        return self.keys[0]

    def find(self, kid: str) -> SigningKey | None:
        return next((key for key in self.keys if key.kid == kid), None)


def new_key(now: float | None = None) -> SigningKey:
    return SigningKey(secrets.token_hex(8), secrets.token_bytes(KEY_BYTES), time.time() if now is None else now)


def retained(keys: list[SigningKey], now: float) -> KeyRing:
    """The ring: keys newest first, without those superseded more than ``RETENTION_SECONDS`` ago."""
    ordered = sorted(keys, key=lambda key: (key.created, key.kid), reverse=True)
    kept = ordered[:1] + [key for newer, key in itertools.pairwise(ordered) if now - newer.created < RETENTION_SECONDS]
    return KeyRing(tuple(kept))


def key_to_json(key: SigningKey) -> dict[str, Any]:
    return {"kid": key.kid, "k": base64.urlsafe_b64encode(key.secret).decode("ascii"), "created": int(key.created)}


def key_from_json(value: Any) -> SigningKey:
    if not isinstance(value, dict) or not {"kid", "k"} <= set(value):
        raise ValueError("a signing key is an object with kid and k")
    secret = base64.urlsafe_b64decode(str(value["k"]))
    if len(secret) < KEY_BYTES:
        raise ValueError("a signing key has at least 256 bits")
    return SigningKey(str(value["kid"]), secret, float(value.get("created", 0)))


class SigningKeySource(Protocol):
    def ring(self) -> KeyRing:
        """The current ring (cached), created on first use."""

    def refresh(self) -> KeyRing | None:
        """The ring read again after an unknown ``kid``; None when not due (cooldown) or not possible."""


class SettingsSigningKeys:
    """The ring from ``SCIM_OAUTH_SIGNING_KEYS`` (a JSON list of keys), read once.

    Without the setting the process makes a key of its own, kept in memory: enough for one local
    host, whose tokens then end with it; the admin command line writes the setting.
    """

    def __init__(self, environ: Mapping[str, str], clock: Callable[[], float] = time.time):
        text = environ.get(SETTING, "").strip()
        keys = [key_from_json(value) for value in json.loads(text)] if text else []
        if not keys:
            logger.warning("%s is not set: access tokens are signed with a key of this process only", SETTING)
            keys = [new_key(clock())]
        self._ring = retained(keys, clock())

    def ring(self) -> KeyRing:
        return self._ring

    def refresh(self) -> KeyRing | None:
        return None


class KeyVaultSigningKeys:
    """The ring from the versions of the Key Vault secret ``SIGNING_KEY_SECRET`` (through a SecretClient)."""

    def __init__(
        self,
        client: Any,
        *,
        cache_seconds: float = CACHE_SECONDS,
        clock: Callable[[], float] = time.time,
    ):
        self._client = client
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._ring: KeyRing | None = None
        self._read_at = float("-inf")

    def ring(self) -> KeyRing:
        with self._lock:
            if self._ring is None or self._clock() - self._read_at >= self._cache_seconds:
                self._load()
            assert self._ring is not None
            return self._ring

    def refresh(self) -> KeyRing | None:
        with self._lock:
            if self._clock() - self._read_at < REFRESH_COOLDOWN_SECONDS:
                return None
            self._load()
            return self._ring

    def _load(self) -> None:
        from azure.core.exceptions import AzureError

        from scim.errors import ServiceUnavailable

        try:
            keys = self._read_keys()
            if not keys:
                self._create_first_key()
                keys = self._read_keys()  # whatever every creator wrote: all instances converge on it
        except AzureError as problem:
            logger.warning("Signing keys cannot be read from Key Vault: %s", type(problem).__name__)
            if self._ring is None:
                raise ServiceUnavailable("the token signing keys are unavailable; retry later") from None
            self._read_at = self._clock() - self._cache_seconds + REFRESH_COOLDOWN_SECONDS
            return
        self._ring = retained(keys, self._clock())
        self._read_at = self._clock()

    def _create_first_key(self) -> None:
        from azure.core.exceptions import HttpResponseError

        try:
            self._client.set_secret(
                SIGNING_KEY_SECRET, json.dumps(key_to_json(new_key(self._clock()))), content_type="application/json"
            )
        except HttpResponseError as problem:
            if problem.status_code == 403:
                # In Azure the app is a Key Vault Secrets User (read only): the deployment makes the key.
                logger.error(
                    "Key Vault secret %s has no signing key and this app may not create one (403 Forbidden): "
                    "run the deployment's step `scripts/deploy-steps ensure-signing-key <vault>` (part of "
                    "scripts/deploy and azd's postprovision hook) or `python -m scim.admin rotate-signing-key`; "
                    "token requests are answered 503 until then",
                    SIGNING_KEY_SECRET,
                )
            raise

    def _read_keys(self) -> list[SigningKey]:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            versions = list(self._client.list_properties_of_secret_versions(SIGNING_KEY_SECRET))
        except ResourceNotFoundError:
            return []
        now = self._clock()
        enabled = sorted(
            (version for version in versions if version.enabled is not False and version.created_on is not None),
            key=lambda version: version.created_on,
            reverse=True,
        )
        keys = []
        for index, version in enumerate(enabled):
            # Only versions that may still verify a token are fetched: the newest, and those whose
            # successor is younger than the retention period.
            if index > 0 and now - enabled[index - 1].created_on.timestamp() >= RETENTION_SECONDS:
                break
            secret = self._client.get_secret(SIGNING_KEY_SECRET, version.version)
            try:
                key = key_from_json(json.loads(secret.value or ""))
            except ValueError:
                logger.error("A version of Key Vault secret %s is not a signing key; it is ignored", SIGNING_KEY_SECRET)
                continue
            keys.append(SigningKey(key.kid, key.secret, version.created_on.timestamp()))
        return keys


def signing_keys_from_settings(environ: Mapping[str, str]) -> SigningKeySource:
    """Key Vault when ``SCIM_KEY_VAULT_URL`` is set, else the ``SCIM_OAUTH_SIGNING_KEYS`` setting."""
    if environ.get("SCIM_KEY_VAULT_URL"):
        from azure.keyvault.secrets import SecretClient

        from scim.auth.keyvault import SDK_OPTIONS
        from scim.platform.credentials import azure_credential

        return KeyVaultSigningKeys(SecretClient(environ["SCIM_KEY_VAULT_URL"], azure_credential(), **SDK_OPTIONS))
    return SettingsSigningKeys(environ)
