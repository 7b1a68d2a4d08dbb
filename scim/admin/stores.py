"""Where the admin command line keeps tenant records: Key Vault, or local.settings.json.

Both hold the records that the token sources read (format in ``scim.auth.records``): Key Vault one
secret per tenant, local.settings.json the ``SCIM_TOKENS`` value in ``Values``.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Protocol

from scim.auth.records import InvalidRecord, TenantCredentials, secret_name, tenant_of_secret
from scim.auth.signing_keys import SETTING as SIGNING_KEYS_SETTING
from scim.auth.signing_keys import SIGNING_KEY_SECRET, key_from_json, key_to_json, new_key, retained
from scim.platform.local_settings import UnreadableSettings, read_settings, values_of

STATE_TAG = "scim-state"


class AdminError(Exception):
    """A command that cannot be carried out; its message is shown to the administrator."""


class TenantStore(Protocol):
    """Records by tenant, read and written by the admin commands."""

    description: str
    applies: str  # when running endpoints see a change

    def read(self, tenant: str) -> TenantCredentials | None:
        """The tenant's record; None when the tenant was never created."""

    def write(self, tenant: str, credentials: TenantCredentials) -> None:
        """Store the tenant's record, replacing any."""

    def states(self) -> dict[str, str]:
        """Every tenant's state (``TenantCredentials.state``), never a token."""

    def add_signing_key(self, *, only_if_none: bool) -> bool:
        """Add a new access-token signing key (``scim.auth.signing_keys``); with ``only_if_none``, only
        when there is none yet. True when a key was added."""


class KeyVaultStore:
    """Records in Key Vault secrets named ``scim-tenant-<tenant>``, through a ``SecretClient``."""

    applies = (
        "Running endpoints see a new token within SCIM_TOKEN_MISS_SECONDS (30 s by default) and stop"
        " accepting a removed one within SCIM_TOKEN_CACHE_SECONDS (300 s by default)."
    )

    def __init__(self, client: Any):
        self._client = client
        self.description = f"Key Vault {client.vault_url}"

    def read(self, tenant: str) -> TenantCredentials | None:
        from azure.core.exceptions import ResourceNotFoundError

        with self._failures_reported():
            try:
                secret = self._client.get_secret(secret_name(tenant))
            except ResourceNotFoundError:
                return None
        return _record(tenant, lambda: json.loads(secret.value or ""))

    def write(self, tenant: str, credentials: TenantCredentials) -> None:
        # Each write is a new version of the secret; its tag lets `list` show states without values.
        with self._failures_reported():
            self._client.set_secret(
                secret_name(tenant),
                json.dumps(credentials.to_json()),
                content_type="application/json",
                tags={STATE_TAG: credentials.state},
            )

    def states(self) -> dict[str, str]:
        with self._failures_reported():
            secrets = list(self._client.list_properties_of_secrets())
        states = {}
        for properties in secrets:
            tenant = tenant_of_secret(properties.name or "")
            if tenant is None:
                continue
            state = (properties.tags or {}).get(STATE_TAG)
            if state is None:  # written by another tool: read the record itself
                record = self.read(tenant)
                state = record.state if record else "absent"
            states[tenant] = state
        return dict(sorted(states.items()))

    def add_signing_key(self, *, only_if_none: bool) -> bool:
        # Made here when there is none, with the administrator's write permission, so that the
        # function app's identity can stay a Secrets User (it creates the first key only if none exists).
        from azure.core.exceptions import ResourceNotFoundError

        with self._failures_reported():
            if only_if_none:
                try:
                    self._client.get_secret(SIGNING_KEY_SECRET)
                    return False
                except ResourceNotFoundError:
                    pass
            self._client.set_secret(
                SIGNING_KEY_SECRET, json.dumps(key_to_json(new_key())), content_type="application/json"
            )
        return True

    @contextmanager
    def _failures_reported(self) -> Iterator[None]:
        from azure.core.exceptions import AzureError

        try:
            yield
        except AzureError as problem:
            first_line = (str(problem).strip().splitlines() or [type(problem).__name__])[0]
            raise AdminError(f"{self.description}: {first_line}") from None


class LocalSettingsStore:
    """Records in ``SCIM_TOKENS`` of a local.settings.json, as the local host and ``func start`` read it."""

    applies = "Restart the local host (./scripts/run or func start) to apply it."

    def __init__(self, path: Path):
        self._path = path
        self.description = f"{path} (SCIM_TOKENS)"

    def read(self, tenant: str) -> TenantCredentials | None:
        value = self._tokens().get(tenant)
        return None if value is None else _record(tenant, lambda: value)

    def write(self, tenant: str, credentials: TenantCredentials) -> None:
        settings = self._settings()
        tokens = self._tokens(settings)
        tokens[tenant] = credentials.to_setting_value()
        settings.setdefault("Values", {})["SCIM_TOKENS"] = json.dumps(tokens)
        self._save(settings)

    def add_signing_key(self, *, only_if_none: bool) -> bool:
        settings = self._settings()
        values = settings.setdefault("Values", {})
        try:
            keys = [key_from_json(value) for value in json.loads(values.get(SIGNING_KEYS_SETTING) or "[]")]
        except (ValueError, TypeError):
            raise AdminError(f"{SIGNING_KEYS_SETTING} in {self._path} is not a list of signing keys") from None
        if keys and only_if_none:
            return False
        ring = retained([*keys, new_key()], time.time())
        values[SIGNING_KEYS_SETTING] = json.dumps([key_to_json(key) for key in ring.keys])
        self._save(settings)
        return True

    def _save(self, settings: dict[str, Any]) -> None:
        # Written whole to a private file first, then renamed over: never half-written, never world-readable.
        descriptor, temporary = tempfile.mkstemp(dir=self._path.parent, prefix=".local.settings.")
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as file:
                json.dump(settings, file, indent=2)
                file.write("\n")
            os.replace(temporary, self._path)
        except BaseException:
            os.unlink(temporary)
            raise

    def states(self) -> dict[str, str]:
        states = {}
        for tenant, value in sorted(self._tokens().items()):
            try:
                states[tenant] = TenantCredentials.from_json(value).state
            except InvalidRecord:
                states[tenant] = "invalid"
        return states

    def _settings(self) -> dict[str, Any]:
        try:
            return read_settings(self._path)
        except FileNotFoundError:
            raise AdminError(f"{self._path} does not exist: run ./scripts/run once, or pass --settings-file") from None
        except UnreadableSettings as problem:
            raise AdminError(str(problem)) from None

    def _tokens(self, settings: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            tokens = json.loads(values_of(settings or self._settings()).get("SCIM_TOKENS") or "{}")
        except (json.JSONDecodeError, UnreadableSettings):
            tokens = None
        if not isinstance(tokens, dict):
            raise AdminError(f"SCIM_TOKENS in {self._path} is not a JSON object of tenant to token")
        return tokens


def _record(tenant: str, value: Callable[[], Any]) -> TenantCredentials:
    try:
        return TenantCredentials.from_json(value())
    except (json.JSONDecodeError, InvalidRecord) as problem:
        raise AdminError(f"the record of tenant {tenant} is invalid: {problem}") from None
