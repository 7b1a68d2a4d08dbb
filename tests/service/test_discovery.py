"""Discovery documents, generated from the models the service validates with."""

from __future__ import annotations

import json

import pytest

from scim.errors import NotFound
from scim.models.group import GROUP_SCHEMA
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from scim.service import discovery
from scim.service.resources import MAX_PAGE_SIZE

TENANT_URL = "https://host/scim/acme/v2"


def attribute_named(schema: dict, name: str) -> dict:
    return next(attribute for attribute in schema["attributes"] if attribute["name"] == name)


def test_service_provider_config_advertises_the_page_size_limit():
    assert discovery.service_provider_config(TENANT_URL)["filter"] == {"supported": True, "maxResults": MAX_PAGE_SIZE}


def test_service_provider_config_advertises_sorting_etags_and_both_paging_methods():
    config = discovery.service_provider_config(TENANT_URL)

    assert (config["sort"]["supported"], config["etag"]["supported"]) == (True, True)
    assert config["pagination"] == {
        "cursor": True,
        "index": True,
        "defaultPaginationMethod": "index",
        "defaultPageSize": 100,
        "maxPageSize": MAX_PAGE_SIZE,
    }


def test_service_provider_config_advertises_what_is_not_implemented_as_unsupported():
    config = discovery.service_provider_config(TENANT_URL)

    assert config["changePassword"]["supported"] is False


def test_service_provider_config_advertises_the_bulk_limits():
    config = discovery.service_provider_config(TENANT_URL)

    assert config["bulk"] == {"supported": True, "maxOperations": 1000, "maxPayloadSize": 1024 * 1024}


def test_schemas_lists_user_group_and_enterprise_user():
    listed = discovery.schemas(TENANT_URL)

    assert [schema["id"] for schema in listed["Resources"]] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA, GROUP_SCHEMA]
    assert listed["totalResults"] == 3


def test_user_name_definition_follows_the_model():
    user_name = attribute_named(discovery.schema(TENANT_URL, USER_SCHEMA), "userName")

    assert (user_name["required"], user_name["caseExact"], user_name["uniqueness"]) == (True, False, "server")


def test_groups_attribute_is_read_only():
    assert attribute_named(discovery.schema(TENANT_URL, USER_SCHEMA), "groups")["mutability"] == "readOnly"


def test_complex_attributes_list_their_sub_attributes():
    name = attribute_named(discovery.schema(TENANT_URL, USER_SCHEMA), "name")

    assert name["type"] == "complex"
    assert "givenName" in [sub["name"] for sub in name["subAttributes"]]


def test_reference_attributes_name_their_reference_types():
    members = attribute_named(discovery.schema(TENANT_URL, GROUP_SCHEMA), "members")
    ref = next(sub for sub in members["subAttributes"] if sub["name"] == "$ref")

    assert (ref["type"], ref["referenceTypes"]) == ("reference", ["User", "Group"])


def test_common_attributes_but_external_id_are_left_out_of_schemas():
    names = [attribute["name"] for attribute in discovery.schema(TENANT_URL, USER_SCHEMA)["attributes"]]

    assert not {"id", "meta", "schemas"} & set(names)


@pytest.mark.parametrize("schema_urn", [USER_SCHEMA, GROUP_SCHEMA])
def test_external_id_is_listed_case_exact_and_read_write(schema_urn):
    external_id = attribute_named(discovery.schema(TENANT_URL, schema_urn), "externalId")

    assert (external_id["caseExact"], external_id["mutability"], external_id["uniqueness"]) == (
        True,
        "readWrite",
        "none",
    )


@pytest.mark.parametrize(
    ("attribute", "canonical_values"),
    [
        ("emails", ["work", "home", "other"]),
        ("phoneNumbers", ["work", "home", "mobile", "fax", "pager", "other"]),
        ("ims", ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]),
        ("photos", ["photo", "thumbnail"]),
        ("addresses", ["work", "home", "other"]),
    ],
)
def test_type_sub_attributes_carry_the_canonical_values_of_rfc_7643(attribute, canonical_values):
    definition = attribute_named(discovery.schema(TENANT_URL, USER_SCHEMA), attribute)
    type_definition = next(sub for sub in definition["subAttributes"] if sub["name"] == "type")

    assert type_definition["canonicalValues"] == canonical_values


def test_password_is_write_only_and_never_returned():
    password = attribute_named(discovery.schema(TENANT_URL, USER_SCHEMA), "password")

    assert (password["mutability"], password["returned"]) == ("writeOnly", "never")


def test_schema_is_found_by_urn_in_any_letter_case():
    assert discovery.schema(TENANT_URL, GROUP_SCHEMA.upper())["id"] == GROUP_SCHEMA


def test_unknown_schema_is_not_found():
    with pytest.raises(NotFound):
        discovery.schema(TENANT_URL, "urn:example:unknown")


def test_user_resource_type_names_the_enterprise_extension():
    user = discovery.resource_type(TENANT_URL, "user")

    assert (user["endpoint"], user["schema"]) == ("/Users", USER_SCHEMA)
    assert user["schemaExtensions"] == [{"schema": ENTERPRISE_USER_SCHEMA, "required": False}]


def test_unknown_resource_type_is_not_found():
    with pytest.raises(NotFound):
        discovery.resource_type(TENANT_URL, "Printer")


def test_no_discovery_document_contains_null():
    documents = [
        discovery.service_provider_config(TENANT_URL),
        discovery.schemas(TENANT_URL),
        discovery.resource_types(TENANT_URL),
    ]

    assert "null" not in json.dumps(documents)
