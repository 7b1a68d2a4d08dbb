"""Storage requests of membership operations do not grow with the group (10 vs 10,000 members)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import azure.functions as func
import pytest
from azure.data.tables import TableClient

import function_app
from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.models.group import GROUP_SCHEMA
from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from tests.storage_requests import RequestCounter

LARGE_GROUP_SIZE = 10_000
PATCH_BATCH = 100
TOKEN = "token-cost"


@dataclass
class Groups:
    tenant: str
    small: str
    large: str
    spare_users: list[str]
    counter: RequestCounter


def group_request(tenant: str, method: str, group_id: str, body=None, params=None) -> func.HttpResponse:
    request = func.HttpRequest(
        method,
        f"https://scim.example.net/scim/{tenant}/v2/Groups/{group_id}",
        headers={"Authorization": f"Bearer {TOKEN}"},
        params=params or {},
        route_params={"tenant": tenant, "id": group_id},
        body=json.dumps(body).encode() if body is not None else b"",
    )
    return function_app.group(request)


def add_members(tenant: str, group_id: str, member_ids: list[str]) -> func.HttpResponse:
    operation = {"op": "add", "path": "members", "value": [{"value": member} for member in member_ids]}
    return group_request(tenant, "PATCH", group_id, {"schemas": [PATCH_OP_SCHEMA], "Operations": [operation]})


@pytest.fixture(scope="module")
def groups_of_two_sizes(azurite: str, table_name: str) -> Iterator[Groups]:
    """A group of 10 and a group of 10,000 members, built by PATCH batches through function_app."""
    counter = RequestCounter()
    repository = TableResourceRepository(
        TableClient.from_connection_string(azurite, table_name, per_retry_policies=[counter])
    )
    users, groups = UserService(repository), GroupService(repository)
    tenant = "cost-" + uuid.uuid4().hex[:8]
    dependencies.override(
        dependencies.Dependencies(SettingsTokenSource({"SCIM_TOKENS": json.dumps({tenant: TOKEN})}), users, groups)
    )

    def new_user(number: int) -> str:
        return users.create(tenant, {"schemas": [USER_SCHEMA], "userName": f"member{number}"}).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        user_ids = list(pool.map(new_user, range(LARGE_GROUP_SIZE + 2)))
    small = groups.create(tenant, {"schemas": [GROUP_SCHEMA], "displayName": "small"}).id
    large = groups.create(tenant, {"schemas": [GROUP_SCHEMA], "displayName": "large"}).id
    assert add_members(tenant, small, user_ids[:10]).status_code == 204
    batches = [user_ids[start : start + PATCH_BATCH] for start in range(0, LARGE_GROUP_SIZE, PATCH_BATCH)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        assert {response.status_code for response in pool.map(lambda b: add_members(tenant, large, b), batches)} == {
            204
        }
    yield Groups(tenant, small, large, user_ids[LARGE_GROUP_SIZE:], counter)
    dependencies.override(None)


def requests_during(counter: RequestCounter, action) -> tuple[int, func.HttpResponse]:
    before = counter.count
    response = action()
    return counter.count - before, response


def test_the_large_group_has_every_member(groups_of_two_sizes: Groups):
    setup = groups_of_two_sizes

    body = json.loads(group_request(setup.tenant, "GET", setup.large).get_body())

    assert len(body["members"]) == LARGE_GROUP_SIZE


def test_adding_one_member_costs_the_same_with_10_and_10000_members(groups_of_two_sizes: Groups):
    setup = groups_of_two_sizes
    first, second = setup.spare_users

    small_cost, small_response = requests_during(setup.counter, lambda: add_members(setup.tenant, setup.small, [first]))
    large_cost, large_response = requests_during(
        setup.counter, lambda: add_members(setup.tenant, setup.large, [second])
    )

    assert small_response.status_code == large_response.status_code == 204
    assert small_cost == large_cost == 1  # one transaction, which checks that the member exists


def test_group_read_with_members_excluded_reads_no_membership_rows(groups_of_two_sizes: Groups):
    setup = groups_of_two_sizes

    cost, response = requests_during(
        setup.counter,
        lambda: group_request(setup.tenant, "GET", setup.large, params={"excludedAttributes": "members"}),
    )

    assert response.status_code == 200
    assert "members" not in json.loads(response.get_body())
    assert cost == 1  # the group's own row


def test_group_read_with_members_pages_through_membership_rows(groups_of_two_sizes: Groups):
    setup = groups_of_two_sizes

    cost, _ = requests_during(setup.counter, lambda: group_request(setup.tenant, "GET", setup.large))

    assert cost >= 1 + LARGE_GROUP_SIZE // 1000  # the group, then pages of at most 1,000 rows
