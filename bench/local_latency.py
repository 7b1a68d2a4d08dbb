"""Median latency of a create and of a filtered GET, over real HTTP through the local host.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.local_latency [--users 200]

Starts ``python -m scim.local_host`` on a free port with a fresh table, creates N users one by
one, looks each up by ``userName eq``, prints the medians and p95s, and deletes the table.
Loopback only, bounded by --users.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import quote_plus

from azure.data.tables import TableServiceClient

from scim.local_host import child_process

AZURITE = "UseDevelopmentStorage=true"
TENANT = "bench"


def timed_request(url: str, token: str, method: str = "GET", body: dict | None = None) -> float:
    """Seconds from sending the request to reading the whole response."""
    data = json.dumps(body).encode() if body is not None else None
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"}
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()
    return time.perf_counter() - started


def user_name_filter_url(users_url: str, user_name: str) -> str:
    """The lookup Entra makes before each change, URL-encoded as Entra does (``+``, ``%22``)."""
    return users_url + "?filter=" + quote_plus('userName eq "' + user_name + '"')


def summary(name: str, seconds: list[float]) -> str:
    milliseconds = sorted(value * 1000 for value in seconds)
    p95 = milliseconds[int(len(milliseconds) * 0.95) - 1]
    return f"{name:<28} n={len(milliseconds):<5} median={statistics.median(milliseconds):6.2f} ms  p95={p95:6.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users to create and look up (default 200)")
    arguments = parser.parse_args()

    token = secrets.token_urlsafe(32)
    table_name = "bench" + uuid.uuid4().hex[:12]
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": AZURITE,
        "SCIM_TABLE_NAME": table_name,
        "SCIM_TOKENS": json.dumps({TENANT: token}),
    }
    with tempfile.TemporaryDirectory() as scratch, child_process(environment, Path(scratch) / "host.log") as base:
        users_url = f"{base}/scim/{TENANT}/v2/Users"
        timed_request(user_name_filter_url(users_url, "warm-up"), token)  # creates the table
        user_names = [f"user{number:05d}@bench.example" for number in range(arguments.users)]
        creates = [
            timed_request(
                users_url,
                token,
                "POST",
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "active": True},
            )
            for name in user_names
        ]
        lookups = [timed_request(user_name_filter_url(users_url, name), token) for name in user_names]
    TableServiceClient.from_connection_string(AZURITE).delete_table(table_name)
    print(summary("POST /Users", creates))
    print(summary("GET /Users?filter=userName eq", lookups))


if __name__ == "__main__":
    main()
