"""function_app served as production wires the audit trail: refused writes stored in a log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.refusals import TableRefusalLog
from scim.storage.resources import TableResourceRepository
from tests.support.http import Client


@contextmanager
def serving_audited(
    repository: TableResourceRepository, refusals: TableRefusalLog, tenant: str, tokens: dict[str, str]
) -> Iterator[Client]:
    """/Users of ``tenant`` through function_app, refused writes stored in ``refusals``."""
    source = SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)})
    served = dependencies.Dependencies(source, UserService(repository), GroupService(repository), refusals=refusals)
    dependencies.override(served)
    try:
        yield Client(tenant, tokens[tenant], "Users")
    finally:
        dependencies.override(None)
