"""Four instances of the endpoint (separate processes) on one Azurite table, shared by the session.

Each test takes a tenant no other test uses and spreads its requests over the instances. A test
that kills an instance gets it replaced afterwards, so every test starts with four running.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bench.harness import Response
from bench.instance import FAULT_HOOKS_SETTING
from bench.instances import Instances, Spread, instances
from tests.reliability.integrity import TenantState, assert_integrity

INSTANCE_COUNT = 4
TENANTS = tuple(f"scale-{number}" for number in range(60))
_unused_tenants = iter(TENANTS)


@pytest.fixture(scope="session")
def instance_group(azurite: str) -> Iterator[Instances]:
    """Four instances with fault hooks on (inert unless a request carries ``X-Fault``)."""
    try:
        with instances(INSTANCE_COUNT, TENANTS, {FAULT_HOOKS_SETTING: "1"}) as group:
            yield group
    except RuntimeError as problem:
        pytest.fail(str(problem))


@pytest.fixture
def spread(instance_group: Instances) -> Iterator[Spread]:
    """A fresh tenant whose requests go round robin over the four instances."""
    yield instance_group.spread(next(_unused_tenants))
    for position, instance in enumerate(instance_group.running):
        if not instance.alive:
            instance_group.replace(position)


def stored(spread: Spread) -> TenantState:
    """The tenant's rows, after the integrity check of tests/reliability."""
    return assert_integrity(spread.instances.table(), spread.tenant)


def body_of(response: Response) -> dict:
    assert response.status < 300, f"{response.status}: {response.body}"
    return response.body or {}


def outcome(response: Response) -> tuple[int, str | None]:
    """Status and scimType, for comparing the outcomes of a race."""
    return response.status, (response.body or {}).get("scimType")
