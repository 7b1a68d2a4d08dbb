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
   ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group``) are ignored, as
   are attributes under them: the models ignore unknown keys; the service only requires the
   resource's core schema to be listed.
6. Both PATCH dialects (with and without the aadOptscim062020 Tenant URL flag): the flag is a
   query parameter the routes ignore; the shapes of both dialects are handled by 1 to 3 above
   and by the group membership rules (``members`` with a value array, or ``members[value eq]``).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, Strict

from scim.models.base import value_in_any_case

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
