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


def serve(users: UserService, groups: GroupService, tokens: dict[str, str]) -> Iterator[dependencies.Dependencies]:
    """function_app serves with these services and tokens until the generator is resumed."""
    served = dependencies.Dependencies(
        tokens=SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)}), users=users, groups=groups
    )
    dependencies.override(served)
    yield served
    dependencies.override(None)


@pytest.fixture
def served_with_extensions(repository, tokens: dict[str, str]) -> Iterator[dependencies.Dependencies]:
    catalog = ExtensionCatalog(repository)
    yield from serve(UserService(repository, extensions=catalog), GroupService(repository, extensions=catalog), tokens)


@pytest.fixture
def users_http(served_with_extensions, tenant: str, tokens: dict[str, str]) -> Client:
    """/Users of the test tenant, served with the tenant's extension schemas."""
    return Client(tenant, tokens[tenant], "Users")
