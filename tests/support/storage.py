"""Storage for the tests: storage requests counted as production counts them, a policy failing
the Nth request, and rows built for the repository directly."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.data.tables import TableClient

from scim.platform import request_count
from scim.service.ports import IndexEntry, StoredResource
from scim.service.resources import utc_now

Result = TypeVar("Result")


class StorageRequests:
    """The storage requests sent so far by the table clients that carry the production counting
    policy (``scim.storage.tables.StorageRequestCounter``), retries included."""

    def __init__(self, count: Callable[[], int]):
        self._count = count

    @property
    def count(self) -> int:
        return self._count()

    def sent_by(self, action: Callable[[], object]) -> int:
        """How many storage requests ``action`` sent."""
        return self.during(action)[0]

    def during(self, action: Callable[[], Result]) -> tuple[int, Result]:
        """How many storage requests ``action`` sent, and what it returned."""
        before = self.count
        result = action()
        return self.count - before, result


@contextmanager
def storage_requests() -> Iterator[StorageRequests]:
    """Count inside the block with ``scim.platform.request_count``, the tally production uses."""
    with request_count.counting() as count:
        yield StorageRequests(count)


class FailRequestNumber(SansIOHTTPPolicy):
    """Fails the ``number``-th request: before it is sent (``lost="request"``, as when storage
    cannot be reached) or after storage answered (``lost="response"``: the write may have happened).

    ``number`` 0 fails nothing: it counts the requests (and records their methods).
    """

    def __init__(self, number: int = 0, lost: str = "request"):
        self.number = number
        self.lost = lost
        self.methods: list[str] = []

    @property
    def sent(self) -> int:
        return len(self.methods)

    def on_request(self, request) -> None:
        self.methods.append(request.http_request.method)
        if self.lost == "request" and self.sent == self.number:
            raise ServiceRequestError("injected fault: storage unreachable")

    def on_response(self, request, response) -> None:
        if self.lost == "response" and self.sent == self.number:
            raise ServiceResponseError("injected fault: the response was lost")


def make_resource(user_name: str = "alice", **attributes) -> StoredResource:
    """A User as the service hands it to the repository, with a fresh id."""
    return StoredResource(
        resource_type="User",
        id=str(uuid.uuid4()),
        attributes={"userName": user_name, **attributes},
        created=utc_now(),
        last_modified=utc_now(),
    )


def user_name_index(value: str) -> IndexEntry:
    return IndexEntry("userName", value, unique=True)


def rows_in(table: TableClient, tenant: str) -> list[str]:
    """The RowKeys of ``tenant``'s partition, its journal rows (``journal_rows``) left out."""
    return [key for key in all_rows_in(table, tenant) if not key.startswith("jnl:")]


def all_rows_in(table: TableClient, tenant: str) -> list[str]:
    """The RowKeys of ``tenant``'s partition, journal rows included."""
    return [row["RowKey"] for row in table.query_entities("PartitionKey eq @t", parameters={"t": tenant})]


def journal_rows(table: TableClient, tenant: str) -> list[dict]:
    """The journal rows of ``tenant``'s partition, in key order."""
    query = "PartitionKey eq @t and RowKey ge 'jnl:' and RowKey lt 'jnl;'"
    return list(table.query_entities(query, parameters={"t": tenant}))
