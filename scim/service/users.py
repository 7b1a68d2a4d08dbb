"""Every SCIM rule for Users (RFC 7643 section 4.1, RFC 7644 section 3): no Azure, no HTTP."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from scim.errors import (
    InvalidFilter,
    InvalidSyntax,
    InvalidValue,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ServiceUnavailable,
    Uniqueness,
)
from scim.models.base import ScimObject, attribute
from scim.models.messages import PATCH_OP_SCHEMA, PatchRequest
from scim.models.resource_types import USER, ResourceType
from scim.service import filter_syntax
from scim.service.patch import apply_operations
from scim.service.ports import (
    IndexEntry,
    KeyTaken,
    ResourceRepository,
    ResourceTooLarge,
    StoredResource,
    VersionConflict,
)

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200
# A write that lost a race without If-Match is redone on the fresh version this many times.
MAX_WRITE_ATTEMPTS = 5
SERVER_ATTRIBUTES = {"schemas", "id", "meta", "groups"}
ID_PATTERN = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


@dataclass(frozen=True)
class Page:
    """One page of a query result (RFC 7644 section 3.4.2.4)."""

    total_results: int
    start_index: int
    resources: list[StoredResource]


def utc_now() -> str:
    """Now as an RFC 3339 dateTime with milliseconds, in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class UserService:
    """Create, read, query, replace, patch and delete the Users of a tenant."""

    resource_type: ResourceType = USER

    def __init__(
        self,
        repository: ResourceRepository,
        *,
        clock: Callable[[], str] = utc_now,
        new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
    ):
        self._repository = repository
        self._clock = clock
        self._new_id = new_id

    def create(self, tenant: str, body: Any) -> StoredResource:
        """RFC 7644 section 3.3: a new User; ``id`` and ``meta`` in the body are ignored."""
        attributes = self._validated(body)
        now = self._clock()
        resource = StoredResource(self.resource_type.name, self._new_id(), attributes, now, now)
        with _write_outcomes():
            return self._repository.insert(tenant, resource, _indexes(attributes))

    def get(self, tenant: str, user_id: str) -> StoredResource:
        """RFC 7644 section 3.4.1: the User, or 404."""
        resource = self._repository.get(tenant, self.resource_type.name, user_id) if _is_id(user_id) else None
        if resource is None:
            raise NotFound(f"User {user_id} not found")
        return resource

    def query(self, tenant: str, filter_text: str | None, start_index: int | None, count: int | None) -> Page:
        """RFC 7644 section 3.4.2: filtered or full listing, one page of it, with the true total."""
        start = max(start_index or 1, 1)
        size = min(max(count if count is not None else DEFAULT_PAGE_SIZE, 0), MAX_PAGE_SIZE)
        if filter_text is None or not filter_text.strip():
            ids = self._repository.list_ids(tenant, self.resource_type.name)
            page = (
                self._repository.list_from(tenant, self.resource_type.name, ids[start - 1], size)
                if start <= len(ids)
                else []
            )
            return Page(len(ids), start, page)
        matched = self._filtered(tenant, filter_syntax.parse_filter(filter_text))
        return Page(len(matched), start, matched[start - 1 : start - 1 + size])

    def replace(self, tenant: str, user_id: str, body: Any, if_match: str | None = None) -> StoredResource:
        """RFC 7644 section 3.5.1: every writable attribute is replaced by the body's."""
        attributes = self._validated(body)
        return self._modify(tenant, user_id, if_match, lambda current: attributes)

    def patch(self, tenant: str, user_id: str, body: Any, if_match: str | None = None) -> StoredResource:
        """RFC 7644 section 3.5.2: apply every operation, or none of them."""
        request = _parse(PatchRequest, body, InvalidSyntax)
        if not any(schema.lower() == PATCH_OP_SCHEMA.lower() for schema in request.schemas):
            raise InvalidSyntax(f"a PATCH request must carry the schema {PATCH_OP_SCHEMA}")

        def patched(current: StoredResource) -> dict[str, Any]:
            return self._validated(apply_operations(current.attributes, request.operations, self.resource_type))

        return self._modify(tenant, user_id, if_match, patched)

    def delete(self, tenant: str, user_id: str, if_match: str | None = None) -> None:
        """RFC 7644 section 3.6: the User and its index entries go together."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = self._current(tenant, user_id, if_match)
            try:
                self._repository.delete(tenant, current, _indexes(current.attributes))
                return
            except VersionConflict:
                if if_match is not None:
                    raise PreconditionFailed("the User changed since the given version") from None
        raise ServiceUnavailable("the User is being changed by other requests; retry", retry_after_seconds=1)

    def representation(self, resource: StoredResource, tenant_url: str) -> dict[str, Any]:
        """The SCIM JSON of a stored User (RFC 7643 section 3)."""
        extensions = [urn for urn in self.resource_type.extensions if urn in resource.attributes]
        location = f"{tenant_url}{self.resource_type.endpoint}/{resource.id}"
        return {
            "schemas": [self.resource_type.schema, *extensions],
            "id": resource.id,
            **resource.attributes,
            "meta": {
                "resourceType": self.resource_type.name,
                "created": resource.created,
                "lastModified": resource.last_modified,
                "location": location,
                "version": resource.version,
            },
        }

    def _validated(self, body: Any) -> dict[str, Any]:
        """The writable attributes of a User body, in canonical form; 400 when it is not valid."""
        if not isinstance(body, dict):
            raise InvalidSyntax("the body must be a JSON object")
        schemas = next((value for key, value in body.items() if key.lower() == "schemas"), None)
        if isinstance(schemas, list) and not any(
            isinstance(schema, str) and schema.lower() == self.resource_type.schema.lower() for schema in schemas
        ):
            raise InvalidSyntax(f"schemas must include {self.resource_type.schema}")
        user = _parse(self.resource_type.model, body, InvalidValue)
        return user.to_dict(exclude=SERVER_ATTRIBUTES)

    def _current(self, tenant: str, user_id: str, if_match: str | None) -> StoredResource:
        current = self.get(tenant, user_id)
        if if_match is not None and if_match.strip() != "*" and current.version not in _etags(if_match):
            raise PreconditionFailed("the User changed since the given version")
        return current

    def _modify(
        self,
        tenant: str,
        user_id: str,
        if_match: str | None,
        change: Callable[[StoredResource], dict[str, Any]],
    ) -> StoredResource:
        """Read, change and write back at the read version; redo on a lost race unless If-Match."""
        for _ in range(MAX_WRITE_ATTEMPTS):
            current = self._current(tenant, user_id, if_match)
            attributes = change(current)
            if attributes == current.attributes:
                return current  # nothing changes: no write, same version
            updated = StoredResource(
                current.resource_type, current.id, attributes, current.created, self._clock(), current.version
            )
            try:
                with _write_outcomes():
                    return self._repository.replace(
                        tenant, updated, old_indexes=_indexes(current.attributes), new_indexes=_indexes(attributes)
                    )
            except VersionConflict:
                if if_match is not None:
                    raise PreconditionFailed("the User changed since the given version") from None
        raise ServiceUnavailable("the User is being changed by other requests; retry", retry_after_seconds=1)

    def _filtered(self, tenant: str, tree: Any) -> list[StoredResource]:
        """Resources matching ``tree``, found by point reads on an indexed ``eq`` term."""
        candidate_ids = self._candidate_ids(tenant, tree)
        candidates = [self._repository.get(tenant, self.resource_type.name, i) for i in candidate_ids]
        return [
            resource
            for resource in candidates
            if resource is not None
            and filter_syntax.matches(tree, {"id": resource.id, **resource.attributes}, case_exact=self._case_exact)
        ]

    def _candidate_ids(self, tenant: str, tree: Any) -> list[str]:
        equalities = filter_syntax.is_conjunction_of_equalities(tree) or []
        by_attribute = {
            comparison.path.attribute.lower(): comparison.value
            for comparison in equalities
            if comparison.path.sub_attribute is None
            and (comparison.path.schema is None or comparison.path.schema.lower() == self.resource_type.schema.lower())
        }
        if "id" in by_attribute:
            value = by_attribute["id"]
            return [value] if isinstance(value, str) and _is_id(value) else []
        if "username" in by_attribute:
            value = by_attribute["username"]
            return self._find(tenant, "userName", value.lower()) if isinstance(value, str) else []
        if "externalid" in by_attribute:
            value = by_attribute["externalid"]
            return self._find(tenant, "externalId", value) if isinstance(value, str) else []
        raise InvalidFilter("supported filters: 'eq' on id, userName or externalId, joined by 'and'")

    def _find(self, tenant: str, attribute: str, value: str) -> list[str]:
        return self._repository.find_ids(tenant, self.resource_type.name, attribute, value)

    def _case_exact(self, path: filter_syntax.AttrPath) -> bool:
        info = attribute(self.resource_type.model, path.attribute)
        if info is not None and path.sub_attribute is not None and info.complex_type is not None:
            info = attribute(info.complex_type, path.sub_attribute)
        return bool(info and info.characteristics.case_exact)


@contextlib.contextmanager
def _write_outcomes() -> Iterator[None]:
    """Storage outcomes of a write, as the SCIM errors they mean."""
    try:
        yield
    except KeyTaken as taken:
        raise Uniqueness(f"{taken.attribute} is already taken") from None
    except ResourceTooLarge:
        raise PayloadTooLarge("the resource is too large to store") from None


def _indexes(attributes: dict[str, Any]) -> list[IndexEntry]:
    """userName is unique case-insensitively (RFC 7643 section 4.1.1); externalId is exact and shared."""
    entries = [IndexEntry("userName", attributes["userName"].lower(), unique=True)]
    if attributes.get("externalId") is not None:
        entries.append(IndexEntry("externalId", attributes["externalId"]))
    return entries


def _is_id(value: str) -> bool:
    return bool(ID_PATTERN.match(value))


def _etags(header: str) -> set[str]:
    """The entity tags listed in an If-Match header (RFC 9110 section 13.1.1)."""
    return {tag.strip() for tag in header.split(",") if tag.strip()}


def _parse(model: type[ScimObject], body: Any, error: type[InvalidSyntax] | type[InvalidValue]) -> Any:
    try:
        return model.model_validate(body)
    except ValidationError as problem:
        raise error(_describe(problem)) from None


def _describe(problem: ValidationError) -> str:
    """A short, value-free account of what failed validation (no personal data echoed)."""
    parts = []
    for item in problem.errors(include_input=False, include_url=False)[:5]:
        location = ".".join(str(part) for part in item["loc"]) or "body"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)
