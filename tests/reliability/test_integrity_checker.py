"""The integrity checker itself: it passes a consistent tenant and names each kind of damage."""

from __future__ import annotations

import pytest
from azure.data.tables import TableClient

from tests.reliability.integrity import assert_integrity, integrity_problems, read_state
from tests.support.bodies import add_members, group_body, user_body
from tests.support.http import Client, created


@pytest.fixture
def populated(users_api: Client, groups_api: Client) -> tuple[str, str]:
    """A user (with userName and externalId) in a group; their ids."""
    user = created(users_api, user_body("alice", externalId="a-1"))
    group = created(groups_api, group_body("Team"))
    assert groups_api.call("PATCH", f"/{group['id']}", add_members(user["id"])).status_code == 204
    return user["id"], group["id"]


def test_a_consistent_tenant_passes(populated, table: TableClient, tenant: str):
    state = assert_integrity(table, tenant)

    assert len(state.resources) == 2 and len(state.index_rows) == 3 and len(state.memberships) == 1


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (lambda t, p, u, g: t.delete_entity(p, f"res:User:{u}"), "belongs to no current resource"),
        (lambda t, p, u, g: delete_prefix(t, p, "idx:User:userName:"), "lacks its index row"),
        (lambda t, p, u, g: t.delete_entity(p, f"mof:{u}:{g}"), "lacks its mem or mof row"),
        (lambda t, p, u, g: t.delete_entity(p, f"res:Group:{g}"), "missing group"),
        (lambda t, p, u, g: t.upsert_entity({"PartitionKey": p, "RowKey": f"del:User:{u}"}), "unfinished"),
        (lambda t, p, u, g: t.upsert_entity({"PartitionKey": p, "RowKey": "junk"}), "no known kind"),
        (lambda t, p, u, g: delete_prefix(t, p, "jnl:"), "journal has no create"),
        (lambda t, p, u, g: touch(t, p, f"res:User:{u}"), "which no journal row says"),
        (lambda t, p, u, g: delete_last_journal_row(t, p), "stored without its journal row"),
    ],
    ids=[
        "resource-gone",
        "index-gone",
        "half-membership",
        "group-gone",
        "pending-delete",
        "junk-row",
        "journal-gone",
        "write-without-journal-row",
        "membership-without-journal-row",
    ],
)
def test_each_kind_of_damage_is_named(populated, table: TableClient, tenant: str, damage, expected: str):
    user_id, group_id = populated
    damage(table, tenant, user_id, group_id)

    problems = integrity_problems(read_state(table, tenant))

    assert any(expected in problem for problem in problems), problems


def test_two_users_sharing_a_user_name_in_another_case_are_a_duplicate(
    users_api: Client, table: TableClient, tenant: str
):
    first = created(users_api, user_body("bob"))
    second = created(users_api, user_body("carol"))
    row = table.get_entity(tenant, f"res:User:{second['id']}")
    row["Json0"] = row["Json0"].replace('"carol"', '"BOB"')
    table.update_entity(row)

    problems = integrity_problems(read_state(table, tenant))

    assert any("shared by 2 resources" in problem for problem in problems), problems
    assert first["id"] != second["id"]


def delete_prefix(table: TableClient, tenant: str, prefix: str) -> None:
    for row in table.query_entities("PartitionKey eq @t", parameters={"t": tenant}):
        if row["RowKey"].startswith(prefix):
            table.delete_entity(tenant, row["RowKey"])


def touch(table: TableClient, tenant: str, key: str) -> None:
    """A write the journal does not know of: the row's LastModified changes."""
    table.update_entity({"PartitionKey": tenant, "RowKey": key, "LastModified": "2001-01-01T00:00:00.000Z"})


def delete_last_journal_row(table: TableClient, tenant: str) -> None:
    rows = [row["RowKey"] for row in table.query_entities("PartitionKey eq @t", parameters={"t": tenant})]
    table.delete_entity(tenant, max(key for key in rows if key.startswith("jnl:")))
