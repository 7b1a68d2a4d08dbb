"""The event push relay on Azurite's Table and Queue services: what it sends, when, once per row
and at least once through crashes and concurrent runs. The clock is faked, storage is not."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from azure.data.tables import TableClient

from scim.api.retention import sweep_journals
from scim.service import journal
from scim.service.users import UserService
from scim.storage.events import TableEventStore
from scim.storage.resources import TableResourceRepository
from tests.support.bodies import user_body
from tests.support.event_push import (
    Crash,
    CrashOnSavingTheMark,
    MeetBeforeFirstSend,
    new_queue_name,
    now,
    register,
    registration_high,
    relay_on,
    run_at_once,
)
from tests.support.events import FakeClock, verified_claims
from tests.support.queues import CONNECTION_STRING, CountedRequests, consumed, queue_sender
from tests.support.storage import journal_rows

EVENT = "urn:ietf:params:scim:event:"
LARGE_EXTENSION = "urn:ietf:params:scim:schemas:extension:Large:2.0:User"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def readers(tenant: str) -> dict[str, str]:
    return {tenant: "reader-" + uuid.uuid4().hex}


@pytest.fixture
def queue(push_table: TableClient, tenant: str) -> str:
    name = new_queue_name()
    register(push_table, tenant, name)
    return name


def write_users(table: TableClient, tenant: str, count: int) -> list[str]:
    """Create ``count`` users (one journal row each); the keys of the tenant's journal rows so far."""
    users = UserService(TableResourceRepository(table))
    for _ in range(count):
        users.create(tenant, user_body(f"user-{uuid.uuid4().hex[:8]}@example.com"))
    return [row["RowKey"].removeprefix("jnl:") for row in journal_rows(table, tenant)]


def pushed_jtis(queue: str, reader: str) -> list[str]:
    return [verified_claims(token, reader)["jti"] for token in consumed(queue)]


def test_each_settled_journal_row_is_pushed_once_in_journal_order_as_a_signed_set(
    push_table, tenant, readers, queue, clock
):
    keys = write_users(push_table, tenant, 3)
    relay = relay_on(push_table, readers, clock)

    first = relay.run()
    pushed = [verified_claims(token, readers[tenant]) for token in consumed(queue)]
    relay.run()

    assert first[tenant] == 3
    assert [claims["jti"] for claims in pushed] == keys
    assert {tuple(claims["events"]) for claims in pushed} == {(EVENT + "prov:create:notice",)}
    assert consumed(queue) == []


def test_rows_younger_than_the_settle_time_are_pushed_only_once_settled(push_table, tenant, readers, queue, clock):
    keys = write_users(push_table, tenant, 2)
    relay = relay_on(push_table, readers, clock, settle_seconds=120)

    relay.run()
    before_settled = consumed(queue)
    clock.advance(121)
    relay.run()

    assert before_settled == []
    assert pushed_jtis(queue, readers[tenant]) == keys


def test_an_unregistered_tenant_sends_nothing(push_table, tenant, readers, queue, clock):
    other = "t-" + uuid.uuid4().hex[:16]
    readers[other] = "reader-" + uuid.uuid4().hex
    write_users(push_table, other, 2)
    keys = write_users(push_table, tenant, 1)

    sent = relay_on(push_table, readers, clock).run()

    assert sent == {tenant: 1}
    assert pushed_jtis(queue, readers[tenant]) == keys


def test_a_crash_between_enqueue_and_saving_the_mark_resends_those_sets_and_only_those(
    push_table, tenant, readers, queue, clock
):
    crashing = TableClient.from_connection_string(
        CONNECTION_STRING, push_table.table_name, per_retry_policies=[CrashOnSavingTheMark()]
    )
    before_crash = write_users(push_table, tenant, 3)
    with pytest.raises(Crash):
        relay_on(crashing, readers, clock).run()
    sent_before_crash = pushed_jtis(queue, readers[tenant])
    keys = write_users(push_table, tenant, 1)

    relay_on(push_table, readers, clock).run()
    sent_after_restart = pushed_jtis(queue, readers[tenant])

    assert sent_before_crash == before_crash
    assert sent_after_restart == keys  # the three again, and the new one
    assert registration_high(push_table, tenant) == keys[-1]


def test_two_relays_at_once_lose_nothing(push_table, tenant, readers, queue, clock):
    keys = write_users(push_table, tenant, 5)
    barrier = threading.Barrier(2)
    relays = [
        relay_on(push_table, readers, clock, sender=MeetBeforeFirstSend(queue_sender(), barrier)) for _ in range(2)
    ]

    run_at_once(*(relay.run for relay in relays))
    pushed_at_once = pushed_jtis(queue, readers[tenant])
    later = write_users(push_table, tenant, 2)[len(keys) :]
    relay_on(push_table, readers, clock).run()

    assert sorted(pushed_at_once) == sorted(keys * 2)  # both sent every row; duplicates by jti only
    assert registration_high(push_table, tenant) == later[-1]
    assert pushed_jtis(queue, readers[tenant]) == later


def test_the_mark_survives_retention_sweeping_the_rows_it_passed(push_table, tenant, readers, queue, clock):
    write_users(push_table, tenant, 2)
    relay = relay_on(push_table, readers, clock)
    relay.run()
    consumed(queue)

    sweep_journals(TableEventStore(TableResourceRepository(push_table)), now() + timedelta(days=31), 30)
    swept_to = journal_rows(push_table, tenant)
    keys = write_users(push_table, tenant, 1)
    relay.run()

    assert swept_to == []
    assert pushed_jtis(queue, readers[tenant]) == keys


def test_a_tenant_without_an_event_reader_credential_keeps_its_rows_until_it_has_one(
    push_table, tenant, readers, queue, clock
):
    keys = write_users(push_table, tenant, 2)
    registered_at = registration_high(push_table, tenant)

    without_reader = relay_on(push_table, {}, clock).run()
    mark_without_reader = registration_high(push_table, tenant)
    relay_on(push_table, readers, clock).run()

    assert without_reader == {tenant: 0}
    assert mark_without_reader == registered_at
    assert pushed_jtis(queue, readers[tenant]) == keys


def test_a_tenant_whose_queue_refuses_keeps_its_mark_and_the_others_are_relayed(
    push_table, tenant, readers, queue, clock
):
    broken = "t-" + uuid.uuid4().hex[:16]
    readers[broken] = "reader-" + uuid.uuid4().hex
    register(push_table, broken, "Not_A_Queue_Name")  # the queue service answers 400
    registered_at = registration_high(push_table, broken)
    write_users(push_table, broken, 1)
    keys = write_users(push_table, tenant, 1)

    sent = relay_on(push_table, readers, clock).run()

    assert sent == {broken: 0, tenant: 1}
    assert registration_high(push_table, broken) == registered_at
    assert pushed_jtis(queue, readers[tenant]) == keys


def test_a_run_relays_at_most_its_cap_of_rows_per_tenant(push_table, tenant, readers, queue, clock):
    keys = write_users(push_table, tenant, 5)
    relay = relay_on(push_table, readers, clock, max_rows_per_tenant=2)

    runs = [relay.run()[tenant] for _ in range(4)]

    assert runs == [2, 2, 1, 0]
    assert pushed_jtis(queue, readers[tenant]) == keys


def test_a_run_costs_one_table_query_then_per_tenant_a_journal_query_and_a_save_and_a_queue_request_per_set(
    push_table, tenant, readers, clock, request_counter
):
    idle = relay_on(push_table, readers, clock)
    nothing_registered = request_counter.sent_by(idle.run)
    queue = new_queue_name()
    register(push_table, tenant, queue)
    queue_requests = CountedRequests()
    relay = relay_on(push_table, readers, clock, sender=queue_sender(queue_requests))

    write_users(push_table, tenant, 10)
    first_table = request_counter.sent_by(relay.run)
    first_queue = queue_requests.count
    write_users(push_table, tenant, 10)
    second_table = request_counter.sent_by(relay.run)
    second_queue = queue_requests.count - first_queue
    nothing_new = request_counter.sent_by(relay.run)

    assert nothing_registered == 1  # the range query of registrations
    assert (first_table, first_queue) == (3, 12)  # the queue's creation: a refused send, create, send again
    assert (second_table, second_queue) == (3, 10)
    assert nothing_new == 2
    assert len(consumed(queue)) == 20


def test_a_full_event_too_large_for_a_queue_message_is_pushed_as_its_notice(push_table, tenant, readers, queue, clock):
    users = UserService(TableResourceRepository(push_table))
    with journal.begin_request(journal.RequestFacts("req-full", "token:current", event_form="full")):
        users.create(tenant, user_body("small@example.com"))
        users.create(tenant, user_body("large@example.com", **{LARGE_EXTENSION: {"blob": "x" * 60_000}}))

    relay_on(push_table, readers, clock).run()
    small, large = [verified_claims(token, readers[tenant])["events"] for token in consumed(queue)]

    assert small[EVENT + "prov:create:full"]["data"]["userName"] == "small@example.com"
    assert list(large) == [EVENT + "prov:create:notice"]
