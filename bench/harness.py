"""What the benchmarks share: a local host on a fresh table, and timed SCIM requests over HTTP."""

from __future__ import annotations

import http.client
import json
import os
import secrets
import tempfile
import threading
import time
import uuid
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote_plus, urlsplit

from azure.data.tables import TableServiceClient

from local_host.processes import child_process
from scim.platform import request_count

AZURITE = "UseDevelopmentStorage=true"
# Benchmarks that measure throughput, and conformance tools that send faster than a tenant's fair
# share and do not back off, run without it (50 requests/s per tenant per instance, issue 16); the
# limits themselves are tested in tests/api/test_fair_share.py and exercised by the soak.
UNTHROTTLED = {"SCIM_TENANT_REQUESTS_PER_SECOND": "10000", "SCIM_TENANT_BURST": "10000"}
# Every response says how many storage requests it took (scim.platform.request_count).
COUNTING = {"SCIM_COUNT_STORAGE_REQUESTS": "1"}
TENANT = "bench"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
REQUEST_TIMEOUT_SECONDS = 60

# One keep-alive connection per thread and server: a client thread is one HTTP client.
_connections = threading.local()


@dataclass(frozen=True)
class Response:
    """One SCIM response as the benchmarks see it."""

    status: int
    seconds: float  # from sending the request to reading the whole response
    body: dict | None
    storage_requests: int | None  # the X-Storage-Requests header, when the server counts


class RequestFailed(Exception):
    def __init__(self, method: str, path: str, response: Response):
        super().__init__(f"{method} {path} answered {response.status}: {response.body}")
        self.response = response


@dataclass(frozen=True)
class Endpoint:
    """A Tenant URL and its Secret Token."""

    tenant_url: str
    token: str

    def request(
        self, method: str, path: str, body: dict | None = None, headers: Mapping[str, str] | None = None
    ) -> Response:
        """Send one request on this thread's keep-alive connection (reopened when the server closed it)."""
        target = urlsplit(self.tenant_url)
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": self.authorization(), "Content-Type": "application/scim+json", **(headers or {})}
        for attempt in (1, 2):
            connection = self._connection(target.hostname, target.port)
            reused = connection.sock is not None
            started = time.perf_counter()
            try:
                connection.request(method, target.path + path, body=data, headers=headers)
                reply = connection.getresponse()
                payload = reply.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                connection.close()
                if reused and attempt == 1:
                    continue  # the server closed an idle keep-alive connection: once more, fresh
                raise
            except (OSError, http.client.HTTPException):
                connection.close()  # left mid-request, it could send nothing more
                raise
            seconds = time.perf_counter() - started
            counted = reply.getheader(request_count.HEADER)
            return Response(
                reply.status,
                seconds,
                json.loads(payload) if payload else None,
                int(counted) if counted is not None else None,
            )
        raise AssertionError("unreachable")

    def authorization(self) -> str:
        """The Authorization header of the next request."""
        return f"Bearer {self.token}"

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict | None]:
        """Seconds taken and the JSON body; ``RequestFailed`` on a status of 400 or more."""
        response = self.request(method, path, body)
        if response.status >= 400:
            raise RequestFailed(method, path, response)
        return response.seconds, response.body

    @staticmethod
    def _connection(host: str, port: int) -> http.client.HTTPConnection:
        pool = _connections.__dict__.setdefault("pool", {})
        if (host, port) not in pool:
            pool[(host, port)] = http.client.HTTPConnection(host, port, timeout=REQUEST_TIMEOUT_SECONDS)
        return pool[(host, port)]


@dataclass(frozen=True)
class LocalHost:
    """A running ``python -m local_host``: its address, its table, each tenant's token."""

    base_url: str
    table_name: str
    tokens: dict[str, str] = field(default_factory=dict)

    def endpoint(self, tenant: str = TENANT) -> Endpoint:
        return Endpoint(f"{self.base_url}/scim/{tenant}/v2", self.tokens[tenant])


@contextmanager
def local_host(
    tenants: Iterable[str] = (TENANT,),
    settings: Mapping[str, str] | None = None,
    records: Mapping[str, Mapping[str, object]] | None = None,
) -> Iterator[LocalHost]:
    """``python -m local_host`` on a free port with a fresh table (deleted afterwards).

    ``settings`` are added to its environment, e.g. ``{"SCIM_COUNT_STORAGE_REQUESTS": "1"}``;
    ``records`` adds to a tenant's record (``scim.auth.records``), e.g. its OAuth clients.
    """
    tokens = {tenant: secrets.token_urlsafe(32) for tenant in tenants}
    extra = records or {}
    table_name = "bench" + uuid.uuid4().hex[:12]
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": AZURITE,
        "SCIM_TABLE_NAME": table_name,
        "SCIM_TOKENS": json.dumps({name: {"current": token, **extra.get(name, {})} for name, token in tokens.items()}),
        **(settings or {}),
    }
    service = TableServiceClient.from_connection_string(AZURITE)
    service.create_table(table_name)
    try:
        with tempfile.TemporaryDirectory() as scratch, child_process(environment, Path(scratch) / "host.log") as base:
            host = LocalHost(base, table_name, tokens)
            for tenant in tenants:
                host.endpoint(tenant).send("GET", user_name_filter("warm-up"))
            yield host
    finally:
        service.delete_table(table_name)


@contextmanager
def local_endpoint(settings: Mapping[str, str] | None = None) -> Iterator[Endpoint]:
    """The Tenant URL of one tenant on a ``local_host``."""
    with local_host((TENANT,), settings) as host:
        yield host.endpoint(TENANT)


def user_name_filter(user_name: str) -> str:
    """The lookup Entra makes before each change, URL-encoded as Entra does (``+``, ``%22``)."""
    return "/Users?filter=" + quote_plus('userName eq "' + user_name + '"')


def percentile(sorted_values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return float("nan")
    rank = max(int(len(sorted_values) * fraction + 0.999999) - 1, 0)
    return sorted_values[min(rank, len(sorted_values) - 1)]


def summary(name: str, seconds: list[float]) -> str:
    """Count, median and p95 of a list of durations, in milliseconds."""
    milliseconds = sorted(value * 1000 for value in seconds)
    median = milliseconds[len(milliseconds) // 2]
    p95 = percentile(milliseconds, 0.95)
    return f"{name:<32} n={len(milliseconds):<6} median={median:7.2f} ms  p95={p95:7.2f} ms"
