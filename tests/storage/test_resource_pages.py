"""Pages of resources in id order, and the secret every instance shares, against Azurite."""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

from azure.data.tables import TableClient

from scim.auth.records import is_tenant_slug
from scim.service.ports import Membership, StoredResource
from scim.service.resources import utc_now
from scim.storage.resources import SERVICE_PARTITION, TableResourceRepository
from tests.support.storage import StorageRequests, make_resource, rows_in, user_name_index


def insert_users(repository: TableResourceRepository, tenant: str, count: int) -> list[str]:
    def insert(number: int) -> str:
        resource = make_resource(f"user{number}")
        return repository.insert(tenant, resource, [user_name_index(f"user{number}")]).id

    with ThreadPoolExecutor(max_workers=8) as pool:
        return sorted(pool.map(insert, range(count)))


def test_list_after_none_starts_at_the_first_resource(repository: TableResourceRepository, tenant: str):
    ids = insert_users(repository, tenant, 5)

    assert [resource.id for resource in repository.list_after(tenant, "User", None, 3)] == ids[:3]


def test_list_after_an_id_starts_just_after_it(repository: TableResourceRepository, tenant: str):
    ids = insert_users(repository, tenant, 5)

    assert [resource.id for resource in repository.list_after(tenant, "User", ids[1], 10)] == ids[2:]


def test_list_after_the_last_id_is_empty(repository: TableResourceRepository, tenant: str):
    ids = insert_users(repository, tenant, 2)

    assert repository.list_after(tenant, "User", ids[-1], 10) == []


def test_list_after_leaves_out_other_types_index_rows_and_memberships(repository: TableResourceRepository, tenant):
    user_id = insert_users(repository, tenant, 1)[0]
    group = repository.insert(
        tenant, StoredResource("Group", str(uuid.uuid4()), {"displayName": "g"}, utc_now(), utc_now()), []
    )
    repository.change_memberships(
        tenant, group.id, add=[Membership(user_id, "User")], remove=[], last_modified=utc_now()
    )

    users = repository.list_after(tenant, "User", None, 10)
    groups = repository.list_after(tenant, "Group", None, 10)

    assert [resource.id for resource in users] == [user_id]
    assert [resource.id for resource in groups] == [group.id]


def test_list_after_reads_whole_resources_with_their_versions(repository: TableResourceRepository, tenant: str):
    stored = repository.insert(tenant, make_resource("alice", title="CEO"), [user_name_index("alice")])

    [read] = repository.list_after(tenant, "User", None, 1)

    assert (read.attributes, read.version) == ({"userName": "alice", "title": "CEO"}, stored.version)


def test_list_after_of_one_page_is_one_request(
    repository: TableResourceRepository, tenant: str, request_counter: StorageRequests
):
    insert_users(repository, tenant, 30)

    cost, _ = request_counter.during(lambda: repository.list_after(tenant, "User", None, 20))

    assert cost == 1


def test_list_after_follows_continuations_past_one_storage_page(repository: TableResourceRepository, tenant: str):
    ids = insert_users(repository, tenant, 1005)

    page = repository.list_after(tenant, "User", ids[0], 1003)

    assert [resource.id for resource in page] == ids[1:1004]


def test_secret_is_the_same_for_every_instance(azurite: str, table_name: str):
    name = "test-" + uuid.uuid4().hex
    first = TableResourceRepository(TableClient.from_connection_string(azurite, table_name))
    second = TableResourceRepository(TableClient.from_connection_string(azurite, table_name))

    assert first.secret(name) == second.secret(name)
    assert len(first.secret(name)) == 32
    assert first.secret(name) != first.secret(name + "-other")


def test_secret_lives_in_a_partition_no_tenant_can_have(repository: TableResourceRepository, table, tenant: str):
    name = "test-" + uuid.uuid4().hex

    repository.secret(name)

    assert f"secret:{name}" in rows_in(table, SERVICE_PARTITION)
    assert rows_in(table, tenant) == []
    assert not is_tenant_slug(SERVICE_PARTITION)


def test_groups_of_members_between_reads_the_memberships_of_that_id_range(
    repository: TableResourceRepository, tenant: str
):
    ids = insert_users(repository, tenant, 4)
    group_ids = []
    for name in ("g1", "g2"):
        group = StoredResource("Group", str(uuid.uuid4()), {"displayName": name}, utc_now(), utc_now())
        group_ids.append(repository.insert(tenant, group, []).id)
    for member in ids:
        repository.change_memberships(
            tenant, group_ids[0], add=[Membership(member, "User")], remove=[], last_modified=utc_now()
        )
    repository.change_memberships(
        tenant, group_ids[1], add=[Membership(ids[1], "User")], remove=[], last_modified=utc_now()
    )

    groups = repository.groups_of_members_between(tenant, ids[1], ids[2])

    assert {member: sorted(found) for member, found in groups.items()} == {
        ids[1]: sorted(group_ids),
        ids[2]: [group_ids[0]],
    }
