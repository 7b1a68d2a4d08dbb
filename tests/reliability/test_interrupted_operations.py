"""Every storage request of an operation, failed in turn: the answer is 503 with Retry-After (never
500), what is stored stays consistent, and the client's retry completes the operation.

For each operation the healthy run is counted first (K storage requests); then, for every N in
1..K, a fresh tenant is prepared, the Nth request fails (before it is sent, or after storage
answered so that the write happened but the service never learnt it), and the same HTTP request
is sent again on a healthy client. ``assert_integrity`` reads the table after the fault (an
interrupted delete may be pending then, nothing else) and after the retry (nothing pending).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from azure.data.tables import TableClient

from tests.reliability.faults import clients, fresh_tenant, serving
from tests.reliability.integrity import TenantState, assert_integrity
from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.http import Client, created, json_of
from tests.support.storage import FailRequestNumber

MANY = 35  # more members than one transaction holds (33), so a change spans two


@dataclass(frozen=True)
class Operation:
    """One SCIM request whose interruption is tested."""

    prepare: Callable[[Client, Client], dict[str, Any]]  # healthy set-up; returns the context
    send: Callable[[Client, Client, dict[str, Any]], Any]  # the request under test
    completed: tuple[int, ...]  # statuses of a completed first attempt or retry
    check: Callable[[TenantState, dict[str, Any]], None]  # the stored state once completed


def prepare_nothing(users: Client, groups: Client) -> dict[str, Any]:
    return {}


def create_user(users: Client, groups: Client, context: dict[str, Any]):
    return users.call("POST", body=user_body("new.user@example.com", externalId="ext-new"))


def check_created(state: TenantState, context: dict[str, Any]) -> None:
    assert [attributes["userName"] for attributes in state.resources.values()] == ["new.user@example.com"]


def prepare_two_users(users: Client, groups: Client) -> dict[str, Any]:
    return {"members": [created(users, user_body(f"member{number}"))["id"] for number in range(2)]}


def create_group_with_members(users: Client, groups: Client, context: dict[str, Any]):
    return groups.call("POST", body=group_body("Founders", members=[{"value": m} for m in context["members"]]))


def check_group_created(state: TenantState, context: dict[str, Any]) -> None:
    (group_id,) = state.ids("Group")
    assert state.resources[("Group", group_id)]["displayName"] == "Founders"
    assert state.members(group_id) == set(context["members"])


def prepare_user_in_group(users: Client, groups: Client) -> dict[str, Any]:
    user = created(users, user_body("old.name@example.com", externalId="ext-old"))
    group = created(groups, group_body("Team"))
    assert groups.call("PATCH", f"/{group['id']}", add_members(user["id"])).status_code == 204
    return {"user": user["id"], "group": group["id"]}


def rename_user(users: Client, groups: Client, context: dict[str, Any]):
    body = patch_body(
        {"op": "replace", "path": "userName", "value": "new.name@example.com"},
        {"op": "replace", "value": {"externalId": "ext-new", "displayName": "New Name"}},
    )
    return users.call("PATCH", f"/{context['user']}", body)


def check_renamed(state: TenantState, context: dict[str, Any]) -> None:
    attributes = state.resources[("User", context["user"])]
    assert (attributes["userName"], attributes["externalId"]) == ("new.name@example.com", "ext-new")
    assert state.members(context["group"]) == {context["user"]}


def prepare_group_and_users(users: Client, groups: Client) -> dict[str, Any]:
    group = created(groups, group_body("Big"))
    staying = [created(users, user_body(f"staying{number}"))["id"] for number in range(4)]
    joining = [created(users, user_body(f"joining{number}"))["id"] for number in range(MANY)]
    assert groups.call("PATCH", f"/{group['id']}", add_members(*staying)).status_code == 204
    return {"group": group["id"], "staying": staying, "joining": joining}


def change_members(users: Client, groups: Client, context: dict[str, Any]):
    body = patch_body(
        {"op": "add", "path": "members", "value": [{"value": member} for member in context["joining"]]},
        {"op": "remove", "path": "members", "value": [{"value": context["staying"][0]}]},
        {"op": "remove", "path": f'members[value eq "{context["staying"][1]}"]'},
    )
    return groups.call("PATCH", f"/{context['group']}", body)


def check_members_changed(state: TenantState, context: dict[str, Any]) -> None:
    assert state.members(context["group"]) == set(context["staying"][2:]) | set(context["joining"])


def prepare_user_in_groups(users: Client, groups: Client) -> dict[str, Any]:
    user = created(users, user_body("leaving@example.com", externalId="ext-leaving"))
    group_ids = [created(groups, group_body(f"Group {number}"))["id"] for number in range(3)]
    for group_id in group_ids:
        assert groups.call("PATCH", f"/{group_id}", add_members(user["id"])).status_code == 204
    return {"user": user["id"], "groups": group_ids}


def delete_user(users: Client, groups: Client, context: dict[str, Any]):
    return users.call("DELETE", f"/{context['user']}")


def check_user_deleted(state: TenantState, context: dict[str, Any]) -> None:
    assert state.ids("User") == set() and state.memberships == set()
    assert state.ids("Group") == set(context["groups"])


def prepare_group_with_members(users: Client, groups: Client) -> dict[str, Any]:
    group = created(groups, group_body("Doomed", externalId="ext-doomed"))
    members = [created(users, user_body(f"member{number}"))["id"] for number in range(MANY * 2)]
    assert groups.call("PATCH", f"/{group['id']}", add_members(*members)).status_code == 204
    return {"group": group["id"], "members": members}


def delete_group(users: Client, groups: Client, context: dict[str, Any]):
    return groups.call("DELETE", f"/{context['group']}")


def check_group_deleted(state: TenantState, context: dict[str, Any]) -> None:
    assert state.ids("Group") == set() and state.memberships == state.reverse == set()
    assert state.ids("User") == set(context["members"])


OPERATIONS = {
    "create": Operation(prepare_nothing, create_user, (201,), check_created),
    "create-group-with-members": Operation(prepare_two_users, create_group_with_members, (201,), check_group_created),
    "patch-moving-indexes": Operation(prepare_user_in_group, rename_user, (200,), check_renamed),
    "membership-patch": Operation(prepare_group_and_users, change_members, (204,), check_members_changed),
    "delete-user": Operation(prepare_user_in_groups, delete_user, (204,), check_user_deleted),
    "delete-group": Operation(prepare_group_with_members, delete_group, (204,), check_group_deleted),
}


def retry_statuses(name: str, lost: str, operation: Operation) -> tuple[int, ...]:
    """What the retry may answer. A create whose writes all happened but whose answer failed (lost,
    or the read that renders it failed) finds its unique name taken: 409, allowed only when the
    fault left the completed state (checked by the caller). A delete whose last write happened but
    whose answer was lost finds the resource gone: 404. The stored state is the completed one."""
    if name.startswith("create"):
        return (*operation.completed, 409)
    if lost == "response" and name.startswith("delete"):
        return (*operation.completed, 404)
    return operation.completed


def methods_sent(operation: Operation, table: TableClient, storage_client) -> list[str]:
    """The methods of the storage requests ``operation`` sends when nothing fails, in order."""
    counter = FailRequestNumber()
    attempt = Attempt.made(operation, table, storage_client(retry_total=0, per_retry_policies=[counter]))
    assert attempt.first.status_code in operation.completed
    return counter.methods


@dataclass(frozen=True)
class Attempt:
    """An operation prepared on a fresh tenant with a healthy client, then sent once through another."""

    operation: Operation
    tenant: str
    users: Client
    groups: Client
    context: dict[str, Any]
    first: Any  # the response to the first attempt

    @classmethod
    def made(cls, operation: Operation, table: TableClient, faulty: TableClient) -> Attempt:
        tenant = fresh_tenant()
        users, groups = clients(tenant)
        with serving(table):
            context = operation.prepare(users, groups)
        with serving(faulty):
            first = operation.send(users, groups, context)
        return cls(operation, tenant, users, groups, context, first)

    def retry(self, table: TableClient) -> Any:
        """The same request again, on ``table``."""
        with serving(table):
            return self.operation.send(self.users, self.groups, self.context)

    def check(self, table: TableClient) -> None:
        """The stored state is consistent and the completed one."""
        self.operation.check(assert_integrity(table, self.tenant), self.context)


@pytest.mark.parametrize("lost", ["request", "response"])
@pytest.mark.parametrize("name", list(OPERATIONS))
def test_failing_each_storage_request_in_turn_leaves_a_state_the_retry_completes(
    storage_client, table: TableClient, name: str, lost: str
):
    operation = OPERATIONS[name]
    total = len(methods_sent(operation, table, storage_client))
    assert total >= 1

    for number in range(1, total + 1):
        fault = FailRequestNumber(number, lost)
        attempt = Attempt.made(operation, table, storage_client(retry_total=0, per_retry_policies=[fault]))
        first = attempt.first

        where = f"{name}: storage request {number} of {total} ({fault.methods[-1]}) lost its {lost}"
        assert first.status_code in (*operation.completed, 503), where
        if first.status_code == 503:
            assert first.headers["Retry-After"].isdigit(), where
            assert json_of(first)["status"] == "503", where
        after_fault = assert_integrity(table, attempt.tenant, pending_deletes_allowed=True)

        retried = attempt.retry(table)

        assert retried.status_code in retry_statuses(name, lost, operation), where
        if retried.status_code == 409:  # only when the interrupted create had completed
            operation.check(after_fault, attempt.context)
        attempt.check(table)


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_with_the_sdk_retries_a_lost_connection_on_a_read_is_not_seen_by_the_client(
    storage_client, table: TableClient, name: str
):
    """Production retry settings: a request that never reached storage is resent by the SDK when it
    is a read or a single-entity write; a transaction (POST) is not resent, and is answered 503."""
    operation = OPERATIONS[name]
    methods = methods_sent(operation, table, storage_client)
    total = len(methods)

    # The first request of each method, and the last: the SDK treats requests by method alone.
    numbers = sorted({methods.index(method) + 1 for method in methods} | {total})
    for number in numbers:
        fault = FailRequestNumber(number, "request")
        attempt = Attempt.made(operation, table, storage_client(per_retry_policies=[fault]))
        first = attempt.first

        method = fault.methods[number - 1]
        where = f"{name}: storage request {number} of {total} ({method}) could not be sent"
        if method == "POST":
            assert first.status_code in (*operation.completed, 503), where
            if first.status_code == 503:
                assert attempt.retry(table).status_code in operation.completed, where
        else:
            assert first.status_code in operation.completed, where
        attempt.check(table)
