"""Evaluating a filter tree against a resource given as JSON-like data (RFC 7644 section 3.4.2.2).

Decisions the RFC leaves open: a type mismatch (found only here, at evaluation) is simply no
match; ``x eq null`` matches when ``x`` is not present (``not (x pr)``) and ``x ne null`` when it
is, since RFC 7643 section 2.5 makes unassigned, null and empty the same state.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from scim.models import tolerances
from scim.models.base import value_in_any_case
from scim.service.filters.tree import (
    CORE_SCHEMA_PREFIX,
    ORDERING_OPERATORS,
    STRING_OPERATORS,
    And,
    AttrPath,
    Comparison,
    Node,
    Not,
    Or,
    Present,
    ValuePath,
    operands,
)

# xsd:dateTime (RFC 7643 section 2.3.5); values like these compare chronologically.
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)


def matches(node: Node, resource: dict[str, Any], *, case_exact: Callable[[AttrPath], bool]) -> bool:
    """Whether ``resource`` satisfies the filter ``node`` (RFC 7644 section 3.4.2.2).

    Attribute names match case-insensitively (RFC 7643 section 2.1); strings compare
    case-insensitively unless ``case_exact(path)``; a multi-valued attribute matches when any
    of its values does; a missing attribute matches nothing but ``not`` and ``eq null``.
    """
    if isinstance(node, And):
        return all(matches(term, resource, case_exact=case_exact) for term in operands(node, And))
    if isinstance(node, Or):
        return any(matches(term, resource, case_exact=case_exact) for term in operands(node, Or))
    if isinstance(node, Not):
        return not matches(node.expr, resource, case_exact=case_exact)
    if isinstance(node, Present):
        return _is_present(value_at(resource, node.path))
    if isinstance(node, Comparison):
        return _comparison_matches(node, resource, case_exact)
    if isinstance(node, ValuePath):
        return _some_element_matches(node, resource, case_exact)
    raise TypeError(f"not a filter node: {node!r}")


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}
_STRING_TESTS: dict[str, Callable[[str, str], bool]] = {
    "co": lambda actual, expected: expected in actual,
    "sw": str.startswith,
    "ew": str.endswith,
}


def value_at(resource: Any, path: AttrPath) -> Any:
    """The value ``path`` names, None when missing; a sub-attribute of a list gives one value per element.

    Extension attributes live under their schema URN; core schema URNs name the top level.
    """
    container = resource
    if path.schema is not None and not path.schema.lower().startswith(CORE_SCHEMA_PREFIX):
        container = value_in_any_case(resource, path.schema)
    value = value_in_any_case(container, path.attribute)
    if path.sub_attribute is None:
        return value
    if isinstance(value, list):
        return [value_in_any_case(element, path.sub_attribute) for element in value]
    return value_in_any_case(value, path.sub_attribute)


def _is_present(value: Any) -> bool:
    """``pr``: a non-empty value, or a complex or multi-valued one holding some (RFC 7644 section 3.4.2.2)."""
    if value is None or value == "":
        return False
    if isinstance(value, list):
        return any(_is_present(item) for item in value)
    if isinstance(value, dict):
        return any(_is_present(item) for item in value.values())
    return True


def _comparison_matches(node: Comparison, resource: Any, case_exact: Callable[[AttrPath], bool]) -> bool:
    value = value_at(resource, node.path)
    if node.value is None:  # RFC 7643 section 2.5: unassigned and null are the same state
        if node.operator == "eq":
            return not _is_present(value)
        return node.operator == "ne" and _is_present(value)
    return any(
        _compare(node.operator, actual, node.value, case_exact, path) for actual, path in _comparands(value, node.path)
    )


def _comparands(value: Any, path: AttrPath) -> Iterator[tuple[Any, AttrPath]]:
    """Each value to compare, with the path it is found at: any one of them may match.

    A multi-valued attribute of complex elements compared directly compares their ``value``.
    """
    if not isinstance(value, list):
        yield value, path
        return
    for element in value:
        if isinstance(element, dict) and path.sub_attribute is None:
            yield value_in_any_case(element, "value"), AttrPath(path.schema, path.attribute, "value")
        elif isinstance(element, list):
            yield from ((item, path) for item in element)
        else:
            yield element, path


def _compare(
    operator_name: str, actual: Any, expected: Any, case_exact: Callable[[AttrPath], bool], path: AttrPath
) -> bool:
    """One value against the filter's; values of different JSON types never match (but tolerance 7)."""
    if isinstance(actual, bool):
        expected = tolerances.boolean_value(expected)
    kind = _kind(expected)
    if kind is None or _kind(actual) != kind:
        return False
    if operator_name in STRING_OPERATORS:
        if kind != "string":
            return False
        if not case_exact(path):
            actual, expected = actual.lower(), expected.lower()
        return _STRING_TESTS[operator_name](actual, expected)
    if kind == "boolean" and operator_name in ORDERING_OPERATORS:
        return False
    if kind == "string":
        actual, expected = _comparable_strings(actual, expected, case_exact(path))
    return _ORDER[operator_name](actual, expected)


def _comparable_strings(actual: str, expected: str, exact: bool) -> tuple[Any, Any]:
    """Two dateTimes compare chronologically; other strings by code point, case-folded unless exact."""
    moments = as_datetime(actual), as_datetime(expected)
    if moments[0] is not None and moments[1] is not None:
        return moments
    return (actual, expected) if exact else (actual.lower(), expected.lower())


def _kind(value: Any) -> str | None:
    if isinstance(value, bool):  # before int: bool is a subclass of int
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return None


def as_datetime(text: str) -> datetime | None:
    """``text`` as an aware datetime when it is an xsd:dateTime; no offset means UTC."""
    if _DATETIME.fullmatch(text) is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:  # e.g. month 13
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _some_element_matches(node: ValuePath, resource: Any, case_exact: Callable[[AttrPath], bool]) -> bool:
    """``attr[filter]``: some element satisfies ``filter``; a simple element is seen as ``{"value": element}``."""
    value = value_at(resource, node.path)
    elements = value if isinstance(value, list) else [value]

    def element_case_exact(inner: AttrPath) -> bool:
        return case_exact(AttrPath(node.path.schema, node.path.attribute, inner.attribute))

    return any(
        matches(
            node.filter, element if isinstance(element, dict) else {"value": element}, case_exact=element_case_exact
        )
        for element in elements
        if element is not None
    )
