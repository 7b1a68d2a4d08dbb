"""Opaque, tamper-evident cursors for cursor paging (RFC 9865).

A cursor is ``<payload>.<tag>``: the payload is compact JSON (where the next page starts, and the
total counted on the first page), base64url-encoded; the tag is an HMAC-SHA256 over the payload
and over what the cursor is bound to (tenant, resource type, filter and sort). Both parts use
only RFC 3986 unreserved characters, as RFC 9865 section 2 asks. A cursor that was altered,
forged, or issued for another tenant, resource type or query fails the check: 400 invalidCursor.

The payload is not encrypted: it holds a resource id and a count, nothing the client may not
see. Cursors do not expire; they stop working when the key changes.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import threading
from collections.abc import Callable
from typing import Any

from scim.errors import InvalidCursor

VERSION = b"scim-cursor-1"
TAG_BYTES = 16
MAX_CURSOR_LENGTH = 1024


class CursorCodec:
    """Seals and opens cursors with a key read once, on first use, from ``key_source``."""

    def __init__(self, key_source: Callable[[], bytes]):
        self._key_source = key_source
        self._key: bytes | None = None
        self._lock = threading.Lock()

    def seal(self, binding: list[str], payload: dict[str, Any]) -> str:
        """A cursor carrying ``payload``, valid only for the same ``binding``."""
        text = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode("utf-8")
        encoded = _encode(text)
        return f"{encoded}.{_encode(self._tag(binding, encoded))}"

    def open(self, cursor: str, binding: list[str]) -> dict[str, Any]:
        """The payload of a cursor this codec sealed for ``binding``; InvalidCursor otherwise."""
        encoded, dot, tag = cursor.partition(".")
        if not dot or len(cursor) > MAX_CURSOR_LENGTH:
            raise invalid_cursor()
        try:
            valid = hmac.compare_digest(_decode(tag), self._tag(binding, encoded))
            payload = json.loads(_decode(encoded)) if valid else None
        except (binascii.Error, ValueError):
            raise invalid_cursor() from None
        if not isinstance(payload, dict):
            raise invalid_cursor()
        return payload

    def _tag(self, binding: list[str], encoded_payload: str) -> bytes:
        message = b"\n".join([VERSION, *(part.encode("utf-8") for part in binding), encoded_payload.encode("ascii")])
        return hmac.new(self._current_key(), message, hashlib.sha256).digest()[:TAG_BYTES]

    def _current_key(self) -> bytes:
        with self._lock:
            if self._key is None:
                self._key = self._key_source()
            return self._key


def _encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _decode(text: str) -> bytes:
    if not text.isascii():
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def invalid_cursor() -> InvalidCursor:
    # One message for every failure: it tells a client nothing about why (RFC 9865 section 6).
    return InvalidCursor("the cursor is not one this service issued for this query; start again with an empty cursor")
