"""The Group resource (RFC 7643 section 4.2)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from scim.models.base import Scim, ScimObject
from scim.models.common import Meta

GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"


class Member(ScimObject):
    """A direct member of a group: the id of a User or Group of the same tenant."""

    value: Annotated[str | None, Scim(mutability="immutable", case_exact=True)] = None
    ref: Annotated[
        str | None,
        Field(alias="$ref"),
        Scim(mutability="immutable", case_exact=True, type="reference", reference_types=("User", "Group")),
    ] = None
    display: Annotated[str | None, Scim(mutability="readOnly")] = None
    type: Annotated[str | None, Scim(mutability="immutable", canonical_values=("User", "Group"))] = None


class Group(ScimObject):
    """RFC 7643 section 4.2. displayName is unique per tenant here, as Entra and Okta expect."""

    schemas: Annotated[list[str] | None, Scim(returned="always", case_exact=True)] = None
    id: Annotated[str | None, Scim(mutability="readOnly", returned="always", case_exact=True, uniqueness="server")] = (
        None
    )
    externalId: Annotated[str | None, Scim(case_exact=True)] = None
    displayName: Annotated[str, Scim(required=True, uniqueness="server")]
    members: list[Member] | None = None
    meta: Annotated[Meta | None, Scim(mutability="readOnly")] = None

    @field_validator("displayName")
    @classmethod
    def _display_name_is_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("displayName must not be blank")
        return value
