"""What the benchmarks share: a local host on a fresh table, and timed SCIM requests over HTTP."""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote_plus

from azure.data.tables import TableServiceClient

from scim.local_host import child_process

AZURITE = "UseDevelopmentStorage=true"
TENANT = "bench"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


@dataclass(frozen=True)
class Endpoint:
    """A Tenant URL and its Secret Token."""

    tenant_url: str
    token: str

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict | None]:
        """Seconds from sending the request to reading the whole response, and the JSON body."""
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/scim+json"}
        request = urllib.request.Request(self.tenant_url + path, data=data, method=method, headers=headers)
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as response:
            payload = response.read()
        return time.perf_counter() - started, json.loads(payload) if payload else None


@contextmanager
def local_endpoint() -> Iterator[Endpoint]:
    """``python -m scim.local_host`` on a free port with a fresh table, deleted afterwards."""
    token = secrets.token_urlsafe(32)
    table_name = "bench" + uuid.uuid4().hex[:12]
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": AZURITE,
        "SCIM_TABLE_NAME": table_name,
        "SCIM_TOKENS": json.dumps({TENANT: token}),
    }
    try:
        with tempfile.TemporaryDirectory() as scratch, child_process(environment, Path(scratch) / "host.log") as base:
            endpoint = Endpoint(f"{base}/scim/{TENANT}/v2", token)
            endpoint.send("GET", user_name_filter("warm-up"))  # creates the table
            yield endpoint
    finally:
        TableServiceClient.from_connection_string(AZURITE).delete_table(table_name)


def user_name_filter(user_name: str) -> str:
    """The lookup Entra makes before each change, URL-encoded as Entra does (``+``, ``%22``)."""
    return "/Users?filter=" + quote_plus('userName eq "' + user_name + '"')


def summary(name: str, seconds: list[float]) -> str:
    """Count, median and p95 of a list of durations, in milliseconds."""
    milliseconds = sorted(value * 1000 for value in seconds)
    median = milliseconds[len(milliseconds) // 2]
    p95 = milliseconds[max(int(len(milliseconds) * 0.95) - 1, 0)]
    return f"{name:<32} n={len(milliseconds):<6} median={median:7.2f} ms  p95={p95:7.2f} ms"
