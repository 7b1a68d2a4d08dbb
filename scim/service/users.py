"""SCIM rules particular to Users (RFC 7643 section 4.1): no Azure, no HTTP."""

from __future__ import annotations

from typing import Any

from scim.models.resource_types import USER
from scim.service.ports import StoredResource
from scim.service.resources import ResourceService, Selection


class UserService(ResourceService):
    """Users of a tenant; ``groups`` is read-only and lists the groups a user is directly in."""

    resource_type = USER

    def _related(self, tenant: str, resource: StoredResource, tenant_url: str, selection: Selection) -> dict[str, Any]:
        if not selection.includes("groups"):
            return {}
        groups = [
            {"value": group_id, "$ref": f"{tenant_url}/Groups/{group_id}", "type": "direct"}
            for group_id in self._repository.groups_of(tenant, resource.id)
        ]
        return {"groups": groups} if groups else {}
