"""End-to-end fixtures: function_app served by ``python -m scim.local_host`` in a subprocess.

The subprocess runs from the repository root with its own table and tokens set in its
environment; a developer's local.settings.json cannot change them, because the environment wins.
Needs Azurite (the ``azurite`` fixture of tests/conftest.py fails fast without it).
"""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from azure.data.tables import TableServiceClient

REPO_ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 20
E2E_TENANT = "e2e-tenant"
OTHER_TENANT = "other-tenant"


@dataclass(frozen=True)
class LocalHost:
    """A running local host: where it answers and the secret token of each tenant it accepts."""

    base_url: str  # e.g. http://127.0.0.1:54321
    tokens: dict[str, str]  # tenant slug -> secret token; E2E_TENANT and OTHER_TENANT
    table_name: str

    def tenant_url(self, tenant: str = E2E_TENANT) -> str:
        """The SCIM Tenant URL of ``tenant``, e.g. http://127.0.0.1:54321/scim/e2e-tenant/v2."""
        return f"{self.base_url}/scim/{tenant}/v2"

    def auth_header(self, tenant: str = E2E_TENANT) -> dict[str, str]:
        """The Authorization header carrying ``tenant``'s secret token."""
        return {"Authorization": f"Bearer {self.tokens[tenant]}"}


@pytest.fixture(scope="session")
def local_host_url(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalHost]:
    """``python -m scim.local_host`` on a free port, with a fresh table (deleted afterwards) and tokens."""
    port = _free_port()
    host = LocalHost(
        base_url=f"http://{HOST}:{port}",
        tokens={E2E_TENANT: secrets.token_urlsafe(32), OTHER_TENANT: secrets.token_urlsafe(32)},
        table_name="e2e" + uuid.uuid4().hex[:16],
    )
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": azurite,
        "SCIM_TABLE_NAME": host.table_name,
        "SCIM_TOKENS": json.dumps(host.tokens),
        "PYTHONUNBUFFERED": "1",
    }
    output_path = tmp_path_factory.mktemp("local_host") / "output.log"
    command = [sys.executable, "-m", "scim.local_host", "--host", HOST, "--port", str(port)]
    with output_path.open("wb") as output:
        process = subprocess.Popen(command, cwd=REPO_ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        _wait_until_listening(process, port, output_path)
        yield host
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        TableServiceClient.from_connection_string(azurite).delete_table(host.table_name)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _wait_until_listening(process: subprocess.Popen, port: int, output_path: Path) -> None:
    """Return once ``port`` accepts connections; fail with the host's output if it exits or is too slow."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the local host exited with {process.returncode}:\n{output_path.read_text()}")
        try:
            socket.create_connection((HOST, port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    output = output_path.read_text()
    pytest.fail(f"the local host did not listen on port {port} within {STARTUP_TIMEOUT_SECONDS} s:\n{output}")
