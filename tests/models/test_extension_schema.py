"""Extension schemas as RFC 7643 section 7 JSON: what is accepted, the defaults, the limits."""

from __future__ import annotations

import pytest

from scim.models.extension_schema import (
    MAX_ATTRIBUTES_PER_SCHEMA,
    InvalidSchema,
    parse_extension_schema,
    schema_document,
)
from tests.support.extension_schemas import ENTRA_EXTENSION, ENTRA_SCHEMA, EVERY_TYPE_SCHEMA


def test_attributes_take_the_rfc_defaults():
    info = parse_extension_schema(ENTRA_SCHEMA).attributes.lookup("customattribute")

    assert (info.multi_valued, info.required, info.element_type) == (False, False, str)
    assert info.characteristics.mutability == "readWrite"
    assert info.characteristics.returned == "default"
    assert info.characteristics.uniqueness == "none"
    assert info.characteristics.case_exact is False


def test_the_resource_type_is_the_urns_last_segment():
    assert parse_extension_schema(ENTRA_SCHEMA).resource_type == "User"


def test_a_urn_without_a_resource_type_needs_one_given():
    document = {"id": "urn:example:params:custom", "attributes": [{"name": "a"}]}

    with pytest.raises(InvalidSchema, match="User or Group"):
        parse_extension_schema(document)
    assert parse_extension_schema(document, "Group").resource_type == "Group"


def test_a_stored_schema_reads_back_the_same():
    schema = parse_extension_schema(EVERY_TYPE_SCHEMA)

    assert schema_document(parse_extension_schema(schema_document(schema))) == schema_document(schema)


def test_write_only_attributes_are_never_returned():
    document = {"id": ENTRA_EXTENSION, "attributes": [{"name": "pin", "mutability": "writeOnly"}]}

    assert parse_extension_schema(document).attributes.lookup("pin").characteristics.returned == "never"


@pytest.mark.parametrize(
    ("document", "detail"),
    [
        ({"id": "urn:ietf:params:scim:schemas:core:2.0:User", "attributes": [{"name": "a"}]}, "extension URN"),
        ({"id": "urn:x:has/slash:User", "attributes": [{"name": "a"}]}, "extension URN"),
        ({"id": ENTRA_EXTENSION, "attributes": []}, "non-empty list"),
        ({"id": ENTRA_EXTENSION, "attributes": [{"name": "1st"}]}, "not an attribute name"),
        ({"id": ENTRA_EXTENSION, "attributes": [{"name": "a"}, {"name": "A"}]}, "declared twice"),
        ({"id": ENTRA_EXTENSION, "attributes": [{"name": "a", "type": "float"}]}, "'type' is one of"),
        ({"id": ENTRA_EXTENSION, "attributes": [{"name": "a", "multiValued": "yes"}]}, "true or false"),
        (
            {"id": ENTRA_EXTENSION, "attributes": [{"name": "a", "type": "integer", "uniqueness": "server"}]},
            "uniqueness applies",
        ),
        (
            {
                "id": ENTRA_EXTENSION,
                "attributes": [{"name": "a", "type": "complex", "subAttributes": [{"name": "b", "type": "complex"}]}],
            },
            "cannot be complex",
        ),
        (
            {"id": ENTRA_EXTENSION, "attributes": [{"name": f"a{i}"} for i in range(MAX_ATTRIBUTES_PER_SCHEMA + 1)]},
            f"at most {MAX_ATTRIBUTES_PER_SCHEMA}",
        ),
    ],
)
def test_a_schema_that_cannot_be_declared_says_why(document, detail):
    with pytest.raises(InvalidSchema, match=detail):
        parse_extension_schema(document)
