"""A search from the root, ``POST {Tenant URL}/.search`` (RFC 7644 section 3.4.3): Users and
Groups in one query. No Azure, no HTTP.

Filter. RFC 7644 section 3.4.2: an attribute a resource type does not define has no value in its
resources, so a comparison or presence test on it is false there. The filter is reduced per type
on that rule before anything is read (``userName eq "x"`` reads no Group; ``not (userName pr)``
is every Group) and then planned for each type as on its own endpoint (point reads, membership
rows, or a scan). An attribute no type defines is 400 invalidFilter, as on each endpoint.

Paging. ``startIndex``/``count`` over Users then Groups, each in id order; ``totalResults`` is
the sum. With ``sortBy``, both types are sorted by the same key and merged (a type without the
attribute sorts as if every value were missing). Cursors (RFC 9865) are not offered here: the two
walks would need one cursor holding two positions, and no client we know pages the root by
cursor; a ``cursor`` is 400 invalidValue, and each type's own ``.search`` pages by cursor.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from scim.errors import InvalidFilter, InvalidPath, InvalidValue
from scim.models.resource_types import ResourceType
from scim.service import attribute_paths
from scim.service.filters.parser import parse_filter, parse_patch_path
from scim.service.filters.tree import And, Node, Not, Or
from scim.service.ports import StoredResource
from scim.service.query import ListRequest, page_size
from scim.service.resources import ResourceService

# A filter reduced for one resource type: a tree still to evaluate, or True (every resource of
# the type matches) or False (none does, so none is read).
Reduced = Node | bool


@dataclass(frozen=True)
class RootPage:
    """One page of a search from the root; each resource is rendered by its own type's service."""

    total_results: int
    start_index: int
    resources: list[tuple[ResourceService, StoredResource]]


def search(tenant: str, services: Sequence[ResourceService], request: ListRequest) -> RootPage:
    """RFC 7644 section 3.4.3 across ``services``' resource types, in their order."""
    if request.cursor is not None:
        raise InvalidValue("the root .search pages by startIndex; page by cursor on /Users/.search or /Groups/.search")
    filters = _filters_by_type(tenant, services, request.filter)
    start, size = max(request.start_index or 1, 1), page_size(request)
    if request.sort_by is not None and request.sort_by.strip():
        return _sorted_page(tenant, filters, request, start, size)
    total, chosen = 0, list[tuple[ResourceService, StoredResource]]()
    for service, reduced in filters:
        if reduced is False:
            continue
        window = ListRequest(start_index=max(start - total, 1), count=size - len(chosen))
        page = service.find_matching(tenant, None if reduced is True else reduced, window)
        chosen += [(service, resource) for resource in page.resources]
        total += page.total_results
    return RootPage(total, start, chosen)


def _sorted_page(
    tenant: str, filters: list[tuple[ResourceService, Reduced]], request: ListRequest, start: int, size: int
) -> RootPage:
    sort_by = request.sort_by or ""
    _check_sort_by(tenant, filters, sort_by)
    keep, total = start - 1 + size, 0
    ranked: list[tuple[tuple[Any, ...], int, ResourceService, StoredResource]] = []
    for number, (service, reduced) in enumerate(filters):
        if reduced is False:
            continue
        tree = None if reduced is True else reduced
        count, best = service.ranked(tenant, tree, sort_by, request.sort_order, keep)
        total += count
        ranked += [(key, number, service, resource) for key, resource in best]
    descending = (request.sort_order or "").strip().lower() == "descending"
    pick = heapq.nlargest if descending else heapq.nsmallest
    best_of_all = pick(keep, ranked, key=lambda item: (item[0], item[1]))
    return RootPage(total, start, [(service, resource) for _, _, service, resource in best_of_all[start - 1 :]])


def _filters_by_type(
    tenant: str, services: Sequence[ResourceService], text: str | None
) -> list[tuple[ResourceService, Reduced]]:
    """The filter reduced for each type as ``tenant`` has it (with its extensions), and checked there
    as its own endpoint would."""
    if text is None or not text.strip():
        return [(service, True) for service in services]
    tree = parse_filter(text)
    types = [service.type_for(tenant) for service in services]
    for term in attribute_paths.terms(tree):
        if all(attribute_paths.resolve(resource_type, term.path) is None for resource_type in types):
            raise InvalidFilter(f"unknown attribute '{attribute_paths.show(term.path)}' in the filter")
    reduced_filters = []
    for service, resource_type in zip(services, types, strict=True):
        reduced = _reduced(resource_type, tree)
        if not isinstance(reduced, bool):
            attribute_paths.check_filter(resource_type, reduced)
        reduced_filters.append((service, reduced))
    return reduced_filters


def _reduced(resource_type: ResourceType, node: Node) -> Reduced:
    """``node`` with every term on an attribute the type does not define replaced by False."""
    if isinstance(node, Not):
        inner = _reduced(resource_type, node.expr)
        return (not inner) if isinstance(inner, bool) else Not(inner)
    if isinstance(node, And | Or):
        left, right = _reduced(resource_type, node.left), _reduced(resource_type, node.right)
        absorbing = isinstance(node, Or)  # True absorbs an 'or', False an 'and'
        if left is absorbing or right is absorbing:
            return absorbing
        if isinstance(left, bool):
            return right
        if isinstance(right, bool):
            return left
        return type(node)(left, right)
    return node if attribute_paths.resolve(resource_type, node.path) is not None else False


def _check_sort_by(tenant: str, filters: list[tuple[ResourceService, Reduced]], sort_by: str) -> None:
    """400 invalidValue when no type has the ``sortBy`` attribute."""
    try:
        path = parse_patch_path(sort_by.strip()).path
    except InvalidPath:
        raise InvalidValue(f"cannot sort by '{sort_by}'") from None
    if all(attribute_paths.resolve(service.type_for(tenant), path) is None for service, _ in filters):
        raise InvalidValue(f"no resource type has '{sort_by}' to sort by")
