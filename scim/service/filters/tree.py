"""The tree of a SCIM filter (RFC 7644 section 3.4.2.2) or PATCH path (RFC 7644 section 3.5.2).

Frozen dataclasses, so that trees compare, hash and print (a cursor is bound to its filter's tree).
"""

from __future__ import annotations

from dataclasses import dataclass

JsonValue = str | bool | int | float | None


@dataclass(frozen=True)
class AttrPath:
    """``[schema ":"] attribute ["." sub_attribute]`` (RFC 7644 sections 3.4.2.2 and 3.10)."""

    schema: str | None
    attribute: str
    sub_attribute: str | None = None


@dataclass(frozen=True)
class Comparison:
    """``path operator value``; ``operator`` is one of eq ne co sw ew gt ge lt le, lowercased."""

    path: AttrPath
    operator: str
    value: JsonValue


@dataclass(frozen=True)
class Present:
    """``path pr``."""

    path: AttrPath


@dataclass(frozen=True)
class And:
    left: Node
    right: Node


@dataclass(frozen=True)
class Or:
    left: Node
    right: Node


@dataclass(frozen=True)
class Not:
    expr: Node


@dataclass(frozen=True)
class ValuePath:
    """``path[filter]``: some element of a multi-valued attribute matches ``filter``.

    Attribute names inside ``filter`` are relative to the element (its sub-attributes).
    """

    path: AttrPath
    filter: Node


Node = Comparison | Present | And | Or | Not | ValuePath


@dataclass(frozen=True)
class PatchPath:
    """``attrPath / valuePath [subAttr]`` (RFC 7644 section 3.5.2), e.g. ``emails[type eq "work"].value``."""

    path: AttrPath
    value_filter: Node | None = None
    sub_attribute: str | None = None


ORDERING_OPERATORS = frozenset({"gt", "ge", "lt", "le"})
STRING_OPERATORS = frozenset({"co", "sw", "ew"})
COMPARISON_OPERATORS = frozenset({"eq", "ne"}) | ORDERING_OPERATORS | STRING_OPERATORS
CORE_SCHEMA_PREFIX = "urn:ietf:params:scim:schemas:core:2.0:"


def operands(node: Node, kind: type[And | Or]) -> list[Node]:
    """The terms of a chain of ``kind``, left to right, without recursion."""
    terms, pending = [], [node]
    while pending:
        current = pending.pop()
        if isinstance(current, kind):
            pending += [current.right, current.left]
        else:
            terms.append(current)
    return terms


def equalities_of_conjunction(node: Node) -> list[Comparison] | None:
    """The ``eq`` terms of a filter made only of ``eq`` terms joined by ``and``; None for any other filter."""
    terms = operands(node, And)
    if all(isinstance(term, Comparison) and term.operator == "eq" for term in terms):
        return terms  # type: ignore[return-value]
    return None
