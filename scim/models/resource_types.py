"""Resource types (RFC 7643 section 6): each resource's endpoint, schema and extensions."""

from __future__ import annotations

from dataclasses import dataclass, field

from scim.models.base import ScimObject
from scim.models.group import GROUP_SCHEMA, Group
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA, EnterpriseUser, User


@dataclass(frozen=True)
class ResourceType:
    """One resource type and the models that validate it."""

    name: str
    endpoint: str
    schema: str
    model: type[ScimObject]
    # Attributes with index rows, so that ``eq`` on them is a point read (most selective first).
    indexed: tuple[str, ...]
    # Attributes the service keeps outside the resource's own JSON (members: one row each).
    stored_apart: frozenset[str] = frozenset()
    extensions: dict[str, type[ScimObject]] = field(default_factory=dict)

    def extension(self, urn: str) -> tuple[str, type[ScimObject]] | None:
        """The extension called ``urn`` in any letter case, as (canonical URN, model)."""
        for known, model in self.extensions.items():
            if known.lower() == urn.lower():
                return known, model
        return None

    def schema_model(self, schema: str | None) -> tuple[str | None, type[ScimObject]] | None:
        """Where the attributes of ``schema`` are kept and their model: (None, the core model) for the
        core schema or no schema, (canonical URN, its model) for an extension; None when not served."""
        if schema is None or schema.lower() == self.schema.lower():
            return None, self.model
        return self.extension(schema)


USER = ResourceType(
    name="User",
    endpoint="/Users",
    schema=USER_SCHEMA,
    model=User,
    indexed=("userName", "externalId"),
    extensions={ENTERPRISE_USER_SCHEMA: EnterpriseUser},
)

GROUP = ResourceType(
    name="Group",
    endpoint="/Groups",
    schema=GROUP_SCHEMA,
    model=Group,
    indexed=("displayName", "externalId"),
    stored_apart=frozenset({"members"}),
)
