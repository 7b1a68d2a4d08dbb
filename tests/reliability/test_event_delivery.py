"""20 concurrent writers and a consumer that crashes mid-stream and restarts: every change arrives,
duplicates are only redeliveries (removed by jti), and each resource's events are first delivered in
order (a redelivery comes later than newer events: the application orders by jti, docs/events.md)."""

from __future__ import annotations

import threading
import time
import uuid

from azure.data.tables import TableClient

from scim.storage.resources import TableResourceRepository
from tests.support.bodies import patch_body, user_body
from tests.support.concurrency import race
from tests.support.events import FakeClock, poll, serving_events, verified_claims
from tests.support.http import Client, created, json_of
from tests.support.storage import journal_rows

WRITERS = 20
PATCHES_PER_USER = 3
REDELIVERY_SECONDS = 1.0
SETTLE_SECONDS = 2.0  # longer than any transaction here takes to commit
CRASH_AFTER_EVENTS = 20


def write_a_user_lifecycle(users: Client, number: int) -> None:
    user = created(users, user_body(f"writer{number}@example.com"))
    for step in range(PATCHES_PER_USER):
        body = patch_body({"op": "replace", "path": "displayName", "value": f"Writer {number} v{step}"})
        assert users.call("PATCH", f"/{user['id']}", body).status_code == 200
    if number % 2:
        assert users.call("DELETE", f"/{user['id']}").status_code == 204


class Consumer:
    """An application: polls 10 at a time, applies (records) and acknowledges; ``crash`` makes the
    next poll's SETs be dropped unacknowledged, as if the process died after receiving them."""

    def __init__(self, tenant: str, reader: str):
        self.tenant, self.reader = tenant, reader
        self.received: list[tuple[str, str]] = []  # (jti, subject) applied, in order of arrival
        self.deliveries: list[tuple[str, str]] = []  # every SET delivered, duplicates kept
        self.lost_in_crash: set[str] = set()
        self.polls = 0
        self.crashes = 0

    def run_until(self, done: threading.Event, quiet_seconds: float) -> None:
        pending_ack: list[str] = []
        last_event = time.monotonic()
        while not done.is_set() or time.monotonic() - last_event < quiet_seconds:
            body = json_of(poll(self.tenant, self.reader, {"ack": pending_ack, "maxEvents": 10}))
            self.polls += 1
            pending_ack = []
            if body["sets"]:
                last_event = time.monotonic()
            delivered = [
                (jti, verified_claims(token, self.reader)["sub_id"]["uri"]) for jti, token in body["sets"].items()
            ]
            self.deliveries += delivered
            if delivered and not self.crashes and len({jti for jti, _ in self.deliveries}) > CRASH_AFTER_EVENTS:
                self.crashes += 1  # received, never applied nor acknowledged: the restart starts afresh
                self.lost_in_crash = {jti for jti, _ in delivered}
                continue
            for jti, subject in delivered:
                if jti not in {seen for seen, _ in self.received}:  # dedupe by jti
                    self.received.append((jti, subject))
                pending_ack.append(jti)
            time.sleep(0.05)
        if pending_ack:
            poll(self.tenant, self.reader, {"ack": pending_ack, "maxEvents": 0})


def test_every_change_arrives_once_after_dedupe_in_order_per_resource_despite_a_consumer_crash(
    table: TableClient, tenant: str
):
    tokens, readers = {tenant: "token-" + uuid.uuid4().hex}, {tenant: "reader-" + uuid.uuid4().hex}
    users = Client(tenant, tokens[tenant], "Users")
    consumer = Consumer(tenant, readers[tenant])
    done = threading.Event()
    with serving_events(
        TableResourceRepository(table),
        tokens,
        readers,
        FakeClock(),
        redelivery_seconds=REDELIVERY_SECONDS,
        settle_seconds=SETTLE_SECONDS,
    ):
        reader = threading.Thread(target=consumer.run_until, args=(done, SETTLE_SECONDS + REDELIVERY_SECONDS + 2))
        reader.start()
        race(*[lambda number=number: write_a_user_lifecycle(users, number) for number in range(WRITERS)])
        done.set()
        reader.join(timeout=120)

    journal = [row["RowKey"].removeprefix("jnl:") for row in journal_rows(table, tenant)]
    delivered = [jti for jti, _ in consumer.deliveries]
    redelivered = [jti for position, jti in enumerate(delivered) if jti in delivered[:position]]
    assert consumer.crashes == 1 and consumer.lost_in_crash
    assert len(journal) == WRITERS * (2 + PATCHES_PER_USER) - WRITERS // 2  # create, 3 patches, half deleted
    assert sorted(jti for jti, _ in consumer.received) == sorted(journal)  # every change applied, once
    assert set(redelivered) == consumer.lost_in_crash  # duplicates: only what was never acknowledged
    first_deliveries = list(dict.fromkeys(consumer.deliveries))
    for subject in {subject for _, subject in first_deliveries}:
        mine = [jti for jti, seen in first_deliveries if seen == subject]
        assert mine == sorted(mine), f"events of {subject} first delivered out of order"
