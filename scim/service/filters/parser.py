"""Parsing SCIM filters (RFC 7644 section 3.4.2.2) and PATCH paths (RFC 7644 section 3.5.2) into trees.

Positions in error details are 0-based character offsets into the text. Decisions the RFC leaves open:

* ``gt``/``ge``/``lt``/``le`` with ``true``, ``false`` or ``null`` is refused at parse time
  (RFC 7644 section 3.4.2.2 asks for 400 invalidFilter on boolean ordering; null has no order).
* ``true``, ``false`` and ``null`` are accepted in any case, like the operators.
* Chains of ``and``/``or`` are built as balanced trees (the operators are associative), so a
  filter of hundreds of terms stays shallow enough to compare, hash and print.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import NoReturn, TypeVar

from scim.errors import InvalidFilter, InvalidPath, ScimError
from scim.models.text import is_unicode
from scim.service.filters.lexer import Token, tokenize
from scim.service.filters.tree import (
    COMPARISON_OPERATORS,
    ORDERING_OPERATORS,
    And,
    AttrPath,
    Comparison,
    JsonValue,
    Node,
    Not,
    Or,
    PatchPath,
    Present,
    ValuePath,
)

# RFC 7643 section 2.1: ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; "$ref" too.
_NAME = r"(?:[A-Za-z][A-Za-z0-9_-]*|\$[Rr][Ee][Ff])"
_RELATIVE_PATH = re.compile(rf"(?P<attribute>{_NAME})(?:\.(?P<sub_attribute>{_NAME}))?")
_SUB_ATTRIBUTE = re.compile(rf"\.(?P<name>{_NAME})")
_URN = re.compile(r"[Uu][Rr][Nn](?::[^:]+)+")
# RFC 7159 section 6, ASCII digits only.
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?P<fraction>\.[0-9]+)?(?P<exponent>[eE][+-]?[0-9]+)?")
_SHOWN_TOKEN_LENGTH = 40
T = TypeVar("T")


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


class _Parser:
    """Recursive descent over the tokens; every failure raises ``error`` with a position."""

    def __init__(self, text: str, subject: str, error: type[ScimError], max_length: int, max_depth: int):
        self.text, self.subject, self.error = text, subject, error
        self.max_length, self.max_depth = max_length, max_depth
        self.tokens: list[Token] = []
        self.index = 0

    def run(self, rule: Callable[[], T]) -> T:
        if not isinstance(self.text, str):
            raise self.error(f"the {self.subject} must be a string")
        if len(self.text) > self.max_length:
            raise self.error(f"{self.subject} longer than {self.max_length} characters")
        if not self.text.strip():
            raise self.error(f"the {self.subject} is empty")
        self.tokens = tokenize(self.text, self.error)
        try:
            return rule()
        except RecursionError:  # only when a caller allows a depth beyond Python's stack
            raise self.error(f"{self.subject} nested deeper than {self.max_depth} levels") from None

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

    def value_path(self, path: AttrPath, path_token: Token, depth: int) -> ValuePath:
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

    def attr_path(self, token: Token, in_brackets: bool) -> AttrPath:
        path = _attr_path(token.text)
        if path is None:
            raise self.error(f"invalid attribute path '{_shown(token.text)}' at position {token.position}")
        if in_brackets and (path.schema is not None or path.sub_attribute is not None):
            raise self.error(
                f"inside '[...]' name a sub-attribute of the element, not '{_shown(token.text)}' "
                f"at position {token.position}"
            )
        return path

    def literal(self, token: Token) -> JsonValue:
        """A JSON value: false, null, true, a number or a string (RFC 7644 section 3.4.2.2, compValue)."""
        if token.kind == "string":
            try:
                value: JsonValue = json.loads(token.text, strict=False)
            except ValueError as error:
                raise self.error(f"invalid string at position {token.position}: {error}") from None
            if isinstance(value, str) and not is_unicode(value):
                raise self.error(f"the string at position {token.position} escapes a lone surrogate")
            return value
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

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.index = min(self.index + 1, len(self.tokens) - 1)
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token.kind == "word" and token.text.lower() == word:
            self.take()
            return True
        return False

    def is_operator(self, token: Token) -> bool:
        return token.kind == "word" and token.text.lower() in {*COMPARISON_OPERATORS, "pr"}

    def expect(self, kind: str, expected: str) -> None:
        token = self.take()
        if token.kind != kind:
            self.fail(token, expected)

    def fail(self, token: Token, expected: str) -> NoReturn:
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
