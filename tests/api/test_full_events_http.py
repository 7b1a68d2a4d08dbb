"""Full change events (RFC 9967 section 2.4) for a tenant whose record asks for them, through
function_app's triggers: the values a change wrote, never an attribute ``returned`` never; notice
tenants get names only and their journal holds no values."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from azure.data.tables import TableClient

from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.events import FakeClock, poll, serving_events, verified_claims
from tests.support.extension_schemas import declare
from tests.support.http import Client, created, json_of

EVENT = "urn:ietf:params:scim:event:"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SECRET_EXTENSION = "urn:ietf:params:scim:schemas:extension:Secrets:2.0:User"
SECRET_SCHEMA = {
    "id": SECRET_EXTENSION,
    "name": "Secrets",
    "attributes": [{"name": "costCode"}, {"name": "pin", "returned": "never"}],
}
BIG_EXTENSION = "urn:ietf:params:scim:schemas:extension:Big:2.0:User"


@pytest.fixture
def readers(tenant: str) -> dict[str, str]:
    return {tenant: "reader-" + uuid.uuid4().hex, "other-tenant": "reader-" + uuid.uuid4().hex}


def serve(repository, tokens, readers, tenant: str, form: str) -> Iterator[None]:
    settings = {tenant: {"eventForm": form}}
    with serving_events(
        repository, tokens, readers, FakeClock(), redelivery_seconds=60, settle_seconds=0, settings=settings
    ):
        yield


@pytest.fixture
def full(repository, tokens, readers, tenant) -> Iterator[None]:
    yield from serve(repository, tokens, readers, tenant, "full")


@pytest.fixture
def notice(repository, tokens, readers, tenant) -> Iterator[None]:
    yield from serve(repository, tokens, readers, tenant, "notice")


@pytest.fixture
def users(tenant, tokens) -> Client:
    return Client(tenant, tokens[tenant], "Users")


def events_of(tenant: str, reader: str) -> list[dict]:
    """The ``events`` claim of every SET a poll delivers, oldest first (acknowledging them)."""
    response = poll(tenant, reader, {"maxEvents": 500})
    assert response.status_code == 200, response.get_body()
    sets = json_of(response)["sets"]
    poll(tenant, reader, {"ack": list(sets), "maxEvents": 0})
    return [verified_claims(sets[jti], reader)["events"] for jti in sorted(sets)]


def journal_rows(table: TableClient, tenant: str) -> list[dict]:
    query = "PartitionKey eq @tenant and RowKey ge 'jnl:' and RowKey lt 'jnl;'"
    return list(table.query_entities(query, parameters={"tenant": tenant}))


def test_a_full_tenants_create_event_carries_the_user_without_its_password(full, users, tenant, readers):
    user = created(users, user_body("alice@example.com", displayName="Alice", password="Secret-Pass-1"))

    (events,) = events_of(tenant, readers[tenant])

    data = events[EVENT + "prov:create:full"]["data"]
    assert (data["id"], data["userName"], data["displayName"]) == (user["id"], "alice@example.com", "Alice")
    assert "password" not in data and "Secret-Pass-1" not in str(events)


def test_a_full_tenants_put_event_carries_the_replaced_user(full, users, tenant, readers):
    user = created(users, user_body("alice@example.com", displayName="Alice"))
    users.call("PUT", f"/{user['id']}", user_body("alice@example.com", title="Engineer", password="Secret-Pass-2"))

    _, events = events_of(tenant, readers[tenant])

    data = events[EVENT + "prov:put:full"]["data"]
    assert (data["title"], "displayName" in data, "password" in data) == ("Engineer", False, False)


def test_a_full_tenants_patch_event_carries_a_patch_op_making_the_change(full, users, tenant, readers):
    user = created(users, user_body("alice@example.com", displayName="Alice", name={"givenName": "Al"}))
    update = patch_body(
        {"op": "Replace", "value": {"displayName": "Alice Smith", "name.familyName": "Smith"}},
        {"op": "Remove", "path": "name.givenName"},
        {"op": "Replace", "path": "active", "value": "False"},
        {"op": "Replace", "path": "password", "value": "Secret-Pass-3"},
    )
    users.call("PATCH", f"/{user['id']}", update)

    _, events = events_of(tenant, readers[tenant])

    assert events[EVENT + "prov:patch:full"]["data"] == {
        "schemas": [PATCH_OP],
        "Operations": [
            {"op": "replace", "path": "active", "value": False},
            {"op": "replace", "path": "displayName", "value": "Alice Smith"},
            {"op": "replace", "path": "name.familyName", "value": "Smith"},
            {"op": "remove", "path": "name.givenName"},
        ],
    }
    assert EVENT + "prov:deactivate" in events


def test_a_declared_extension_attribute_returned_never_is_absent_from_full_events(
    full, users, repository, tenant, readers
):
    declare(repository, tenant, SECRET_SCHEMA)
    body = user_body("alice@example.com", **{SECRET_EXTENSION: {"costCode": "C1", "pin": "4242"}})
    user = created(users, body)
    change = patch_body(
        {"op": "replace", "path": f"{SECRET_EXTENSION}:pin", "value": "9999"},
        {"op": "replace", "path": f"{SECRET_EXTENSION}:costCode", "value": "C2"},
    )
    users.call("PATCH", f"/{user['id']}", change)

    create, patch = events_of(tenant, readers[tenant])

    assert create[EVENT + "prov:create:full"]["data"][SECRET_EXTENSION] == {"costCode": "C1"}
    operations = patch[EVENT + "prov:patch:full"]["data"]["Operations"]
    assert operations == [{"op": "replace", "path": f"{SECRET_EXTENSION}:costCode", "value": "C2"}]
    assert "4242" not in str(create) and "9999" not in str(patch)


def test_a_full_tenants_membership_change_is_a_patch_op_of_member_ids(full, users, tenant, tokens, readers):
    alice = created(users, user_body("alice@example.com"))
    groups = Client(tenant, tokens[tenant], "Groups")
    group = created(groups, group_body("Team"))
    groups.call("PATCH", f"/{group['id']}", add_members(alice["id"]))

    *_, members = events_of(tenant, readers[tenant])

    operations = members[EVENT + "prov:patch:full"]["data"]["Operations"]
    assert operations == [{"op": "add", "path": "members", "value": [{"value": alice["id"]}]}]


def test_a_notice_tenants_events_and_journal_rows_carry_no_values(notice, users, table, tenant, readers):
    user = created(users, user_body("alice@example.com", displayName="Alice"))
    users.call("PATCH", f"/{user['id']}", patch_body({"op": "replace", "path": "displayName", "value": "Bob"}))

    create, patch = events_of(tenant, readers[tenant])

    assert list(create) == [EVENT + "prov:create:notice"]
    assert patch == {EVENT + "prov:patch:notice": {"attributes": ["displayName"]}}
    assert all(not {"DataChunks", "Data0", "EventForm"} & set(row) for row in journal_rows(table, tenant))


def test_changes_journaled_before_a_tenant_chose_full_stay_notice(repository, tokens, readers, users, tenant):
    with serving_events(repository, tokens, readers, FakeClock(), redelivery_seconds=60, settle_seconds=0):
        created(users, user_body("before@example.com"))
    with serving_events(
        repository,
        tokens,
        readers,
        FakeClock(),
        redelivery_seconds=60,
        settle_seconds=0,
        settings={tenant: {"eventForm": "full"}},
    ):
        created(users, user_body("after@example.com"))
        before, after = events_of(tenant, readers[tenant])

    assert (list(before), list(after)) == ([EVENT + "prov:create:notice"], [EVENT + "prov:create:full"])


def test_a_large_user_within_the_journal_limit_has_its_values_in_the_full_event(full, users, tenant, readers):
    blob = "y" * 400_000
    created(users, user_body("large@example.com", **{BIG_EXTENSION: {"blob": blob}}))

    (events,) = events_of(tenant, readers[tenant])

    assert events[EVENT + "prov:create:full"]["data"][BIG_EXTENSION]["blob"] == blob


def test_a_poll_stops_at_about_four_million_characters_of_full_events_and_says_more_are_waiting(
    full, users, tenant, readers
):
    for number in range(11):
        created(users, user_body(f"large{number}@example.com", **{BIG_EXTENSION: {"blob": "z" * 400_000}}))

    first = json_of(poll(tenant, readers[tenant], {"maxEvents": 500}))
    second = json_of(poll(tenant, readers[tenant], {"ack": list(first["sets"]), "maxEvents": 500}))

    assert (len(first["sets"]), first["moreAvailable"]) == (10, True)
    assert (len(second["sets"]), second["moreAvailable"]) == (1, False)
