"""Tenants' credentials from Azure Key Vault: one secret per tenant, cached per tenant.

The secret of tenant ``<slug>`` is named ``scim-tenant-<slug>`` and holds the tenant's record as
JSON (``scim.auth.records``). The function app reads it with its managed identity; it needs only
permission to get secrets. Imported only when ``SCIM_KEY_VAULT_URL`` is set.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Mapping
from typing import Any

from azure.core.exceptions import AzureError, HttpResponseError, ResourceNotFoundError

from scim.auth.cache import RecordUnavailable, StoreUnavailable, TenantCache
from scim.auth.records import (
    NO_CREDENTIALS,
    InvalidRecord,
    TenantCredentials,
    is_tenant_slug,
    parse_record_text,
    secret_name,
)
from scim.platform.credentials import azure_credential

logger = logging.getLogger(__name__)

# A request waits for Key Vault at most a few seconds: the cache, not the SDK, rides out outages.
SDK_OPTIONS = {"retry_total": 2, "retry_backoff_factor": 0.2, "connection_timeout": 3, "read_timeout": 5}

# Setting name -> default, in seconds.
CACHE_SETTINGS = {
    "SCIM_TOKEN_CACHE_SECONDS": 300,
    "SCIM_TOKEN_MISS_SECONDS": 30,
    "SCIM_TOKEN_GRACE_SECONDS": 3600,
}


class KeyVaultTokenSource:
    """A ``TokenSource`` over a ``SecretClient`` (anything with ``get_secret(name)``), cached per tenant."""

    def __init__(
        self,
        client: Any,
        *,
        cache_seconds: float = CACHE_SETTINGS["SCIM_TOKEN_CACHE_SECONDS"],
        miss_seconds: float = CACHE_SETTINGS["SCIM_TOKEN_MISS_SECONDS"],
        grace_seconds: float = CACHE_SETTINGS["SCIM_TOKEN_GRACE_SECONDS"],
        clock: Callable[[], float] = time.monotonic,
    ):
        self._client = client
        self._cache = TenantCache(
            self._read, ttl=cache_seconds, miss_interval=miss_seconds, grace=grace_seconds, clock=clock
        )

    def credentials_for(self, tenant: str) -> TenantCredentials:
        if not is_tenant_slug(tenant):
            return NO_CREDENTIALS
        return self._cache.get(tenant)

    def recheck(self, tenant: str) -> TenantCredentials | None:
        return self._cache.recheck(tenant) if is_tenant_slug(tenant) else None

    def _read(self, tenant: str) -> TenantCredentials:
        try:
            secret = self._client.get_secret(secret_name(tenant))
        except ResourceNotFoundError:
            return NO_CREDENTIALS
        except HttpResponseError as problem:
            if problem.status_code != 403:
                raise StoreUnavailable from problem
            if _is_disabled(problem):
                # An administrator's answer, not an outage: the tenant accepts nothing, at once.
                logger.warning("Key Vault secret %s is disabled; the tenant accepts nothing", secret_name(tenant))
                return NO_CREDENTIALS
            raise RecordUnavailable from problem  # forbidden for this secret: this tenant only
        except AzureError as problem:
            raise StoreUnavailable from problem
        try:
            return TenantCredentials.from_json(parse_record_text(secret.value or ""))
        except InvalidRecord as problem:
            # Fail closed; the message never quotes the secret's value.
            logger.error("Key Vault secret %s is not a valid tenant record: %s", secret.name, problem)
            return NO_CREDENTIALS


def _is_disabled(problem: HttpResponseError) -> bool:
    """Key Vault's 403 for a disabled secret: inner error code ``SecretDisabled``."""
    inner = problem.error.innererror if problem.error is not None else None
    return isinstance(inner, dict) and inner.get("code") == "SecretDisabled"


def key_vault_token_source_from_settings(environ: Mapping[str, str] = os.environ) -> KeyVaultTokenSource:
    """A source reading ``SCIM_KEY_VAULT_URL`` with the managed identity, cache periods from settings."""
    from azure.keyvault.secrets import SecretClient

    client = SecretClient(environ["SCIM_KEY_VAULT_URL"], azure_credential(), **SDK_OPTIONS)
    seconds = {name: seconds_setting(environ, name, default) for name, default in CACHE_SETTINGS.items()}
    return KeyVaultTokenSource(
        client,
        cache_seconds=seconds["SCIM_TOKEN_CACHE_SECONDS"],
        miss_seconds=seconds["SCIM_TOKEN_MISS_SECONDS"],
        grace_seconds=seconds["SCIM_TOKEN_GRACE_SECONDS"],
    )


def seconds_setting(environ: Mapping[str, str], name: str, default: float) -> float:
    """A non-negative number of seconds from a setting; a wrong value is an error, not a default."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1
    if not value >= 0:
        raise ValueError(f"setting {name} must be a number of seconds, not {text!r}")
    return value
