"""A fake Key Vault behind an autospec'd SecretClient, a versioned one for signing keys, a clock tests
move by hand, and the check.

No credential is ever built: the fake client is handed to the code at the seam where a real
SecretClient would be.
"""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from types import SimpleNamespace
from unittest import mock

from azure.core.exceptions import HttpResponseError, ResourceNotFoundError
from azure.keyvault.secrets import KeyVaultSecret, SecretClient, SecretProperties

from scim.auth.signing_keys import SIGNING_KEY_SECRET
from scim.auth.tokens import TokenSource, authenticate
from scim.errors import Unauthorized

VAULT_URL = "https://scim-test.vault.azure.net"


def is_accepted(source: TokenSource, tenant: str, token: str, entra=None) -> bool:
    """Whether ``authenticate`` lets ``Bearer <token>`` in for ``tenant``."""
    try:
        authenticate(tenant, f"Bearer {token}", source, entra)
    except Unauthorized:
        return False
    return True


class FakeClock:
    """Monotonic seconds that move only when a test says so."""

    def __init__(self, now: float = 1_000.0):
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FakeVault:
    """Secrets by name; ``failure`` (an exception) makes every call fail, as an outage does."""

    def __init__(self) -> None:
        self.secrets: dict[str, KeyVaultSecret] = {}
        self.failure: Exception | None = None
        self.secret_failures: dict[str, Exception] = {}  # secret name -> what reading it raises
        self._versions = 0
        self.client = mock.create_autospec(SecretClient, instance=True)
        self.client.vault_url = VAULT_URL
        self.client.get_secret.side_effect = self._get
        self.client.set_secret.side_effect = self._set
        self.client.list_properties_of_secrets.side_effect = self._list

    def put_record(self, tenant: str, record: dict | str) -> None:
        """Store a tenant's record as the admin CLI would (a JSON object), or a raw string value."""
        value = record if isinstance(record, str) else json.dumps(record)
        self._set(f"scim-tenant-{tenant}", value)

    def record(self, tenant: str) -> dict:
        return json.loads(self.secrets[f"scim-tenant-{tenant}"].value)

    @property
    def reads(self) -> int:
        return self.client.get_secret.call_count

    def _get(self, name: str, version: str | None = None, **kwargs) -> KeyVaultSecret:
        if self.failure is not None:
            raise self.failure
        if name in self.secret_failures:
            raise self.secret_failures[name]
        if name not in self.secrets:
            raise ResourceNotFoundError(f"A secret with (name/id) {name} was not found in this key vault.")
        return self.secrets[name]

    def _set(self, name: str, value: str, *, tags=None, content_type=None, **kwargs) -> KeyVaultSecret:
        if self.failure is not None:
            raise self.failure
        self._versions += 1
        version = f"v{self._versions}"
        properties = SecretProperties(
            vault_id=f"{VAULT_URL}/secrets/{name}/{version}", tags=tags, content_type=content_type
        )
        self.secrets[name] = KeyVaultSecret(properties, value)
        return self.secrets[name]

    def _list(self, **kwargs):
        if self.failure is not None:
            raise self.failure
        return iter([secret.properties for secret in self.secrets.values()])


class VersionedVault:
    """The calls of a SecretClient the key ring makes, with a version per write; counts requests.

    ``hold_reads_until`` makes every listing wait for a barrier, so that two instances can be
    made to find no key at the same time.
    """

    def __init__(self, clock: FakeClock) -> None:
        self.clock = clock
        self.versions: list[SimpleNamespace] = []
        self.requests = 0
        self.failure: Exception | None = None
        self.barrier: threading.Barrier | None = None
        self._lock = threading.Lock()

    def list_properties_of_secret_versions(self, name: str):
        self._count()
        listed = [SimpleNamespace(version=v.version, created_on=v.created_on, enabled=True) for v in self.versions]
        if self.barrier is not None:
            self.barrier.wait(timeout=5)
        if not listed:
            raise ResourceNotFoundError("no such secret")
        return listed

    def get_secret(self, name: str, version: str | None = None):
        self._count()
        return next(v for v in self.versions if v.version == version)

    def set_secret(self, name: str, value: str, **kwargs):
        self._count()
        assert name == SIGNING_KEY_SECRET
        with self._lock:
            created = datetime.fromtimestamp(self.clock(), UTC)
            self.versions.append(SimpleNamespace(version=f"v{len(self.versions) + 1}", created_on=created, value=value))

    def _count(self) -> None:
        self.requests += 1
        if self.failure is not None:
            raise self.failure


class _ErrorResponse:
    """The part of an HTTP response HttpResponseError reads: status, reason and a JSON error body."""

    def __init__(self, status: int, body: dict):
        self.status_code = status
        self.reason = "Forbidden" if status == 403 else "Error"
        self.headers: dict[str, str] = {}
        self.content_type = "application/json"
        self.request = None
        self._text = json.dumps(body)

    def text(self, encoding: str | None = None) -> str:
        return self._text

    def body(self) -> bytes:
        return self._text.encode()


def key_vault_error(status: int, code: str, message: str, inner_code: str | None = None) -> HttpResponseError:
    """The error Key Vault answers, as the SDK raises it (e.g. 403 Forbidden, inner SecretDisabled)."""
    error: dict = {"code": code, "message": message}
    if inner_code is not None:
        error["innererror"] = {"code": inner_code}
    return HttpResponseError(response=_ErrorResponse(status, {"error": error}))


def disabled_secret_error() -> HttpResponseError:
    return key_vault_error(403, "Forbidden", "Operation get is not allowed on a disabled secret.", "SecretDisabled")


def forbidden_secret_error() -> HttpResponseError:
    return key_vault_error(
        403, "Forbidden", "Caller is not authorized to perform action on resource.", "ForbiddenByRbac"
    )
