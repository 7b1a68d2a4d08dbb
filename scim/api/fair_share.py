"""Fair share between tenants: per-tenant request rate and concurrency limits, per instance.

Rules (RFC 6585 section 4: 429 Too Many Requests with Retry-After, which Entra and Okta honour):
- A tenant may start ``requests_per_second`` requests a second on average, in bursts of
  ``burst``; past that, 429 with ``Retry-After`` (the seconds until a request is allowed again).
- A tenant may have ``concurrency`` requests in progress at once; one more is 429 with
  ``Retry-After: 1``. So one tenant's slow or expensive requests hold at most that many of the
  instance's workers, whatever it sends.
- Only authenticated requests count: nobody without a tenant's token can spend its share.
- The defaults (50 a second, bursts of 100, 8 at once) are twice Entra's documented pace of 25
  requests a second per tenant, so Entra is never throttled by one instance.

The limits are per instance (state in memory): a tenant spread over N instances gets up to N
times them. They protect each instance's workers from one tenant; Table Storage's own limits
(about 2,000 entities a second per partition, that is per tenant, and 20,000 requests a second
per account) bound what all instances together can ask of storage.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass

from scim.auth.throttle import TokenBucket
from scim.errors import ScimError

# Setting name -> default.
SETTINGS = {
    "SCIM_TENANT_REQUESTS_PER_SECOND": 50.0,
    "SCIM_TENANT_BURST": 100.0,
    "SCIM_TENANT_CONCURRENCY": 8.0,
}


class TooManyRequests(ScimError):
    """A tenant is over its share (429 with Retry-After, RFC 6585 section 4)."""

    status = 429

    def __init__(self, detail: str, *, retry_after_seconds: int):
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


@dataclass
class _TenantState:
    rate: TokenBucket
    in_progress: int = 0


class FairShare:
    """Admits a tenant's requests within its rate and concurrency limits; thread-safe."""

    def __init__(
        self,
        requests_per_second: float = SETTINGS["SCIM_TENANT_REQUESTS_PER_SECOND"],
        burst: float = SETTINGS["SCIM_TENANT_BURST"],
        concurrency: int = int(SETTINGS["SCIM_TENANT_CONCURRENCY"]),
        clock: Callable[[], float] = time.monotonic,
    ):
        self._rate = requests_per_second
        self._burst = max(burst, 1.0)
        self._concurrency = concurrency
        self._clock = clock
        self._tenants: dict[str, _TenantState] = {}  # authenticated tenants only: bounded by them
        self._lock = threading.Lock()

    @contextmanager
    def admit(self, tenant: str) -> Iterator[None]:
        """Hold one of ``tenant``'s slots while the request runs; TooManyRequests when it has none."""
        self._enter(tenant)
        try:
            yield
        finally:
            with self._lock:
                self._tenants[tenant].in_progress -= 1

    def _enter(self, tenant: str) -> None:
        with self._lock:
            state = self._tenants.get(tenant)
            if state is None:
                state = self._tenants[tenant] = _TenantState(TokenBucket(self._rate, self._clock, self._burst))
            if state.in_progress >= self._concurrency:
                raise TooManyRequests(
                    f"this tenant has {self._concurrency} requests in progress; retry later", retry_after_seconds=1
                )
            if not state.rate.take():
                raise TooManyRequests(
                    f"this tenant sends more than {self._rate:g} requests a second; retry later",
                    retry_after_seconds=max(1, math.ceil(state.rate.seconds_until_token())),
                )
            state.in_progress += 1


def fair_share_from_settings(environ: Mapping[str, str]) -> FairShare:
    """Limits from settings; a wrong value is an error, not a default."""
    values = {}
    for name, default in SETTINGS.items():
        text = environ.get(name, "").strip()
        try:
            value = float(text) if text else default
        except ValueError:
            value = -1
        if not value > 0:
            raise ValueError(f"setting {name} must be a positive number, not {text!r}")
        values[name] = value
    return FairShare(
        values["SCIM_TENANT_REQUESTS_PER_SECOND"],
        values["SCIM_TENANT_BURST"],
        max(1, int(values["SCIM_TENANT_CONCURRENCY"])),
    )
