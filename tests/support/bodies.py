"""SCIM request bodies the tests send."""

from __future__ import annotations

from typing import Any

from scim.models.group import GROUP_SCHEMA
from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA


def user_body(user_name: str = "alice@example.com", **attributes: Any) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def group_body(display_name: str = "Engineering", **attributes: Any) -> dict:
    return {"schemas": [GROUP_SCHEMA], "displayName": display_name, **attributes}


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": list(operations)}


def member_values(member_ids: list[str] | tuple[str, ...]) -> list[dict]:
    """``members`` values naming ``member_ids``, without their type."""
    return [{"value": member_id} for member_id in member_ids]


def add_members(*member_ids: str) -> dict:
    """A PATCH adding ``member_ids`` to a group in one operation, as Entra sends it."""
    return patch_body({"op": "add", "path": "members", "value": member_values(member_ids)})


def remove_members(*member_ids: str) -> dict:
    """A PATCH removing ``member_ids`` from a group in one operation (a ``value`` list, as Entra sends it)."""
    return patch_body({"op": "remove", "path": "members", "value": member_values(member_ids)})
