"""SCIM rules for Groups and membership, through the service on an Azurite-backed repository."""

from __future__ import annotations

import threading
import uuid

import pytest

from scim.errors import InvalidPath, InvalidValue, NotFound, PreconditionFailed, Uniqueness
from scim.models.group import GROUP_SCHEMA
from scim.service.groups import GroupService
from scim.service.query import ListRequest
from scim.service.resources import Selection
from scim.service.users import UserService
from tests.support.bodies import add_members, group_body, member_values, patch_body, user_body

TENANT_URL = "https://host/scim/acme/v2"


def new_users(users: UserService, tenant: str, count: int) -> list[str]:
    return [users.create(tenant, user_body(f"u{number}-{uuid.uuid4().hex[:6]}")).id for number in range(count)]


def member_ids(groups: GroupService, tenant: str, group_id: str) -> list[str]:
    return sorted(member.member_id for member in groups.members_of(tenant, group_id))


@pytest.fixture
def group_id(groups: GroupService, tenant: str) -> str:
    return groups.create(tenant, group_body()).id


# groups


def test_display_name_is_unique_case_insensitively(groups: GroupService, tenant: str):
    groups.create(tenant, group_body("Sales"))

    with pytest.raises(Uniqueness):
        groups.create(tenant, group_body("SALES"))


def test_missing_display_name_is_invalid_value(groups: GroupService, tenant: str):
    with pytest.raises(InvalidValue, match="displayName"):
        groups.create(tenant, {"schemas": [GROUP_SCHEMA]})


def test_filter_display_name_eq_finds_the_group(groups: GroupService, tenant: str, group_id: str):
    page = groups.find(tenant, ListRequest('displayName eq "engineering"'))

    assert [resource.id for resource in page.resources] == [group_id]


def test_filter_external_id_eq_finds_the_group(groups: GroupService, tenant: str):
    created = groups.create(tenant, group_body(externalId="g-1"))

    assert [r.id for r in groups.find(tenant, ListRequest('externalId eq "g-1"')).resources] == [created.id]


def test_create_with_members_adds_them(groups: GroupService, users: UserService, tenant: str):
    members = new_users(users, tenant, 2)

    created = groups.create(tenant, group_body(members=member_values(members)))

    assert member_ids(groups, tenant, created.id) == sorted(members)


def test_create_with_an_unknown_member_is_invalid_value_and_creates_nothing(groups: GroupService, tenant: str):
    with pytest.raises(InvalidValue):
        groups.create(tenant, group_body("Ghosts", members=member_values([str(uuid.uuid4())])))

    assert groups.find(tenant, ListRequest('displayName eq "Ghosts"')).total_results == 0


def test_members_are_not_stored_in_the_group_json(groups: GroupService, users: UserService, tenant: str):
    created = groups.create(tenant, group_body(members=member_values(new_users(users, tenant, 1))))

    assert "members" not in groups.get(tenant, created.id).attributes


# membership PATCH, in the shapes Entra sends


def test_add_with_a_value_array_adds_every_member(groups: GroupService, users: UserService, tenant, group_id):
    members = new_users(users, tenant, 5)

    groups.patch(tenant, group_id, patch_body({"op": "Add", "path": "members", "value": member_values(members)}))

    assert member_ids(groups, tenant, group_id) == sorted(members)


def test_re_adding_an_existing_member_succeeds(groups: GroupService, users: UserService, tenant, group_id):
    members = new_users(users, tenant, 2)
    groups.patch(tenant, group_id, add_members(*members))

    groups.patch(tenant, group_id, add_members(*members[:1]))

    assert member_ids(groups, tenant, group_id) == sorted(members)


def test_remove_with_a_value_array_removes_only_those(groups: GroupService, users: UserService, tenant, group_id):
    members = new_users(users, tenant, 3)
    groups.patch(tenant, group_id, add_members(*members))

    groups.patch(tenant, group_id, patch_body({"op": "Remove", "path": "members", "value": member_values(members[:2])}))

    assert member_ids(groups, tenant, group_id) == [members[2]]


def test_remove_with_a_value_filter_removes_that_member(groups: GroupService, users: UserService, tenant, group_id):
    members = new_users(users, tenant, 2)
    groups.patch(tenant, group_id, add_members(*members))

    groups.patch(tenant, group_id, patch_body({"op": "remove", "path": f'members[value eq "{members[0]}"]'}))

    assert member_ids(groups, tenant, group_id) == [members[1]]


def test_removing_an_absent_member_succeeds(groups: GroupService, users: UserService, tenant, group_id):
    outsider = new_users(users, tenant, 1)

    groups.patch(tenant, group_id, patch_body({"op": "remove", "path": "members", "value": member_values(outsider)}))

    assert member_ids(groups, tenant, group_id) == []


def test_replace_of_members_sets_exactly_the_given_ones(groups: GroupService, users: UserService, tenant, group_id):
    old, new = new_users(users, tenant, 2), new_users(users, tenant, 2)
    groups.patch(tenant, group_id, add_members(*old))

    groups.patch(
        tenant, group_id, patch_body({"op": "replace", "path": "members", "value": member_values([old[0], *new])})
    )

    assert member_ids(groups, tenant, group_id) == sorted([old[0], *new])


def test_remove_of_members_without_value_removes_all(groups: GroupService, users: UserService, tenant, group_id):
    groups.patch(
        tenant,
        group_id,
        add_members(*new_users(users, tenant, 3)),
    )

    groups.patch(tenant, group_id, patch_body({"op": "remove", "path": "members"}))

    assert member_ids(groups, tenant, group_id) == []


def test_no_path_add_with_members_adds_them(groups: GroupService, users: UserService, tenant, group_id):
    members = new_users(users, tenant, 2)

    groups.patch(tenant, group_id, patch_body({"op": "add", "value": {"members": member_values(members)}}))

    assert member_ids(groups, tenant, group_id) == sorted(members)


def test_unknown_member_is_invalid_value_and_the_patch_changes_nothing(
    groups: GroupService, users: UserService, tenant, group_id
):
    real = new_users(users, tenant, 1)

    with pytest.raises(InvalidValue):
        groups.patch(
            tenant,
            group_id,
            patch_body(
                {"op": "replace", "path": "displayName", "value": "Renamed"},
                {"op": "add", "path": "members", "value": member_values([*real, str(uuid.uuid4())])},
            ),
        )

    assert member_ids(groups, tenant, group_id) == []
    assert groups.get(tenant, group_id).attributes["displayName"] == "Engineering"


def test_member_id_of_another_tenant_is_invalid_value(groups: GroupService, users: UserService, tenant, group_id):
    foreign = new_users(users, tenant + "-other", 1)

    with pytest.raises(InvalidValue):
        groups.patch(tenant, group_id, add_members(*foreign))


def test_a_group_can_be_a_member_of_another_group(groups: GroupService, tenant: str, group_id: str):
    child = groups.create(tenant, group_body("Child")).id

    groups.patch(tenant, group_id, patch_body({"op": "add", "path": "members", "value": [{"value": child}]}))

    assert [(m.member_id, m.member_type) for m in groups.members_of(tenant, group_id)] == [(child, "Group")]


def test_a_group_cannot_be_a_member_of_itself(groups: GroupService, tenant: str, group_id: str):
    with pytest.raises(InvalidValue):
        groups.patch(tenant, group_id, patch_body({"op": "add", "path": "members", "value": [{"value": group_id}]}))


def test_patch_of_member_sub_attribute_is_invalid_path(groups: GroupService, tenant: str, group_id: str):
    with pytest.raises(InvalidPath):
        groups.patch(tenant, group_id, patch_body({"op": "replace", "path": "members.display", "value": "x"}))


def test_membership_patch_of_an_unknown_group_is_not_found(groups: GroupService, users: UserService, tenant: str):
    with pytest.raises(NotFound):
        groups.patch(
            tenant,
            str(uuid.uuid4()),
            add_members(*new_users(users, tenant, 1)),
        )


def test_membership_patch_with_stale_if_match_is_precondition_failed(
    groups: GroupService, users: UserService, tenant: str
):
    created = groups.create(tenant, group_body())
    groups.patch(tenant, created.id, patch_body({"op": "replace", "path": "displayName", "value": "Renamed"}))

    with pytest.raises(PreconditionFailed):
        groups.patch(
            tenant,
            created.id,
            add_members(*new_users(users, tenant, 1)),
            if_match=created.version,
        )


def test_patch_renames_and_adds_members_in_one_request(groups: GroupService, users: UserService, tenant, group_id):
    members = new_users(users, tenant, 1)

    groups.patch(
        tenant,
        group_id,
        patch_body(
            {"op": "replace", "value": {"displayName": "Platform"}},
            {"op": "add", "path": "members", "value": member_values(members)},
        ),
    )

    assert groups.get(tenant, group_id).attributes["displayName"] == "Platform"
    assert member_ids(groups, tenant, group_id) == members


def test_twenty_concurrent_patches_adding_different_members_lose_none(
    groups: GroupService, users: UserService, tenant, group_id
):
    members = new_users(users, tenant, 20)
    start = threading.Barrier(len(members))
    failures: list[Exception] = []

    def add(member_id: str) -> None:
        start.wait()
        try:
            groups.patch(tenant, group_id, add_members(member_id))
        except Exception as problem:  # collected: an assertion inside a thread would be lost
            failures.append(problem)

    threads = [threading.Thread(target=add, args=(member_id,)) for member_id in members]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    assert member_ids(groups, tenant, group_id) == sorted(members)


# replace


def test_put_replaces_the_member_list(groups: GroupService, users: UserService, tenant: str, group_id: str):
    old, new = new_users(users, tenant, 2), new_users(users, tenant, 1)
    groups.patch(tenant, group_id, add_members(*old))

    groups.replace(tenant, group_id, group_body(members=member_values(new)))

    assert member_ids(groups, tenant, group_id) == new


# rendering and referential integrity


def test_render_lists_members_with_refs(groups: GroupService, users: UserService, tenant: str, group_id: str):
    member = new_users(users, tenant, 1)[0]
    groups.patch(tenant, group_id, add_members(member))

    body = groups.render(tenant, groups.get(tenant, group_id), TENANT_URL)

    assert body["members"] == [{"value": member, "$ref": f"{TENANT_URL}/Users/{member}", "type": "User"}]


def test_render_with_members_excluded_leaves_them_out(groups: GroupService, users: UserService, tenant, group_id):
    groups.patch(
        tenant,
        group_id,
        add_members(*new_users(users, tenant, 1)),
    )

    body = groups.render(tenant, groups.get(tenant, group_id), TENANT_URL, Selection.parse(None, "members"))

    assert "members" not in body


def test_users_groups_attribute_lists_direct_groups(groups: GroupService, users: UserService, tenant: str):
    member = new_users(users, tenant, 1)[0]
    group_ids = [groups.create(tenant, group_body(f"G{n}", members=member_values([member]))).id for n in range(2)]

    body = users.render(tenant, users.get(tenant, member), TENANT_URL)

    assert sorted(entry["value"] for entry in body["groups"]) == sorted(group_ids)
    assert {entry["type"] for entry in body["groups"]} == {"direct"}


def test_deleting_a_user_removes_it_from_every_group(groups: GroupService, users: UserService, tenant: str):
    member, other = new_users(users, tenant, 2)
    group_ids = [
        groups.create(tenant, group_body(f"G{n}", members=member_values([member, other]))).id for n in range(3)
    ]

    users.delete(tenant, member)

    for group_id in group_ids:
        rendered = groups.render(tenant, groups.get(tenant, group_id), TENANT_URL)
        assert [entry["value"] for entry in rendered["members"]] == [other]


def test_deleting_a_group_removes_it_from_its_members_groups(groups: GroupService, users: UserService, tenant: str):
    member = new_users(users, tenant, 1)[0]
    doomed = groups.create(tenant, group_body("Doomed", members=member_values([member]))).id

    groups.delete(tenant, doomed)

    assert "groups" not in users.render(tenant, users.get(tenant, member), TENANT_URL)
    with pytest.raises(NotFound):
        groups.get(tenant, doomed)


def test_member_id_with_a_trailing_newline_is_invalid_value(
    groups: GroupService, users: UserService, tenant: str, group_id: str
):
    (member,) = new_users(users, tenant, 1)

    with pytest.raises(InvalidValue):
        groups.patch(tenant, group_id, add_members(member + "\n"))

    assert member_ids(groups, tenant, group_id) == []


def test_resource_id_with_a_trailing_newline_is_not_an_id():
    from scim.service.resources import is_resource_id

    assert not is_resource_id(str(uuid.uuid4()) + "\n")


def test_reading_a_group_with_more_members_than_a_response_may_carry_is_too_many(
    groups: GroupService, users: UserService, tenant: str, group_id: str, monkeypatch
):
    from scim.errors import TooMany
    from scim.service import groups as groups_module

    monkeypatch.setattr(groups_module, "MAX_MEMBERS_IN_RESPONSE", 3)
    groups.patch(tenant, group_id, add_members(*new_users(users, tenant, 4)))

    with pytest.raises(TooMany, match="excludedAttributes=members"):
        groups.render(tenant, groups.get(tenant, group_id), "https://x/scim/t/v2", Selection.parse(None, None))
    assert groups.render(tenant, groups.get(tenant, group_id), "https://x", Selection.parse(None, "members"))


def test_reading_a_group_with_as_many_members_as_a_response_may_carry_lists_them(
    groups: GroupService, users: UserService, tenant: str, group_id: str, monkeypatch
):
    from scim.service import groups as groups_module

    monkeypatch.setattr(groups_module, "MAX_MEMBERS_IN_RESPONSE", 3)
    groups.patch(tenant, group_id, add_members(*new_users(users, tenant, 3)))

    rendered = groups.render(tenant, groups.get(tenant, group_id), "https://x/scim/t/v2", Selection.parse(None, None))

    assert len(rendered["members"]) == 3
