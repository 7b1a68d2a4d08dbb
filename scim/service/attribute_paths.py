"""Attribute paths of filters and ``sortBy`` resolved against a resource type's models.

A path names a core attribute (``userName``, ``name.givenName``, with or without the core schema
URN) or an extension attribute, always URN-qualified
(``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department``).
"""

from __future__ import annotations

from collections.abc import Iterator

from scim.errors import InvalidFilter
from scim.models.base import AttributeInfo, AttributeSource, attribute
from scim.models.resource_types import ResourceType
from scim.service.filters.tree import And, AttrPath, Comparison, Node, Not, Or, Present, ValuePath

# Not in what filters and sortBy see: memberships are rows of their own, meta.location
# depends on the URL a request came in by, and a password is never stored. Groups' members are
# the one exception, in one form: ``member_equality``.
UNFILTERABLE = frozenset({"groups", "members", "meta.location", "password"})
MEMBERS = "members"


def resolve(resource_type: ResourceType, path: AttrPath) -> AttributeInfo | None:
    """The attribute (or sub-attribute) ``path`` names, or None when the resource type has none."""
    model = model_of(resource_type, path.schema)
    info = attribute(model, path.attribute) if model is not None else None
    if info is None or path.sub_attribute is None:
        return info
    return attribute(info.complex_type, path.sub_attribute) if info.complex_type is not None else None


def model_of(resource_type: ResourceType, schema: str | None) -> AttributeSource | None:
    """The model of the core schema (``schema`` None) or of an extension, or None when not served."""
    located = resource_type.schema_model(schema)
    return located[1] if located is not None else None


def is_unfilterable(resource_type: ResourceType, path: AttrPath) -> bool:
    """Whether ``path`` names something a filter or ``sortBy`` cannot see (``UNFILTERABLE``)."""
    if model_of(resource_type, path.schema) is not resource_type.model:
        return False
    name = path.attribute.lower()
    return name in UNFILTERABLE or f"{name}.{(path.sub_attribute or '').lower()}" in UNFILTERABLE


def is_case_exact(resource_type: ResourceType, path: AttrPath) -> bool:
    """Whether values at ``path`` compare case-sensitively (RFC 7643 section 7, caseExact)."""
    info = resolve(resource_type, path)
    return bool(info and info.characteristics.case_exact)


def check_filter(resource_type: ResourceType, node: Node) -> None:
    """400 invalidFilter when the filter names an attribute the resource type does not have.

    RFC 7644 section 3.4.2.2 lets a service provider refuse such a filter; answering an empty
    list instead would hide a client's typo. ``groups`` and ``members`` are refused too.
    Inside ``attr[...]`` every name is a sub-attribute of the element (``value`` for simple ones).
    """
    for term in terms(node):
        if member_equality(resource_type, term) is not None:
            continue
        info = _known(resource_type, term.path)
        if not isinstance(term, ValuePath):
            continue
        for inner in terms(term.filter):
            name = inner.path.attribute
            known = attribute(info.complex_type, name) if info.complex_type is not None else name.lower() == "value"
            if not known:
                raise InvalidFilter(f"unknown sub-attribute '{name}' of '{show(term.path)}' in the filter")


def terms(node: Node) -> Iterator[Comparison | Present | ValuePath]:
    """The comparisons, presence tests and value paths of a filter, at any depth."""
    pending: list[Node] = [node]
    while pending:
        current = pending.pop()
        if isinstance(current, Not):
            pending.append(current.expr)
        elif isinstance(current, And | Or):
            pending += [current.right, current.left]
        else:
            yield current


def member_equality(resource_type: ResourceType, term: Comparison | Present | ValuePath) -> str | None:
    """The member id of a ``members[value eq "<id>"]`` or ``members.value eq "<id>"`` term of a
    filter on a type whose members are stored apart (Groups); None for a term on anything else.

    These are answered from the member's own membership rows, so they are the only filters on
    ``members``; any other (``members pr``, ``members[type eq "User"]``) is 400 invalidFilter.
    """
    if (
        MEMBERS not in resource_type.stored_apart
        or term.path.attribute.lower() != MEMBERS
        or model_of(resource_type, term.path.schema) is not resource_type.model
    ):
        return None
    inner: Node = term.filter if isinstance(term, ValuePath) and term.path.sub_attribute is None else term
    if isinstance(term, ValuePath):
        path = inner.path if isinstance(inner, Comparison) else None
        is_value = path is not None and path.attribute.lower() == "value" and path.sub_attribute is None
    else:
        is_value = (term.path.sub_attribute or "").lower() == "value"
    if isinstance(inner, Comparison) and inner.operator == "eq" and is_value and isinstance(inner.value, str):
        return inner.value
    raise InvalidFilter('members can be filtered by members[value eq "<id>"] or members.value eq "<id>" only')


def _known(resource_type: ResourceType, path: AttrPath) -> AttributeInfo:
    info = resolve(resource_type, path)
    if info is None:
        raise InvalidFilter(f"unknown attribute '{show(path)}' in the filter for {resource_type.name}s")
    if is_unfilterable(resource_type, path):
        raise InvalidFilter(f"filtering on '{show(path)}' is not supported")
    return info


def show(path: AttrPath) -> str:
    """``path`` as written in standard attribute notation (RFC 7644 section 3.10)."""
    text = f"{path.schema}:{path.attribute}" if path.schema else path.attribute
    return f"{text}.{path.sub_attribute}" if path.sub_attribute else text
