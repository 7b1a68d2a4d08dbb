"""What a request carries, decoded or refused: its media type, its JSON body, its text.

Rules (each a SCIM error, never a 500):
- A body is JSON only by its media type: ``application/scim+json`` (RFC 7644 section 3.1) or
  ``application/json``, with no charset or ``utf-8``; any other is 415. A body without a
  Content-Type is read as JSON.
- The body is JSON (RFC 8259) in UTF-8, with no member name twice in one object, no ``NaN`` or
  ``Infinity``, numbers of at most 4,300 digits, nesting at most ``MAX_JSON_DEPTH``, and no
  string holding a lone surrogate: else 400 invalidSyntax.
- Query parameters, route values and headers hold Unicode text (no lone surrogate): else 400
  invalidSyntax.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from scim.errors import InvalidSyntax, ScimError
from scim.models.text import is_unicode

MAX_BODY_BYTES = 1024 * 1024
# The deepest a JSON body may nest; a SCIM message needs 6 (PATCH -> Operations -> value ->
# extension -> manager -> value).
MAX_JSON_DEPTH = 32
JSON_MEDIA_TYPES = frozenset({"application/scim+json", "application/json"})


class UnsupportedMediaType(ScimError):
    """The body's Content-Type is not JSON (415, RFC 9110 section 15.5.16)."""

    status = 415


def check_json_media_type(content_type: str | None) -> None:
    """Accept ``application/scim+json`` or ``application/json``, charset absent or UTF-8; 415 otherwise."""
    if not content_type or not content_type.strip():
        return  # no media type given (RFC 9110 section 8.3 lets us decide): read as JSON, the only kind served
    media_type, *parameters = content_type.split(";")
    if media_type.strip().lower() not in JSON_MEDIA_TYPES:
        raise UnsupportedMediaType("the body must be application/scim+json (or application/json)")
    for parameter in parameters:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise UnsupportedMediaType("the body must be encoded in UTF-8")


def parse_json_body(data: bytes) -> Any:
    """A request body as JSON; anything this module's rules refuse is 400 invalidSyntax."""
    try:
        value = json.loads(data.decode("utf-8"), parse_constant=_no_constant, object_pairs_hook=_object)
    except (UnicodeDecodeError, json.JSONDecodeError) as problem:
        raise InvalidSyntax(f"the body is not valid JSON: {problem}") from None
    except (ValueError, RecursionError):
        raise InvalidSyntax(
            f"the body is not JSON this service accepts: no NaN or Infinity, numbers of at most 4300 digits,"
            f" nesting at most {MAX_JSON_DEPTH} deep"
        ) from None
    pending = [(value, 1)]
    while pending:  # iteratively: a recursive walk is what deep nesting attacks
        item, depth = pending.pop()
        if isinstance(item, str):
            _check_body_text(item)
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                raise InvalidSyntax(f"the body nests deeper than {MAX_JSON_DEPTH} levels")
            if isinstance(item, dict):
                for key in item:
                    _check_body_text(key)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return value


def check_request_text(kind: str, values: Mapping[str, str] | Iterable[tuple[str, str]]) -> None:
    """400 invalidSyntax when a name or value of ``values`` (query parameters, headers...) is not Unicode."""
    pairs = values.items() if isinstance(values, Mapping) else values
    for name, value in pairs:
        if not (is_unicode(name) and is_unicode(value)):
            raise InvalidSyntax(f"a {kind} holds text that is not valid Unicode (a lone surrogate)")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # At parse time, because a dict keeps only the last of two equal names.
    result: dict[str, Any] = {}
    for name, value in pairs:
        if name in result:
            shown = name if is_unicode(name) else repr(name)
            raise InvalidSyntax(f"the member '{shown[:100]}' appears twice in one object")
        result[name] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _check_body_text(text: str) -> None:
    if not is_unicode(text):
        raise InvalidSyntax("the body holds a string that is not valid Unicode (a lone surrogate)")
