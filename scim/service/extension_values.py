"""Values of extension attributes checked against their declared schemas (RFC 7643 sections 2 and 7).

Core attributes are validated by the pydantic models; the attributes of declared extensions
(``scim.models.extension_schema``) are checked here, from the declarations, without building a
model per schema. Undeclared extension attributes follow the tenant's policy: ``keep`` stores
them as sent, ``reject`` answers 400 naming them.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from scim.errors import InvalidValue, Mutability
from scim.models import tolerances
from scim.models.base import UNDECLARED, AttributeInfo, DeclaredAttributes, attribute, key_in_any_case
from scim.models.extension_schema import scim_type
from scim.models.resource_types import ResourceType, is_extension_urn
from scim.service.filters.evaluator import as_datetime


def extension_values(
    body: dict[str, Any], resource_type: ResourceType, current: dict[str, Any] | None
) -> dict[str, Any]:
    """The extension entries to store for ``body`` (keyed by schema URN), checked against their schemas.

    ``current`` holds the stored attributes when the body replaces them (PUT, PATCH): readOnly
    attributes keep their stored values, and an immutable attribute that has a value may not change
    (400 mutability). An extension attribute may be given inside its extension's object or as its
    full path (``urn:...:User:attribute``), as Entra sends both.
    """
    given: dict[str, dict[str, Any]] = {}
    for key, value in body.items():
        if not is_extension_urn(key) or attribute(resource_type.model, key) is not None:
            continue  # core attributes and the enterprise extension are the model's
        urn, values = _extension_entry(key, value, resource_type)
        found = resource_type.extension(urn)
        if found is not None and not isinstance(found[1], DeclaredAttributes):
            continue  # a path into the enterprise extension: its model's
        given.setdefault(urn, {}).update(values)
    checked: dict[str, Any] = {}
    for urn, values in given.items():
        found = resource_type.extension(urn)
        stored = _stored(current, urn)
        if found is not None and isinstance(found[1], DeclaredAttributes):
            result = _declared_values(found[0], found[1], values, stored, resource_type)
        else:
            result = {name: value for name, value in values.items() if value is not None}
        if result:
            checked[found[0] if found else urn] = result
    for schema in resource_type.declared:
        if schema.urn not in checked and _stored(current, schema.urn):
            # An extension left out of a PUT keeps only what the client may not change.
            kept = _declared_values(schema.urn, schema.attributes, {}, _stored(current, schema.urn), resource_type)
            if kept:
                checked[schema.urn] = kept
    return checked


def _extension_entry(key: str, value: Any, resource_type: ResourceType) -> tuple[str, dict[str, Any]]:
    """(schema URN, {attribute: value}) of one body key: an extension object, or one attribute's full path."""
    known = resource_type.extension(key)
    prefix, _, name = key.rpartition(":")
    if known is None and (resource_type.extension(prefix) is not None or not isinstance(value, dict)):
        if resource_type.extension(prefix) is None and resource_type.undeclared == "reject":
            raise InvalidValue(f"'{key}' is not a declared extension attribute (this tenant rejects undeclared ones)")
        if UNDECLARED.lookup(name) is None or not is_extension_urn(prefix):
            raise InvalidValue(f"'{key}' is neither an extension URN with an object value nor an attribute path")
        return (resource_type.extension(prefix) or (prefix, None))[0], {name: value}
    if known is None and resource_type.undeclared == "reject":
        raise InvalidValue(f"'{key}' is not a declared extension schema (this tenant rejects undeclared ones)")
    if value is not None and not isinstance(value, dict):
        raise InvalidValue(f"the value of '{key}' must be an object of its attributes")
    return (known[0] if known else key), dict(value or {})


def _stored(current: dict[str, Any] | None, urn: str) -> dict[str, Any]:
    if current is None:
        return {}
    key = key_in_any_case(current, urn)
    value = current.get(key) if key is not None else None
    return value if isinstance(value, dict) else {}


def _declared_values(
    urn: str,
    declared: DeclaredAttributes,
    values: dict[str, Any],
    stored: dict[str, Any],
    resource_type: ResourceType,
) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, value in values.items():
        info = declared.lookup(name)
        if info is None:
            if resource_type.undeclared == "reject":
                raise InvalidValue(f"'{urn}:{name}' is not declared (this tenant rejects undeclared attributes)")
            if value is not None:
                result[name] = value
            continue
        if info.characteristics.mutability == "readOnly" or value is None:
            continue  # readOnly values are the service's (RFC 7643 section 7); null is unassigned
        result[info.name] = _checked(info, value, f"{urn}:{info.name}")
    for info in declared.by_name.values():
        path = f"{urn}:{info.name}"
        before = stored.get(info.name)
        mutability = info.characteristics.mutability
        if before is not None and mutability == "readOnly":
            result[info.name] = before
        elif before is not None and mutability == "immutable":
            if info.name in result and result[info.name] != before:
                raise Mutability(f"'{path}' is immutable")
            result[info.name] = before
    if result:
        missing = [info.name for info in declared.by_name.values() if info.required and info.name not in result]
        if missing:
            raise InvalidValue(f"'{urn}' requires {', '.join(missing)}")
    return result


def _checked(info: AttributeInfo, value: Any, path: str) -> Any:
    """``value`` as stored for attribute ``info``; 400 invalidValue naming ``path`` when it does not fit."""
    if info.multi_valued:
        items = value if isinstance(value, list) else [value]
        return [_single(info, item, path) for item in items if item is not None]
    if isinstance(value, list):
        raise InvalidValue(f"'{path}' is single-valued")
    return _single(info, value, path)


def _single(info: AttributeInfo, value: Any, path: str) -> Any:
    kind = scim_type(info)
    if kind == "complex":
        if not isinstance(value, dict) or not isinstance(info.complex_type, DeclaredAttributes):
            raise InvalidValue(f"'{path}' is complex: an object of its sub-attributes")
        return _complex(info.complex_type, value, path)
    if kind == "boolean":
        value = tolerances.boolean_value(value)
        if isinstance(value, bool):
            return value
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif kind == "decimal":
        if isinstance(value, int | float) and not isinstance(value, bool):
            return value
    elif isinstance(value, str) and _text_fits(kind, value):
        return value
    raise InvalidValue(f"'{path}' must be of type {kind}")


def _complex(declared: DeclaredAttributes, value: dict[str, Any], path: str) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for name, item in value.items():
        sub = declared.lookup(name)
        if sub is None:
            raise InvalidValue(f"'{path}' has no sub-attribute '{name}'")
        if item is not None and sub.characteristics.mutability != "readOnly":
            result[sub.name] = _single(sub, item, f"{path}.{sub.name}")
    missing = [sub.name for sub in declared.by_name.values() if sub.required and sub.name not in result]
    if missing:
        raise InvalidValue(f"'{path}' requires {', '.join(missing)}")
    return result


def _text_fits(kind: str, value: str) -> bool:
    if kind == "dateTime":
        return as_datetime(value) is not None
    if kind == "binary":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return False
    return True
