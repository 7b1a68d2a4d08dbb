"""Groups filtered by member (RFC 7644 section 3.4.2.2): ``members[value eq "<id>"]`` and
``members.value eq "<id>"``, alone or combined, answered from the member's membership rows."""

from __future__ import annotations

import uuid

import pytest

from scim.models.group import GROUP_SCHEMA
from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from scim.service.groups import GroupService
from scim.service.query import ListRequest
from scim.service.users import UserService


@pytest.fixture
def world(users: UserService, groups: GroupService, tenant: str) -> dict[str, str]:
    """alice in Engineering and Sales, bob in Sales; Empty has no one. Name -> id."""
    ids = {
        name: users.create(tenant, {"schemas": [USER_SCHEMA], "userName": f"{name}-{uuid.uuid4().hex[:6]}"}).id
        for name in ("alice", "bob")
    }
    for name, members in (("Engineering", ["alice"]), ("Sales", ["alice", "bob"]), ("Empty", [])):
        body = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": ids[m]} for m in members]}
        ids[name] = groups.create(tenant, body).id
    return ids


def found(groups: GroupService, tenant: str, filter_text: str) -> set[str]:
    page = groups.find(tenant, ListRequest(filter_text, count=200))
    assert page.total_results == len(page.resources)
    return {resource.attributes["displayName"] for resource in page.resources}


def test_value_filter_on_members_finds_the_groups_of_that_member(groups, tenant, world):
    assert found(groups, tenant, f'members[value eq "{world["alice"]}"]') == {"Engineering", "Sales"}


def test_dotted_member_value_equality_finds_the_same_groups(groups, tenant, world):
    assert found(groups, tenant, f'members.value eq "{world["bob"]}"') == {"Sales"}


def test_member_equality_under_and_narrows_by_the_other_term(groups, tenant, world):
    assert found(groups, tenant, f'members.value eq "{world["alice"]}" and displayName sw "Eng"') == {"Engineering"}


def test_member_equalities_under_or_are_united(groups, tenant, world):
    filter_text = f'members.value eq "{world["bob"]}" or displayName eq "Empty"'

    assert found(groups, tenant, filter_text) == {"Sales", "Empty"}


def test_not_member_equality_finds_the_groups_without_that_member(groups, tenant, world):
    assert found(groups, tenant, f'not (members[value eq "{world["alice"]}"])') == {"Empty"}


def test_both_members_required_by_and_of_two_member_equalities(groups, tenant, world):
    filter_text = f'members.value eq "{world["alice"]}" and members.value eq "{world["bob"]}"'

    assert found(groups, tenant, filter_text) == {"Sales"}


def test_member_filter_sees_a_removal(groups, tenant, world):
    remove = {"op": "remove", "path": f'members[value eq "{world["alice"]}"]'}
    groups.patch(tenant, world["Sales"], {"schemas": [PATCH_OP_SCHEMA], "Operations": [remove]})

    assert found(groups, tenant, f'members.value eq "{world["alice"]}"') == {"Engineering"}


def test_member_filter_on_an_id_that_is_no_resource_finds_nothing(groups, tenant, world):
    assert found(groups, tenant, 'members.value eq "not-an-id"') == set()
