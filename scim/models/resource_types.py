"""Resource types (RFC 7643 section 6): each resource's endpoint, schema and extensions."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from scim.models.base import CORE_SCHEMA_PREFIX, UNDECLARED, AttributeSource, ScimObject
from scim.models.group import GROUP_SCHEMA, Group
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA, EnterpriseUser, User

if TYPE_CHECKING:
    from scim.models.extension_schema import DeclaredSchema


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
    extensions: dict[str, AttributeSource] = field(default_factory=dict)
    # Extension attributes no schema declares (docs/extensions.md): ``keep`` stores, returns and
    # filters them as strings; ``reject`` answers 400 naming them.
    undeclared: Literal["keep", "reject"] = "keep"
    # Extensions declared as data (deployment files, tenant schemas), also in ``extensions``.
    declared: tuple[DeclaredSchema, ...] = ()

    def extension(self, urn: str) -> tuple[str, AttributeSource] | None:
        """The served extension called ``urn`` in any letter case, as (canonical URN, its attributes)."""
        for known, model in self.extensions.items():
            if known.lower() == urn.lower():
                return known, model
        return None

    def schema_model(self, schema: str | None) -> tuple[str | None, AttributeSource] | None:
        """Where the attributes of ``schema`` are kept and their model: (None, the core model) for the
        core schema or no schema, (canonical URN, its model) for an extension, (URN, ``UNDECLARED``)
        for an undeclared one kept by policy; None when not served."""
        if schema is None or schema.lower() == self.schema.lower():
            return None, self.model
        found = self.extension(schema)
        if found is None and self.keeps_undeclared(schema):
            return schema, UNDECLARED
        return found

    def keeps_undeclared(self, urn: str) -> bool:
        """Whether ``urn`` names an extension no schema declares, whose attributes the policy keeps."""
        return self.undeclared == "keep" and is_extension_urn(urn) and self.extension(urn) is None

    def with_declared(self, schemas: Iterable[DeclaredSchema], undeclared: Literal["keep", "reject"]) -> ResourceType:
        """This resource type with the declared extensions that extend it, and the undeclared policy."""
        mine = tuple(schema for schema in schemas if schema.resource_type == self.name)
        extensions: dict[str, AttributeSource] = dict(self.extensions)
        indexed = list(self.indexed)
        for schema in mine:
            extensions[schema.urn] = schema.attributes
            indexed += [f"{schema.urn}:{info.name}" for info in schema.unique_attributes()]
        return dataclasses.replace(
            self, extensions=extensions, indexed=tuple(indexed), undeclared=undeclared, declared=self.declared + mine
        )


def is_extension_urn(name: str) -> bool:
    """Whether a key or path is a schema URN outside the core schemas (RFC 7643 section 3.3)."""
    lowered = name.lower()
    return lowered.startswith("urn:") and not lowered.startswith(CORE_SCHEMA_PREFIX)


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
