"""/Schemas and /ResourceTypes through function_app describe exactly what the calling tenant has."""

from __future__ import annotations

from tests.support.extension_schemas import (
    EVERY_TYPE_EXTENSION,
    EVERY_TYPE_SCHEMA,
    GROUP_EXTENSION,
    GROUP_SCHEMA_DOCUMENT,
    declare,
)
from tests.support.http import assert_scim_error, discovery_request, json_of

OTHER = "other-tenant"


def schema_ids(tenant: str, token: str) -> list[str]:
    return [schema["id"] for schema in json_of(discovery_request(tenant, "/Schemas", token=token))["Resources"]]


def test_schemas_lists_the_tenants_extensions(served_with_extensions, repository, tenant, tokens):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)

    assert EVERY_TYPE_EXTENSION in schema_ids(tenant, tokens[tenant])


def test_another_tenants_schemas_do_not_list_them(served_with_extensions, repository, tenant, tokens):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)

    assert EVERY_TYPE_EXTENSION not in schema_ids(OTHER, tokens[OTHER])
    response = discovery_request(OTHER, f"/Schemas/{EVERY_TYPE_EXTENSION}", token=tokens[OTHER])
    assert_scim_error(response, 404)


def test_a_declared_schema_is_served_with_its_attributes_characteristics(
    served_with_extensions, repository, tenant, tokens
):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)

    served = json_of(discovery_request(tenant, f"/Schemas/{EVERY_TYPE_EXTENSION}", token=tokens[tenant]))

    by_name = {attribute["name"]: attribute for attribute in served["attributes"]}
    assert served["name"] == "ContosoUser"
    assert {name: by_name[name]["type"] for name in by_name} == {
        item["name"]: item["type"] for item in EVERY_TYPE_SCHEMA["attributes"]
    }
    assert by_name["badge"]["uniqueness"] == "server"
    assert by_name["skills"]["multiValued"] is True
    assert [sub["name"] for sub in by_name["workplace"]["subAttributes"]] == ["building", "floor"]


def test_resource_types_name_the_tenants_extensions(served_with_extensions, repository, tenant, tokens):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)
    declare(repository, tenant, GROUP_SCHEMA_DOCUMENT, "Group")

    users = json_of(discovery_request(tenant, "/ResourceTypes/User", token=tokens[tenant]))
    groups = json_of(discovery_request(tenant, "/ResourceTypes/Group", token=tokens[tenant]))
    others = json_of(discovery_request(OTHER, "/ResourceTypes/User", token=tokens[OTHER]))

    assert {"schema": EVERY_TYPE_EXTENSION, "required": False} in users["schemaExtensions"]
    assert groups["schemaExtensions"] == [{"schema": GROUP_EXTENSION, "required": False}]
    assert EVERY_TYPE_EXTENSION not in [item["schema"] for item in others["schemaExtensions"]]


def test_schemas_without_a_token_are_401_whatever_the_tenant_declares(served_with_extensions, repository, tenant):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)

    assert_scim_error(discovery_request(tenant, "/Schemas"), 401)
