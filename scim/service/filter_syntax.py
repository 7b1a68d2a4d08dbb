"""The SCIM filter language (RFC 7644 section 3.4.2.2) and PATCH paths (RFC 7644 section 3.5.2).

``parse_filter`` and ``parse_patch_path`` turn text into a tree of frozen dataclasses; ``matches``
evaluates a filter tree against a resource given as JSON-like data. Positions in error details
are 0-based character offsets into the text.

Decisions the RFC leaves open:

* ``gt``/``ge``/``lt``/``le`` with ``true``, ``false`` or ``null`` is refused at parse time
  (RFC 7644 section 3.4.2.2 asks for 400 invalidFilter on boolean ordering; null has no order).
  Any other type mismatch, found only at evaluation, is simply no match.
* ``x eq null`` matches when ``x`` is not present (``not (x pr)``) and ``x ne null`` when it is:
  RFC 7643 section 2.5 makes unassigned, null and empty the same state.
* ``true``, ``false`` and ``null`` are accepted in any case, like the operators.
* Chains of ``and``/``or`` are built as balanced trees (the operators are associative), so a
  filter of hundreds of terms stays shallow enough to compare, hash and print.
"""

from __future__ import annotations

import json
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, NoReturn

from scim.errors import InvalidFilter, InvalidPath, ScimError

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

# RFC 7643 section 2.1: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; "$ref" too.
_NAME = r"(?:[A-Za-z][A-Za-z0-9_-]*|\$[Rr][Ee][Ff])"
_RELATIVE_PATH = re.compile(rf"(?P<attribute>{_NAME})(?:\.(?P<sub_attribute>{_NAME}))?")
_SUB_ATTRIBUTE = re.compile(rf"\.(?P<name>{_NAME})")
_URN = re.compile(r"[Uu][Rr][Nn](?::[^:]+)+")
# RFC 7159 section 6, ASCII digits only.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?")
# xsd:dateTime (RFC 7643 section 2.3.5); values like these compare chronologically.
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2})?"
)
_TOKEN = re.compile(r'(?P<punctuation>[()\[\]])|(?P<string>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()\[\]"]+)', re.DOTALL)
_SPACE = re.compile(r"\s*")
_SHOWN_TOKEN_LENGTH = 40


def parse_filter(text: str, *, max_length: int = 4096, max_depth: int = 32) -> Node:
    """The tree of a ``filter`` query parameter (RFC 7644 section 3.4.2.2); InvalidFilter otherwise.

    Operators and keywords are case-insensitive; precedence is not > and > or; ``max_depth``
    bounds the nesting of parentheses and brackets.
    """
    parser = _Parser(text, "filter", InvalidFilter, max_length, max_depth)
    return parser.run(parser.whole_filter)


def parse_patch_path(text: str, *, max_length: int = 4096, max_depth: int = 32) -> PatchPath:
    """The target of a PATCH operation's ``path`` (RFC 7644 section 3.5.2); InvalidPath otherwise."""
    parser = _Parser(text, "path", InvalidPath, max_length, max_depth)
    return parser.run(parser.patch_path)


def matches(node: Node, resource: dict[str, Any], *, case_exact: Callable[[AttrPath], bool]) -> bool:
    """Whether ``resource`` satisfies the filter ``node`` (RFC 7644 section 3.4.2.2).

    Attribute names match case-insensitively (RFC 7643 section 2.1); strings compare
    case-insensitively unless ``case_exact(path)``; a multi-valued attribute matches when any
    of its values does; a missing attribute matches nothing but ``not`` and ``eq null``.
    """
    if isinstance(node, And):
        return all(matches(term, resource, case_exact=case_exact) for term in _operands(node, And))
    if isinstance(node, Or):
        return any(matches(term, resource, case_exact=case_exact) for term in _operands(node, Or))
    if isinstance(node, Not):
        return not matches(node.expr, resource, case_exact=case_exact)
    if isinstance(node, Present):
        return _is_present(_value_at(resource, node.path))
    if isinstance(node, Comparison):
        return _comparison_matches(node, resource, case_exact)
    if isinstance(node, ValuePath):
        return _some_element_matches(node, resource, case_exact)
    raise TypeError(f"not a filter node: {node!r}")


def is_conjunction_of_equalities(node: Node) -> list[Comparison] | None:
    """The ``eq`` terms of a filter that is only ``eq`` terms joined by ``and``; else None."""
    terms = _operands(node, And)
    if all(isinstance(term, Comparison) and term.operator == "eq" for term in terms):
        return terms  # type: ignore[return-value]
    return None


# Parsing


class _Token(NamedTuple):
    kind: str  # "word", "string", "end", or the punctuation character itself
    text: str
    position: int


class _Parser:
    """Recursive descent over the tokens; every failure raises ``error`` with a position."""

    def __init__(self, text: str, subject: str, error: type[ScimError], max_length: int, max_depth: int):
        self.text, self.subject, self.error = text, subject, error
        self.max_length, self.max_depth = max_length, max_depth
        self.tokens: list[_Token] = []
        self.index = 0

    def run(self, rule: Callable[[], Any]) -> Any:
        if not isinstance(self.text, str):
            raise self.error(f"the {self.subject} must be a string")
        if len(self.text) > self.max_length:
            raise self.error(f"{self.subject} longer than {self.max_length} characters")
        if not self.text.strip():
            raise self.error(f"the {self.subject} is empty")
        self.tokens = self.tokenize()
        try:
            return rule()
        except RecursionError:  # only when a caller allows a depth beyond Python's stack
            raise self.error(f"{self.subject} nested deeper than {self.max_depth} levels") from None

    def tokenize(self) -> list[_Token]:
        tokens = []
        position = _SPACE.match(self.text).end()
        while position < len(self.text):
            match = _TOKEN.match(self.text, position)
            if match is None:  # all that can be left is a '"' without its closing '"'
                raise self.error(f"unterminated string starting at position {position}")
            kind = match.lastgroup
            tokens.append(_Token(match.group() if kind == "punctuation" else kind, match.group(), position))
            position = _SPACE.match(self.text, match.end()).end()
        tokens.append(_Token("end", "", len(self.text)))
        return tokens

    def whole_filter(self) -> Node:
        node = self.disjunction(0, in_brackets=False)
        self.expect("end", "'and', 'or' or the end of the filter")
        return node

    def patch_path(self) -> PatchPath:
        token = self.take()
        if token.kind != "word":
            self.fail(token, "an attribute path")
        path = self.attr_path(token, in_brackets=False)
        if self.peek().kind != "[":
            self.expect("end", "'[' or the end of the path")
            return PatchPath(path)
        value_path = self.value_path(path, token, 0)
        sub_attribute = None
        if self.peek().kind == "word":
            token = self.take()
            match = _SUB_ATTRIBUTE.fullmatch(token.text)
            if match is None:
                self.fail(token, "'.' and a sub-attribute name")
            sub_attribute = match["name"]
        self.expect("end", "'.' and a sub-attribute name, or the end of the path")
        return PatchPath(path, value_path.filter, sub_attribute)

    def disjunction(self, depth: int, in_brackets: bool) -> Node:
        terms = [self.conjunction(depth, in_brackets)]
        while self.keyword("or"):
            terms.append(self.conjunction(depth, in_brackets))
        return _balanced(Or, terms)

    def conjunction(self, depth: int, in_brackets: bool) -> Node:
        terms = [self.term(depth, in_brackets)]
        while self.keyword("and"):
            terms.append(self.term(depth, in_brackets))
        return _balanced(And, terms)

    def term(self, depth: int, in_brackets: bool) -> Node:
        token = self.peek()
        if token.kind == "(":
            return self.group(depth, in_brackets)
        if token.kind != "word":
            self.fail(token, "an attribute path, '(' or 'not'")
        # "not" is also a valid attribute name; it is one when an operator follows it.
        if token.text.lower() == "not" and not self.is_operator(self.peek(1)):
            self.take()
            if self.peek().kind != "(":
                self.fail(self.peek(), "'(' after 'not'")
            return Not(self.group(depth, in_brackets))
        self.take()
        path = self.attr_path(token, in_brackets)
        if self.peek().kind == "[":
            if in_brackets:
                raise self.error(f"value filters do not nest: '[' at position {self.peek().position}")
            value_path = self.value_path(path, token, depth)
            sub = _SUB_ATTRIBUTE.fullmatch(self.peek().text) if self.peek().kind == "word" else None
            if sub is None:
                return value_path
            # Entra filters users by 'emails[type eq "work"].value eq "x"': the same element must
            # satisfy the bracketed filter and the comparison on its sub-attribute.
            self.take()
            condition = self.attribute_expression(AttrPath(None, sub["name"]))
            return ValuePath(value_path.path, And(value_path.filter, condition))
        return self.attribute_expression(path)

    def group(self, depth: int, in_brackets: bool) -> Node:
        self.enter(depth + 1)
        self.take()
        node = self.disjunction(depth + 1, in_brackets)
        self.expect(")", "'and', 'or' or ')'")
        return node

    def value_path(self, path: AttrPath, path_token: _Token, depth: int) -> ValuePath:
        if path.sub_attribute is not None:
            raise self.error(
                f"a value filter must follow a multi-valued attribute, not '{path_token.text}' "
                f"at position {path_token.position}"
            )
        self.enter(depth + 1)
        self.take()
        inner = self.disjunction(depth + 1, in_brackets=True)
        self.expect("]", "'and', 'or' or ']'")
        return ValuePath(path, inner)

    def attribute_expression(self, path: AttrPath) -> Node:
        token = self.take()
        operator_name = token.text.lower() if token.kind == "word" else ""
        if operator_name == "pr":
            return Present(path)
        if operator_name not in COMPARISON_OPERATORS:
            self.fail(token, "an operator: eq, ne, co, sw, ew, gt, ge, lt, le or pr")
        value_token = self.take()
        value = self.literal(value_token)
        if operator_name in ORDERING_OPERATORS and (value is None or isinstance(value, bool)):
            raise self.error(
                f"'{token.text}' cannot order by {value_token.text} at position {value_token.position}; "
                "gt, ge, lt and le take a string, a number or a dateTime"
            )
        return Comparison(path, operator_name, value)

    def attr_path(self, token: _Token, in_brackets: bool) -> AttrPath:
        path = _attr_path(token.text)
        if path is None:
            raise self.error(f"invalid attribute path '{_shown(token.text)}' at position {token.position}")
        if in_brackets and (path.schema is not None or path.sub_attribute is not None):
            raise self.error(
                f"inside '[...]' name a sub-attribute of the element, not '{_shown(token.text)}' "
                f"at position {token.position}"
            )
        return path

    def literal(self, token: _Token) -> JsonValue:
        """A JSON value: false, null, true, a number or a string (RFC 7644 section 3.4.2.2, compValue)."""
        if token.kind == "string":
            try:
                return json.loads(token.text, strict=False)
            except ValueError as error:
                raise self.error(f"invalid string at position {token.position}: {error}") from None
        if token.kind == "word":
            keyword = token.text.lower()
            if keyword in ("true", "false", "null"):
                return {"true": True, "false": False, "null": None}[keyword]
            number = _NUMBER.fullmatch(token.text)
            if number is not None:
                try:
                    return float(token.text) if number["fraction"] or number["exponent"] else int(token.text)
                except ValueError:  # more digits than Python converts
                    raise self.error(f"number too long at position {token.position}") from None
        self.fail(token, "a value: a quoted string, a number, true, false or null")

    def enter(self, depth: int) -> None:
        if depth > self.max_depth:
            raise self.error(f"{self.subject} nested deeper than {self.max_depth} levels")

    def peek(self, ahead: int = 0) -> _Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> _Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind == "word" and token.text.lower() == word:
            self.take()
            return True
        return False

    def is_operator(self, token: _Token) -> bool:
        return token.kind == "word" and token.text.lower() in {*COMPARISON_OPERATORS, "pr"}

    def expect(self, kind: str, expected: str) -> None:
        token = self.take()
        if token.kind != kind:
            self.fail(token, expected)

    def fail(self, token: _Token, expected: str) -> NoReturn:
        found = f"end of {self.subject}" if token.kind == "end" else f"'{_shown(token.text)}'"
        raise self.error(f"unexpected {found} at position {token.position}; expected {expected}")


def _attr_path(text: str) -> AttrPath | None:
    """A URN-qualified path splits at its last ':' since attribute names never contain one."""
    schema, colon, relative = text.rpartition(":")
    if colon and not _URN.fullmatch(schema):
        return None
    match = _RELATIVE_PATH.fullmatch(relative)
    if match is None:
        return None
    return AttrPath(schema or None, match["attribute"], match["sub_attribute"])


def _balanced(kind: type[And | Or], terms: list[Node]) -> Node:
    """``t1 op t2 op ... op tn`` as a tree of depth about log2(n), in the same order."""
    if len(terms) == 1:
        return terms[0]
    middle = (len(terms) + 1) // 2
    return kind(_balanced(kind, terms[:middle]), _balanced(kind, terms[middle:]))


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN_TOKEN_LENGTH else text[: _SHOWN_TOKEN_LENGTH - 3] + "..."


# Evaluation

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


def _operands(node: Node, kind: type[And | Or]) -> list[Node]:
    """The terms of a chain of ``kind``, left to right, without recursion."""
    terms, pending = [], [node]
    while pending:
        current = pending.pop()
        if isinstance(current, kind):
            pending += [current.right, current.left]
        else:
            terms.append(current)
    return terms


def _value_at(resource: Any, path: AttrPath) -> Any:
    """The value ``path`` names, None when missing; a sub-attribute of a list gives one value per element.

    Extension attributes live under their schema URN; core schema URNs name the top level.
    """
    container = resource
    if path.schema is not None and not path.schema.lower().startswith(CORE_SCHEMA_PREFIX):
        container = _get(resource, path.schema)
    value = _get(container, path.attribute)
    if path.sub_attribute is None:
        return value
    if isinstance(value, list):
        return [_get(element, path.sub_attribute) for element in value]
    return _get(value, path.sub_attribute)


def _get(container: Any, name: str) -> Any:
    """``container[name]`` with the name matched case-insensitively (RFC 7643 section 2.1)."""
    if not isinstance(container, dict):
        return None
    if name in container:
        return container[name]
    folded = name.lower()
    return next((item for key, item in container.items() if isinstance(key, str) and key.lower() == folded), None)


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
    value = _value_at(resource, node.path)
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
            yield _get(element, "value"), AttrPath(path.schema, path.attribute, "value")
        elif isinstance(element, list):
            yield from ((item, path) for item in element)
        else:
            yield element, path


def _compare(
    operator_name: str, actual: Any, expected: Any, case_exact: Callable[[AttrPath], bool], path: AttrPath
) -> bool:
    """One value against the filter's; values of different JSON types never match."""
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
    moments = _as_datetime(actual), _as_datetime(expected)
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


def _as_datetime(text: str) -> datetime | None:
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
    value = _value_at(resource, node.path)
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
