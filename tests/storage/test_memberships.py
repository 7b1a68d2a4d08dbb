"""Membership rows against Azurite: both directions, idempotence, integrity with deletes."""

from __future__ import annotations

import uuid

import pytest
from azure.data.tables import TableClient

from scim.service.ports import MemberMissing, Membership, ResourceMissing, StorageUnavailable, StoredResource
from scim.service.resources import utc_now
from scim.storage.resources import TableResourceRepository
from tests.support.storage import FailRequestNumber


def stored(repository: TableResourceRepository, tenant: str, resource_type: str) -> StoredResource:
    resource = StoredResource(resource_type, str(uuid.uuid4()), {"name": resource_type}, utc_now(), utc_now())
    return repository.insert(tenant, resource, [])


def keys_mentioning(table: TableClient, tenant: str, resource_id: str) -> list[str]:
    rows = table.query_entities("PartitionKey eq @t", parameters={"t": tenant}, select=["RowKey"])
    return [row["RowKey"] for row in rows if resource_id in row["RowKey"]]


def test_added_members_are_listed_both_ways(repository: TableResourceRepository, tenant: str):
    group, user = stored(repository, tenant, "Group"), stored(repository, tenant, "User")

    repository.change_memberships(
        tenant, group.id, add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
    )

    assert repository.members(tenant, group.id) == [Membership(user.id, "User")]
    assert repository.groups_of(tenant, user.id) == [group.id]


def test_adding_an_existing_member_again_succeeds(repository: TableResourceRepository, tenant: str):
    group, user = stored(repository, tenant, "Group"), stored(repository, tenant, "User")
    membership = [Membership(user.id, "User")]
    repository.change_memberships(tenant, group.id, add=membership, remove=[], last_modified=utc_now())

    repository.change_memberships(tenant, group.id, add=membership, remove=[], last_modified=utc_now())

    assert repository.members(tenant, group.id) == membership


def test_membership_change_returns_the_groups_new_version(repository: TableResourceRepository, tenant: str):
    group, user = stored(repository, tenant, "Group"), stored(repository, tenant, "User")

    version = repository.change_memberships(
        tenant, group.id, add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
    )

    assert version == repository.get(tenant, "Group", group.id).version != group.version


def test_removed_members_leave_no_rows(repository: TableResourceRepository, table: TableClient, tenant: str):
    group, user = stored(repository, tenant, "Group"), stored(repository, tenant, "User")
    repository.change_memberships(
        tenant, group.id, add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
    )

    repository.change_memberships(tenant, group.id, add=[], remove=[user.id], last_modified=utc_now())

    assert keys_mentioning(table, tenant, user.id) == [f"res:User:{user.id}"]


def test_more_members_than_one_transaction_holds_are_all_added(repository: TableResourceRepository, tenant: str):
    group = stored(repository, tenant, "Group")
    users = [stored(repository, tenant, "User") for _ in range(75)]

    repository.change_memberships(
        tenant, group.id, add=[Membership(u.id, "User") for u in users], remove=[], last_modified=utc_now()
    )

    assert sorted(m.member_id for m in repository.members(tenant, group.id)) == sorted(u.id for u in users)


def test_membership_change_on_a_missing_group_raises_resource_missing(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    user = stored(repository, tenant, "User")

    with pytest.raises(ResourceMissing):
        repository.change_memberships(
            tenant, str(uuid.uuid4()), add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
        )

    assert keys_mentioning(table, tenant, user.id) == [f"res:User:{user.id}"]


def test_adding_a_missing_member_raises_member_missing_and_adds_nothing(
    repository: TableResourceRepository, tenant: str
):
    group, user = stored(repository, tenant, "Group"), stored(repository, tenant, "User")
    ghost = str(uuid.uuid4())

    with pytest.raises(MemberMissing) as missing:
        repository.change_memberships(
            tenant,
            group.id,
            add=[Membership(user.id, "User"), Membership(ghost, "User")],
            remove=[],
            last_modified=utc_now(),
        )

    assert missing.value.member_id == ghost
    assert repository.members(tenant, group.id) == []


def test_memberships_present_reports_only_members(repository: TableResourceRepository, tenant: str):
    group, member, other = (stored(repository, tenant, t) for t in ("Group", "User", "User"))
    repository.change_memberships(
        tenant, group.id, add=[Membership(member.id, "User")], remove=[], last_modified=utc_now()
    )

    assert repository.memberships_present(tenant, group.id, [member.id, other.id]) == {member.id}


def test_deleting_a_member_removes_its_memberships(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    groups = [stored(repository, tenant, "Group") for _ in range(3)]
    user = stored(repository, tenant, "User")
    for group in groups:
        repository.change_memberships(
            tenant, group.id, add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
        )

    repository.delete(tenant, repository.get(tenant, "User", user.id), [])

    assert keys_mentioning(table, tenant, user.id) == []
    assert all(repository.members(tenant, group.id) == [] for group in groups)


def test_deleting_a_group_removes_its_membership_rows(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    group, user = stored(repository, tenant, "Group"), stored(repository, tenant, "User")
    repository.change_memberships(
        tenant, group.id, add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
    )

    repository.delete(tenant, repository.get(tenant, "Group", group.id), [])

    assert keys_mentioning(table, tenant, group.id) == []
    assert repository.groups_of(tenant, user.id) == []


def test_finish_deletion_without_a_pending_delete_returns_false(repository: TableResourceRepository, tenant: str):
    assert repository.finish_deletion(tenant, "User", str(uuid.uuid4())) is False


def test_exists_tells_whether_the_resource_is_stored(repository: TableResourceRepository, tenant: str):
    user = stored(repository, tenant, "User")

    assert repository.exists(tenant, "User", user.id) is True
    assert repository.exists(tenant, "Group", user.id) is False


@pytest.mark.parametrize("failing_request", [2, 3])  # its memberships, the cleanup transaction
def test_delete_interrupted_at_any_step_is_completed_by_finish_deletion(
    repository: TableResourceRepository, table: TableClient, tenant: str, azurite: str, failing_request: int
):
    groups = [stored(repository, tenant, "Group") for _ in range(3)]
    user = stored(repository, tenant, "User")
    for group in groups:
        repository.change_memberships(
            tenant, group.id, add=[Membership(user.id, "User")], remove=[], last_modified=utc_now()
        )
    faulty = TableClient.from_connection_string(
        azurite, table.table_name, retry_total=0, per_retry_policies=[FailRequestNumber(failing_request)]
    )

    with pytest.raises(StorageUnavailable):
        TableResourceRepository(faulty).delete(tenant, repository.get(tenant, "User", user.id), [])

    assert repository.finish_deletion(tenant, "User", user.id) is True
    assert keys_mentioning(table, tenant, user.id) == []
