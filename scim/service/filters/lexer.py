"""The tokens of a SCIM filter or PATCH path: parentheses, brackets, quoted strings and words."""

from __future__ import annotations

import re
from typing import NamedTuple

from scim.errors import ScimError

_TOKEN = re.compile(r'(?P<punctuation>[()\[\]])|(?P<string>"(?:[^"\\]|\\.)*")|(?P<word>[^\s()\[\]"]+)', re.DOTALL)
_SPACE = re.compile(r"\s*")


class Token(NamedTuple):
    kind: str  # "word", "string", "end", or the punctuation character itself
    text: str
    position: int


def tokenize(text: str, error: type[ScimError]) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token; ``error`` for an unterminated string."""
    tokens = []
    position = _after_space(text, 0)
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:  # all that can be left is a '"' without its closing '"'
            raise error(f"unterminated string starting at position {position}")
        kind = match.lastgroup or ""  # always set: every alternative of _TOKEN is a named group
        tokens.append(Token(match.group() if kind == "punctuation" else kind, match.group(), position))
        position = _after_space(text, match.end())
    tokens.append(Token("end", "", len(text)))
    return tokens


def _after_space(text: str, position: int) -> int:
    """The position of the first character from ``position`` on that is not white space."""
    space = _SPACE.match(text, position)
    return space.end() if space is not None else position
