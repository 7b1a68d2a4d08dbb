"""Extension schemas the tests declare (RFC 7643 section 7 JSON), and helpers to declare them."""

from __future__ import annotations

import json

from scim.service.ports import SchemaRepository, StoredSchema

# Microsoft Learn, "Customize application attributes": the pattern Entra's custom attributes follow.
ENTRA_EXTENSION = "urn:ietf:params:scim:schemas:extension:CustomExtensionName:2.0:User"
ENTRA_SCHEMA = {"id": ENTRA_EXTENSION, "name": "CustomExtension", "attributes": [{"name": "CustomAttribute"}]}

# Every RFC 7643 section 2.3 data type, simple and multi-valued, and a complex one with sub-attributes.
EVERY_TYPE_EXTENSION = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User"
EVERY_TYPE_SCHEMA = {
    "id": EVERY_TYPE_EXTENSION,
    "name": "ContosoUser",
    "description": "Every attribute type",
    "attributes": [
        {"name": "costCode", "type": "string"},
        {"name": "badge", "type": "string", "uniqueness": "server"},
        {"name": "isContractor", "type": "boolean"},
        {"name": "level", "type": "integer"},
        {"name": "rating", "type": "decimal"},
        {"name": "hireDate", "type": "dateTime"},
        {"name": "homepage", "type": "reference", "referenceTypes": ["external"]},
        {"name": "photo", "type": "binary"},
        {"name": "skills", "type": "string", "multiValued": True},
        {
            "name": "workplace",
            "type": "complex",
            "subAttributes": [{"name": "building", "type": "string"}, {"name": "floor", "type": "integer"}],
        },
        {
            "name": "licenses",
            "type": "complex",
            "multiValued": True,
            "subAttributes": [
                {"name": "value", "type": "string"},
                {"name": "type", "type": "string"},
                {"name": "primary", "type": "boolean"},
            ],
        },
    ],
}

# The characteristics besides types: required, mutability, returned, caseExact.
RULES_EXTENSION = "urn:ietf:params:scim:schemas:extension:Rules:2.0:User"
RULES_SCHEMA = {
    "id": RULES_EXTENSION,
    "name": "Rules",
    "attributes": [
        {"name": "code", "required": True, "caseExact": True},
        {"name": "employeeKey", "mutability": "immutable"},
        {"name": "pin", "mutability": "writeOnly"},
        {"name": "score", "type": "integer", "mutability": "readOnly"},
        {"name": "note", "returned": "request"},
    ],
}

GROUP_EXTENSION = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:Group"
GROUP_SCHEMA_DOCUMENT = {"id": GROUP_EXTENSION, "name": "ContosoGroup", "attributes": [{"name": "costCode"}]}


def declare(repository: SchemaRepository, tenant: str, document: dict, resource_type: str = "User") -> None:
    """Store ``document`` as one of ``tenant``'s schemas, as ``schema put`` does."""
    repository.put_schema(tenant, document["id"], StoredSchema(resource_type, json.dumps(document)))


def unique_schema(urn: str, count: int) -> dict:
    """A User extension declaring ``count`` string attributes with uniqueness server."""
    return {
        "id": urn,
        "name": "Unique",
        "attributes": [{"name": f"key{number}", "type": "string", "uniqueness": "server"} for number in range(count)],
    }
