"""A tenant's extension schemas and policy as rows of its partition (``sch:`` rows) on Azurite."""

from __future__ import annotations

from scim.service.ports import StoredSchema

URN = "urn:ietf:params:scim:schemas:extension:Contoso:2.0:User"


def test_schemas_and_policy_are_read_back_with_one_request(repository, tenant, request_counter):
    repository.put_schema(tenant, URN, StoredSchema("User", '{"id": "x"}'))
    repository.set_undeclared_policy(tenant, "reject")

    cost, stored = request_counter.during(lambda: repository.tenant_schemas(tenant))

    assert cost == 1
    assert stored.schemas == [StoredSchema("User", '{"id": "x"}')]
    assert stored.undeclared == "reject"


def test_a_tenant_without_rows_reads_nothing_with_one_request(repository, tenant, request_counter):
    cost, stored = request_counter.during(lambda: repository.tenant_schemas(tenant))

    assert cost == 1
    assert (stored.schemas, stored.undeclared) == ([], None)


def test_put_replaces_a_schema_of_the_same_urn(repository, tenant):
    repository.put_schema(tenant, URN, StoredSchema("User", "1"))
    repository.put_schema(tenant, URN, StoredSchema("User", "2"))

    assert repository.tenant_schemas(tenant).schemas == [StoredSchema("User", "2")]


def test_delete_reports_whether_there_was_a_schema(repository, tenant):
    repository.put_schema(tenant, URN, StoredSchema("User", "1"))

    assert repository.delete_schema(tenant, URN) is True
    assert repository.delete_schema(tenant, URN) is False


def test_another_tenants_partition_holds_none_of_them(repository, tenant):
    repository.put_schema(tenant, URN, StoredSchema("User", "1"))

    assert repository.tenant_schemas("other-" + tenant).schemas == []
