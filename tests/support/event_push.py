"""Event push tests: a table of the test's own (registrations live outside tenants' partitions, so
relays of other tests must not see them), the relay on Azurite's Table and Queue services, and
faults between enqueue and bookkeeping."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.data.tables import TableClient, TableServiceClient

from scim.service.event_push import EventRelay, QueueSender
from scim.service.events import EventService
from scim.service.journal import key_time
from scim.storage.event_push import TablePushStore
from scim.storage.events import TableEventStore
from scim.storage.resources import TableResourceRepository
from scim.storage.tables import StorageRequestCounter
from tests.support.events import FakeClock
from tests.support.http import HOST
from tests.support.queues import queue_sender, require_azurite_queue


@pytest.fixture
def push_table(azurite: str) -> Iterator[TableClient]:
    """A fresh table for one test, its requests counted by the production policy, deleted afterwards."""
    require_azurite_queue()
    name = "push" + uuid.uuid4().hex[:12]
    service = TableServiceClient.from_connection_string(azurite)
    service.create_table(name)
    yield TableClient.from_connection_string(azurite, name, per_retry_policies=[StorageRequestCounter()])
    service.delete_table(name)


def new_queue_name() -> str:
    return "q-" + uuid.uuid4().hex[:16]


def tenant_url(tenant: str) -> str:
    """The Tenant URL of requests the tests send through function_app (``tests.support.http``)."""
    return f"{HOST}/scim/{tenant}/v2"


def register(table: TableClient, tenant: str, queue: str) -> None:
    """Push ``tenant``'s events to ``queue`` from now on, as the admin command registers it."""
    TablePushStore(TableResourceRepository(table)).register(tenant, queue, tenant_url(tenant), key_time(now()))


def now() -> datetime:
    return datetime.now(UTC)


def relay_on(
    table: TableClient,
    readers: dict[str, str],
    clock: FakeClock,
    *,
    settle_seconds: float = 0,
    sender: QueueSender | None = None,
    **options: int,
) -> EventRelay:
    """The production relay on ``table`` and Azurite's queues, tenants' reader credentials from ``readers``."""
    repository = TableResourceRepository(table)
    events = EventService(TableEventStore(repository), clock=clock, settle_seconds=settle_seconds)
    return EventRelay(TablePushStore(repository), sender or queue_sender(), events, readers.get, **options)


def registration_high(table: TableClient, tenant: str) -> str | None:
    registration = TablePushStore(TableResourceRepository(table)).registration(tenant)
    return registration.high if registration else None


class Crash(BaseException):
    """The process dies here: nothing after it runs (not an error the relay could handle)."""


class CrashOnSavingTheMark(SansIOHTTPPolicy):
    """Kills the relay when it sends the request that saves a registration's mark: after its SETs
    were enqueued, before the bookkeeping."""

    def on_request(self, request) -> None:
        http = request.http_request
        if http.method in ("MERGE", "PATCH") and "push" in http.url:
            raise Crash()


class MeetBeforeFirstSend:
    """Passes messages to ``sender``; holds the first until every relay sharing ``barrier`` has
    read its registrations and journal (so that they run truly at once)."""

    def __init__(self, sender: QueueSender, barrier: threading.Barrier):
        self._sender, self._barrier, self._met = sender, barrier, False

    def send(self, queue: str, message: str) -> None:
        if not self._met:
            self._met = True
            self._barrier.wait(timeout=30)
        self._sender.send(queue, message)


def run_at_once(*relays: Callable[[], object]) -> None:
    threads = [threading.Thread(target=relay) for relay in relays]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
