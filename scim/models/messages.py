"""Protocol messages (RFC 7644): list responses, PATCH and search requests, errors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from scim.models import tolerances
from scim.models.base import ScimObject

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"
SEARCH_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


class ProtocolMessage(ScimObject):
    """A request message (RFC 7644 section 3.1): it lists the schema it follows."""

    schemas: list[str]


class PatchOperation(ScimObject):
    """One operation of a PATCH request (RFC 7644 section 3.5.2); ``op`` in any letter case."""

    op: Literal["add", "remove", "replace"]
    path: str | None = None
    value: Any = None

    @field_validator("op", mode="before")
    @classmethod
    def _op_in_any_case(cls, value: Any) -> Any:
        return tolerances.operation_name(value)


class PatchRequest(ProtocolMessage):
    """A PATCH request body (RFC 7644 section 3.5.2)."""

    operations: list[PatchOperation] = Field(alias="Operations", min_length=1)


class SearchRequest(ProtocolMessage):
    """A query sent as ``POST .../.search`` (RFC 7644 section 3.4.3), with RFC 9865's ``cursor``."""

    attributes: list[str] | None = None
    excludedAttributes: list[str] | None = None
    filter: str | None = None
    sortBy: str | None = None
    sortOrder: str | None = None
    startIndex: int | None = None
    count: int | None = None
    cursor: str | None = None


BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
