"""SCIM rules shared by every resource type (RFC 7644 section 3): no Azure, no HTTP.

Create, read, query, replace, patch and delete, with uniqueness, preconditions (ETags), paging
and attribute selection. ``UserService`` and ``GroupService`` add what is particular to each.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError

from scim.errors import (
    InvalidSyntax,
    InvalidValue,
    NotFound,
    PayloadTooLarge,
    PreconditionFailed,
    ScimError,
    ServiceUnavailable,
    TooMany,
    Uniqueness,
)
from scim.models.base import AmbiguousAttribute, ScimObject, attributes, value_in_any_case
from scim.models.messages import (
    PATCH_OP_SCHEMA,
    SEARCH_REQUEST_SCHEMA,
    PatchOperation,
    PatchRequest,
    ProtocolMessage,
    SearchRequest,
)
from scim.models.resource_types import ResourceType
from scim.service import attribute_paths, journal
from scim.service.change_data import patch_data, resource_data
from scim.service.cursors import CursorCodec
from scim.service.filters.parser import parse_patch_path
from scim.service.filters.tree import AttrPath, Node
from scim.service.patch import apply_operations
from scim.service.ports import (
    IndexEntry,
    KeyTaken,
    ResourceRepository,
    ResourceTooLarge,
    StorageUnavailable,
    StoredResource,
    VersionConflict,
)
from scim.service.query import (  # noqa: F401 (re-exported: what ServiceProviderConfig advertises)
    CURSOR_SUPPORTED,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    MAX_SCAN_RESOURCES,
    SORT_SUPPORTED,
    ListRequest,
    Page,
    ResourceQuery,
)
from scim.service.representation import resource_json
from scim.service.selection import Selection

if TYPE_CHECKING:
    from scim.service.extension_catalog import ExtensionCatalog

logger = logging.getLogger(__name__)
T = TypeVar("T")
Model = TypeVar("Model", bound=ScimObject)
Message = TypeVar("Message", bound=ProtocolMessage)  # a protocol message a request body may be (RFC 7644 section 3.1)

EVERYTHING = Selection()  # every attribute returned by default
ETAG_SUPPORTED = True  # ETag and meta.version on every resource; If-Match (412), If-None-Match (304)
# A write that lost a race without If-Match is redone on the fresh version, at most this many times
# in all, after a random pause whose bound doubles with each attempt (``pause_after_lost_race``):
# twenty writers racing on one resource all land (tests/reliability/test_concurrency.py).
MAX_WRITE_ATTEMPTS = 10
FIRST_RETRY_PAUSE_SECONDS = 0.01
MAX_RETRY_PAUSE_SECONDS = 0.5
# The most operations one PATCH may carry (400 tooMany beyond). Entra and Okta send one per
# changed attribute, and members as one operation with many values, so a few dozen at most.
MAX_PATCH_OPERATIONS = 1000
SERVER_ATTRIBUTES = frozenset({"schemas", "id", "meta", "groups"})
ID_PATTERN = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@dataclass(frozen=True)
class PatchResult:
    """What a PATCH answers (RFC 7644 section 3.5.2): 200 with ``resource``, or 204 No Content without one."""

    resource: StoredResource | None


def utc_now() -> str:
    """Now as an RFC 3339 dateTime with milliseconds, in UTC."""
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def later_than(previous: str, now: str) -> str:
    """``now``, or 1 ms after ``previous`` when ``now`` is not later: a resource's lastModified (and
    with it the time key of its journal rows, ``scim.storage.journal``) grows with every write
    whatever the writing instance's clock says, since every write follows the version it read."""
    after_previous = datetime.fromisoformat(previous) + timedelta(milliseconds=1)
    if datetime.fromisoformat(now) >= after_previous:
        return now
    return after_previous.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def new_resource_id() -> str:
    return str(uuid.uuid4())


def is_resource_id(value: str) -> bool:
    """Ids are server-assigned UUIDs; anything else names no resource (and never reaches storage)."""
    return ID_PATTERN.fullmatch(value) is not None  # fullmatch: "$" would let "<id>\n" through


class ResourceService:
    """The operations of RFC 7644 section 3 on one resource type of a tenant."""

    resource_type: ResourceType

    def __init__(
        self,
        repository: ResourceRepository,
        *,
        clock: Callable[[], str] = utc_now,
        new_id: Callable[[], str] = new_resource_id,
        extensions: ExtensionCatalog | None = None,
    ):
        self._repository = repository
        self._clock = clock
        self._new_id = new_id
        self._extensions = extensions
        self._cursors = CursorCodec(lambda: repository.secret("cursor"))

    @property
    def name(self) -> str:
        return self.resource_type.name

    def type_for(self, tenant: str) -> ResourceType:
        """The resource type as ``tenant`` has it: with its extension schemas and undeclared-attribute policy."""
        if self._extensions is None:
            return self.resource_type
        return self._extensions.resource_type(tenant, self.resource_type)

    # --- operations ---------------------------------------------------------------------------

    def create(self, tenant: str, body: Any) -> StoredResource:
        """RFC 7644 section 3.3: a new resource; ``id`` and ``meta`` in the body are ignored."""
        resource_type = self.type_for(tenant)
        attributes = self._validated(body, resource_type)
        now = self._clock()
        resource = StoredResource(self.name, self._new_id(), attributes, now, now, new=True)
        if journal.keeps_values():
            journal.note_change("create", {}, {}, resource_data(resource_type, resource))
        with _write_outcomes():
            try:
                return self._repository.insert(tenant, resource, _indexes(resource_type, attributes))
            except StorageUnavailable:
                # The insert may have happened with its answer lost: undone, the client's retry
                # creates the resource instead of finding its unique value taken (409).
                self._undo_create(tenant, resource.id)
                raise

    def _undo_create(self, tenant: str, resource_id: str) -> None:
        """Delete a resource this request created (or may have) before failing. Best effort:
        when storage fails again the resource stays, and a retried create is answered 409."""
        try:
            self.delete(tenant, resource_id)
        except NotFound:
            pass  # never stored
        except (ScimError, StorageUnavailable):
            logger.warning("Could not undo the create of %s %s", self.name, resource_id)

    def get(self, tenant: str, resource_id: str) -> StoredResource:
        """RFC 7644 section 3.4.1: the resource, or 404."""
        resource = self._repository.get(tenant, self.name, resource_id) if is_resource_id(resource_id) else None
        if resource is None:
            raise NotFound(f"{self.name} {resource_id} not found")
        return resource

    def find(self, tenant: str, request: ListRequest) -> Page:
        """RFC 7644 sections 3.4.2 and 3.4.3 with RFC 9865 cursors: see ``scim.service.query``."""
        return self._queries(tenant).page(tenant, request)

    def find_matching(self, tenant: str, tree: Node | None, request: ListRequest) -> Page:
        """``find`` with a filter already parsed (and checked) by the caller: a search from the root."""
        return self._queries(tenant).page_of(tenant, tree, request)

    def ranked(
        self, tenant: str, tree: Node | None, sort_by: str, sort_order: str | None, keep: int
    ) -> tuple[int, list[tuple[tuple[Any, ...], StoredResource]]]:
        """See ``ResourceQuery.ranked``."""
        return self._queries(tenant).ranked(tenant, tree, sort_by, sort_order, keep)

    def _queries(self, tenant: str) -> ResourceQuery:
        """The queries over ``tenant``'s resources, with its extension attributes (``type_for``)."""
        resource_type = self.type_for(tenant)
        return ResourceQuery(
            self._repository,
            resource_type,
            lambda name, value: _index_entry(resource_type, name, value),
            self._cursors,
            is_resource_id,
        )

    @staticmethod
    def search_request(body: Any) -> tuple[ListRequest, Selection]:
        """The query and selection of a ``POST .search`` body; 400 invalidSyntax unless a SearchRequest."""
        search = protocol_message(SearchRequest, SEARCH_REQUEST_SCHEMA, body)
        query = ListRequest(
            search.filter, search.startIndex, search.count, search.cursor, search.sortBy, search.sortOrder
        )
        return query, Selection.of(search.attributes, search.excludedAttributes or ())

    def replace(self, tenant: str, resource_id: str, body: Any, if_match: str | None = None) -> StoredResource:
        """RFC 7644 section 3.5.1: every writable attribute is replaced by the body's."""
        resource_type = self.type_for(tenant)
        self._validated(body, resource_type)  # 400 before anything is read

        def replaced(current: StoredResource) -> dict[str, Any]:
            return self._validated(body, resource_type, current.attributes)

        return self._modify(tenant, resource_id, if_match, replaced, event="put")

    def patch(
        self,
        tenant: str,
        resource_id: str,
        body: Any,
        if_match: str | None = None,
        *,
        attributes_requested: bool = False,
    ) -> PatchResult:
        """RFC 7644 section 3.5.2: apply every operation, or none of them; answered with the resource.

        ``attributes_requested``: the client named the attributes to return, so a service whose
        PATCH answers 204 by default answers with the resource instead.
        """
        operations = self.patch_operations(body)
        return PatchResult(self._patch_attributes(tenant, resource_id, operations, if_match))

    def delete(self, tenant: str, resource_id: str, if_match: str | None = None) -> None:
        """RFC 7644 section 3.6: the resource, its index entries and its memberships go.

        A delete interrupted after the resource went is completed by the retry (204, not 404).
        """

        def attempt(_number: int) -> None:
            try:
                current = self._current(tenant, resource_id, if_match)
            except NotFound:
                if is_resource_id(resource_id) and self._repository.finish_deletion(tenant, self.name, resource_id):
                    return
                raise
            self._repository.delete(tenant, current, _indexes(self.type_for(tenant), current.attributes))

        redo_on_lost_race(attempt, subject=self.name, if_match=if_match)

    def render(
        self, tenant: str, resource: StoredResource, tenant_url: str, selection: Selection = EVERYTHING
    ) -> dict[str, Any]:
        """The SCIM JSON of a stored resource (RFC 7643 section 3), as ``selection`` asks."""
        related = {} if resource.new else self._related(tenant, resource, tenant_url, selection)
        return self._rendered(tenant, resource, tenant_url, selection, related)

    def render_page(
        self, tenant: str, page: Page, tenant_url: str, selection: Selection = EVERYTHING
    ) -> list[dict[str, Any]]:
        """Each resource of a page; subclasses may read what is stored apart for the whole page at once."""
        return [self.render(tenant, resource, tenant_url, selection) for resource in page.resources]

    def _rendered(
        self, tenant: str, resource: StoredResource, tenant_url: str, selection: Selection, related: dict[str, Any]
    ) -> dict[str, Any]:
        location = self.location(tenant_url, resource.id)
        resource_type = self.type_for(tenant)
        body = resource_json(resource_type, resource, stored_apart=related, location=location)
        return selection.apply(body, resource_type)

    def location(self, tenant_url: str, resource_id: str) -> str:
        return f"{tenant_url}{self.resource_type.endpoint}/{resource_id}"

    # --- for subclasses -----------------------------------------------------------------------

    def _related(self, tenant: str, resource: StoredResource, tenant_url: str, selection: Selection) -> dict[str, Any]:
        """Attributes kept outside the resource's JSON (a User's groups, a Group's members)."""
        return {}

    def patch_operations(self, body: Any) -> list[PatchOperation]:
        """The operations of a PATCH body; 400 invalidSyntax when it is not a PatchOp message."""
        request = protocol_message(PatchRequest, PATCH_OP_SCHEMA, body)
        if len(request.operations) > MAX_PATCH_OPERATIONS:
            raise TooMany(f"a PATCH may carry at most {MAX_PATCH_OPERATIONS} operations")
        operations = []
        for number, operation in enumerate(request.operations, start=1):
            # RFC 7644 section 3.5.2.1 and 3.5.2.3: add and replace MUST carry a value; a missing
            # one is not "clear it" (that is remove). An explicit null replacing a path is the one
            # exception: null is unassigned (RFC 7643 section 2.5), so it clears the attribute, as
            # Microsoft's gallery validation ("null update") expects; an added null adds nothing.
            given = "value" in operation.model_fields_set
            if operation.op == "replace" and given and operation.value is None and operation.path is not None:
                operations.append(operation.model_copy(update={"op": "remove"}))
                continue
            if operation.op in ("add", "replace") and operation.value is None:
                raise InvalidValue(f"operation {number} ({operation.op}) requires a value; use remove to clear")
            operations.append(operation)
        return operations

    def _patch_attributes(
        self, tenant: str, resource_id: str, operations: list[PatchOperation], if_match: str | None
    ) -> StoredResource:
        resource_type = self.type_for(tenant)

        def patched(current: StoredResource) -> dict[str, Any]:
            document = apply_operations(current.attributes, operations, resource_type, current.id)
            return self._validated(document, resource_type, current.attributes)

        return self._modify(tenant, resource_id, if_match, patched, event="patch")

    def _validated(
        self, body: Any, resource_type: ResourceType, current: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The writable attributes of a body, in canonical form; 400 when it is not valid.

        Core attributes by the model, extension attributes by their schemas (``extension_values``);
        ``current``: the stored attributes the body replaces. Attributes ``returned`` never (RFC 7643
        section 7: a User's ``password``) are accepted and not stored: this service authenticates no
        one, so it keeps no credential, not even a hash.
        """
        from scim.service.extension_values import extension_values  # writes only: not at cold start

        excluded = SERVER_ATTRIBUTES | resource_type.stored_apart | never_returned(resource_type.model)
        core = self._model_of(body).to_dict(exclude=excluded)
        return {**core, **extension_values(body, resource_type, current)}

    def _model_of(self, body: Any) -> ScimObject:
        if not isinstance(body, dict):
            raise InvalidSyntax("the body must be a JSON object")
        schemas = value_in_any_case(body, "schemas")
        if isinstance(schemas, list) and not any(
            isinstance(schema, str) and schema.lower() == self.resource_type.schema.lower() for schema in schemas
        ):
            raise InvalidSyntax(f"schemas must include {self.resource_type.schema}")
        return _parse(self.resource_type.model, body, InvalidValue)

    def _current(self, tenant: str, resource_id: str, if_match: str | None) -> StoredResource:
        current = self.get(tenant, resource_id)
        if not matches_if_match(current.version, if_match):
            raise PreconditionFailed(f"the {self.name} changed since the given version")
        return current

    def _modify(
        self,
        tenant: str,
        resource_id: str,
        if_match: str | None,
        change: Callable[[StoredResource], dict[str, Any]],
        *,
        event: str,
    ) -> StoredResource:
        """Read, change and write back at the read version; redo on a lost race unless If-Match.

        ``event`` (put or patch) and the attributes changed go to the write's journal row."""

        resource_type = self.type_for(tenant)

        def attempt(_number: int) -> StoredResource:
            current = self._current(tenant, resource_id, if_match)
            attributes = change(current)
            if attributes == current.attributes:
                return current  # nothing changes: no write, same version
            last_modified = later_than(current.last_modified, self._clock())
            updated = StoredResource(
                current.resource_type, current.id, attributes, current.created, last_modified, current.version
            )
            old_indexes, new_indexes = _indexes(resource_type, current.attributes), _indexes(resource_type, attributes)
            data = None
            if journal.keeps_values():
                patched = event == "patch"
                data = patch_data(resource_type, current, updated) if patched else resource_data(resource_type, updated)
            journal.note_change(event, current.attributes, attributes, data)
            with _write_outcomes():
                return self._repository.replace(tenant, updated, old_indexes=old_indexes, new_indexes=new_indexes)

        return redo_on_lost_race(attempt, subject=self.name, if_match=if_match)


def _indexes(resource_type: ResourceType, attributes: dict[str, Any]) -> list[IndexEntry]:
    """Index entries of the indexed attributes that have a string value (``_index_entry``)."""
    entries = []
    for name in resource_type.indexed:
        container, _, attribute_name = name.rpartition(":")
        holder = attributes.get(container) if container else attributes
        value = holder.get(attribute_name) if isinstance(holder, dict) else None
        if isinstance(value, str):
            entries.append(_index_entry(resource_type, name, value))
    return entries


@functools.lru_cache(maxsize=256)
def _indexed_path(name: str) -> AttrPath:
    """An indexed attribute's name as a path (parsed once per name and process)."""
    return parse_patch_path(name).path


def _index_entry(resource_type: ResourceType, name: str, value: str) -> IndexEntry:
    """The index entry of an indexed attribute's value (``userName``, or an extension attribute's full
    path): unique ones per ``uniqueness``, folded to lower case unless caseExact."""
    info = attribute_paths.resolve(resource_type, _indexed_path(name))
    characteristics = info.characteristics if info is not None else None
    case_exact = characteristics is not None and characteristics.case_exact
    unique = characteristics is not None and characteristics.uniqueness != "none"
    return IndexEntry(name, value if case_exact else value.lower(), unique=unique)


@functools.cache
def never_returned(model: type[ScimObject]) -> frozenset[str]:
    """Field names of ``model``'s attributes that are ``returned`` never."""
    return frozenset(info.field_name for info in attributes(model).values() if info.characteristics.returned == "never")


def redo_on_lost_race(write: Callable[[int], T], *, subject: str, if_match: str | None) -> T:
    """``write(attempt)`` (read, decide, write at the version read; attempt 0 first), redone while it
    loses a race to another writer (``VersionConflict``).

    With If-Match a lost race means the client's version is stale: 412. Without, the write is redone
    after ``pause_after_lost_race``, at most ``MAX_WRITE_ATTEMPTS`` times in all, then 503.
    """
    for attempt in range(MAX_WRITE_ATTEMPTS):
        try:
            return write(attempt)
        except VersionConflict:
            if if_match is not None:
                raise PreconditionFailed(f"the {subject} changed since the given version") from None
            pause_after_lost_race(attempt)
    raise ServiceUnavailable(f"the {subject} is being changed by other requests; retry", retry_after_seconds=1)


def pause_after_lost_race(attempt: int) -> None:
    """Wait before redoing a write that lost a race (attempt 0 lost first): a random time up to a
    bound that doubles each attempt ("full jitter"), so that racing writers spread out."""
    bound = min(FIRST_RETRY_PAUSE_SECONDS * 2**attempt, MAX_RETRY_PAUSE_SECONDS)
    time.sleep(random.uniform(0, bound))


def matches_if_match(version: str, if_match: str | None) -> bool:
    """RFC 9110 section 13.1.1: ``*`` or one of the listed entity tags."""
    if if_match is None or if_match.strip() == "*":
        return True
    return version in {tag.strip() for tag in if_match.split(",") if tag.strip()}


def matches_if_none_match(version: str, if_none_match: str | None) -> bool:
    """RFC 9110 section 13.1.2: ``*`` or one of the listed entity tags, compared weakly (304 on GET)."""
    if if_none_match is None or not if_none_match.strip():
        return False
    tags = {_opaque(tag) for tag in if_none_match.split(",") if tag.strip()}
    return "*" in tags or _opaque(version) in tags


def _opaque(tag: str) -> str:
    """An entity tag without its weakness indicator, for the weak comparison."""
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


@contextlib.contextmanager
def _write_outcomes() -> Iterator[None]:
    """Storage outcomes of a write, as the SCIM errors they mean."""
    try:
        yield
    except KeyTaken as taken:
        raise Uniqueness(f"{taken.attribute} is already taken") from None
    except ResourceTooLarge:
        raise PayloadTooLarge("the resource is too large to store") from None


def protocol_message(model: type[Message], schema: str, body: Any) -> Message:
    """A protocol message (RFC 7644 section 3.1), which must list its schema; 400 invalidSyntax otherwise."""
    message = _parse(model, body, InvalidSyntax)
    if not any(given.lower() == schema.lower() for given in message.schemas):
        raise InvalidSyntax(f"the request must carry the schema {schema}")
    return message


def _parse(model: type[Model], body: Any, error: type[InvalidSyntax] | type[InvalidValue]) -> Model:
    try:
        return model.model_validate(body)
    except ValidationError as problem:
        ambiguous = any(isinstance(item.get("ctx", {}).get("error"), AmbiguousAttribute) for item in problem.errors())
        raise (InvalidSyntax if ambiguous else error)(_describe(problem)) from None


def _describe(problem: ValidationError) -> str:
    """A short, value-free account of what failed validation (no personal data echoed)."""
    parts = []
    for item in problem.errors(include_input=False, include_url=False)[:5]:
        location = ".".join(str(part) for part in item["loc"]) or "body"
        parts.append(f"{location}: {item['msg']}")
    return "; ".join(parts)
