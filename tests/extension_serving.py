"""function_app served with an extension catalog on the test table, as production wires it."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.service.extension_catalog import ExtensionCatalog
from scim.service.groups import GroupService
from scim.service.users import UserService
from tests.support.http import Client


@pytest.fixture
def served_with_extensions(repository, tokens: dict[str, str]) -> Iterator[dependencies.Dependencies]:
    catalog = ExtensionCatalog(repository)
    served = dependencies.Dependencies(
        tokens=SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)}),
        users=UserService(repository, extensions=catalog),
        groups=GroupService(repository, extensions=catalog),
    )
    dependencies.override(served)
    yield served
    dependencies.override(None)


@pytest.fixture
def users_http(served_with_extensions, tenant: str, tokens: dict[str, str]) -> Client:
    """/Users of the test tenant, served with the tenant's extension schemas."""
    return Client(tenant, tokens[tenant], "Users")
