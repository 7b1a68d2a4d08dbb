"""What we accept from clients that the RFCs do not ask for, declared in one place.

Each tolerance exists because Microsoft Entra ID (or Okta) sends it; each is applied where the
docstring says, and nowhere else. Sources: Microsoft Learn, "Known issues and resolutions with
SCIM 2.0 protocol compliance of the Microsoft Entra user provisioning service" and "Tutorial:
Develop and plan provisioning for a SCIM endpoint in Microsoft Entra ID".

1. ``op`` in any letter case (``Add``, ``Replace``, ``Remove``): ``operation_name``, applied by
   the PatchOperation model.
2. Booleans as the strings ``"True"``/``"False"`` (Entra without the aadOptscim062020 flag):
   ``Boolean``, the type of every boolean attribute of the models. Nothing else passes for a
   boolean: not ``"yes"``, ``"1"``, ``1`` or ``"TRUE"`` (pydantic's lax mode would take them).
3. add/replace on a filtered path that matches no element (``emails[type eq "work"].value`` on
   a user without a work e-mail) creates exactly one element carrying the filter's ``eq``
   values, instead of RFC 7644 section 3.5.2's 400 noTarget: ``CREATE_ELEMENT_FOR_UNMATCHED_FILTER``,
   read by the PATCH engine.
4. The enterprise ``manager`` as a bare id string, as ``{"value": id}``, and cleared by
   ``{"value": ""}`` (or ``remove``): ``manager_value``, applied by the EnterpriseUser model.
5. Schema URNs in ``schemas`` that we do not serve (Entra adds
   ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group``) are ignored: the
   service only requires the resource's core schema to be listed and derives ``schemas`` itself.
   Attributes under an extension URN no schema declares follow the tenant's policy
   (docs/extensions.md), never silently dropped.
6. Both PATCH dialects (with and without the aadOptscim062020 Tenant URL flag): the flag is a
   query parameter the routes ignore; the shapes of both dialects are handled by 1 to 3 above
   and by the group membership rules (``members`` with a value array, or ``members[value eq]``).
7. Booleans as the strings ``"True"``/``"False"`` in value filters too
   (``roles[primary eq "True"].value``, Microsoft Learn, "Customize application attributes",
   provisioning a role to a SCIM app): compared with a stored boolean, such a string is that
   boolean (``boolean_value``, applied by the filter evaluator), and declared boolean extension
   attributes accept them like core ones (applied by ``scim.service.extension_values``).
8. A role whose ``value`` is a JSON-encoded object (Entra's PATCH for ``SingleAppRoleAssignment``
   sends ``{"value": "{\"id\":...,\"value\":\"25\",\"displayName\":\"Role1234\"}"}``) is
   stored as the role it encodes, ``{"value": "25", "display": "Role1234"}``: ``role_value``,
   applied by the User model to ``roles`` and ``entitlements``.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

from scim.models.base import key_in_any_case, value_in_any_case

CREATE_ELEMENT_FOR_UNMATCHED_FILTER = True


def operation_name(value: Any) -> Any:
    """A PATCH ``op`` in any letter case, as the RFC's lower-case name."""
    return value.lower() if isinstance(value, str) else value


_BOOLEAN_STRINGS = {"True": True, "False": False}


def boolean_value(value: Any) -> Any:
    """Entra's ``"True"``/``"False"`` as JSON booleans; anything else is left for strict validation."""
    return _BOOLEAN_STRINGS.get(value, value) if isinstance(value, str) else value


Boolean = Annotated[bool, Strict(), BeforeValidator(boolean_value)]


def manager_value(value: Any) -> Any:
    """The manager as ``{"value": id}``; a bare id is wrapped, an empty id clears it."""
    if isinstance(value, str):
        return {"value": value} if value.strip() else None
    if isinstance(value, dict):
        given = value_in_any_case(value, "value")
        if given is None or (isinstance(given, str) and not given.strip()):
            return None
    return value


def role_value(element: Any) -> Any:
    """A multi-valued element whose ``value`` is a JSON-encoded role object, as that role's element."""
    if not isinstance(element, dict):
        return element
    given = value_in_any_case(element, "value")
    if not isinstance(given, str) or not given.lstrip().startswith("{"):
        return element
    try:
        encoded = json.loads(given)
    except ValueError:
        return element
    if not isinstance(encoded, dict) or not isinstance(value_in_any_case(encoded, "value"), str):
        return element
    decoded = {key: item for key, item in element.items() if key.lower() != "value"}
    decoded["value"] = value_in_any_case(encoded, "value")
    display = value_in_any_case(encoded, "displayName") or value_in_any_case(encoded, "display")
    if isinstance(display, str) and key_in_any_case(decoded, "display") is None:
        decoded["display"] = display
    return decoded
