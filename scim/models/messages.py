"""Protocol messages (RFC 7644): list responses, PATCH requests, errors."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator

from scim.models.base import ScimObject
from scim.service import tolerances

LIST_RESPONSE_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


class PatchOperation(ScimObject):
    """One operation of a PATCH request (RFC 7644 section 3.5.2); ``op`` in any letter case."""

    op: Literal["add", "remove", "replace"]
    path: str | None = None
    value: Any = None

    @field_validator("op", mode="before")
    @classmethod
    def _op_in_any_case(cls, value: Any) -> Any:
        return tolerances.operation_name(value)


class PatchRequest(ScimObject):
    """A PATCH request body (RFC 7644 section 3.5.2)."""

    schemas: list[str]
    operations: list[PatchOperation] = Field(alias="Operations", min_length=1)
