"""Median latency of a create and of a filtered GET, over real HTTP through the local host.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.local_latency [--users 200]

Creates N users one by one on a fresh table, looks each up by ``userName eq``, and prints the
medians and p95s. Loopback only, bounded by --users.
"""

from __future__ import annotations

import argparse

from bench.harness import UNTHROTTLED, USER_SCHEMA, local_endpoint, summary, user_name_filter


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200, help="users to create and look up (default 200)")
    arguments = parser.parse_args()

    user_names = [f"user{number:05d}@bench.example" for number in range(arguments.users)]
    with local_endpoint(UNTHROTTLED) as endpoint:
        creates = [
            endpoint.send("POST", "/Users", {"schemas": [USER_SCHEMA], "userName": name, "active": True})[0]
            for name in user_names
        ]
        lookups = [endpoint.send("GET", user_name_filter(name))[0] for name in user_names]
    print(summary("POST /Users", creates))
    print(summary("GET /Users?filter=userName eq", lookups))


if __name__ == "__main__":
    main()
