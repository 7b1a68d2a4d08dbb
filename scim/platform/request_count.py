"""Opt-in count of the storage requests each SCIM request makes, for benchmarks (off by default).

With ``SCIM_COUNT_STORAGE_REQUESTS=1`` the table client counts every HTTP request it sends,
retries included (``scim.storage.tables``), and the HTTP adapter adds an ``X-Storage-Requests``
header with the count of the SCIM request it answers. The count lives in a context variable set
around each SCIM request, so concurrent requests on other threads never mix their counts.
Without the setting no counting policy is attached and no header is sent.

Standard library only: the adapter imports this at cold start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

SETTING = "SCIM_COUNT_STORAGE_REQUESTS"
HEADER = "X-Storage-Requests"

# The tallies of the counting blocks this context is in, innermost last; none outside them.
_tallies: ContextVar[tuple[list[int], ...]] = ContextVar("scim_storage_requests", default=())


def enabled(environ: Mapping[str, str] = os.environ) -> bool:
    """Whether the setting asks for counting."""
    return environ.get(SETTING, "").strip() == "1"


@contextmanager
def counting() -> Iterator[Callable[[], int]]:
    """Count the storage requests sent inside the block; yields a function giving the count so far.

    Blocks nest: a request counts in every block it is sent in (a test counting around a served
    request sees what the request's own count sees).
    """
    tally = [0]
    token = _tallies.set((*_tallies.get(), tally))
    try:
        yield lambda: tally[0]
    finally:
        _tallies.reset(token)


def record_request() -> None:
    """One storage request was sent (called by the table client's counting policy)."""
    for tally in _tallies.get():
        tally[0] += 1
