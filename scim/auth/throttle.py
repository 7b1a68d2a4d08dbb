"""Token buckets, and the throttle of failed client authentications at the token endpoint.

The throttle (``FailedAuthentications``) counts failures per tenant and per (tenant, client id).
Each key has a bucket: ``burst`` failures at once, then one per ``interval`` seconds. A request
whose credentials are wrong while a bucket is empty is answered 429 with ``Retry-After`` instead
of 401. Correct credentials are always checked and always accepted: nothing an attacker sends
can lock the legitimate client out. That gives up nothing, because secrets are 256-bit and
assertions are signed: the throttle is not what makes guessing futile. What it does: it tells a
misbehaving or hostile client to back off with a standard answer, and bounds the failures each
instance logs. Buckets are per instance and held in a bounded LRU, so made-up client ids cannot
grow memory.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable


class TokenBucket:
    """``rate`` events per second on average, in bursts of up to ``capacity`` (default: ``rate``)."""

    def __init__(self, rate: float, clock: Callable[[], float], capacity: float | None = None):
        self._rate = rate
        self._capacity = rate if capacity is None else capacity
        self._clock = clock
        self._tokens = self._capacity
        self._updated = clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Take one token; False when the bucket is empty."""
        with self._lock:
            self._refill()
            if self._tokens < 1:
                return False
            self._tokens -= 1
            return True

    def seconds_until_token(self) -> float:
        """How long until a token is there (0 when one is)."""
        with self._lock:
            self._refill()
            return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self._rate

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now


class FailedAuthentications:
    """Failed client authentications per tenant and per client (see the module's rules)."""

    def __init__(
        self,
        *,
        client_burst: int = 5,
        client_interval: float = 12,
        tenant_burst: int = 20,
        tenant_interval: float = 3,
        max_keys: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._limits = {"client": (client_burst, client_interval), "tenant": (tenant_burst, tenant_interval)}
        self._clock = clock
        self._max_keys = max_keys
        self._buckets: OrderedDict[tuple[str, ...], TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def record(self, tenant: str, client_id: str) -> int | None:
        """Count a failure; the seconds to wait (for Retry-After) when it is over a limit, else None."""
        waits = []
        for key in (("tenant", tenant), ("client", tenant, client_id)):
            bucket = self._bucket(key)
            if not bucket.take():
                waits.append(bucket.seconds_until_token())
        return max(1, math.ceil(max(waits))) if waits else None

    def _bucket(self, key: tuple[str, ...]) -> TokenBucket:
        with self._lock:
            bucket = self._buckets.get(key)
            if bucket is None:
                burst, interval = self._limits[key[0]]
                bucket = self._buckets[key] = TokenBucket(1 / interval, self._clock, capacity=burst)
                while len(self._buckets) > self._max_keys:
                    self._buckets.popitem(last=False)
            self._buckets.move_to_end(key)
            return bucket
