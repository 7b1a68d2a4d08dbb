"""Whether an operation's cost grows with the directory: a lookup at 1,000 and 20,000 users, and
adding one member to a group of 10 and of 10,000 members.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.scaling [--small-users 1000] [--large-users 20000]
                                      [--small-group 10] [--large-group 10000] [--samples 200]

Each case gets a local host (``SCIM_COUNT_STORAGE_REQUESTS=1``) on a fresh Azurite table. The
directory is seeded in-process through the service layer (UserService.create, GroupService.patch
in batches of 32 members), which is much faster than over HTTP; the measured requests then go
over HTTP through the local host, one at a time, and every response says how many storage
requests it took. The two user counts get a table each; both groups share one table, so that
only the group's size differs. Prints storage requests and latency per operation and the
large/small ratios (the goal: near 1). Azurite answers a range query (such as the one reading a
user's groups) by scanning its whole table, so latency ratios there overstate what Table Storage
(an index seek) does; the lookup without groups (point reads only) shows it. The storage request
counts are what carries over. Loopback only, bounded by the sizes given.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

from azure.data.tables import TableClient

from bench.harness import (
    AZURITE,
    COUNTING,
    GROUP_SCHEMA,
    PATCH_OP_SCHEMA,
    UNTHROTTLED,
    USER_SCHEMA,
    Endpoint,
    local_host,
    user_name_filter,
)
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository

TENANT = "scale"
SEED_THREADS = 8
SEED_BATCH = 32  # members per seeding PATCH: one transaction each (scim.storage.resources.ATOMIC_MEMBERSHIP_CHANGES)


@dataclass(frozen=True)
class Cost:
    """Storage requests per operation (mean) and latency (median, ms) over the samples."""

    requests: float
    median_ms: float
    samples: int
    seed_seconds: float


def services(table_name: str) -> tuple[UserService, GroupService]:
    repository = TableResourceRepository(TableClient.from_connection_string(AZURITE, table_name))
    return UserService(repository), GroupService(repository)


def seed_users(users: UserService, count: int, prefix: str) -> list[str]:
    def create(number: int) -> str:
        body = {"schemas": [USER_SCHEMA], "userName": f"{prefix}{number:06d}@scale.example", "active": True}
        return users.create(TENANT, body).id

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        return list(pool.map(create, range(count)))


def seed_group(groups: GroupService, name: str, members: list[str]) -> str:
    group_id = groups.create(TENANT, {"schemas": [GROUP_SCHEMA], "displayName": name}).id

    def add(start: int) -> None:
        batch = [{"value": member} for member in members[start : start + SEED_BATCH]]
        groups.patch(TENANT, group_id, patch_body("add", batch))

    with ThreadPoolExecutor(SEED_THREADS) as pool:
        list(pool.map(add, range(0, len(members), SEED_BATCH)))
    return group_id


def patch_body(op: str, members: list[dict]) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": op, "path": "members", "value": members}]}


def measure(endpoint: Endpoint, requests: list[Callable[[], tuple[str, str, dict | None]]], seeded: float) -> Cost:
    counts, latencies = [], []
    for make in requests:
        method, path, body = make()
        response = endpoint.request(method, path, body)
        if response.status >= 400:
            raise RuntimeError(f"{method} {path} answered {response.status}: {response.body}")
        counts.append(response.storage_requests)
        latencies.append(response.seconds * 1000)
    return Cost(statistics.mean(counts), statistics.median(latencies), len(counts), seeded)


def lookup_costs(user_count: int, samples: int) -> tuple[Cost, Cost]:
    """A lookup as Entra sends it, and the same without the user's groups (point reads only)."""
    with local_host((TENANT,), {**COUNTING, **UNTHROTTLED}) as host:
        started = time.perf_counter()
        users, _ = services(host.table_name)
        seed_users(users, user_count, "user")
        seeded = time.perf_counter() - started
        chosen = random.Random(user_count).sample(range(user_count), min(samples, user_count))
        paths = [user_name_filter(f"user{n:06d}@scale.example") for n in chosen]
        endpoint = host.endpoint(TENANT)
        plain = measure(endpoint, [lambda p=p: ("GET", p, None) for p in paths], seeded)
        point_reads = measure(endpoint, [lambda p=p: ("GET", p + "&excludedAttributes=groups", None) for p in paths], 0)
        return plain, point_reads


def member_add_costs(small: int, large: int, samples: int) -> tuple[Cost, Cost]:
    with local_host((TENANT,), {**COUNTING, **UNTHROTTLED}) as host:
        started = time.perf_counter()
        users, groups = services(host.table_name)
        members = seed_users(users, small + large + 2 * samples, "member")
        spare_small, spare_large = members[small + large :: 2], members[small + large + 1 :: 2]
        small_group = seed_group(groups, "small", members[:small])
        large_group = seed_group(groups, "large", members[small : small + large])
        seeded = time.perf_counter() - started

        def adds(group_id: str, spare: list[str]) -> list[Callable]:
            body = lambda member: patch_body("Add", [{"value": member}])  # noqa: E731
            return [lambda m=m: ("PATCH", f"/Groups/{group_id}", body(m)) for m in spare]

        endpoint = host.endpoint(TENANT)
        return measure(endpoint, adds(small_group, spare_small), seeded), measure(
            endpoint, adds(large_group, spare_large), seeded
        )


def line(name: str, small_label: str, large_label: str, small: Cost, large: Cost) -> str:
    return (
        f"{name:<34} {small_label:>14} {large_label:>14} | requests {small.requests:5.2f} {large.requests:5.2f} "
        f"ratio {large.requests / small.requests:4.2f} | p50 ms {small.median_ms:6.1f} {large.median_ms:6.1f} "
        f"ratio {large.median_ms / small.median_ms:4.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small-users", type=int, default=1000)
    parser.add_argument("--large-users", type=int, default=20000)
    parser.add_argument("--small-group", type=int, default=10)
    parser.add_argument("--large-group", type=int, default=10000)
    parser.add_argument("--samples", type=int, default=200, help="measured requests per case (default 200)")
    arguments = parser.parse_args()

    small_lookup, small_point = lookup_costs(arguments.small_users, arguments.samples)
    large_lookup, large_point = lookup_costs(arguments.large_users, arguments.samples)
    small_add, large_add = member_add_costs(arguments.small_group, arguments.large_group, arguments.samples)

    print(f"\nScaling: {arguments.samples} requests per case, one at a time, over HTTP through the local host")
    print(
        line(
            'GET /Users?filter=userName eq "..."',
            f"{arguments.small_users:,} users",
            f"{arguments.large_users:,} users",
            small_lookup,
            large_lookup,
        )
    )
    print(
        line(
            "  the same, excludedAttributes=groups",
            f"{arguments.small_users:,} users",
            f"{arguments.large_users:,} users",
            small_point,
            large_point,
        )
    )
    print(
        line(
            "PATCH /Groups add one member",
            f"{arguments.small_group:,} members",
            f"{arguments.large_group:,} members",
            small_add,
            large_add,
        )
    )
    seeding = small_lookup.seed_seconds + large_lookup.seed_seconds + small_add.seed_seconds
    print(f"seeding (in-process, through the service): {seeding:.0f} s")


if __name__ == "__main__":
    main()
