"""Fixtures for the infrastructure tests."""

from __future__ import annotations

import pytest
from bicep_templates import Template, parse_templates


@pytest.fixture(scope="session")
def templates() -> dict[str, Template]:
    """Every Bicep file under infra/, parsed once, by path relative to infra/."""
    return parse_templates()
