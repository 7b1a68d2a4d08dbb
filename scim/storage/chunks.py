"""JSON too long for one Table Storage property, split over several: ``<Name>0..N`` and ``<Name>Chunks``.

A string property holds at most 64 KiB (32K UTF-16 units); ``ensure_ascii`` keeps one character per
UTF-16 unit, so a chunk of ``JSON_CHUNK_CHARACTERS`` always fits. Used by resources
(``scim.storage.resources``, ``Json``) and journal rows' values (``scim.storage.journal``, ``Data``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

JSON_CHUNK_CHARACTERS = 30_000


def chunked_json(name: str, value: Any, max_chunks: int) -> dict[str, Any] | None:
    """The properties holding ``value`` as JSON; None when it needs more than ``max_chunks``."""
    text = json.dumps(value, ensure_ascii=True, separators=(",", ":"))
    chunks = [text[start : start + JSON_CHUNK_CHARACTERS] for start in range(0, len(text), JSON_CHUNK_CHARACTERS)]
    if len(chunks) > max_chunks:
        return None
    return {f"{name}Chunks": len(chunks), **{f"{name}{number}": chunk for number, chunk in enumerate(chunks)}}


def unchunked_json(entity: Mapping[str, Any], name: str) -> Any:
    """The value ``chunked_json`` stored under ``name``; None when the entity has none."""
    count = entity.get(f"{name}Chunks")
    if not count:
        return None
    return json.loads("".join(entity[f"{name}{number}"] for number in range(count)))
