"""Extension schemas declared as data, in the representation /Schemas serves (RFC 7643 section 7).

A deployment ships them as files, an administrator stores them per tenant (docs/extensions.md);
either way ``parse_extension_schema`` checks one and turns it into a ``DeclaredSchema``, whose
attributes are ``AttributeInfo`` like a model's, so that PATCH, filters, sorting, selection and
discovery treat declared attributes exactly as core ones. Nothing here builds a pydantic model:
values are checked by ``scim.service.extension_values`` against these declarations.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal, cast

from scim.models.base import (
    ATTRIBUTE_NAME,
    CORE_SCHEMA_PREFIX,
    AttributeInfo,
    DeclaredAttributes,
    Scim,
    attributes,
    key_in_any_case,
)

# Limits (docs/extensions.md): what one tenant or schema may declare.
MAX_SCHEMAS_PER_TENANT = 20
MAX_ATTRIBUTES_PER_SCHEMA = 100  # sub-attributes included
MAX_SCHEMA_CHARACTERS = 30_000  # the JSON of one schema: one Table Storage property
# Attributes with uniqueness server or global, per resource type, deployment and tenant schemas
# together. Each has an index row; a replace that changes them all writes 1 + 2 x (2 core + 32) + 1
# operations, inside a transaction's 100 (scim/storage/resources.py).
MAX_UNIQUE_ATTRIBUTES_PER_TYPE = 32
RESOURCE_TYPE_NAMES = ("User", "Group")
# A URN (RFC 8141) restricted to characters that are safe in Table Storage keys and SCIM paths.
_URN = re.compile(r"urn:[A-Za-z0-9][A-Za-z0-9-]{0,31}(?::[A-Za-z0-9._-]+)+")
# RFC 7643 section 2.3 data types, and the Python type a value of each has once checked.
PYTHON_TYPES: dict[str, type] = {
    "string": str,
    "boolean": bool,
    "integer": int,
    "decimal": float,
    "dateTime": str,
    "reference": str,
    "binary": str,
    "complex": dict,
}
MUTABILITY = ("readOnly", "readWrite", "immutable", "writeOnly")
RETURNED = ("always", "never", "default", "request")
UNIQUENESS = ("none", "server", "global")


class InvalidSchema(ValueError):
    """A schema document that cannot be declared; the message says what is wrong."""


@dataclass(frozen=True)
class DeclaredSchema:
    """One extension schema: its URN, the resource type it extends, and its attributes."""

    urn: str
    resource_type: str  # "User" or "Group"
    name: str
    description: str
    attributes: DeclaredAttributes
    required: bool = False  # schemaExtensions[].required (RFC 7643 section 6): the extension must be present

    def unique_attributes(self) -> list[AttributeInfo]:
        """Attributes whose values are unique per tenant (``uniqueness`` server or global)."""
        return [info for info in self.attributes.by_name.values() if info.characteristics.uniqueness != "none"]


def check_unique_attribute_count(schemas: Iterable[DeclaredSchema]) -> None:
    """InvalidSchema when ``schemas`` declare more than ``MAX_UNIQUE_ATTRIBUTES_PER_TYPE`` unique
    attributes for one resource type."""
    counts: dict[str, int] = {}
    for schema in schemas:
        counts[schema.resource_type] = counts.get(schema.resource_type, 0) + len(schema.unique_attributes())
    for resource_type, count in counts.items():
        if count > MAX_UNIQUE_ATTRIBUTES_PER_TYPE:
            raise InvalidSchema(
                f"{count} unique attributes extend {resource_type}s; at most {MAX_UNIQUE_ATTRIBUTES_PER_TYPE}"
            )


def resource_type_of(urn: str, given: str | None = None) -> str:
    """The resource type a schema extends: ``given``, else the URN's last segment (``...:2.0:User``)."""
    candidate = given or urn.rpartition(":")[2]
    for name in RESOURCE_TYPE_NAMES:
        if candidate.lower() == name.lower():
            return name
    raise InvalidSchema(f"say which resource type {urn} extends (User or Group): its URN does not end in one")


def parse_extension_schema(document: Any, resource_type: str | None = None) -> DeclaredSchema:
    """A ``DeclaredSchema`` from RFC 7643 section 7 JSON; ``InvalidSchema`` saying what is wrong.

    Defaults are the RFC's (section 7): type string, single-valued, not required, readWrite,
    returned default, caseExact false, uniqueness none. ``uniqueness`` server (or global, kept per
    tenant too) is allowed on single-valued string, reference and binary attributes only, which
    get index rows.
    """
    if not isinstance(document, dict):
        raise InvalidSchema("a schema is a JSON object")
    urn = _text(document, "id", required=True)
    if not _URN.fullmatch(urn) or urn.lower().startswith(CORE_SCHEMA_PREFIX):
        raise InvalidSchema(
            f"'{urn}' is not an extension URN this service accepts: urn:<nid>:<parts> of A-Z a-z 0-9 . _ -,"
            " outside urn:ietf:params:scim:schemas:core:"
        )
    declared = _attribute_list(document, urn, top_level=True)
    count = sum(
        1 + len(info.complex_type.by_name) for info in declared if isinstance(info.complex_type, DeclaredAttributes)
    )
    count += sum(1 for info in declared if info.complex_type is None)
    if count > MAX_ATTRIBUTES_PER_SCHEMA:
        raise InvalidSchema(f"{urn} declares {count} attributes; at most {MAX_ATTRIBUTES_PER_SCHEMA}")
    return DeclaredSchema(
        urn=urn,
        resource_type=resource_type_of(urn, resource_type),
        name=_text(document, "name") or urn.rpartition(":")[2],
        description=_text(document, "description") or "",
        attributes=DeclaredAttributes({info.name.lower(): info for info in declared}),
    )


def schema_document(schema: DeclaredSchema) -> dict[str, Any]:
    """The schema's JSON as stored (what ``parse_extension_schema`` reads back)."""
    return {
        "id": schema.urn,
        "name": schema.name,
        "description": schema.description,
        "attributes": [attribute_definition(info) for info in schema.attributes.by_name.values()],
    }


def attribute_definition(info: AttributeInfo) -> dict[str, Any]:
    """An attribute's definition with its characteristics (RFC 7643 section 7), as /Schemas lists it."""
    characteristics = info.characteristics
    definition: dict[str, Any] = {
        "name": info.name,
        "type": scim_type(info),
        "multiValued": info.multi_valued,
        "required": info.required,
        "caseExact": characteristics.case_exact,
        "mutability": characteristics.mutability,
        "returned": characteristics.returned,
        "uniqueness": characteristics.uniqueness,
    }
    if characteristics.canonical_values:
        definition["canonicalValues"] = list(characteristics.canonical_values)
    if characteristics.reference_types:
        definition["referenceTypes"] = list(characteristics.reference_types)
    if info.complex_type is not None:
        definition["subAttributes"] = [attribute_definition(sub) for sub in attributes(info.complex_type).values()]
    return definition


def scim_type(info: AttributeInfo) -> str:
    """RFC 7643 section 2.3 data type of an attribute, declared or modelled."""
    if info.complex_type is not None:
        return "complex"
    if info.characteristics.type is not None:
        return info.characteristics.type
    return {bool: "boolean", int: "integer", float: "decimal"}.get(info.element_type, "string")


def _attribute_list(container: dict[str, Any], where: str, *, top_level: bool) -> list[AttributeInfo]:
    key = "attributes" if top_level else "subAttributes"
    items = container.get(key_in_any_case(container, key) or key)
    if not isinstance(items, list) or (top_level and not items):
        raise InvalidSchema(f"{where}: '{key}' must be a non-empty list of attribute definitions")
    found: dict[str, AttributeInfo] = {}
    for item in items:
        info = _attribute(item, where, top_level=top_level)
        if info.name.lower() in found:
            raise InvalidSchema(f"{where}: attribute '{info.name}' is declared twice")
        found[info.name.lower()] = info
    return list(found.values())


def _attribute(item: Any, where: str, *, top_level: bool) -> AttributeInfo:
    if not isinstance(item, dict):
        raise InvalidSchema(f"{where}: each attribute definition is an object")
    name = _text(item, "name", required=True)
    if not ATTRIBUTE_NAME.fullmatch(name):
        raise InvalidSchema(f"{where}: '{name}' is not an attribute name (RFC 7643 section 2.1)")
    path = f"{where}:{name}"
    kind = _choice(item, "type", tuple(PYTHON_TYPES), "string", path)
    multi_valued = _flag(item, "multiValued", path)
    uniqueness = _choice(item, "uniqueness", UNIQUENESS, "none", path)
    if uniqueness != "none" and (multi_valued or kind not in ("string", "reference", "binary")):
        raise InvalidSchema(f"{path}: uniqueness applies to single-valued string, reference or binary attributes")
    complex_type = None
    if kind == "complex":
        if not top_level:
            raise InvalidSchema(f"{path}: a sub-attribute cannot be complex (RFC 7643 section 2.3.8)")
        complex_type = DeclaredAttributes(
            {sub.name.lower(): sub for sub in _attribute_list(item, path, top_level=False)}
        )
    mutability = _choice(item, "mutability", MUTABILITY, "readWrite", path)
    # RFC 7643 section 7: a writeOnly attribute is never returned.
    returned = "never" if mutability == "writeOnly" else _choice(item, "returned", RETURNED, "default", path)
    characteristics = Scim(
        mutability=cast(Literal["readOnly", "readWrite", "immutable", "writeOnly"], mutability),
        returned=cast(Literal["always", "never", "default", "request"], returned),
        case_exact=_flag(item, "caseExact", path),
        uniqueness=cast(Literal["none", "server", "global"], uniqueness),
        required=_flag(item, "required", path),
        type=cast(Literal["reference", "dateTime", "binary"], kind)
        if kind in ("reference", "dateTime", "binary")
        else None,
        reference_types=_strings(item, "referenceTypes", path),
        canonical_values=_strings(item, "canonicalValues", path),
    )
    element_type = PYTHON_TYPES[kind] if kind != "complex" else dict
    return AttributeInfo(
        name, name, multi_valued, complex_type, characteristics, element_type, characteristics.required
    )


def _text(item: dict[str, Any], key: str, *, required: bool = False) -> str:
    value = item.get(key_in_any_case(item, key) or key)
    if not required and (value is None or value == ""):
        return ""
    if not isinstance(value, str) or not value.strip():
        raise InvalidSchema(f"'{key}' must be a non-empty string")
    return value.strip()


def _choice(item: dict[str, Any], key: str, allowed: tuple[str, ...], default: str, where: str) -> str:
    value = item.get(key_in_any_case(item, key) or key, default)
    for candidate in allowed:
        if isinstance(value, str) and value.lower() == candidate.lower():
            return candidate
    raise InvalidSchema(f"{where}: '{key}' is one of {', '.join(allowed)}")


def _flag(item: dict[str, Any], key: str, where: str) -> bool:
    value = item.get(key_in_any_case(item, key) or key, False)
    if not isinstance(value, bool):
        raise InvalidSchema(f"{where}: '{key}' is true or false")
    return value


def _strings(item: dict[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = item.get(key_in_any_case(item, key) or key, [])
    if not isinstance(value, list) or not all(isinstance(entry, str) for entry in value):
        raise InvalidSchema(f"{where}: '{key}' is a list of strings")
    return tuple(value)
