"""Walking every user by startIndex paging and by cursor paging: storage requests and time.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.paging [--users 10000] [--count 200] [--clients 8] [--with-groups]

Creates N users over real HTTP through the local host (--clients concurrent clients), then walks
them all twice, one client, ``count`` per page: by ``startIndex`` (RFC 7644 section 3.4.2.4) and by
``cursor`` (RFC 9865). For each walk it prints the pages, the storage requests the server made
(the local host runs with ``SCIM_COUNT_STORAGE_REQUESTS=1``, which adds an ``X-Storage-Requests``
header to each response), and the time. Each walk must return every user exactly once.

Pages leave out ``groups`` unless --with-groups: reading each user's groups costs one more
request per user in either walk, which would hide what paging itself costs.
Loopback only, bounded by --users.
"""

from __future__ import annotations

import argparse
import json
import os
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from urllib.parse import urlencode

from bench.harness import UNTHROTTLED, USER_SCHEMA, Endpoint, local_endpoint
from scim.platform import request_count


@dataclass
class Walk:
    """What one walk through every user took."""

    name: str
    pages: int = 0
    ids: list[str] = field(default_factory=list)
    storage_requests: int | None = 0  # None once a response carried no count
    seconds: float = 0.0

    def add(self, seconds: float, storage_requests: int | None, ids: list[str]) -> None:
        self.pages += 1
        self.seconds += seconds
        self.ids += ids
        counted = self.storage_requests is not None and storage_requests is not None
        self.storage_requests = self.storage_requests + storage_requests if counted else None

    def line(self, expected: int) -> str:
        seen = self.ids
        complete = "every user once" if len(seen) == len(set(seen)) == expected else f"WRONG: {len(seen)} returned"
        requests = f"{self.storage_requests:>7}" if self.storage_requests is not None else "    n/a"
        return (
            f"{self.name:<18} pages={self.pages:<5} storage requests={requests}  "
            f"time={self.seconds:7.2f} s  ({complete})"
        )


def counted_get(endpoint: Endpoint, path: str) -> tuple[float, int | None, dict]:
    """Seconds taken, the ``X-Storage-Requests`` count (None when absent) and the JSON body."""
    headers = {"Authorization": f"Bearer {endpoint.token}"}
    started = time.perf_counter()
    with urllib.request.urlopen(
        urllib.request.Request(endpoint.tenant_url + path, headers=headers), timeout=60
    ) as reply:
        body = json.loads(reply.read())
        counted = reply.headers.get(request_count.HEADER)
    return time.perf_counter() - started, int(counted) if counted is not None else None, body


def pages(endpoint: Endpoint, first: dict[str, str], following) -> Iterator[tuple[float, int | None, dict]]:
    """(seconds, storage requests, body) of each page, from ``first`` on; ``following`` gives the next query."""
    query: dict[str, str] | None = first
    while query is not None:
        seconds, storage_requests, body = counted_get(endpoint, "/Users?" + urlencode(query))
        yield seconds, storage_requests, body
        query = following(query, body)


def walk(endpoint: Endpoint, name: str, first: dict[str, str], following) -> Walk:
    result = Walk(name)
    for seconds, storage_requests, body in pages(endpoint, first, following):
        result.add(seconds, storage_requests, [resource["id"] for resource in body["Resources"]])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000, help="users to create and walk (default 10,000)")
    parser.add_argument("--count", type=int, default=200, help="users per page (default 200, the maximum)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients creating users (default 8)")
    parser.add_argument("--with-groups", action="store_true", help="return each user's groups too")
    arguments = parser.parse_args()
    selection = {} if arguments.with_groups else {"excludedAttributes": "groups"}
    size = str(arguments.count)

    os.environ[request_count.SETTING] = "1"  # the local host inherits the environment
    with local_endpoint(UNTHROTTLED) as endpoint:
        started = time.perf_counter()
        with ThreadPoolExecutor(arguments.clients) as pool:
            body = {"schemas": [USER_SCHEMA]}
            names = (f"user{number:06d}@bench.example" for number in range(arguments.users))
            list(pool.map(lambda name: endpoint.send("POST", "/Users", {**body, "userName": name}), names))
        created = time.perf_counter() - started

        def next_index(query: dict[str, str], page: dict) -> dict[str, str] | None:
            start = int(query["startIndex"]) + page["itemsPerPage"]
            return (
                {**query, "startIndex": str(start)} if page["itemsPerPage"] and start <= page["totalResults"] else None
            )

        def next_cursor(query: dict[str, str], page: dict) -> dict[str, str] | None:
            return {**query, "cursor": page["nextCursor"]} if "nextCursor" in page else None

        by_index = walk(endpoint, "startIndex paging", {"startIndex": "1", "count": size, **selection}, next_index)
        by_cursor = walk(endpoint, "cursor paging", {"cursor": "", "count": size, **selection}, next_cursor)

    print(f"created {arguments.users} users in {created:.1f} s with {arguments.clients} clients")
    print(f"walks of {arguments.users} users, {arguments.count} per page{', with groups' * arguments.with_groups}:")
    for result in (by_index, by_cursor):
        print("  " + result.line(arguments.users))


if __name__ == "__main__":
    main()
