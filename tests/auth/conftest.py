"""Fixtures of the token tests."""

from __future__ import annotations

import pytest

from tests.support.auth_fakes import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    """The clock of the token cache, moved by hand: no test waits for a period to pass."""
    return FakeClock()
