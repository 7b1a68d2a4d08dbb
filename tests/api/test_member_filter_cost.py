"""Storage requests of a member filter on Groups do not grow with the tenant (10 vs 10,000 groups):
``members[value eq "<id>"]`` reads the member's membership rows, then the groups they name."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from azure.data.tables import TableClient

from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.models.resource_types import GROUP
from scim.service.groups import GroupService
from scim.service.ports import StoredResource
from scim.service.resources import _indexes, utc_now
from scim.service.users import UserService
from scim.storage import resources as table_rows
from scim.storage.tables import StorageRequestCounter
from tests.support.bodies import group_body, user_body
from tests.support.http import Client, json_of
from tests.support.storage import StorageRequests

TOKEN = "token-member-filter"
MEMBER_GROUPS = 3  # groups the member is in, in both tenants
GROUPS_PER_TRANSACTION = 50  # a group row and its displayName index row each: 100 operations


@dataclass
class Tenant:
    api: Client  # /Groups of the tenant
    member: str


def add_groups_in_transactions(table: TableClient, tenant: str, count: int) -> None:
    """``count`` groups written straight into the table, a transaction per 50, as the service stores them."""
    now = utc_now()
    for start in range(0, count, GROUPS_PER_TRANSACTION):
        operations = []
        for number in range(start, min(start + GROUPS_PER_TRANSACTION, count)):
            group = StoredResource("Group", str(uuid.uuid4()), {"displayName": f"group {number}"}, now, now)
            entry = _indexes(GROUP, group.attributes)[0]
            operations += [
                ("create", table_rows._resource_entity(tenant, group)),
                ("create", table_rows._index_entity(tenant, group, entry)),
            ]
        table.submit_transaction(operations)


@pytest.fixture(scope="module")
def tenants(azurite: str, table_name: str) -> Iterator[tuple[Tenant, Tenant]]:
    table = TableClient.from_connection_string(azurite, table_name, per_retry_policies=[StorageRequestCounter()])
    repository = table_rows.TableResourceRepository(table)
    users, groups = UserService(repository), GroupService(repository)
    built = []
    for size in (10, 10_000):
        tenant = f"mf{size}-" + uuid.uuid4().hex[:8]
        add_groups_in_transactions(table, tenant, size - MEMBER_GROUPS)
        member = users.create(tenant, user_body("member")).id
        for number in range(MEMBER_GROUPS):
            groups.create(tenant, group_body(f"with member {number}", members=[{"value": member}]))
        built.append(Tenant(Client(tenant, TOKEN, "Groups"), member))
    tokens = json.dumps({tenant.api.tenant: TOKEN for tenant in built})
    dependencies.override(dependencies.Dependencies(SettingsTokenSource({"SCIM_TOKENS": tokens}), users, groups))
    yield built[0], built[1]
    dependencies.override(None)


def filtered_cost(counter: StorageRequests, tenant: Tenant, filter_template: str, **params: str) -> tuple[int, dict]:
    query = {"filter": filter_template.format(member=tenant.member), **params}
    cost, response = counter.during(lambda: tenant.api.call("GET", params=query))
    assert response.status_code == 200
    return cost, json_of(response)


@pytest.mark.parametrize("filter_template", ['members[value eq "{member}"]', 'members.value eq "{member}"'])
def test_member_filter_costs_the_same_with_10_and_10000_groups(tenants, request_counter, filter_template):
    small, large = tenants

    small_cost, small_body = filtered_cost(request_counter, small, filter_template, excludedAttributes="members")
    large_cost, large_body = filtered_cost(request_counter, large, filter_template, excludedAttributes="members")

    assert small_body["totalResults"] == large_body["totalResults"] == MEMBER_GROUPS
    assert small_cost == large_cost == 1 + MEMBER_GROUPS  # the member's rows, then each group's row


def test_member_filter_with_members_returned_costs_the_same_with_10_and_10000_groups(tenants, request_counter):
    small, large = tenants

    small_cost, _ = filtered_cost(request_counter, small, 'members[value eq "{member}"]')
    large_cost, _ = filtered_cost(request_counter, large, 'members[value eq "{member}"]')

    assert small_cost == large_cost == 1 + 2 * MEMBER_GROUPS  # + each group's membership rows


def test_member_filter_under_and_costs_the_same_with_10_and_10000_groups(tenants, request_counter):
    small, large = tenants
    filter_template = 'members.value eq "{member}" and displayName sw "with"'

    small_cost, _ = filtered_cost(request_counter, small, filter_template, excludedAttributes="members")
    large_cost, _ = filtered_cost(request_counter, large, filter_template, excludedAttributes="members")

    assert small_cost == large_cost == 1 + MEMBER_GROUPS


def test_the_large_tenant_has_10000_groups(tenants):
    _, large = tenants

    body = json_of(large.api.call("GET", params={"count": "1", "excludedAttributes": "members"}))

    assert body["totalResults"] == 10_000
