"""A local host in a child process (the ``local_host_url`` fixture), and requests to it over real HTTP."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass

E2E_TENANT = "e2e-tenant"
OTHER_TENANT = "other-tenant"


@dataclass(frozen=True)
class LocalHost:
    """A running local host: where it answers and the secret token of each tenant it accepts."""

    base_url: str  # e.g. http://127.0.0.1:54321
    tokens: dict[str, str]  # tenant slug -> secret token; E2E_TENANT and OTHER_TENANT
    table_name: str

    def tenant_url(self, tenant: str = E2E_TENANT) -> str:
        """The SCIM Tenant URL of ``tenant``, e.g. http://127.0.0.1:54321/scim/e2e-tenant/v2."""
        return f"{self.base_url}/scim/{tenant}/v2"

    def auth_header(self, tenant: str = E2E_TENANT) -> dict[str, str]:
        """The Authorization header carrying ``tenant``'s secret token."""
        return {"Authorization": f"Bearer {self.tokens[tenant]}"}


def send(host: LocalHost, method: str, path: str, body=None, tenant: str | None = None, *, headers: dict | None = None):
    """One request; returns (status, headers, parsed JSON body or None)."""
    headers = {"Content-Type": "application/scim+json", **host.auth_header(tenant or E2E_TENANT), **(headers or {})}
    data = json.dumps(body).encode() if body is not None else None
    return request_json(method, host.tenant_url() + path, data=data, headers=headers)


def request_json(method: str, url: str, *, data: bytes | None = None, headers: dict | None = None):
    """One request to any URL; returns (status, headers, parsed JSON body or None), errors included."""
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            payload = response.read()
            return response.status, response.headers, json.loads(payload) if payload else None
    except urllib.error.HTTPError as error:
        payload = error.read()
        return error.code, error.headers, json.loads(payload) if payload else None
