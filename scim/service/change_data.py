"""The values of a change as RFC 9967 full events carry them (``data``), never what must not leave.

- create and replace (RFC 9967 sections 2.4.1, 2.4.3: ``prov:create:full``, ``prov:put:full``):
  the resource after the change, as a GET of it returns it by default (``schemas``, ``id`` and
  the attributes; ``meta`` is left out, its version is not known before the write commits);
- patch (section 2.4.2, ``prov:patch:full``): a PatchOp (RFC 7644 section 3.5.2) that makes the
  same change: per attribute changed, ``replace`` with its new value (per sub-attribute for a
  complex one, so sub-attributes not named stay as they are) or ``remove`` when it was cleared.
  It is the change that was made, not the request as sent: Entra's dialects (no-path values,
  value filters, ``"False"``) are resolved, and nothing the request set without effect appears.

Both come through ``Selection``'s default, which applies every attribute's ``returned`` (RFC 7643
section 7): a ``never`` attribute (a User's ``password``, which is not even stored, or a declared
extension attribute ``returned: never``) and a ``request`` one are never in ``data``.
"""

from __future__ import annotations

from typing import Any

from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.resource_types import ResourceType, is_extension_urn
from scim.service.ports import StoredResource
from scim.service.representation import resource_json
from scim.service.selection import Selection

_DEFAULT = Selection()
_NOT_ATTRIBUTES = frozenset({"schemas", "id", "meta"})


def resource_data(resource_type: ResourceType, resource: StoredResource) -> dict[str, Any]:
    """The ``data`` of a create or put: the resource as returned by default, without ``meta``."""
    body = _DEFAULT.apply(resource_json(resource_type, resource), resource_type)
    body.pop("meta", None)
    return body


def patch_data(resource_type: ResourceType, before: StoredResource, after: StoredResource) -> dict[str, Any]:
    """The ``data`` of a patch: a PatchOp going from ``before`` to ``after`` (returned values only)."""
    old, new = resource_data(resource_type, before), resource_data(resource_type, after)
    operations: list[dict[str, Any]] = []
    for name in sorted((set(old) | set(new)) - _NOT_ATTRIBUTES):
        was, now = old.get(name), new.get(name)
        if is_extension_urn(name) and isinstance(was or now, dict):
            was, now = was or {}, now or {}
            for inner in sorted(set(was) | set(now)):
                operations += _operations(f"{name}:{inner}", was.get(inner), now.get(inner))
        else:
            operations += _operations(name, was, now)
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}


def _operations(path: str, was: Any, now: Any) -> list[dict[str, Any]]:
    if was == now:
        return []
    if now is None:
        return [{"op": "remove", "path": path}]
    if isinstance(was, dict) and isinstance(now, dict):
        keys = sorted(set(was) | set(now))
        return [op for key in keys for op in _operations(f"{path}.{key}", was.get(key), now.get(key))]
    return [{"op": "replace", "path": path, "value": now}]
