"""The Table Storage repository against Azurite: what it stores, finds and refuses."""

from __future__ import annotations

import uuid

import pytest
from azure.data.tables import TableClient

from scim.service.ports import IndexEntry, KeyTaken, ResourceTooLarge, StoredResource, VersionConflict
from scim.service.resources import utc_now
from scim.storage.chunks import JSON_CHUNK_CHARACTERS
from scim.storage.resources import MAX_JSON_CHUNKS, TableResourceRepository
from tests.support.storage import make_resource, rows_in, user_name_index


def test_inserted_resource_reads_back_with_a_version(repository: TableResourceRepository, tenant: str):
    resource = make_resource(displayName="Alice")
    stored = repository.insert(tenant, resource, [user_name_index("alice")])

    read = repository.get(tenant, "User", resource.id)

    assert read is not None
    assert read.attributes == {"userName": "alice", "displayName": "Alice"}
    assert read.version == stored.version != ""


def test_get_of_unknown_id_returns_none(repository: TableResourceRepository, tenant: str):
    assert repository.get(tenant, "User", str(uuid.uuid4())) is None


def test_resource_is_invisible_from_another_tenant(repository: TableResourceRepository, tenant: str):
    resource = make_resource()
    repository.insert(tenant, resource, [user_name_index("alice")])

    assert repository.get(tenant + "-other", "User", resource.id) is None
    assert repository.find_ids(tenant + "-other", "User", "userName", "alice") == []


def test_insert_with_taken_unique_entry_raises_key_taken_and_stores_nothing(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    repository.insert(tenant, make_resource(), [user_name_index("alice")])
    rows_before = rows_in(table, tenant)
    second = make_resource()

    with pytest.raises(KeyTaken) as taken:
        repository.insert(tenant, second, [user_name_index("alice")])

    assert taken.value.attribute == "userName"
    assert rows_in(table, tenant) == rows_before


def test_find_ids_by_unique_entry_returns_the_owner(repository: TableResourceRepository, tenant: str):
    resource = make_resource()
    repository.insert(tenant, resource, [user_name_index("alice")])

    assert repository.find_ids(tenant, "User", "userName", "alice") == [resource.id]


def test_find_ids_by_shared_entry_returns_every_owner(repository: TableResourceRepository, tenant: str):
    first, second = make_resource("a"), make_resource("b")
    repository.insert(tenant, first, [IndexEntry("externalId", "shared")])
    repository.insert(tenant, second, [IndexEntry("externalId", "shared")])

    assert sorted(repository.find_ids(tenant, "User", "externalId", "shared")) == sorted([first.id, second.id])


def test_find_ids_of_absent_value_is_empty(repository: TableResourceRepository, tenant: str):
    assert repository.find_ids(tenant, "User", "userName", "nobody") == []


def test_index_values_with_reserved_key_characters_are_stored_safely(repository: TableResourceRepository, tenant: str):
    value = "we/ird\\name#with?\u0001control"
    resource = make_resource(value)
    repository.insert(tenant, resource, [user_name_index(value)])

    assert repository.find_ids(tenant, "User", "userName", value) == [resource.id]


def test_replace_moves_index_entries_with_the_resource(repository: TableResourceRepository, tenant: str):
    stored = repository.insert(tenant, make_resource(), [user_name_index("alice")])
    renamed = StoredResource("User", stored.id, {"userName": "alicia"}, stored.created, utc_now(), stored.version)

    repository.replace(tenant, renamed, old_indexes=[user_name_index("alice")], new_indexes=[user_name_index("alicia")])

    assert repository.find_ids(tenant, "User", "userName", "alice") == []
    assert repository.find_ids(tenant, "User", "userName", "alicia") == [stored.id]
    assert repository.get(tenant, "User", stored.id).attributes == {"userName": "alicia"}


def test_replace_at_stale_version_raises_version_conflict_and_changes_nothing(
    repository: TableResourceRepository, tenant: str
):
    stored = repository.insert(tenant, make_resource(), [user_name_index("alice")])
    first = StoredResource(
        "User", stored.id, {"userName": "alice", "title": "one"}, stored.created, utc_now(), stored.version
    )
    repository.replace(tenant, first, old_indexes=[user_name_index("alice")], new_indexes=[user_name_index("alice")])
    stale = StoredResource(
        "User", stored.id, {"userName": "alice", "title": "two"}, stored.created, utc_now(), stored.version
    )

    with pytest.raises(VersionConflict):
        repository.replace(
            tenant, stale, old_indexes=[user_name_index("alice")], new_indexes=[user_name_index("alice")]
        )

    assert repository.get(tenant, "User", stored.id).attributes["title"] == "one"


def test_replace_onto_taken_unique_value_raises_key_taken_and_changes_nothing(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    repository.insert(tenant, make_resource("bob"), [user_name_index("bob")])
    alice = repository.insert(tenant, make_resource("alice"), [user_name_index("alice")])
    rows_before = rows_in(table, tenant)
    clash = StoredResource("User", alice.id, {"userName": "bob"}, alice.created, utc_now(), alice.version)

    with pytest.raises(KeyTaken):
        repository.replace(tenant, clash, old_indexes=[user_name_index("alice")], new_indexes=[user_name_index("bob")])

    assert rows_in(table, tenant) == rows_before
    assert repository.get(tenant, "User", alice.id).attributes == {"userName": "alice"}


def test_delete_removes_the_resource_and_its_index_rows(
    repository: TableResourceRepository, table: TableClient, tenant: str
):
    indexes = [user_name_index("alice"), IndexEntry("externalId", "x-1")]
    stored = repository.insert(tenant, make_resource(), indexes)

    repository.delete(tenant, stored, indexes)

    assert rows_in(table, tenant) == []


def test_delete_at_stale_version_raises_version_conflict(repository: TableResourceRepository, tenant: str):
    stored = repository.insert(tenant, make_resource(), [user_name_index("alice")])
    changed = StoredResource(
        "User", stored.id, {"userName": "alice", "title": "x"}, stored.created, utc_now(), stored.version
    )
    repository.replace(tenant, changed, old_indexes=[user_name_index("alice")], new_indexes=[user_name_index("alice")])

    with pytest.raises(VersionConflict):
        repository.delete(tenant, stored, [user_name_index("alice")])


def test_list_ids_and_list_from_walk_resources_in_key_order(repository: TableResourceRepository, tenant: str):
    created = [make_resource(f"user{number}") for number in range(5)]
    for resource in created:
        repository.insert(tenant, resource, [user_name_index(resource.attributes["userName"])])

    ids = repository.list_ids(tenant, "User")
    page = repository.list_from(tenant, "User", ids[1], 3)

    assert ids == sorted(resource.id for resource in created)
    assert [resource.id for resource in page] == ids[1:4]


def test_list_ids_leaves_out_index_rows_and_other_types(repository: TableResourceRepository, tenant: str):
    user = make_resource()
    repository.insert(tenant, user, [user_name_index("alice")])
    repository.insert(tenant, StoredResource("Group", str(uuid.uuid4()), {}, utc_now(), utc_now()), [])

    assert repository.list_ids(tenant, "User") == [user.id]


def test_attributes_larger_than_one_property_round_trip(repository: TableResourceRepository, tenant: str):
    resource = make_resource(title="\u00e9" * 60_000)  # 360,000 characters of JSON (\u00e9 each)
    repository.insert(tenant, resource, [user_name_index("alice")])

    assert repository.get(tenant, "User", resource.id).attributes == resource.attributes


def test_resource_of_the_most_chunks_an_entity_holds_round_trips(repository: TableResourceRepository, tenant: str):
    resource = make_resource(title="x" * (MAX_JSON_CHUNKS * JSON_CHUNK_CHARACTERS - 100))
    repository.insert(tenant, resource, [user_name_index("alice")])

    assert repository.get(tenant, "User", resource.id).attributes == resource.attributes


def test_resource_larger_than_an_entity_holds_in_utf16_raises_resource_too_large(
    repository: TableResourceRepository, tenant: str
):
    # 2 bytes a character: past 15 chunks of 30,000 characters the entity would exceed 1 MiB.
    with pytest.raises(ResourceTooLarge):
        repository.insert(tenant, make_resource(title="x" * (MAX_JSON_CHUNKS * JSON_CHUNK_CHARACTERS)), [])


def test_missing_table_is_created_on_first_use(azurite: str, tenant: str):
    name = "fresh" + uuid.uuid4().hex[:12]
    table = TableClient.from_connection_string(azurite, name)
    try:
        resource = make_resource()
        TableResourceRepository(table).insert(tenant, resource, [user_name_index("alice")])

        assert TableResourceRepository(table).get(tenant, "User", resource.id) is not None
    finally:
        table.delete_table()


def test_lookup_in_a_missing_table_finds_nothing(azurite: str, tenant: str):
    name = "fresh" + uuid.uuid4().hex[:12]
    table = TableClient.from_connection_string(azurite, name)
    try:
        assert TableResourceRepository(table).find_ids(tenant, "User", "userName", "alice") == []
    finally:
        table.delete_table()
