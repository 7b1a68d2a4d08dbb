"""Storage requests of membership operations do not grow with the group (10 vs 10,000 members)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import pytest
from azure.data.tables import TableClient

from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from scim.storage.tables import StorageRequestCounter
from tests.support.bodies import add_members, group_body, user_body
from tests.support.http import Client, json_of
from tests.support.storage import StorageRequests

LARGE_GROUP_SIZE = 10_000
PATCH_BATCH = 100
TOKEN = "token-cost-0123456789"


@dataclass
class Groups:
    api: Client  # /Groups of the tenant
    small: str
    large: str
    spare_users: list[str]

    def add(self, group_id: str, member_ids: list[str]):
        return self.api.call("PATCH", f"/{group_id}", add_members(*member_ids))


@pytest.fixture(scope="module")
def groups_of_two_sizes(azurite: str, table_name: str) -> Iterator[Groups]:
    """A group of 10 and a group of 10,000 members, built by PATCH batches through function_app."""
    repository = TableResourceRepository(
        TableClient.from_connection_string(azurite, table_name, per_retry_policies=[StorageRequestCounter()])
    )
    users, groups = UserService(repository), GroupService(repository)
    tenant = "cost-" + uuid.uuid4().hex[:8]
    dependencies.override(
        dependencies.Dependencies(SettingsTokenSource({"SCIM_TOKENS": json.dumps({tenant: TOKEN})}), users, groups)
    )

    def new_user(number: int) -> str:
        return users.create(tenant, user_body(f"member{number}")).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        user_ids = list(pool.map(new_user, range(LARGE_GROUP_SIZE + 2)))
    small = groups.create(tenant, group_body("small")).id
    large = groups.create(tenant, group_body("large")).id
    setup = Groups(Client(tenant, TOKEN, "Groups"), small, large, user_ids[LARGE_GROUP_SIZE:])
    assert setup.add(small, user_ids[:10]).status_code == 204
    batches = [user_ids[start : start + PATCH_BATCH] for start in range(0, LARGE_GROUP_SIZE, PATCH_BATCH)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert {response.status_code for response in pool.map(lambda b: setup.add(large, b), batches)} == {204}
    yield setup
    dependencies.override(None)


def test_the_large_group_has_every_member(groups_of_two_sizes: Groups):
    setup = groups_of_two_sizes

    body = json_of(setup.api.call("GET", f"/{setup.large}"))

    assert len(body["members"]) == LARGE_GROUP_SIZE


def test_adding_one_member_costs_the_same_with_10_and_10000_members(
    groups_of_two_sizes: Groups, request_counter: StorageRequests
):
    setup = groups_of_two_sizes
    first, second = setup.spare_users

    small_cost, small_response = request_counter.during(lambda: setup.add(setup.small, [first]))
    large_cost, large_response = request_counter.during(lambda: setup.add(setup.large, [second]))

    assert small_response.status_code == large_response.status_code == 204
    assert small_cost == large_cost == 1  # one transaction, which checks that the member exists


def test_group_read_with_members_excluded_reads_no_membership_rows(
    groups_of_two_sizes: Groups, request_counter: StorageRequests
):
    setup = groups_of_two_sizes

    cost, response = request_counter.during(
        lambda: setup.api.call("GET", f"/{setup.large}", params={"excludedAttributes": "members"})
    )

    assert response.status_code == 200
    assert "members" not in json_of(response)
    assert cost == 1  # the group's own row


def test_group_read_with_members_pages_through_membership_rows(
    groups_of_two_sizes: Groups, request_counter: StorageRequests
):
    setup = groups_of_two_sizes

    cost = request_counter.sent_by(lambda: setup.api.call("GET", f"/{setup.large}"))

    assert cost >= 1 + LARGE_GROUP_SIZE // 1000  # the group, then pages of at most 1,000 rows
