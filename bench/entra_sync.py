"""An Entra-sized provisioning run over real HTTP: an initial sync, then an incremental cycle.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.entra_sync [--users 5000] [--groups 200] [--members 25] [--clients 4]
                                         [--no-reference] [--json results.json]

The same workload runs against this endpoint (``python -m local_host`` on a fresh Azurite
table, with ``SCIM_COUNT_STORAGE_REQUESTS=1`` so that every response says how many storage
requests it took) and against python-scim's ``scim2-server`` (in memory; installed into
``.venv-bench/`` on first use), each on loopback, and prints both side by side.

The requests are the ones Microsoft Entra's provisioning service sends (docs/entra.md):

- initial sync, per user: ``GET /Users?filter=userName eq "..."`` (absent), then ``POST /Users``;
  per group: ``GET /Groups?excludedAttributes=members&filter=displayName eq "..."`` (absent),
  ``POST /Groups`` without members, then one ``PATCH`` adding its members;
- incremental cycle: every 10th user updated (lookup, then a PATCH in Entra's dialect: ``Replace``,
  ``name.givenName``, ``emails[type eq "work"].value``, the enterprise ``department`` by URN);
  every 50th disabled (lookup, then ``active`` replaced by the string ``"False"``); every 5th
  group gets two members added and two removed (lookup, then one PATCH each, members as
  ``{"value": id}`` lists); every 100th user and group deleted.

Bounded: the sizes given, N concurrent clients, a 60 s timeout per request and ``--deadline``
minutes per server, after which the remaining steps are skipped and reported as such.
"""

from __future__ import annotations

import argparse
import json
import math
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote_plus

from bench.harness import (
    COUNTING,
    GROUP_SCHEMA,
    PATCH_OP_SCHEMA,
    UNTHROTTLED,
    USER_SCHEMA,
    Endpoint,
    Response,
    local_host,
    percentile,
    user_name_filter,
)

ENTERPRISE_SCHEMA = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
UPDATE_EVERY, DISABLE_EVERY, DELETE_EVERY = 10, 50, 100  # which users change in the incremental cycle
DISABLE_OFFSET, DELETE_OFFSET = 5, 7  # so that no user is in two of those sets
GROUP_CHANGE_EVERY, GROUP_DELETE_EVERY = 5, 100
MEMBERS_CHANGED = 2  # added and removed per changed group

# Operation names, in the order they are printed.
USER_ABSENT = "GET /Users filter userName (absent)"
USER_CREATE = "POST /Users"
GROUP_ABSENT = "GET /Groups filter displayName (absent)"
GROUP_CREATE = "POST /Groups"
GROUP_FILL = "PATCH /Groups add {members} members"
USER_FOUND = "GET /Users filter userName (present)"
USER_UPDATE = "PATCH /Users attributes"
USER_DISABLE = "PATCH /Users active False"
GROUP_FOUND = "GET /Groups filter displayName (present)"
GROUP_ADD = "PATCH /Groups add 2 members"
GROUP_REMOVE = "PATCH /Groups remove 2 members"
USER_DELETE = "DELETE /Users/{id}"
GROUP_DELETE = "DELETE /Groups/{id}"
EXPECTED_STATUS = {"GET": (200,), "POST": (201,), "PATCH": (200, 204), "DELETE": (204,)}


@dataclass
class Sample:
    operation: str
    ok: bool
    seconds: float
    storage_requests: int | None


@dataclass
class Run:
    """Everything measured against one server."""

    name: str
    samples: list[Sample] = field(default_factory=list)
    phases: dict[str, tuple[int, float]] = field(default_factory=dict)  # phase -> (requests, seconds)
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failures: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, operation: str, method: str, response: Response, expect: Callable[[dict | None], bool]) -> bool:
        ok = response.status in EXPECTED_STATUS[method] and expect(response.body)
        with self.lock:
            self.samples.append(Sample(operation, ok, response.seconds, response.storage_requests))
            if not ok and len(self.failures[operation]) < 3:
                self.failures[operation].append(f"{response.status} {json.dumps(response.body)[:200]}")
        return ok

    def skip(self, operation: str, count: int = 1) -> None:
        with self.lock:
            self.skipped[operation] += count

    def of(self, operation: str) -> list[Sample]:
        return [sample for sample in self.samples if sample.operation == operation]


@dataclass(frozen=True)
class Sizes:
    users: int
    groups: int
    members: int
    clients: int
    deadline_seconds: float


class Workload:
    """The Entra-like requests against one endpoint, recorded into a Run."""

    def __init__(self, endpoint: Endpoint, sizes: Sizes, run: Run):
        self.endpoint = endpoint
        self.sizes = sizes
        self.run = run
        self.user_ids: list[str | None] = [None] * sizes.users
        self.group_ids: list[str | None] = [None] * sizes.groups
        self.deadline = time.monotonic() + sizes.deadline_seconds
        self.fill = GROUP_FILL.format(members=sizes.members)

    def execute(self) -> None:
        users, groups = range(self.sizes.users), range(self.sizes.groups)
        with self._phase("initial sync: users"):
            self._each(users, self._provision_user)
        with self._phase("initial sync: groups"):
            self._each(groups, self._provision_group)
        with self._phase("incremental: updates and disables"):
            changed = [i for i in users if i % UPDATE_EVERY == 0 or i % DISABLE_EVERY == DISABLE_OFFSET]
            self._each(changed, self._change_user)
        with self._phase("incremental: membership"):
            self._each([g for g in groups if g % GROUP_CHANGE_EVERY == 0], self._change_members)
        with self._phase("incremental: deletes"):
            deletions = [("Users", i) for i in users if i % DELETE_EVERY == DELETE_OFFSET]
            deletions += [("Groups", g) for g in groups if g % GROUP_DELETE_EVERY == GROUP_DELETE_EVERY - 1]
            self._each(deletions, self._delete)

    # --- steps --------------------------------------------------------------------------------

    def _provision_user(self, number: int) -> None:
        if not self._absent(USER_ABSENT, user_name_filter(user_name(number))):
            self.run.skip(USER_CREATE)
            return
        response = self.endpoint.request("POST", "/Users", user_body(number))
        if self.run.record(USER_CREATE, "POST", response, has_id):
            self.user_ids[number] = response.body["id"]

    def _provision_group(self, number: int) -> None:
        if not self._absent(GROUP_ABSENT, group_filter(group_name(number))):
            self.run.skip(GROUP_CREATE)
            self.run.skip(self.fill)
            return
        response = self.endpoint.request("POST", "/Groups", group_body(number))
        if not self.run.record(GROUP_CREATE, "POST", response, has_id):
            self.run.skip(self.fill)
            return
        self.group_ids[number] = response.body["id"]
        members = [self.user_ids[i] for i in self._members_of(number) if self.user_ids[i] is not None]
        self._patch(self.fill, "Groups", self.group_ids[number], [members_operation("Add", members)])

    def _change_user(self, number: int) -> None:
        disabling = number % DISABLE_EVERY == DISABLE_OFFSET
        operation = USER_DISABLE if disabling else USER_UPDATE
        user_id = self.user_ids[number]
        if user_id is None or not self._present(USER_FOUND, user_name_filter(user_name(number))):
            self.run.skip(operation)
            return
        operations = [{"op": "Replace", "path": "active", "value": "False"}] if disabling else update_operations(number)
        self._patch(operation, "Users", user_id, operations)

    def _change_members(self, number: int) -> None:
        group_id = self.group_ids[number]
        if group_id is None or not self._present(GROUP_FOUND, group_filter(group_name(number))):
            self.run.skip(GROUP_ADD)
            self.run.skip(GROUP_REMOVE)
            return
        first_outside = (number + 1) * self.sizes.members
        joining = [self.user_ids[(first_outside + j) % self.sizes.users] for j in range(MEMBERS_CHANGED)]
        leaving = [self.user_ids[i] for i in self._members_of(number)[:MEMBERS_CHANGED]]
        self._patch(GROUP_ADD, "Groups", group_id, [members_operation("Add", [m for m in joining if m])])
        self._patch(GROUP_REMOVE, "Groups", group_id, [members_operation("Remove", [m for m in leaving if m])])

    def _delete(self, target: tuple[str, int]) -> None:
        resource, number = target
        operation = USER_DELETE if resource == "Users" else GROUP_DELETE
        resource_id = (self.user_ids if resource == "Users" else self.group_ids)[number]
        if resource_id is None:
            self.run.skip(operation)
            return
        self.run.record(operation, "DELETE", self.endpoint.request("DELETE", f"/{resource}/{resource_id}"), any_body)

    # --- helpers ------------------------------------------------------------------------------

    def _absent(self, operation: str, path: str) -> bool:
        return self.run.record(operation, "GET", self.endpoint.request("GET", path), total_is(0))

    def _present(self, operation: str, path: str) -> bool:
        return self.run.record(operation, "GET", self.endpoint.request("GET", path), total_is(1))

    def _patch(self, operation: str, resource: str, resource_id: str, operations: list[dict]) -> None:
        body = {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}
        self.run.record(
            operation, "PATCH", self.endpoint.request("PATCH", f"/{resource}/{resource_id}", body), any_body
        )

    def _members_of(self, group: int) -> list[int]:
        return [(group * self.sizes.members + j) % self.sizes.users for j in range(self.sizes.members)]

    def _each(self, items: list, step: Callable) -> None:
        def guarded(item) -> None:
            if time.monotonic() > self.deadline:
                self.run.skip("(steps after the deadline)")
                return
            step(item)

        with ThreadPoolExecutor(self.sizes.clients) as pool:
            list(pool.map(guarded, items))

    @contextmanager
    def _phase(self, name: str) -> Iterator[None]:
        before = len(self.run.samples)
        started = time.perf_counter()
        yield
        self.run.phases[name] = (len(self.run.samples) - before, time.perf_counter() - started)


# --- request bodies, as Entra sends them ---------------------------------------------------------


def user_name(number: int) -> str:
    return f"user{number:06d}@contoso.example"


def group_name(number: int) -> str:
    return f"Group {number:04d}"


def group_filter(display_name: str) -> str:
    return "/Groups?excludedAttributes=members&filter=" + quote_plus(f'displayName eq "{display_name}"')


def user_body(number: int) -> dict:
    given, family = f"Given{number}", f"Family{number}"
    return {
        "schemas": [USER_SCHEMA, ENTERPRISE_SCHEMA],
        "externalId": f"ext-{number:06d}",
        "userName": user_name(number),
        "active": True,
        "displayName": f"{given} {family}",
        "emails": [{"primary": True, "type": "work", "value": user_name(number)}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": f"{given} {family}", "familyName": family, "givenName": given},
        "title": "Engineer",
        "roles": [],
        ENTERPRISE_SCHEMA: {"department": f"Department {number % 20}", "employeeNumber": str(number)},
    }


def update_operations(number: int) -> list[dict]:
    return [
        {"op": "Replace", "path": "displayName", "value": f"Renamed{number} Family{number}"},
        {"op": "Replace", "path": "name.givenName", "value": f"Renamed{number}"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": f"renamed{number}@contoso.example"},
        {"op": "Replace", "path": f"{ENTERPRISE_SCHEMA}:department", "value": "Department moved"},
    ]


def group_body(number: int) -> dict:
    return {
        "schemas": [GROUP_SCHEMA],
        "externalId": f"group-ext-{number:04d}",
        "displayName": group_name(number),
        "meta": {"resourceType": "Group"},
    }


def members_operation(op: str, member_ids: list[str]) -> dict:
    return {"op": op, "path": "members", "value": [{"value": member_id} for member_id in member_ids]}


def has_id(body: dict | None) -> bool:
    return isinstance(body, dict) and isinstance(body.get("id"), str)


def total_is(expected: int) -> Callable[[dict | None], bool]:
    return lambda body: isinstance(body, dict) and body.get("totalResults") == expected


def any_body(body: dict | None) -> bool:
    return True


# --- report --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stats:
    count: int
    failed: int
    skipped: int
    p50: float
    p95: float
    p99: float
    storage: tuple[float, int, int] | None  # mean, min, max storage requests per operation


def stats(run: Run, operation: str) -> Stats:
    samples = run.of(operation)
    latencies = sorted(sample.seconds * 1000 for sample in samples if sample.ok)
    counts = [sample.storage_requests for sample in samples if sample.ok and sample.storage_requests is not None]
    storage = (sum(counts) / len(counts), min(counts), max(counts)) if counts else None
    return Stats(
        len(samples),
        sum(not sample.ok for sample in samples),
        run.skipped.get(operation, 0),
        percentile(latencies, 0.50),
        percentile(latencies, 0.95),
        percentile(latencies, 0.99),
        storage,
    )


def operations(sizes: Sizes) -> list[str]:
    fill = GROUP_FILL.format(members=sizes.members)
    return [USER_ABSENT, USER_CREATE, GROUP_ABSENT, GROUP_CREATE, fill, USER_FOUND, USER_UPDATE, USER_DISABLE,
            GROUP_FOUND, GROUP_ADD, GROUP_REMOVE, USER_DELETE, GROUP_DELETE]  # fmt: skip


def storage_text(storage: tuple[float, int, int] | None) -> str:
    if storage is None:
        return "-"
    mean, low, high = storage
    return f"{low}" if low == high else f"{mean:.2f} ({low}-{high})"


def ratio(ours: float, theirs: float) -> str:
    return f"{ours / theirs:.1f}x" if theirs and not math.isnan(theirs) and not math.isnan(ours) else "-"


def report(sizes: Sizes, ours: Run, reference: Run | None) -> dict:
    """Print the tables; return the same numbers as JSON-ready data."""
    print(
        f"\nEntra-like sync: {sizes.users:,} users, {sizes.groups:,} groups of {sizes.members} members, "
        f"{sizes.clients} concurrent clients"
    )
    print("\nThroughput (SCIM requests per second, wall clock)")
    head = f"{'phase':<36} {'requests':>8} {'seconds':>8} {'req/s':>7}"
    print(head + (f" | {'scim2-server req/s':>18} {'ours/ref':>8}" if reference else ""))
    result: dict = {"sizes": sizes.__dict__, "phases": {}, "operations": {}}
    totals = [0, 0.0, 0, 0.0]
    for phase, (count, seconds) in ours.phases.items():
        line = f"{phase:<36} {count:>8} {seconds:>8.1f} {count / seconds:>7.1f}"
        entry = {"requests": count, "seconds": round(seconds, 2), "per_second": round(count / seconds, 1)}
        totals[0:2] = totals[0] + count, totals[1] + seconds
        if reference and phase in reference.phases:
            their_count, their_seconds = reference.phases[phase]
            totals[2:4] = totals[2] + their_count, totals[3] + their_seconds
            line += f" | {their_count / their_seconds:>18.1f} {ratio(count / seconds, their_count / their_seconds):>8}"
            entry["reference_per_second"] = round(their_count / their_seconds, 1)
        print(line)
        result["phases"][phase] = entry
    line = f"{'whole run':<36} {totals[0]:>8} {totals[1]:>8.1f} {totals[0] / totals[1]:>7.1f}"
    if reference and totals[3]:
        line += f" | {totals[2] / totals[3]:>18.1f} {ratio(totals[0] / totals[1], totals[2] / totals[3]):>8}"
    print(line)

    print("\nLatency per operation (ms, successful requests) and storage requests per operation")
    head = f"{'operation':<40} {'n':>5} {'fail':>4} {'p50':>6} {'p95':>6} {'p99':>6} {'storage':>14}"
    if reference:
        head += f" | {'n':>5} {'fail':>4} {'p50':>6} {'p95':>6} {'p99':>6} | {'p50 ours/ref':>12}"
    print(head)
    for operation in operations(sizes):
        mine = stats(ours, operation)
        line = (
            f"{operation:<40} {mine.count:>5} {mine.failed + mine.skipped:>4} {mine.p50:>6.1f} {mine.p95:>6.1f} "
            f"{mine.p99:>6.1f} {storage_text(mine.storage):>14}"
        )
        entry = {"ours": mine.__dict__}
        if reference:
            theirs = stats(reference, operation)
            line += (
                f" | {theirs.count:>5} {theirs.failed + theirs.skipped:>4} {theirs.p50:>6.1f} {theirs.p95:>6.1f} "
                f"{theirs.p99:>6.1f} | {ratio(mine.p50, theirs.p50):>12}"
            )
            entry["reference"] = theirs.__dict__
        print(line)
        result["operations"][operation] = entry
    for run in (ours, reference):
        if run is None:
            continue
        for operation, examples in run.failures.items():
            print(f"{run.name}: {operation} failed, e.g. {examples[0]}")
        if run.skipped.get("(steps after the deadline)"):
            print(f"{run.name}: {run.skipped['(steps after the deadline)']} steps skipped after the deadline")
    print("fail = failed or skipped requests; storage = requests to Table Storage per operation, mean (min-max);")
    if reference:
        print("right of the first |: the same workload against scim2-server (in memory, no storage requests)")
    return result


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000, help="users in the initial sync (default 5,000)")
    parser.add_argument("--groups", type=int, default=200, help="groups in the initial sync (default 200)")
    parser.add_argument("--members", type=int, default=25, help="members of each group (default 25)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (default 4)")
    parser.add_argument("--deadline", type=float, default=15, help="minutes per server before skipping (default 15)")
    parser.add_argument("--no-reference", action="store_true", help="skip the run against scim2-server")
    parser.add_argument("--json", help="also write the results to this JSON file")
    return parser.parse_args()


def main() -> None:
    arguments = parse_arguments()
    sizes = Sizes(arguments.users, arguments.groups, arguments.members, arguments.clients, arguments.deadline * 60)
    ours = Run("this endpoint")
    started = time.perf_counter()
    with local_host(settings={**COUNTING, **UNTHROTTLED}) as host:
        Workload(host.endpoint(), sizes, ours).execute()
    print(f"this endpoint: {time.perf_counter() - started:.0f} s", flush=True)
    reference = None
    if not arguments.no_reference:
        from bench.reference import reference_endpoint

        reference = Run("scim2-server")
        started = time.perf_counter()
        with reference_endpoint() as endpoint:
            Workload(endpoint, sizes, reference).execute()
        print(f"scim2-server: {time.perf_counter() - started:.0f} s", flush=True)
    result = report(sizes, ours, reference)
    if arguments.json:
        with open(arguments.json, "w", encoding="utf-8") as output:
            json.dump(result, output, indent=2)


if __name__ == "__main__":
    main()
