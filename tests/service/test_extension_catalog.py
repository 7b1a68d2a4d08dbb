"""Which schemas a tenant has: deployment files, the tenant's rows, a bounded staleness, isolation, cost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scim.errors import InvalidValue
from scim.models.extension_schema import MAX_UNIQUE_ATTRIBUTES_PER_TYPE, InvalidSchema
from scim.models.resource_types import GROUP, USER
from scim.models.user import USER_SCHEMA
from scim.service.extension_catalog import ExtensionCatalog, load_deployment_schemas
from scim.service.query import ListRequest
from scim.service.users import UserService
from tests.support.auth_fakes import FakeClock
from tests.support.extension_schemas import (
    ENTRA_EXTENSION,
    ENTRA_SCHEMA,
    EVERY_TYPE_EXTENSION,
    EVERY_TYPE_SCHEMA,
    GROUP_EXTENSION,
    GROUP_SCHEMA_DOCUMENT,
    declare,
    unique_schema,
)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def catalog(repository, clock) -> ExtensionCatalog:
    return ExtensionCatalog(repository, staleness_seconds=60, clock=clock)


def test_a_tenant_sees_its_own_schemas_and_no_other_tenants(repository, catalog, tenant):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)

    mine = catalog.resource_type(tenant, USER)
    theirs = catalog.resource_type("other-" + tenant, USER)

    assert EVERY_TYPE_EXTENSION in mine.extensions
    assert EVERY_TYPE_EXTENSION not in theirs.extensions


def test_another_tenants_requests_are_validated_without_the_schema(repository, catalog, tenant):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)
    users = UserService(repository, extensions=catalog)
    other = "other-" + tenant
    body = {"schemas": [USER_SCHEMA], "userName": "a", EVERY_TYPE_EXTENSION: {"level": "not a number"}}

    with pytest.raises(InvalidValue, match="level"):
        users.create(tenant, body)
    created = users.create(other, body)  # undeclared there: kept as sent

    assert created.attributes[EVERY_TYPE_EXTENSION] == {"level": "not a number"}


def test_a_group_schema_extends_groups_only(repository, catalog, tenant):
    declare(repository, tenant, GROUP_SCHEMA_DOCUMENT, "Group")

    assert GROUP_EXTENSION in catalog.resource_type(tenant, GROUP).extensions
    assert GROUP_EXTENSION not in catalog.resource_type(tenant, USER).extensions


def test_a_new_schema_reaches_a_running_instance_within_the_staleness(repository, catalog, clock, tenant):
    catalog.resource_type(tenant, USER)  # cached without it
    declare(repository, tenant, ENTRA_SCHEMA)

    clock.advance(59)
    before = catalog.resource_type(tenant, USER)
    clock.advance(1)
    after = catalog.resource_type(tenant, USER)

    assert ENTRA_EXTENSION not in before.extensions
    assert ENTRA_EXTENSION in after.extensions


def test_a_deleted_schema_leaves_a_running_instance_within_the_staleness(repository, catalog, clock, tenant):
    declare(repository, tenant, ENTRA_SCHEMA)
    catalog.resource_type(tenant, USER)
    repository.delete_schema(tenant, ENTRA_EXTENSION)

    clock.advance(60)

    assert ENTRA_EXTENSION not in catalog.resource_type(tenant, USER).extensions


def test_a_policy_change_reaches_a_running_instance_within_the_staleness(repository, catalog, clock, tenant):
    assert catalog.resource_type(tenant, USER).undeclared == "keep"
    repository.set_undeclared_policy(tenant, "reject")

    clock.advance(60)

    assert catalog.resource_type(tenant, USER).undeclared == "reject"


def test_a_tenant_without_schemas_costs_one_request_per_staleness_period(catalog, clock, tenant, request_counter):
    counts = []
    for _ in range(3):  # three requests within the period, then one after it
        before = request_counter.count
        catalog.resource_type(tenant, USER)
        counts.append(request_counter.count - before)
    clock.advance(60)
    before = request_counter.count
    catalog.resource_type(tenant, USER)
    counts.append(request_counter.count - before)

    assert counts == [1, 0, 0, 1]


def test_a_tenant_with_schemas_costs_the_same_one_request(repository, catalog, tenant, request_counter):
    declare(repository, tenant, EVERY_TYPE_SCHEMA)
    declare(repository, tenant, GROUP_SCHEMA_DOCUMENT, "Group")

    before = request_counter.count
    catalog.resource_type(tenant, USER)
    catalog.resource_type(tenant, GROUP)

    assert request_counter.count - before == 1


def test_a_list_request_in_the_steady_state_costs_no_more_than_without_extensions(
    repository, catalog, tenant, request_counter
):
    with_catalog = UserService(repository, extensions=catalog)
    without = UserService(repository)
    with_catalog.find(tenant, ListRequest(filter='userName eq "warm-up"'))

    before = request_counter.count
    with_catalog.find(tenant, ListRequest(filter='userName eq "nobody"'))
    cached_cost = request_counter.count - before
    before = request_counter.count
    without.find(tenant, ListRequest(filter='userName eq "nobody"'))

    assert cached_cost == request_counter.count - before == 1


def test_a_tenant_schema_replaces_the_deployments_of_the_same_urn(repository, clock, tenant):
    shipped = {**ENTRA_SCHEMA, "attributes": [{"name": "Shipped"}]}
    from scim.models.extension_schema import parse_extension_schema

    catalog = ExtensionCatalog(repository, lambda: [parse_extension_schema(shipped)], clock=clock)
    declare(repository, tenant, ENTRA_SCHEMA)

    mine = catalog.resource_type(tenant, USER).extensions[ENTRA_EXTENSION]
    theirs = catalog.resource_type("other-" + tenant, USER).extensions[ENTRA_EXTENSION]

    assert list(mine.by_name) == ["customattribute"]
    assert list(theirs.by_name) == ["shipped"]


def test_deployment_schemas_are_read_from_resource_type_folders(tmp_path: Path):
    (tmp_path / "User").mkdir()
    (tmp_path / "Group").mkdir()
    (tmp_path / "User" / "custom.json").write_text(json.dumps(ENTRA_SCHEMA))
    (tmp_path / "Group" / "contoso.json").write_text(json.dumps(GROUP_SCHEMA_DOCUMENT))

    found = load_deployment_schemas(tmp_path)

    assert [(schema.urn, schema.resource_type) for schema in found] == [
        (ENTRA_EXTENSION, "User"),
        (GROUP_EXTENSION, "Group"),
    ]


def test_a_missing_deployment_folder_declares_nothing(tmp_path: Path):
    assert load_deployment_schemas(tmp_path / "absent") == []


def test_an_invalid_deployment_schema_names_its_file(tmp_path: Path):
    (tmp_path / "User").mkdir()
    (tmp_path / "User" / "broken.json").write_text('{"id": "not-a-urn", "attributes": []}')

    with pytest.raises(InvalidSchema, match=r"broken\.json"):
        load_deployment_schemas(tmp_path)


def test_deployment_schemas_are_read_at_first_use_not_before(repository, tmp_path: Path, tenant):
    reads = []
    catalog = ExtensionCatalog(repository, lambda: reads.append(1) or [])

    assert reads == []
    catalog.resource_type(tenant, USER)
    catalog.resource_type("other-" + tenant, USER)

    assert reads == [1]


def test_deployment_schemas_beyond_the_unique_attributes_allowed_are_refused(tmp_path: Path):
    (tmp_path / "User").mkdir()
    half = MAX_UNIQUE_ATTRIBUTES_PER_TYPE // 2
    for name, count in (("first", half), ("second", half + 1)):
        (tmp_path / "User" / f"{name}.json").write_text(json.dumps(unique_schema(f"urn:example:{name}:User", count)))

    with pytest.raises(InvalidSchema, match=f"at most {MAX_UNIQUE_ATTRIBUTES_PER_TYPE}"):
        load_deployment_schemas(tmp_path)


def test_a_tenant_schema_beyond_the_unique_attributes_allowed_is_not_served(repository, clock, tenant):
    from scim.models.extension_schema import parse_extension_schema

    shipped = parse_extension_schema(unique_schema("urn:example:shipped:User", MAX_UNIQUE_ATTRIBUTES_PER_TYPE))
    catalog = ExtensionCatalog(repository, lambda: [shipped], clock=clock)
    declare(repository, tenant, unique_schema("urn:example:mine:User", 1))  # stored without the admin's check

    served = catalog.resource_type(tenant, USER)

    assert "urn:example:shipped:User" in served.extensions and "urn:example:mine:User" not in served.extensions
    assert len(served.indexed) == 2 + MAX_UNIQUE_ATTRIBUTES_PER_TYPE
