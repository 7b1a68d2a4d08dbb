"""SCIM rules particular to Users (RFC 7643 section 4.1): no Azure, no HTTP."""

from __future__ import annotations

from typing import Any

from scim.models.resource_types import USER
from scim.service.ports import StoredResource
from scim.service.query import Page
from scim.service.resources import EVERYTHING, ResourceService
from scim.service.selection import Selection


class UserService(ResourceService):
    """Users of a tenant; ``groups`` is read-only and lists the groups a user is directly in."""

    resource_type = USER

    def render_page(
        self, tenant: str, page: Page, tenant_url: str, selection: Selection = EVERYTHING
    ) -> list[dict[str, Any]]:
        """A page of consecutive users reads the groups of all of them in one range query."""
        users = page.resources
        if not (page.consecutive and len(users) > 1 and selection.includes("groups")):
            return super().render_page(tenant, page, tenant_url, selection)
        groups = self._repository.groups_of_members_between(tenant, users[0].id, users[-1].id)
        return [
            self._rendered(tenant, user, tenant_url, selection, _groups(groups.get(user.id, []), tenant_url))
            for user in users
        ]

    def _related(self, tenant: str, resource: StoredResource, tenant_url: str, selection: Selection) -> dict[str, Any]:
        if not selection.includes("groups"):
            return {}
        return _groups(self._repository.groups_of(tenant, resource.id), tenant_url)


def _groups(group_ids: list[str], tenant_url: str) -> dict[str, Any]:
    groups = [
        {"value": group_id, "$ref": f"{tenant_url}/Groups/{group_id}", "type": "direct"} for group_id in group_ids
    ]
    return {"groups": groups} if groups else {}
