"""examples/consume_queue.py on what the relay pushed to Azurite's queue: every change applied once,
the SETs a crashed relay sent twice included."""

from __future__ import annotations

import sys
import uuid
from pathlib import Path

import pytest
from azure.data.tables import TableClient
from azure.storage.queue import QueueClient, TextBase64DecodePolicy

from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from tests.support.bodies import user_body
from tests.support.event_push import Crash, CrashOnSavingTheMark, new_queue_name, register, relay_on
from tests.support.events import FakeClock
from tests.support.queues import CONNECTION_STRING
from tests.support.storage import journal_rows

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "examples"))
import consume_queue


def test_the_queue_consumer_applies_each_change_once_through_a_relay_crash(
    push_table: TableClient, tenant: str, tmp_path: Path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)  # the example keeps applied.json in its working folder
    reader = "reader-" + uuid.uuid4().hex
    queue_name = new_queue_name()
    register(push_table, tenant, queue_name)
    users = UserService(TableResourceRepository(push_table))
    for number in range(3):
        users.create(tenant, user_body(f"user{number}@example.com"))
    crashing = TableClient.from_connection_string(
        CONNECTION_STRING, push_table.table_name, per_retry_policies=[CrashOnSavingTheMark()]
    )
    with pytest.raises(Crash):
        relay_on(crashing, {tenant: reader}, FakeClock()).run()
    relay_on(push_table, {tenant: reader}, FakeClock()).run()  # sends the three again
    queue = QueueClient.from_connection_string(
        CONNECTION_STRING, queue_name, message_decode_policy=TextBase64DecodePolicy()
    )
    key = consume_queue.signing_key(reader)
    applied: set[str] = set()

    received = 0
    while batch := consume_queue.consume_batch(queue, key, applied):
        received += batch
    printed = capsys.readouterr().out.splitlines()

    keys = [row["RowKey"].removeprefix("jnl:") for row in journal_rows(push_table, tenant)]
    assert received == 6
    assert [line.split()[0] for line in printed] == keys  # each applied once, in jti order
    assert applied == set(keys)
    assert list(queue.peek_messages()) == []
