"""The SCIM JSON of a stored resource (RFC 7643 section 3), the one shape responses, filters and sortBy see."""

from __future__ import annotations

from typing import Any

from scim.models.resource_types import ResourceType, is_extension_urn
from scim.service.ports import StoredResource


def resource_json(
    resource_type: ResourceType,
    resource: StoredResource,
    *,
    stored_apart: dict[str, Any] | None = None,
    location: str | None = None,
) -> dict[str, Any]:
    """``schemas``, ``id``, the attributes, those stored apart (a User's groups, a Group's members) and ``meta``.

    ``meta.location`` only when ``location`` is given: it depends on the URL a request came by, so
    filters and ``sortBy`` never see it.
    """
    # Every extension the resource carries, declared or kept undeclared (stored under its URN).
    extensions = [key for key in resource.attributes if is_extension_urn(key)]
    meta = {"resourceType": resource_type.name, "created": resource.created, "lastModified": resource.last_modified}
    if location is not None:
        meta["location"] = location
    meta["version"] = resource.version
    return {
        "schemas": [resource_type.schema, *extensions],
        "id": resource.id,
        **resource.attributes,
        **(stored_apart or {}),
        "meta": meta,
    }
