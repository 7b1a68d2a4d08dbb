"""A real storage outage: an Azurite of the test's own (never the shared one on 10002) is stopped
and started again while requests arrive. During the outage every request is 503 with Retry-After
within a few seconds; afterwards everything works, and writers that retried through the outage
lost nothing. Every wait is bounded."""

from __future__ import annotations

import signal
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from azure.data.tables import TableClient

from local_host.processes import free_port
from tests.reliability.faults import client_with, clients, fresh_tenant, serving, tenant_with_users_and_a_group
from tests.reliability.integrity import assert_integrity
from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.http import Client, created, json_of

AZURITE_TABLE = Path(__file__).resolve().parents[2] / "node_modules" / ".bin" / "azurite-table"
ACCOUNT_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
START_SECONDS = 30
OUTAGE_ANSWER_SECONDS = 8  # the SDK's retries of a read (0 + 0.8 + 1.6 s of pauses) and some slack


class SeparateAzurite:
    """Azurite's Table service on a port of its own, persisting to a folder so that a restart
    keeps the data (a stop is SIGINT: Azurite saves, as a real storage service keeps its data)."""

    def __init__(self, location: Path, port: int):
        self.location, self.port = location, port
        self.process: subprocess.Popen | None = None
        self.connection_string = (
            "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;"
            f"AccountKey={ACCOUNT_KEY};TableEndpoint=http://127.0.0.1:{port}/devstoreaccount1"
        )

    def listening(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
            return True
        except OSError:
            return False

    def start(self) -> None:
        assert not self.listening(), f"port {self.port} is taken"
        command = [str(AZURITE_TABLE), "--tableHost", "127.0.0.1", "--tablePort", str(self.port)]
        command += ["--location", str(self.location), "--skipApiVersionCheck", "--disableTelemetry", "--silent"]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_SECONDS
        while not self.listening():
            assert self.process.poll() is None, "Azurite exited while starting"
            assert time.monotonic() < deadline, f"Azurite did not start within {START_SECONDS} s"
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None


@pytest.fixture
def own_azurite(tmp_path: Path) -> Iterator[SeparateAzurite]:
    assert AZURITE_TABLE.exists(), "Azurite is not installed: run scripts/bootstrap"
    azurite = SeparateAzurite(tmp_path / "azurite", free_port())
    azurite.location.mkdir()
    azurite.start()
    try:
        yield azurite
    finally:
        azurite.stop()


@pytest.fixture
def own_table(monkeypatch, own_azurite: SeparateAzurite) -> TableClient:
    """The production client (SDK retry settings, transport) on a table of the separate Azurite."""
    return client_with(monkeypatch, own_azurite.connection_string, "restart" + uuid.uuid4().hex[:12])


def test_requests_during_an_outage_are_503_and_work_again_after_a_restart(
    own_azurite: SeparateAzurite, own_table: TableClient
):
    tenant, ids = tenant_with_users_and_a_group(own_table)
    users, groups = clients(tenant)
    with serving(own_table):
        requests = {
            "get": lambda: users.call("GET", f"/{ids['user']}"),
            "filter": lambda: users.call("GET", params={"filter": 'userName eq "alice@example.com"'}),
            "create": lambda: users.call("POST", body=user_body("bob@example.com")),
            "patch": lambda: users.call(
                "PATCH", f"/{ids['user']}", patch_body({"op": "add", "path": "title", "value": "T"})
            ),
            "membership": lambda: groups.call("PATCH", f"/{ids['group']}", add_members(ids["user"])),
            "delete": lambda: users.call("DELETE", f"/{ids['other']}"),
        }

        own_azurite.stop()
        for name, send in requests.items():
            started = time.monotonic()
            response = send()
            elapsed = time.monotonic() - started
            assert response.status_code == 503, (name, response.get_body())
            assert response.headers["Retry-After"].isdigit(), name
            assert elapsed < OUTAGE_ANSWER_SECONDS, (name, elapsed)

        own_azurite.start()
        statuses = {name: send().status_code for name, send in requests.items()}

    assert statuses == {"get": 200, "filter": 200, "create": 201, "patch": 200, "membership": 204, "delete": 204}
    state = assert_integrity(own_table, tenant)
    assert state.members(ids["group"]) == {ids["user"]}


class Writer:
    """Provisions users the way Entra does, resending each request after a 503 (honouring at most
    0.2 s of its Retry-After, to keep the test short) until it succeeds or the deadline passes."""

    def __init__(self, users: Client, groups: Client, group_id: str, name: str, deadline: float):
        self.users, self.groups, self.group_id, self.name, self.deadline = users, groups, group_id, name, deadline
        self.user_ids: list[str] = []
        self.unavailable = 0
        self.unexpected: list[tuple[str, int]] = []

    def until_done(self, what: str, send, done: tuple[int, ...]):
        while time.monotonic() < self.deadline:
            response = send()
            if response.status_code in done:
                return response
            if response.status_code != 503:
                self.unexpected.append((what, response.status_code))
                return response
            self.unavailable += 1
            time.sleep(min(int(response.headers["Retry-After"]), 0.2))
        self.unexpected.append((what, "deadline"))
        return None

    def run(self, count: int) -> None:
        for number in range(count):
            user_name = f"{self.name}-{number}@example.com"
            response = self.until_done(
                "create", lambda u=user_name: self.users.call("POST", body=user_body(u)), (201, 409)
            )
            if response is None:
                return
            if response.status_code == 409:  # created, but the answer was lost: look it up as Entra does
                listed = json_of(self.users.call("GET", params={"filter": f'userName eq "{user_name}"'}))
                user_id = listed["Resources"][0]["id"]
            else:
                user_id = json_of(response)["id"]
            self.user_ids.append(user_id)
            email = patch_body({"op": "add", "path": "emails", "value": [{"value": user_name, "type": "work"}]})
            self.until_done("patch", lambda i=user_id, e=email: self.users.call("PATCH", f"/{i}", e), (200,))
            self.until_done(
                "member", lambda i=user_id: self.groups.call("PATCH", f"/{self.group_id}", add_members(i)), (204,)
            )


def test_writers_retrying_through_a_restart_lose_nothing(own_azurite: SeparateAzurite, own_table: TableClient):
    tenant = fresh_tenant()
    users, groups = clients(tenant)
    with serving(own_table):
        group = created(groups, group_body("Everyone"))
        deadline = time.monotonic() + 60
        writers = [Writer(users, groups, group["id"], f"writer{number}", deadline) for number in range(4)]
        threads = [threading.Thread(target=writer.run, args=(6,)) for writer in writers]
        for thread in threads:
            thread.start()
        time.sleep(0.3)
        own_azurite.stop()
        time.sleep(1.5)
        own_azurite.start()
        for thread in threads:
            thread.join(timeout=90)

    assert not any(thread.is_alive() for thread in threads)
    assert [writer.unexpected for writer in writers] == [[]] * len(writers)
    assert sum(writer.unavailable for writer in writers) > 0, "the outage was not noticed: nothing was tested"
    state = assert_integrity(own_table, tenant)
    all_ids = {user_id for writer in writers for user_id in writer.user_ids}
    assert len(all_ids) == 4 * 6 == len(state.ids("User"))
    assert state.members(group["id"]) == all_ids
    for user_id in all_ids:
        assert len(state.resources[("User", user_id)]["emails"]) == 1
