"""A per-tenant cache of credential records read from a remote store, safe for threads.

Rules:
- A record is used for ``ttl`` seconds after it was read, then read again.
- An unknown tenant is cached like any other (negatively): a made-up tenant costs one read, then
  at most one more per ``miss_interval``. Unknown tenants are held in a bounded LRU so that made-up
  names cannot grow memory or push out real tenants. Every read of a name that is not a known
  tenant (a first read, or a re-read of an unknown one) takes a token from one bucket of
  ``unknown_reads_per_second``: so made-up names, however many and however often, cost at most
  that many reads a second. Without a token, a name cached as unknown stays unknown (401); a
  name not cached at all is 503 with ``Retry-After: 1``.
- After a presented token matched nothing, ``recheck`` reads the record again if it is at least
  ``miss_interval`` old: a just-rotated token works within seconds, a wrong one costs at most one
  read per tenant per ``miss_interval``.
- While the store is unavailable, a cached record is still used until ``ttl + grace`` after it was
  read; after that, or with nothing cached, requests fail closed with ``ServiceUnavailable``. After
  a failed read the store is not tried again for ``retry_seconds``: the whole store after an
  outage (``StoreUnavailable``), that tenant only when only its record could not be read
  (``RecordUnavailable``), so one broken tenant never holds up the others.
- Known tenants cost at most one read per ``ttl`` while requests come, plus one per
  ``miss_interval`` while wrong tokens come. So an instance reads at most
  ``unknown_reads_per_second`` x 60 + its bucket + 3 x (known tenants) records a minute when
  ``ttl`` >= 60 and ``miss_interval`` >= 30 s, whatever the request mix.
- One read per tenant at a time: other requests wait for it, or use the record they already
  have while it is still within its grace period.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from scim.auth.records import NO_CREDENTIALS, TenantCredentials
from scim.auth.throttle import TokenBucket
from scim.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

_LOCK_STRIPES = 64


class StoreUnavailable(Exception):
    """The store could not answer (network, throttling, server or authentication trouble)."""


class RecordUnavailable(Exception):
    """The store answered, but this one tenant's record may not be read (e.g. forbidden to us)."""


@dataclass(frozen=True)
class _Entry:
    credentials: TenantCredentials
    read_at: float


class TenantCache:
    """Records of tenants read through ``load``, which returns NO_CREDENTIALS for an unknown tenant."""

    def __init__(
        self,
        load: Callable[[str], TenantCredentials],
        *,
        ttl: float = 300,
        miss_interval: float = 30,
        grace: float = 3600,
        retry_seconds: float = 10,
        max_unknown: int = 10_000,
        unknown_reads_per_second: float = 20,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._load = load
        self._ttl = ttl
        self._miss_interval = miss_interval
        self._grace = grace
        self._retry_seconds = retry_seconds
        self._max_unknown = max_unknown
        self._clock = clock
        self._known: dict[str, _Entry] = {}
        self._unknown: OrderedDict[str, _Entry] = OrderedDict()
        self._entries_lock = threading.Lock()
        # Striped, so that a slow read of one tenant does not hold up the others.
        self._read_locks = tuple(threading.Lock() for _ in range(_LOCK_STRIPES))
        self._unavailable_until = -math.inf
        self._tenant_unavailable_until: OrderedDict[str, float] = OrderedDict()  # bounded like _unknown
        self._unknown_reads = TokenBucket(unknown_reads_per_second, clock)

    def get(self, tenant: str) -> TenantCredentials:
        """The tenant's record, read again once it is ``ttl`` old."""
        entry = self._entry(tenant)
        if entry is not None and self._age(entry) < self._ttl:
            return entry.credentials
        return self._read(tenant, fresh_for=self._ttl)

    def recheck(self, tenant: str) -> TenantCredentials | None:
        """The record read again if the cached one is ``miss_interval`` old; None otherwise."""
        entry = self._entry(tenant)
        if entry is None or self._age(entry) < self._miss_interval:
            return None
        try:
            return self._read(tenant, fresh_for=self._miss_interval)
        except ServiceUnavailable:
            return None

    def _read(self, tenant: str, fresh_for: float) -> TenantCredentials:
        lock = self._read_locks[hash(tenant) % _LOCK_STRIPES]
        if not lock.acquire(blocking=False):
            entry = self._entry(tenant)
            if entry is not None and self._within_grace(entry):
                return entry.credentials
            lock.acquire()
        try:
            entry = self._entry(tenant)
            if entry is not None and self._age(entry) < fresh_for:
                return entry.credentials  # read by another request while this one waited
            credentials = self._load_unless_unavailable(tenant, entry)
            if credentials is not None:
                return credentials
            if entry is not None and self._within_grace(entry):
                return entry.credentials
            raise ServiceUnavailable(
                "the token store is unavailable; retry later", retry_after_seconds=self._retry_after(tenant)
            )
        finally:
            lock.release()

    def _load_unless_unavailable(self, tenant: str, entry: _Entry | None) -> TenantCredentials | None:
        now = self._clock()
        if now < max(self._unavailable_until, self._tenant_unavailable_until.get(tenant, -math.inf)):
            return None
        known = entry is not None and entry.credentials != NO_CREDENTIALS
        if not known and not self._unknown_reads.take():
            if entry is not None:
                return entry.credentials  # still unknown; read again when the budget allows
            raise ServiceUnavailable("too many requests for tenants not seen yet; retry later", retry_after_seconds=1)
        try:
            credentials = self._load(tenant)
        except StoreUnavailable as problem:
            logger.warning(
                "Token store unavailable (%s); retrying in %s s", type(problem.__cause__).__name__, self._retry_seconds
            )
            self._unavailable_until = now + self._retry_seconds
            return None
        except RecordUnavailable as problem:
            logger.warning(
                "Record of tenant %s unavailable (%s); retrying in %s s",
                tenant,
                type(problem.__cause__).__name__,
                self._retry_seconds,
            )
            with self._entries_lock:
                self._tenant_unavailable_until[tenant] = now + self._retry_seconds
                self._tenant_unavailable_until.move_to_end(tenant)
                while len(self._tenant_unavailable_until) > self._max_unknown:
                    self._tenant_unavailable_until.popitem(last=False)
            return None
        self._store(tenant, _Entry(credentials, now))
        return credentials

    def _entry(self, tenant: str) -> _Entry | None:
        with self._entries_lock:
            entry = self._known.get(tenant)
            if entry is None and (entry := self._unknown.get(tenant)) is not None:
                self._unknown.move_to_end(tenant)
            return entry

    def _store(self, tenant: str, entry: _Entry) -> None:
        with self._entries_lock:
            if entry.credentials == NO_CREDENTIALS:
                self._known.pop(tenant, None)
                self._unknown[tenant] = entry
                self._unknown.move_to_end(tenant)
                while len(self._unknown) > self._max_unknown:
                    self._unknown.popitem(last=False)
            else:
                self._unknown.pop(tenant, None)
                self._known[tenant] = entry

    def _age(self, entry: _Entry) -> float:
        return self._clock() - entry.read_at

    def _within_grace(self, entry: _Entry) -> bool:
        return self._age(entry) < self._ttl + self._grace

    def _retry_after(self, tenant: str) -> int:
        until = max(self._unavailable_until, self._tenant_unavailable_until.get(tenant, -math.inf))
        return max(1, math.ceil(until - self._clock()))
