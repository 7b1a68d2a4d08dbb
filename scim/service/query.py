"""Listing and searching resources (RFC 7644 sections 3.4.2 and 3.4.3, RFC 9865): no Azure, no HTTP.

Plans. A filter whose every match must satisfy an ``eq`` on an indexed attribute (``id``, and
the resource type's ``indexed`` attributes: userName and externalId for Users, displayName and
externalId for Groups), alone, inside an ``and`` or in every branch of an ``or``, is answered from
point reads of the resources those index rows name. Any other filter scans the tenant's resources
of that type in id order, one storage page (1,000 resources) at a time, and examines at most
``MAX_SCAN_RESOURCES`` of them per request: beyond, 400 tooMany. Both plans evaluate the same
filter tree on every resource they read, so they give the same answers, and ``totalResults``
counts every match.

Paging. ``startIndex``/``count`` (RFC 7644 section 3.4.2.4) finds its window anew on every
request: a listing without filter reads the ids (keys only) then one page of resources; a filter
evaluates every candidate. Cursor paging (RFC 9865: ``cursor``, ``count``, ``nextCursor``)
resumes after the last resource returned, so walking N resources costs O(N) storage requests in
all; the first page counts the total and later pages carry it in the cursor (so it is the count
when the walk began). Cursors are sealed by ``CursorCodec``: a forged, altered or foreign one is
400 invalidCursor.

Sorting (RFC 7644 section 3.4.2.3). ``sortBy`` reads every match (a bounded scan, or the point
reads of an indexed filter) and keeps the best ``startIndex + count`` in memory; a sorted cursor
holds an offset. Sorted pages therefore cost a scan each.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from scim.errors import InvalidPath, InvalidValue, TooMany
from scim.models.base import value_in_any_case
from scim.models.resource_types import ResourceType
from scim.service import attribute_paths
from scim.service.cursors import CursorCodec, invalid_cursor
from scim.service.filters.evaluator import matches, value_at
from scim.service.filters.parser import parse_filter, parse_patch_path
from scim.service.filters.tree import And, AttrPath, Comparison, Node, Or, ValuePath
from scim.service.ports import IndexEntry, ResourceRepository, StoredResource
from scim.service.representation import resource_json

DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 200  # ServiceProviderConfig filter.maxResults
# The most resources one request may read to evaluate a filter that no index answers.
MAX_SCAN_RESOURCES = 100_000
# The most resources one indexed ``eq`` (a non-unique one: externalId) may name: each is a point
# read, so this bounds such a request to 1,000 reads (its index rows cost 1 request per 1,000).
MAX_INDEX_MATCHES = 1_000
SCAN_PAGE_SIZE = 1000  # the most Table Storage returns per request
SORT_SUPPORTED = True
CURSOR_SUPPORTED = True


@dataclass(frozen=True)
class ListRequest:
    """The query of a GET on a resource type or of a SearchRequest, without attribute selection."""

    filter: str | None = None
    start_index: int | None = None
    count: int | None = None
    cursor: str | None = None  # None: index paging; "": the first page of a cursor walk
    sort_by: str | None = None
    sort_order: str | None = None


@dataclass(frozen=True)
class Page:
    """One page of a query result (RFC 7644 section 3.4.2.4; RFC 9865 section 2)."""

    total_results: int
    start_index: int | None  # None on cursor pages
    resources: list[StoredResource]
    next_cursor: str | None = None
    # In id order with no resource of the type in between (an unfiltered, unsorted listing).
    consecutive: bool = False


@dataclass(frozen=True)
class Sort:
    path: AttrPath
    descending: bool


@dataclass(frozen=True)
class Lookup:
    """Ids from the index rows of ``attribute`` (or the id itself) for one value."""

    attribute: str  # canonical name: "id" or one of the resource type's indexed attributes
    value: Any

    @property
    def rank(self) -> int:
        return 0 if self.attribute == "id" else 1


@dataclass(frozen=True)
class MemberLookup:
    """Ids of the groups ``member_id`` is a direct member of: one range read of its membership rows."""

    member_id: str

    @property
    def rank(self) -> int:
        return 1


@dataclass(frozen=True)
class Union:
    """Ids from several lookups (an ``or`` of indexed equalities)."""

    parts: tuple[Lookup | MemberLookup | Union, ...]

    @property
    def rank(self) -> int:
        return 1 + sum(part.rank for part in self.parts)


Plan = Lookup | MemberLookup | Union
# For a filter on members: the groups each member it names is directly in (read once per query).
Memberships = dict[str, frozenset[str]]


class ResourceQuery:
    """Queries on one resource type: plans, evaluation, paging, sorting and cursors."""

    def __init__(
        self,
        repository: ResourceRepository,
        resource_type: ResourceType,
        index_entry: Callable[[str, str], IndexEntry],
        cursors: CursorCodec,
        is_id: Callable[[str], bool],
    ):
        self._repository = repository
        self._type = resource_type
        self._index_entry = index_entry  # the index entry of an indexed attribute's value
        self._cursors = cursors
        self._is_id = is_id  # whether a string can be an id (anything else is never read)

    def page(self, tenant: str, request: ListRequest) -> Page:
        return self.page_of(tenant, self.parse_filter(request.filter), request)

    def page_of(self, tenant: str, tree: Node | None, request: ListRequest) -> Page:
        """``request``'s page of the resources matching ``tree`` (its ``filter`` is not read)."""
        sort = self._sort(request.sort_by, request.sort_order)
        size = page_size(request)
        if request.cursor is None:
            return self._index_page(tenant, tree, sort, max(request.start_index or 1, 1), size)
        if request.start_index is not None:
            raise InvalidValue("startIndex and cursor exclude each other: page by one or the other")
        binding = [tenant, self._type.name, repr(tree), repr(sort)]
        state = self._cursors.open(request.cursor, binding) if request.cursor else {}
        total, resources, following = self._cursor_page(tenant, tree, sort, state, size)
        next_cursor = self._cursors.seal(binding, following) if following is not None else None
        return Page(total, None, resources, next_cursor, consecutive=tree is None and sort is None)

    def parse_filter(self, text: str | None) -> Node | None:
        """The filter's tree (None when there is none); 400 invalidFilter when it is not one we serve."""
        if text is None or not text.strip():
            return None
        tree = parse_filter(text)
        attribute_paths.check_filter(self._type, tree)
        return tree

    def ranked(
        self, tenant: str, tree: Node | None, sort_by: str, sort_order: str | None, keep: int
    ) -> tuple[int, list[tuple[tuple[Any, ...], StoredResource]]]:
        """How many resources match ``tree``, and the first ``keep`` in sort order with their sort
        keys, which compare across resource types (a search from the root, RFC 7644 section 3.4.3).
        A type without the ``sortBy`` attribute sorts all its resources as having no value."""
        try:
            parsed = parse_patch_path(sort_by.strip()).path
        except InvalidPath:
            parsed = None
        sort: Sort | None
        if parsed is not None and attribute_paths.resolve(self._type, parsed) is None:
            sort = Sort(parsed, (sort_order or "").strip().lower() == "descending")
        else:
            sort = self._sort(sort_by, sort_order)
        if sort is None:
            raise InvalidValue("sortBy names no attribute")
        total, best = self._sorted(tenant, tree, sort, keep)
        return total, [(self._sort_key(sort, resource), resource) for resource in best]

    # --- paging -------------------------------------------------------------------------------

    def _index_page(self, tenant: str, tree: Node | None, sort: Sort | None, start: int, size: int) -> Page:
        if sort is not None:
            total, ordered = self._sorted(tenant, tree, sort, start - 1 + size)
            return Page(total, start, ordered[start - 1 :])
        if tree is None:
            ids = self._repository.list_ids(tenant, self._type.name)
            first = ids[start - 1] if start <= len(ids) else None
            resources = self._repository.list_from(tenant, self._type.name, first, size) if first and size else []
            return Page(len(ids), start, resources, consecutive=True)
        total, window = _counted_window(self._matches(tenant, tree), start - 1, size)
        return Page(total, start, window)

    def _cursor_page(
        self, tenant: str, tree: Node | None, sort: Sort | None, state: dict[str, Any], size: int
    ) -> tuple[int, list[StoredResource], dict[str, Any] | None]:
        """The total, the page, and the state of the next cursor (None on the last page)."""
        if sort is not None:
            offset = _state(state, "o", int, 0)
            total, ordered = self._sorted(tenant, tree, sort, offset + size + 1)
            following = {"o": offset + size} if len(ordered) > offset + size else None
            return total, ordered[offset : offset + size], following
        after = _state(state, "a", str, None)
        total = _state(state, "n", int, None)
        if tree is None:
            if total is None:
                total = len(self._repository.list_ids(tenant, self._type.name))
            found = self._repository.list_after(tenant, self._type.name, after, size + 1)
        elif total is None:
            total, found = _counted_window(self._matches(tenant, tree, after), 0, size + 1)
        else:
            found = list(itertools.islice(self._matches(tenant, tree, after), size + 1))
        resources = found[:size]
        if len(found) <= size:
            return total, resources, None
        return total, resources, {"a": resources[-1].id if resources else after, "n": total}

    # --- plans and evaluation -----------------------------------------------------------------

    def _matches(self, tenant: str, tree: Node | None, after: str | None = None) -> Iterator[StoredResource]:
        """Resources satisfying ``tree`` (all when None) whose id comes after ``after``, in id order."""
        plan = self._plan(tree) if tree is not None else None
        memberships = self._memberships(tenant, tree) if tree is not None else {}
        if plan is not None:
            ids = sorted(i for i in self._ids(tenant, plan, memberships) if after is None or i > after)
            found: Iterable[StoredResource | None] = (self._repository.get(tenant, self._type.name, i) for i in ids)
        else:
            found = self._scan(tenant, after)
        return (r for r in found if r is not None and (tree is None or self._satisfies(tree, r, memberships)))

    def _memberships(self, tenant: str, tree: Node) -> Memberships:
        """The groups of each member the filter names (``attribute_paths.member_equality``)."""
        named = {attribute_paths.member_equality(self._type, term) for term in attribute_paths.terms(tree)}
        return {
            member_id: frozenset(self._repository.groups_of(tenant, member_id) if self._is_id(member_id) else ())
            for member_id in named
            if member_id is not None
        }

    def _scan(self, tenant: str, after: str | None) -> Iterator[StoredResource]:
        examined = 0
        while True:
            batch = self._repository.list_after(tenant, self._type.name, after, SCAN_PAGE_SIZE)
            examined += len(batch)
            if examined > MAX_SCAN_RESOURCES:
                raise TooMany(
                    f"this query would examine more than {MAX_SCAN_RESOURCES} {self._type.name}s; "
                    f"filter with 'eq' on {', '.join(('id', *self._type.indexed))}"
                )
            yield from batch
            if len(batch) < SCAN_PAGE_SIZE:
                return
            after = batch[-1].id

    def _plan(self, node: Node) -> Plan | None:
        """The cheapest set of index lookups that finds every match of ``node``; None if there is none."""
        if isinstance(node, And):
            plans = [plan for plan in (self._plan(node.left), self._plan(node.right)) if plan is not None]
            return min(plans, key=lambda plan: plan.rank, default=None)
        if isinstance(node, Or):
            left, right = self._plan(node.left), self._plan(node.right)
            return Union((left, right)) if left is not None and right is not None else None
        if isinstance(node, Comparison | ValuePath):
            member_id = attribute_paths.member_equality(self._type, node)
            if member_id is not None:
                return MemberLookup(member_id)
        if isinstance(node, Comparison) and node.operator == "eq" and node.path.sub_attribute is None:
            name = self._indexed_name(node.path)
            if name is not None:
                return Lookup(name, node.value)
        return None

    def _indexed_name(self, path: AttrPath) -> str | None:
        """The indexed attribute ``path`` names, as ``indexed`` spells it (``id``, ``userName``, or an
        extension attribute's full path); None when it names no indexed attribute."""
        located = self._type.schema_model(path.schema)
        if located is None:
            return None
        container, _ = located
        wanted = path.attribute.lower() if container is None else f"{container}:{path.attribute}".lower()
        return next((name for name in ("id", *self._type.indexed) if name.lower() == wanted), None)

    def _ids(self, tenant: str, plan: Plan, memberships: Memberships) -> set[str]:
        if isinstance(plan, Union):
            return set().union(*(self._ids(tenant, part, memberships) for part in plan.parts))
        if isinstance(plan, MemberLookup):
            return set(memberships[plan.member_id])
        if not isinstance(plan.value, str):
            return set()  # an indexed attribute is a string: nothing equals another type
        if plan.attribute == "id":
            return {plan.value} if self._is_id(plan.value) else set()
        entry = self._index_entry(plan.attribute, plan.value)
        ids = set(self._repository.find_ids(tenant, self._type.name, plan.attribute, entry.value, unique=entry.unique))
        if len(ids) > MAX_INDEX_MATCHES:  # checked before any of them is read
            raise TooMany(
                f"more than {MAX_INDEX_MATCHES} {self._type.name}s share this {plan.attribute}; narrow the filter"
            )
        return ids

    def _satisfies(self, tree: Node, resource: StoredResource, memberships: Memberships) -> bool:
        document = self._document(resource)
        if memberships:  # the members the filter asks about, as far as this resource has them
            members = [{"value": member} for member, groups in memberships.items() if resource.id in groups]
            document = {**document, attribute_paths.MEMBERS: members}
        return matches(tree, document, case_exact=self._case_exact)

    def _case_exact(self, path: AttrPath) -> bool:
        return attribute_paths.is_case_exact(self._type, path)

    def _document(self, resource: StoredResource) -> dict[str, Any]:
        """What filters and ``sortBy`` see of a resource: its JSON without what is stored apart."""
        return resource_json(self._type, resource)

    # --- sorting ------------------------------------------------------------------------------

    def _sort(self, sort_by: str | None, sort_order: str | None) -> Sort | None:
        """RFC 7644 section 3.4.2.3; ``sortOrder`` without ``sortBy`` changes nothing."""
        if sort_by is None or not sort_by.strip():
            return None
        order = (sort_order or "ascending").strip().lower()
        if order not in ("ascending", "descending"):
            raise InvalidValue("sortOrder is 'ascending' or 'descending'")
        try:
            parsed = parse_patch_path(sort_by.strip())
        except InvalidPath:
            parsed = None
        info = attribute_paths.resolve(self._type, parsed.path) if parsed and not parsed.value_filter else None
        if (
            parsed is None
            or info is None
            or parsed.sub_attribute is not None
            or attribute_paths.is_unfilterable(self._type, parsed.path)
        ):
            raise InvalidValue(f"cannot sort {self._type.name}s by '{sort_by}'")
        if info.complex_type is not None and not info.multi_valued:
            raise InvalidValue(f"sortBy names a sub-attribute of the complex '{info.name}', e.g. '{info.name}.value'")
        return Sort(parsed.path, order == "descending")

    def _sorted(self, tenant: str, tree: Node | None, sort: Sort, keep: int) -> tuple[int, list[StoredResource]]:
        """How many resources match, and the first ``keep`` of them in sort order."""
        total = 0

        def counted() -> Iterator[StoredResource]:
            nonlocal total
            for resource in self._matches(tenant, tree):
                total += 1
                yield resource

        matches = counted()
        pick = heapq.nlargest if sort.descending else heapq.nsmallest
        best = pick(keep, matches, key=lambda resource: self._sort_key(sort, resource))
        for _ in matches:  # count what was not kept (nothing is left unless keep is 0)
            pass
        return total, best

    def _sort_key(self, sort: Sort, resource: StoredResource) -> tuple[Any, ...]:
        """Missing values sort last in ascending order (first in descending); ties by id."""
        value = _sort_value(self._document(resource), sort.path)
        if isinstance(value, str) and not self._case_exact(sort.path):
            value = value.lower()
        if value is None or isinstance(value, dict | list):
            return (1, 0, "", resource.id)
        kind = 0 if isinstance(value, bool) else 1 if isinstance(value, int | float) else 2
        return (0, kind, value, resource.id)


def page_size(request: ListRequest) -> int:
    """``count`` within 0 and ``MAX_PAGE_SIZE``; ``DEFAULT_PAGE_SIZE`` when not given (RFC 7644 section 3.4.2.4)."""
    return min(max(request.count if request.count is not None else DEFAULT_PAGE_SIZE, 0), MAX_PAGE_SIZE)


def _sort_value(document: dict[str, Any], path: AttrPath) -> Any:
    """The value to sort by: a multi-valued attribute gives its primary element, or else its first."""
    value = value_at(document, AttrPath(path.schema, path.attribute))
    if isinstance(value, list):
        elements = [element for element in value if element is not None]
        primary = next((e for e in elements if value_in_any_case(e, "primary") is True), None)
        value = primary if primary is not None else (elements[0] if elements else None)
        if isinstance(value, dict) and path.sub_attribute is None:
            value = value_in_any_case(value, "value")
    return value_in_any_case(value, path.sub_attribute) if path.sub_attribute is not None else value


def _counted_window(items: Iterable[StoredResource], skip: int, size: int) -> tuple[int, list[StoredResource]]:
    """How many ``items`` there are, and those from position ``skip`` (0-based), at most ``size``."""
    total, window = 0, []
    for item in items:
        if skip <= total < skip + size:
            window.append(item)
        total += 1
    return total, window


def _state(state: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    """A value of an opened cursor, checked even though the cursor's tag was valid."""
    value = state.get(key, default)
    if value is default:
        return value
    if isinstance(value, bool) or not isinstance(value, kind) or (isinstance(value, int) and value < 0):
        raise invalid_cursor()
    return value
