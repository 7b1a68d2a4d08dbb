"""Which extension schemas each tenant has: the deployment's, and the tenant's own, cached.

Deployment schemas are JSON files shipped with the app (``schemas/User/*.json``,
``schemas/Group/*.json``), read once, at the first request that needs them, so a cold start pays
nothing for them. A tenant's schemas and its policy for undeclared extension attributes are rows
in its partition (``scim.service.ports.SchemaRepository``), read with one request and kept for
``staleness_seconds`` (60 by default): a change reaches every instance within that time, and a
tenant costs one storage request per instance per that time, whether or not it declares any.
A tenant's schemas are only ever read with its own requests: no tenant sees another's.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from scim.models.extension_schema import (
    MAX_SCHEMAS_PER_TENANT,
    RESOURCE_TYPE_NAMES,
    DeclaredSchema,
    InvalidSchema,
    check_unique_attribute_count,
    parse_extension_schema,
)
from scim.models.resource_types import ResourceType
from scim.service.ports import SchemaRepository, StorageUnavailable

logger = logging.getLogger(__name__)

DEFAULT_STALENESS_SECONDS = 60.0
UNDECLARED_POLICIES = ("keep", "reject")
DEFAULT_UNDECLARED_POLICY: Literal["keep", "reject"] = "keep"


@dataclass(frozen=True)
class _Cached:
    loaded_at: float
    schemas: tuple[DeclaredSchema, ...]
    undeclared: Literal["keep", "reject"]
    views: dict[str, ResourceType] = field(default_factory=dict)  # by base resource type name


def load_deployment_schemas(folder: Path) -> list[DeclaredSchema]:
    """The schemas in ``folder/User/*.json`` and ``folder/Group/*.json``; a missing folder has none.

    A file that is not a valid schema stops the app's requests with an error naming it: a
    deployment ships what it tested.
    """
    found: list[DeclaredSchema] = []
    for resource_type in RESOURCE_TYPE_NAMES:
        for path in sorted((folder / resource_type).glob("*.json")):
            try:
                found.append(parse_extension_schema(json.loads(path.read_text(encoding="utf-8")), resource_type))
            except (ValueError, InvalidSchema) as problem:
                raise InvalidSchema(f"{path}: {problem}") from None
    check_unique_attribute_count(found)
    return found


class ExtensionCatalog:
    """The resource types as each tenant sees them: core, deployment and tenant extensions, and policy."""

    def __init__(
        self,
        repository: SchemaRepository | None,
        deployment: Callable[[], Iterable[DeclaredSchema]] = list,
        *,
        staleness_seconds: float = DEFAULT_STALENESS_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._repository = repository
        self._deployment_source = deployment
        self._deployment: tuple[DeclaredSchema, ...] | None = None
        self._staleness = staleness_seconds
        self._clock = clock
        self._cache: dict[str, _Cached] = {}
        self._lock = threading.Lock()

    def resource_type(self, tenant: str, base: ResourceType) -> ResourceType:
        """``base`` with the extensions ``tenant`` has and its undeclared-attribute policy."""
        cached = self._tenant(tenant)
        view = cached.views.get(base.name)
        if view is None:
            view = cached.views[base.name] = base.with_declared(cached.schemas, cached.undeclared)
        return view

    def _deployment_schemas(self) -> tuple[DeclaredSchema, ...]:
        if self._deployment is None:
            try:
                self._deployment = tuple(self._deployment_source())
            except InvalidSchema as problem:
                logger.error("The deployment's extension schemas cannot be served: %s", problem)  # names the file
                raise
        return self._deployment

    def _tenant(self, tenant: str) -> _Cached:
        now = self._clock()
        cached = self._cache.get(tenant)
        if cached is not None and now - cached.loaded_at < self._staleness:
            return cached
        try:
            fresh = self._read(tenant, now)
        except StorageUnavailable:
            if cached is None:
                raise
            logger.warning("Tenant schemas could not be read; serving with the cached ones")
            return cached
        with self._lock:
            self._cache[tenant] = fresh
        return fresh

    def _read(self, tenant: str, now: float) -> _Cached:
        deployment = self._deployment_schemas()
        if self._repository is None:
            return _Cached(now, deployment, DEFAULT_UNDECLARED_POLICY)
        stored = self._repository.tenant_schemas(tenant)
        own: list[DeclaredSchema] = []
        for row in stored.schemas[:MAX_SCHEMAS_PER_TENANT]:
            try:
                own.append(parse_extension_schema(json.loads(row.document), row.resource_type))
            except (ValueError, InvalidSchema):
                logger.warning("A stored tenant schema is invalid and is not served")  # never its content
        schemas: tuple[DeclaredSchema, ...] = tuple(deployment)
        for schema in own:
            # A tenant's schema replaces the deployment's of the same URN.
            candidate = (*(known for known in schemas if known.urn.lower() != schema.urn.lower()), schema)
            try:
                check_unique_attribute_count(candidate)
            except InvalidSchema:
                logger.warning("A stored tenant schema would exceed the unique attributes allowed; not served")
                continue
            schemas = candidate
        policy: Literal["keep", "reject"] = "reject" if stored.undeclared == "reject" else DEFAULT_UNDECLARED_POLICY
        return _Cached(now, schemas, policy)
