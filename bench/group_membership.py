"""Time to give one group N members through PATCH batches, over real HTTP through the local host.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.group_membership [--members 10000] [--batch 50] [--clients 4]

Creates N users, then one group, then adds the users in PATCH requests of --batch members each
(sent by --clients concurrent clients, like a provisioning cycle), and prints the time taken and
the latency of each PATCH. Loopback only, bounded by --members.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from bench.harness import GROUP_SCHEMA, PATCH_OP_SCHEMA, UNTHROTTLED, USER_SCHEMA, local_endpoint, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=10_000, help="members to add (default 10,000)")
    parser.add_argument("--batch", type=int, default=50, help="members per PATCH request (default 50)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    arguments = parser.parse_args()

    with local_endpoint(UNTHROTTLED) as endpoint, ThreadPoolExecutor(arguments.clients) as pool:

        def create_user(number: int) -> str:
            body = {"schemas": [USER_SCHEMA], "userName": f"member{number:06d}@bench.example"}
            return endpoint.send("POST", "/Users", body)[1]["id"]

        user_ids = list(pool.map(create_user, range(arguments.members)))
        group_id = endpoint.send("POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "bench"})[1]["id"]

        def add_batch(start: int) -> float:
            members = [{"value": member} for member in user_ids[start : start + arguments.batch]]
            operation = {"op": "Add", "path": "members", "value": members}
            return endpoint.send(
                "PATCH", f"/Groups/{group_id}", {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]}
            )[0]

        started = time.perf_counter()
        patches = list(pool.map(add_batch, range(0, arguments.members, arguments.batch)))
        elapsed = time.perf_counter() - started
        members = endpoint.send("GET", f"/Groups/{group_id}")[1].get("members", [])

    print(f"added {len(members)} members in {elapsed:.1f} s ({len(members) / elapsed:.0f} members/s)")
    print(summary(f"PATCH /Groups/{{id}} ({arguments.batch} members)", patches))


if __name__ == "__main__":
    main()
