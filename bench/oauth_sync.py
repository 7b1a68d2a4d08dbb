"""An Entra-like sync authenticating with OAuth 2.0 client credentials, tokens refreshed on expiry.

Usage (Azurite running)::

    .venv/bin/python -m bench.oauth_sync [--users 400] [--groups 20] [--members 10] [--clients 4]
                                         [--token-seconds 10]

The local host issues access tokens that live ``--token-seconds`` (``SCIM_OAUTH_BENCH_TOKEN_SECONDS``,
a benchmark-only setting; tenants' tokens otherwise live 60 minutes or more). Every client thread
shares one token, fetched from ``{Tenant URL}/oauth2/token`` with HTTP Basic and fetched again
once it has expired, as Entra's provisioning service does; a request is never retried. The run
reports the SCIM requests, the tokens fetched and every status seen: a correct run has no 401.
Bounded: the sizes given and ``--deadline`` minutes.
"""

from __future__ import annotations

import argparse
import base64
import json
import threading
import time
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.entra_sync import Run, Sizes, Workload
from bench.harness import COUNTING, TENANT, UNTHROTTLED, Endpoint, Response, local_host
from scim.auth.client_secrets import new_secret
from scim.auth.records import TenantCredentials
from scim.auth.signing_keys import key_to_json, new_key

CLIENT_ID = "bench-client"


class ClientCredentials:
    """One access token shared by the client threads, fetched again when it has expired."""

    def __init__(self, token_url: str, client_id: str, secret: str):
        self._token_url = token_url
        self._basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        self._lock = threading.Lock()
        self._token = ""
        self._expires_at = 0.0
        self.fetched = 0

    def current(self) -> str:
        with self._lock:
            if time.monotonic() >= self._expires_at:
                self._fetch()
            return self._token

    def _fetch(self) -> None:
        request = urllib.request.Request(
            self._token_url,
            data=urlencode({"grant_type": "client_credentials", "scope": "scim"}).encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {self._basic}"},
            method="POST",
        )
        asked = time.monotonic()
        with urllib.request.urlopen(request, timeout=30) as response:
            body = json.loads(response.read())
        self._token = body["access_token"]
        self._expires_at = asked + body["expires_in"]
        self.fetched += 1


@dataclass(frozen=True)
class OAuthEndpoint(Endpoint):
    """An Endpoint that sends the client's current access token and tallies every status."""

    credentials: ClientCredentials | None = None
    statuses: Counter = field(default_factory=Counter)

    def authorization(self) -> str:
        assert self.credentials is not None
        return f"Bearer {self.credentials.current()}"

    def request(self, method: str, path: str, body: dict | None = None) -> Response:
        response = super().request(method, path, body)
        self.statuses[response.status] += 1
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=400)
    parser.add_argument("--groups", type=int, default=20)
    parser.add_argument("--members", type=int, default=10)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--token-seconds", type=int, default=10)
    parser.add_argument("--deadline", type=float, default=5, help="minutes before skipping (default 5)")
    arguments = parser.parse_args()
    secret, stored = new_secret()
    record = TenantCredentials().with_client(CLIENT_ID, (stored,)).to_json()
    settings = {
        **COUNTING,
        **UNTHROTTLED,
        "SCIM_OAUTH_SIGNING_KEYS": json.dumps([key_to_json(new_key())]),
        "SCIM_OAUTH_BENCH_TOKEN_SECONDS": str(arguments.token_seconds),
    }
    sizes = Sizes(arguments.users, arguments.groups, arguments.members, arguments.clients, arguments.deadline * 60)
    run = Run("client credentials")
    started = time.perf_counter()
    with local_host(settings=settings, records={TENANT: record}) as host:
        tenant_url = host.endpoint().tenant_url
        credentials = ClientCredentials(f"{tenant_url}/oauth2/token", CLIENT_ID, secret)
        endpoint = OAuthEndpoint(tenant_url, "", credentials)
        Workload(endpoint, sizes, run).execute()
    seconds = time.perf_counter() - started
    requests = sum(endpoint.statuses.values())
    failed = sum(not sample.ok for sample in run.samples)
    print(f"SCIM requests: {requests} in {seconds:.0f} s, with access tokens living {arguments.token_seconds} s")
    print(f"tokens fetched: {credentials.fetched}")
    statuses = dict(sorted(endpoint.statuses.items()))
    print(f"statuses: {statuses}; 401s: {endpoint.statuses[401]}; failed steps: {failed}")


if __name__ == "__main__":
    main()
