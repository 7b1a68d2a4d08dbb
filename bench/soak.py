"""Soak: minutes of mixed, Entra-like provisioning traffic from concurrent clients, over real HTTP
through the local host on loopback; every answer is checked, then the stored rows are.

    .venv/bin/python -m bench.soak [--seconds 180] [--clients 8] [--max-requests 500000] [--seed 1]

Each client provisions users of its own (so that every answer can be predicted) into groups
shared by all clients (so that membership changes race on the same group rows): Entra's lookup by
userName before each change, creates, attribute PATCHes in Entra's shapes, disables, PUTs, reads,
member additions and removals, group reads with excludedAttributes=members, listings by index and
by cursor, and deletes. Any answer other than the one expected is an error; 429 and 503 are
counted apart (and the request resent after Retry-After, at most 2 s), since they are the
service's way of asking for a retry. Bounded by --seconds and --max-requests; every request times
out after 60 s. Exits non-zero when there was an error or the stored state is inconsistent.
"""

from __future__ import annotations

import argparse
import http.client
import ipaddress
import json
import random
import sys
import threading
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import quote_plus, urlsplit

from azure.data.tables import TableClient

from bench.harness import (
    AZURITE,
    GROUP_SCHEMA,
    PATCH_OP_SCHEMA,
    TENANT,
    USER_SCHEMA,
    Endpoint,
    local_host,
    percentile,
)

GROUPS = 6
USERS_PER_CLIENT = 40
MAX_RETRIES_OF_ONE_REQUEST = 10
MAX_RETRY_AFTER_SECONDS = 2.0
HOSTILE_TENANT = "hostile"
# A resent request whose first attempt was cut off may find its own write done: a create then
# answers 409 (the client looks the user up, as Entra does), a delete 404.
DONE_BEFORE_THE_CONNECTION_DROPPED = {("POST", 409), ("DELETE", 404)}


@dataclass
class Tally:
    """What every client saw, merged under a lock."""

    seconds: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    error_count: int = 0
    retry_answers: Counter = field(default_factory=Counter)  # status (429, 503) -> count
    storage_requests: dict[str, Counter] = field(default_factory=lambda: defaultdict(Counter))  # when counted
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def requests(self) -> int:
        return sum(len(values) for values in self.seconds.values())

    def record(self, name: str, seconds: float, storage_requests: int | None = None) -> None:
        with self.lock:
            self.seconds[name].append(seconds)
            if storage_requests is not None:
                self.storage_requests[name][storage_requests] += 1

    def error(self, text: str) -> None:
        with self.lock:
            self.error_count += 1
            if len(self.errors) < 20:
                self.errors.append(text)

    def retry_answer(self, status: int | str) -> None:
        with self.lock:
            self.retry_answers[status] += 1


class Pacer:
    """Spaces the requests of all the clients sharing it to at most ``rate`` a second (Entra's pace is 25)."""

    def __init__(self, rate: float):
        self._interval = 1 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = time.monotonic()
            self._next = max(self._next + self._interval, now)
            delay = self._next - now
        if delay > 0:
            time.sleep(delay)


class Client:
    """One provisioning client with users of its own; ``step`` sends one Entra-like exchange."""

    def __init__(
        self,
        number: int,
        endpoint: Endpoint,
        group_ids: list[str],
        tally: Tally,
        seed: int,
        *,
        resend_dropped: bool = False,
        pacer: Pacer | None = None,
    ):
        self.endpoint, self.group_ids, self.tally, self.pacer = endpoint, group_ids, tally, pacer
        self.resend_dropped = resend_dropped  # resend a request whose connection dropped (an instance died)
        self.random = random.Random(seed * 1000 + number)
        self.names = [f"soak-{number}-{index}@example.com" for index in range(USERS_PER_CLIENT)]
        self.ids: dict[str, str] = {}  # userName -> id, for the users that exist
        self.memberships: set[tuple[str, str]] = set()  # (group id, user id) this client added
        self.steps: list[tuple[float, Callable[[], None]]] = [
            (3, self.provision),
            (4, self.update),
            (2, self.read_user),
            (1, self.disable_or_enable),
            (0.5, self.replace_user),
            (3, self.add_to_group),
            (1.5, self.remove_from_group),
            (1, self.read_group),
            (1, self.find_group),
            (0.5, self.delete_user),
            (0.3, self.list_by_index),
            (0.2, self.list_by_cursor),
        ]

    # --- one request ------------------------------------------------------------------------

    def send(self, name: str, method: str, path: str, body: dict | None, expected: int) -> dict | None:
        """Send, resending after 429/503 (and a dropped connection, with ``resend_dropped``); record
        the latency; an unexpected status is an error."""
        dropped = False
        for _ in range(MAX_RETRIES_OF_ONE_REQUEST):
            if self.pacer is not None:
                self.pacer.wait()
            try:
                response = self.endpoint.request(method, path, body)
            except (OSError, http.client.HTTPException) as problem:
                if not self.resend_dropped:
                    self.tally.error(f"{name}: {method} {path}: {type(problem).__name__}")
                    return None
                self.tally.retry_answer("dropped")
                dropped = True
                time.sleep(0.1)
                continue
            self.tally.record(name, response.seconds, response.storage_requests)
            if response.status in (429, 503):
                self.tally.retry_answer(response.status)
                time.sleep(min(MAX_RETRY_AFTER_SECONDS, 1.0))
                continue
            if dropped and (method, response.status) in DONE_BEFORE_THE_CONNECTION_DROPPED:
                return {}
            if response.status != expected:
                detail = (response.body or {}).get("detail", "")
                self.tally.error(f"{name}: {method} {urlsplit(path).path} answered {response.status}: {detail}")
                return None
            return response.body if response.body is not None else {}
        self.tally.error(f"{name}: still 429/503 after {MAX_RETRIES_OF_ONE_REQUEST} attempts")
        return None

    def lookup(self, user_name: str) -> None:
        """Entra's query before each change; the answer must match what this client knows."""
        path = "/Users?filter=" + quote_plus(f'userName eq "{user_name}"')
        listed = self.send("lookup", "GET", path, None, 200)
        if listed is not None and listed.get("totalResults") != (1 if user_name in self.ids else 0):
            self.tally.error(
                f"lookup: {listed.get('totalResults')} results for a user that should "
                f"{'' if user_name in self.ids else 'not '}exist"
            )

    # --- steps --------------------------------------------------------------------------------

    def step(self) -> None:
        weights = [weight for weight, _ in self.steps]
        self.random.choices([action for _, action in self.steps], weights)[0]()

    def existing(self) -> str | None:
        return self.random.choice(sorted(self.ids)) if self.ids else None

    def provision(self) -> None:
        missing = [name for name in self.names if name not in self.ids]
        if not missing:
            return self.update()
        user_name = self.random.choice(missing)
        self.lookup(user_name)
        body = {
            "schemas": [USER_SCHEMA, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": user_name,
            "externalId": user_name.split("@")[0],
            "active": True,
            "displayName": f"Soak {user_name.split('@')[0]}",
            "name": {"givenName": "Soak", "familyName": user_name.split("@")[0]},
            "emails": [{"value": user_name, "type": "work", "primary": True}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Reliability"},
        }
        created = self.send("create", "POST", "/Users", body, 201)
        if created == {}:  # an attempt whose answer was lost created the user: find it, as Entra does
            created = self.found(user_name)
        if created is not None:
            self.ids[user_name] = created["id"]
        return None

    def found(self, user_name: str) -> dict | None:
        path = "/Users?filter=" + quote_plus(f'userName eq "{user_name}"')
        resources = (self.send("lookup", "GET", path, None, 200) or {}).get("Resources") or []
        if len(resources) != 1:
            self.tally.error(f"lookup: {len(resources)} users found after a create whose answer was lost")
            return None
        return resources[0]

    def update(self) -> None:
        user_name = self.existing()
        if user_name is None:
            return
        self.lookup(user_name)
        value = f"v{self.random.randrange(10**6)}"
        operations = self.random.choice(
            [
                [{"op": "Replace", "path": "displayName", "value": f"Soak {value}"}],
                [{"op": "Replace", "path": 'emails[type eq "work"].value', "value": f"{value}@example.com"}],
                [{"op": "replace", "value": {"name.givenName": value, "title": "Engineer"}}],
                [
                    {
                        "op": "Add",
                        "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                        "value": value,
                    }
                ],
            ]
        )
        body = {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}
        self.send("patch user", "PATCH", f"/Users/{self.ids[user_name]}", body, 200)

    def read_user(self) -> None:
        if (user_name := self.existing()) is not None:
            self.send("get user", "GET", f"/Users/{self.ids[user_name]}", None, 200)

    def disable_or_enable(self) -> None:
        if (user_name := self.existing()) is not None:
            self.lookup(user_name)
            active = self.random.choice(["False", "True"])  # Entra's booleans as strings
            body = {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "Replace", "path": "active", "value": active}]}
            self.send("disable", "PATCH", f"/Users/{self.ids[user_name]}", body, 200)

    def replace_user(self) -> None:
        if (user_name := self.existing()) is not None:
            body = {"schemas": [USER_SCHEMA], "userName": user_name, "active": True, "title": "Replaced"}
            self.send("put user", "PUT", f"/Users/{self.ids[user_name]}", body, 200)

    def add_to_group(self) -> None:
        if (user_name := self.existing()) is not None:
            group_id, user_id = self.random.choice(self.group_ids), self.ids[user_name]
            body = {
                "schemas": [PATCH_OP_SCHEMA],
                "Operations": [{"op": "Add", "path": "members", "value": [{"value": user_id}]}],
            }
            if self.send("add member", "PATCH", f"/Groups/{group_id}", body, 204) is not None:
                self.memberships.add((group_id, user_id))

    def remove_from_group(self) -> None:
        if not self.memberships:
            return self.add_to_group()
        group_id, user_id = self.random.choice(sorted(self.memberships))
        operation = self.random.choice(
            [
                {"op": "Remove", "path": f'members[value eq "{user_id}"]'},
                {"op": "Remove", "path": "members", "value": [{"value": user_id}]},
            ]
        )
        body = {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]}
        if self.send("remove member", "PATCH", f"/Groups/{group_id}", body, 204) is not None:
            self.memberships.discard((group_id, user_id))
        return None

    def read_group(self) -> None:
        group_id = self.random.choice(self.group_ids)
        self.send("get group", "GET", f"/Groups/{group_id}?excludedAttributes=members", None, 200)

    def find_group(self) -> None:
        number = self.random.randrange(GROUPS)
        path = "/Groups?excludedAttributes=members&filter=" + quote_plus(f'displayName eq "Soak group {number}"')
        listed = self.send("find group", "GET", path, None, 200)
        if listed is not None and listed.get("totalResults") != 1:
            self.tally.error(f"find group: {listed.get('totalResults')} results for an existing group")

    def delete_user(self) -> None:
        if (user_name := self.existing()) is not None:
            user_id = self.ids[user_name]
            if self.send("delete user", "DELETE", f"/Users/{user_id}", None, 204) is not None:
                del self.ids[user_name]
                self.memberships = {(g, u) for g, u in self.memberships if u != user_id}

    def list_by_index(self) -> None:
        self.send("list (index)", "GET", f"/Users?startIndex={self.random.randrange(1, 50)}&count=50", None, 200)

    def list_by_cursor(self) -> None:
        page = self.send("list (cursor)", "GET", "/Users?cursor=&count=50", None, 200)
        if page is not None and page.get("nextCursor"):
            self.send("list (cursor)", "GET", f"/Users?count=50&cursor={quote_plus(page['nextCursor'])}", None, 200)


class Hostile:
    """A second tenant that never backs off: unindexed scans, sorted listings, a large group read in
    full, and malformed requests (wrong media type, duplicate keys, lone surrogates, deep nesting,
    PATCH without value, unknown ids); every answer is counted by status, and any 5xx is a failure."""

    USERS = 300

    def __init__(self, endpoint: Endpoint, seed: int):
        self.endpoint = endpoint
        self.statuses: Counter = Counter()
        self.lock = threading.Lock()
        self.group_id = ""
        self.user_ids: list[str] = []

    def prepare(self) -> None:
        """Users to scan and sort, all in one group (so a full read of it is expensive)."""
        for number in range(self.USERS):
            while True:
                response = self.endpoint.request(
                    "POST", "/Users", {"schemas": [USER_SCHEMA], "userName": f"h{number}", "title": f"t{number % 7}"}
                )
                if response.status != 429:
                    break
                time.sleep(0.2)
            if response.status == 201 and response.body is not None:
                self.user_ids.append(response.body["id"])
        created = self.endpoint.request("POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": "everyone"})
        self.group_id = (created.body or {}).get("id", "")
        for start in range(0, len(self.user_ids), 100):
            members = [{"value": user_id} for user_id in self.user_ids[start : start + 100]]
            operation = {"op": "add", "path": "members", "value": members}
            self.endpoint.request(
                "PATCH", f"/Groups/{self.group_id}", {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]}
            )

    def step(self, generator: random.Random) -> None:
        kind = generator.choice(["scan", "sort", "group", "search", "raw", "raw", "patch", "unknown"])
        if kind == "scan":
            status = self.endpoint.request("GET", "/Users?filter=" + quote_plus('title co "t" or nickName pr')).status
        elif kind == "sort":
            status = self.endpoint.request("GET", "/Users?sortBy=title&sortOrder=descending&count=200").status
        elif kind == "group":
            status = self.endpoint.request("GET", f"/Groups/{self.group_id}").status
        elif kind == "search":
            body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'userName ew "9"'}
            status = self.endpoint.request("POST", "/Users/.search", body).status
        elif kind == "patch":
            operation = {"op": "add", "path": "nickName"}  # no value: 400
            body = {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]}
            status = self.endpoint.request("PATCH", f"/Users/{generator.choice(self.user_ids)}", body).status
        elif kind == "unknown":
            status = self.endpoint.request("GET", f"/Users/{uuid.uuid4()}").status
        else:
            status = self._raw(generator)
        with self.lock:
            self.statuses[status] += 1

    def _raw(self, generator: random.Random) -> int:
        """A malformed request, sent as bytes."""
        user = USER_SCHEMA.encode()
        choices = [
            ("POST", "/Users", "text/plain", b'{"schemas": ["' + user + b'"], "userName": "x"}'),
            (
                "POST",
                "/Users",
                "application/scim+json",
                b'{"schemas": ["' + user + b'"], "userName": "a", "userName": "b"}',
            ),
            ("POST", "/Users", "application/scim+json", b'{"schemas": ["' + user + b'"], "userName": "\\ud800"}'),
            ("POST", "/Users", "application/scim+json", b"[" * 50_000 + b"]" * 50_000),
            ("GET", "/Users?filter=" + quote_plus('userName eq "x\\ud800"'), None, b""),
            ("GET", "/Users?filter=" + quote_plus("(" * 3000 + 'userName eq "x"' + ")" * 3000), None, b""),
        ]
        method, path, content_type, body = generator.choice(choices)
        target = urlsplit(self.endpoint.tenant_url)
        connection = http.client.HTTPConnection(target.hostname, target.port, timeout=60)
        try:
            headers = {"Authorization": f"Bearer {self.endpoint.token}"}
            if content_type:
                headers["Content-Type"] = content_type
            connection.request(method, target.path + path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status
        finally:
            connection.close()

    def figures(self, elapsed: float) -> dict:
        total = sum(self.statuses.values())
        return {
            "requests": total,
            "requests_per_second": round(total / elapsed, 1) if elapsed else 0.0,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "5xx": sum(count for status, count in self.statuses.items() if status >= 500),
        }


def run(
    seconds: float,
    clients: int,
    max_requests: int,
    seed: int = 1,
    *,
    out=sys.stdout,
    rate: float | None = None,
    hostile_clients: int = 0,
) -> dict:
    """Soak a fresh local host; returns the figures printed (the hostile tenant's under ``hostile``)."""
    with local_host((TENANT, HOSTILE_TENANT)) as host:
        endpoint = host.endpoint()
        address = ipaddress.ip_address(urlsplit(endpoint.tenant_url).hostname)
        assert address.is_loopback, "the soak runs on loopback only"
        hostile = Hostile(host.endpoint(HOSTILE_TENANT), seed) if hostile_clients else None
        figures, tally = drive(
            endpoint,
            host.table_name,
            seconds=seconds,
            clients=clients,
            max_requests=max_requests,
            seed=seed,
            pacer=Pacer(rate) if rate else None,
            hostile=hostile,
            hostile_clients=hostile_clients,
        )
    report(figures, tally, out)
    if hostile is not None:
        print(f"hostile tenant ({hostile_clients} clients): {json.dumps(figures['hostile'])}", file=out)
    return figures


def drive(
    endpoint: Endpoint,
    table_name: str,
    *,
    seconds: float,
    clients: int,
    max_requests: int,
    seed: int,
    resend_dropped: bool = False,
    on_start: Callable[[], None] | None = None,
    pacer: Pacer | None = None,
    hostile: Hostile | None = None,
    hostile_clients: int = 0,
) -> tuple[dict, Tally]:
    """Run the clients against ``endpoint`` (anything with ``Endpoint``'s ``request`` and ``send``),
    then check the tenant's rows in ``table_name``; the figures and the tally.

    ``on_start`` is called once the shared groups exist, as the clients start. ``pacer`` spaces the
    clients' requests; ``hostile``, when given, is prepared first and then sent by
    ``hostile_clients`` threads meanwhile (its figures under ``hostile``)."""
    tally = Tally()
    group_ids = []
    for number in range(GROUPS):
        _, created = endpoint.send(
            "POST", "/Groups", {"schemas": [GROUP_SCHEMA], "displayName": f"Soak group {number}"}
        )
        group_ids.append(created["id"])
    workers = [
        Client(number, endpoint, group_ids, tally, seed, resend_dropped=resend_dropped, pacer=pacer)
        for number in range(clients)
    ]
    if hostile is not None:
        hostile.prepare()
    deadline = time.monotonic() + seconds
    started = time.monotonic()

    def work(client: Client) -> None:
        while time.monotonic() < deadline and tally.requests < max_requests:
            client.step()

    def attack(number: int) -> None:
        assert hostile is not None
        generator = random.Random(seed * 7919 + number)
        while time.monotonic() < deadline:
            hostile.step(generator)

    if on_start is not None:
        on_start()
    threads = [threading.Thread(target=work, args=(client,), daemon=True) for client in workers]
    threads += [threading.Thread(target=attack, args=(number,), daemon=True) for number in range(hostile_clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=seconds + 120)
    elapsed = time.monotonic() - started
    hung = sum(thread.is_alive() for thread in threads)
    if hung:
        tally.error(f"{hung} clients did not finish within {seconds + 120:.0f} s")
    problems = check_stored_state(table_name, workers)
    figures = figures_of(tally, elapsed, clients, problems)
    if hostile is not None:
        figures["hostile"] = hostile.figures(elapsed)
    return figures, tally


def check_stored_state(table_name: str, workers: list[Client]) -> list[str]:
    """The integrity check of tests/reliability, and every client's users and memberships as stored."""
    from tests.reliability.integrity import integrity_problems, read_state

    state = read_state(TableClient.from_connection_string(AZURITE, table_name), "bench")
    problems = integrity_problems(state)
    expected_users = {user_id for worker in workers for user_id in worker.ids.values()}
    if state.ids("User") != expected_users:
        problems.append(f"stored users differ from the clients': {len(state.ids('User'))} vs {len(expected_users)}")
    expected_members = {pair for worker in workers for pair in worker.memberships}
    if state.memberships != expected_members:
        problems.append(f"stored memberships differ: {len(state.memberships)} vs {len(expected_members)}")
    return problems


def figures_of(tally: Tally, elapsed: float, clients: int, problems: list[str]) -> dict:
    every = sorted(value * 1000 for values in tally.seconds.values() for value in values)
    per_operation = {}
    for name, values in sorted(tally.seconds.items()):
        milliseconds = sorted(value * 1000 for value in values)
        per_operation[name] = {
            "requests": len(milliseconds),
            "p50_ms": round(percentile(milliseconds, 0.50), 1),
            "p95_ms": round(percentile(milliseconds, 0.95), 1),
            "p99_ms": round(percentile(milliseconds, 0.99), 1),
        }
        if counted := tally.storage_requests.get(name):
            per_operation[name]["storage_requests"] = dict(sorted(counted.items()))
    return {
        "seconds": round(elapsed, 1),
        "clients": clients,
        "requests": tally.requests,
        "requests_per_second": round(tally.requests / elapsed, 1) if elapsed else 0.0,
        "errors": tally.error_count,
        "retry_answers": {str(status): count for status, count in sorted(tally.retry_answers.items(), key=str)},
        "p50_ms": round(percentile(every, 0.50), 1),
        "p95_ms": round(percentile(every, 0.95), 1),
        "p99_ms": round(percentile(every, 0.99), 1),
        "max_ms": round(every[-1], 1) if every else 0.0,
        "stored_state_problems": len(problems),
        "operations": per_operation,
    }


def report(figures: dict, tally: Tally, out) -> None:
    print(
        f"soak: {figures['requests']} requests in {figures['seconds']} s from {figures['clients']} clients "
        f"({figures['requests_per_second']}/s); errors {figures['errors']}; "
        f"429/503 answers {figures['retry_answers'] or 'none'}; "
        f"stored-state problems {figures['stored_state_problems']}",
        file=out,
    )
    print(
        f"latency ms: p50 {figures['p50_ms']}  p95 {figures['p95_ms']}  p99 {figures['p99_ms']}  "
        f"max {figures['max_ms']}",
        file=out,
    )
    print(f"{'operation':<16}{'requests':>10}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}", file=out)
    for name, values in figures["operations"].items():
        print(
            f"{name:<16}{values['requests']:>10}{values['p50_ms']:>9}{values['p95_ms']:>9}{values['p99_ms']:>9}",
            file=out,
        )
    for text in tally.errors:
        print(f"error: {text}", file=out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=180, help="how long to run (default 180)")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--max-requests", type=int, default=500_000, help="stop after this many (default 500000)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the clients' choices (default 1)")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    parser.add_argument("--rate", type=float, help="pace the clients together to this many requests a second")
    parser.add_argument(
        "--hostile-clients", type=int, default=0, help="clients of a second tenant sending a hostile, expensive mix"
    )
    arguments = parser.parse_args()
    figures = run(
        arguments.seconds,
        arguments.clients,
        arguments.max_requests,
        arguments.seed,
        rate=arguments.rate,
        hostile_clients=arguments.hostile_clients,
    )
    if arguments.json:
        print(json.dumps(figures, indent=2))
    server_errors = figures.get("hostile", {}).get("5xx", 0)
    return 0 if figures["errors"] == 0 and figures["stored_state_problems"] == 0 and server_errors == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
