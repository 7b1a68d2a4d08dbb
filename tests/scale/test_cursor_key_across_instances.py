"""The cursor key (``secret:cursor``), created by whichever instance needs it first, on a fresh table.

Four fresh instances, started on a table that does not exist yet, each receive the first cursor
request at the same moment: they race to create the table and then the key. Each instance reads
the key once and keeps it, so a cursor one of them signed is accepted by another only if both
hold the same key.
"""

from __future__ import annotations

from urllib.parse import quote_plus

from azure.data.tables import TableClient

from bench.harness import AZURITE
from bench.instances import instances
from scim.storage.resources import SERVICE_PARTITION
from tests.scale.conftest import INSTANCE_COUNT, body_of
from tests.support.bodies import user_body
from tests.support.concurrency import race

TENANT = "cursors"
PAGE = "/Users?count=2&cursor="


def test_instances_creating_the_cursor_key_at_once_all_accept_each_others_cursors(azurite: str):
    with instances(INSTANCE_COUNT, [TENANT], create_table=False) as group:
        spread = group.spread(TENANT)
        race(*(lambda n=n: body_of(spread.on(n).request("POST", "/Users", user_body(f"u{n}"))) for n in range(4)))
        race(*(lambda n=n: body_of(spread.on(n).request("POST", "/Users", user_body(f"v{n}"))) for n in range(4)))

        first_pages = race(*(lambda n=n: body_of(spread.on(n).request("GET", PAGE)) for n in range(INSTANCE_COUNT)))

        assert len({tuple(user["id"] for user in page["Resources"]) for page in first_pages}) == 1
        second_pages = {
            (signer, reader): body_of(spread.on(reader).request("GET", PAGE + quote_plus(page["nextCursor"])))
            for signer, page in enumerate(first_pages)
            for reader in range(INSTANCE_COUNT)
        }
        assert len({tuple(user["id"] for user in page["Resources"]) for page in second_pages.values()}) == 1
        keys = TableClient.from_connection_string(AZURITE, group.table_name).query_entities(
            "PartitionKey eq @partition", parameters={"partition": SERVICE_PARTITION}
        )
        assert [key["RowKey"] for key in keys] == ["secret:cursor"]
