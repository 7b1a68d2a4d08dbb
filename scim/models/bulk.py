"""Bulk messages (RFC 7644 section 3.7), apart from the other messages: only Bulk requests load them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from scim.models.base import ScimObject
from scim.models.messages import ProtocolMessage


class BulkOperation(ScimObject):
    """One operation of a Bulk request (RFC 7644 section 3.7); ``method`` in any letter case."""

    method: Literal["POST", "PUT", "PATCH", "DELETE"]
    bulkId: str | None = None
    version: str | None = None
    path: str
    data: Any = None

    @field_validator("method", mode="before")
    @classmethod
    def _method_in_any_case(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value


class BulkRequest(ProtocolMessage):
    """A Bulk request body (RFC 7644 section 3.7)."""

    failOnErrors: int | None = Field(default=None, ge=1)
    operations: list[BulkOperation] = Field(alias="Operations", min_length=1)
