"""Complex types shared by resources (RFC 7643 sections 2.4 and 3.1)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from scim.models import tolerances
from scim.models.base import Scim, ScimObject


class MultiValued(ScimObject):
    """The default sub-attributes of a multi-valued attribute (RFC 7643 section 2.4)."""

    value: str | None = None
    display: str | None = None
    type: str | None = None
    primary: tolerances.Boolean | None = None


class Reference(ScimObject):
    """A reference to another resource, such as a User's ``groups`` entry (RFC 7643 section 4.1.2)."""

    value: Annotated[str | None, Scim(mutability="readOnly", case_exact=True)] = None
    ref: Annotated[
        str | None,
        Field(alias="$ref"),
        Scim(mutability="readOnly", case_exact=True, type="reference", reference_types=("Group",)),
    ] = None
    display: Annotated[str | None, Scim(mutability="readOnly")] = None
    type: Annotated[str | None, Scim(mutability="readOnly", canonical_values=("direct", "indirect"))] = None


class Meta(ScimObject):
    """Resource metadata (RFC 7643 section 3.1), always the service provider's."""

    resourceType: Annotated[str | None, Scim(mutability="readOnly", case_exact=True)] = None
    created: Annotated[str | None, Scim(mutability="readOnly", type="dateTime")] = None
    lastModified: Annotated[str | None, Scim(mutability="readOnly", type="dateTime")] = None
    location: Annotated[
        str | None, Scim(mutability="readOnly", case_exact=True, type="reference", reference_types=("uri",))
    ] = None
    version: Annotated[str | None, Scim(mutability="readOnly", case_exact=True)] = None
