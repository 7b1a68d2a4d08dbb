"""``python -m scim.admin schema put|list|delete|policy`` against Azurite."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scim.admin import cli
from scim.models.extension_schema import MAX_SCHEMAS_PER_TENANT, MAX_UNIQUE_ATTRIBUTES_PER_TYPE
from scim.models.resource_types import USER
from scim.service.extension_catalog import ExtensionCatalog
from tests.support.extension_schemas import ENTRA_EXTENSION, ENTRA_SCHEMA, EVERY_TYPE_SCHEMA, unique_schema


@pytest.fixture
def schema_admin(capsys, repository, tmp_path):
    def run(*args: str) -> tuple[int, str, str]:
        code = cli.main(["schema", *args], schema_repository=lambda: repository)
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run


def schema_file(tmp_path: Path, document: dict, name: str = "schema.json") -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document))
    return str(path)


def test_put_declares_the_schema_for_the_tenant_only(schema_admin, repository, tenant, tmp_path):
    code, _, err = schema_admin("put", tenant, schema_file(tmp_path, ENTRA_SCHEMA))
    catalog = ExtensionCatalog(repository)

    assert code == 0
    assert "60 s" in err
    assert ENTRA_EXTENSION in catalog.resource_type(tenant, USER).extensions
    assert ENTRA_EXTENSION not in catalog.resource_type("other-" + tenant, USER).extensions


def test_list_shows_the_schemas_and_the_policy(schema_admin, tenant, tmp_path):
    schema_admin("put", tenant, schema_file(tmp_path, ENTRA_SCHEMA))

    code, out, _ = schema_admin("list", tenant)

    assert code == 0
    assert f"{ENTRA_EXTENSION}\tUser\t1 attributes" in out
    assert "undeclared extension attributes: keep" in out


def test_delete_removes_the_schema(schema_admin, repository, tenant, tmp_path):
    schema_admin("put", tenant, schema_file(tmp_path, ENTRA_SCHEMA))

    code, _, _ = schema_admin("delete", tenant, ENTRA_EXTENSION)

    assert code == 0
    assert repository.tenant_schemas(tenant).schemas == []


def test_delete_of_an_unknown_schema_fails_saying_so(schema_admin, tenant):
    code, _, err = schema_admin("delete", tenant, ENTRA_EXTENSION)

    assert code == 1
    assert "has no schema" in err


def test_policy_reject_is_stored_for_the_tenant(schema_admin, repository, tenant):
    code, _, _ = schema_admin("policy", tenant, "reject")

    assert code == 0
    assert ExtensionCatalog(repository).resource_type(tenant, USER).undeclared == "reject"


def test_put_of_an_invalid_schema_fails_saying_why(schema_admin, repository, tenant, tmp_path):
    code, _, err = schema_admin("put", tenant, schema_file(tmp_path, {"id": "urn:x:y:User", "attributes": []}))

    assert code == 1
    assert "non-empty list" in err
    assert repository.tenant_schemas(tenant).schemas == []


def test_put_beyond_the_schemas_a_tenant_may_have_fails(schema_admin, tenant, tmp_path):
    for number in range(MAX_SCHEMAS_PER_TENANT):
        document = {**EVERY_TYPE_SCHEMA, "id": f"urn:example:params:n{number}:User"}
        assert schema_admin("put", tenant, schema_file(tmp_path, document, f"{number}.json"))[0] == 0

    code, _, err = schema_admin("put", tenant, schema_file(tmp_path, ENTRA_SCHEMA))

    assert code == 1
    assert f"at most {MAX_SCHEMAS_PER_TENANT}" in err


def test_put_beyond_the_unique_attributes_a_resource_type_may_have_fails(schema_admin, repository, tenant, tmp_path):
    half = MAX_UNIQUE_ATTRIBUTES_PER_TYPE // 2
    first = unique_schema("urn:example:params:first:User", half)
    assert schema_admin("put", tenant, schema_file(tmp_path, first, "first.json"))[0] == 0

    code, _, err = schema_admin(
        "put", tenant, schema_file(tmp_path, unique_schema("urn:example:params:second:User", half + 1))
    )

    assert code == 1
    assert f"at most {MAX_UNIQUE_ATTRIBUTES_PER_TYPE}" in err
    assert len(repository.tenant_schemas(tenant).schemas) == 1
