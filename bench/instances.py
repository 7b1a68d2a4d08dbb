"""Several instances of the endpoint on one storage account: the scale-out harness of tests and bench.

``instances(4)`` starts four ``python -m bench.instance`` processes (separate interpreters, so
separate caches of tenant records and of the cursor key), each on a free loopback port, all on
one Azurite table with the same tenants and tokens, as Function instances share one storage
account. A ``Spread`` sends each request to one of them, round robin or at random, the way a
load balancer spreads a client's requests; ``Spread.on(i)`` pins requests to instance ``i``.
Instances can be killed (SIGKILL) and replaced while the others keep serving.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import threading
import uuid
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from azure.data.tables import TableClient, TableServiceClient

from bench.harness import AZURITE, Endpoint, Response, user_name_filter
from bench.instance import PAUSED_LINE
from local_host.processes import free_port, listening_process

HOST = "127.0.0.1"
STARTUP_TIMEOUT_SECONDS = 30


@dataclass
class Instance:
    """One running instance: its number, address, process and output."""

    number: int
    base_url: str
    process: subprocess.Popen
    log_path: Path
    _context: AbstractContextManager = field(repr=False)

    def endpoint(self, tenant: str, token: str) -> Endpoint:
        return Endpoint(f"{self.base_url}/scim/{tenant}/v2", token)

    @property
    def alive(self) -> bool:
        return self.process.poll() is None

    def paused(self) -> bool:
        """Whether a ``pause-before`` fault has been reached (the instance said so in its output)."""
        return PAUSED_LINE in self.log_path.read_text(errors="replace")


class Instances:
    """N instances sharing one table, tenants and settings; see ``instances``."""

    def __init__(
        self,
        environment: Mapping[str, str],
        scratch: Path,
        tokens: Mapping[str, str],
        own_settings: Sequence[Mapping[str, str]] = (),
    ):
        self.environment = dict(environment)
        self.own_settings = list(own_settings)  # the n-th started gets own_settings[n % len], if any
        self.scratch = scratch
        self.tokens = dict(tokens)
        self.table_name = self.environment["SCIM_TABLE_NAME"]
        self.running: list[Instance] = []
        self._started = itertools.count()

    def start(self, count: int) -> None:
        """Start ``count`` more instances at once; wait until each listens.

        If one fails to start, the error is raised once the others are running (``stop`` ends them).
        """
        with ThreadPoolExecutor(max_workers=count) as pool:
            starting = [pool.submit(self._start_one) for _ in range(count)]
        failures = [future.exception() for future in starting if future.exception() is not None]
        self.running.extend(future.result() for future in starting if future.exception() is None)
        if failures:
            raise failures[0]

    def _start_one(self) -> Instance:
        number = next(self._started)
        port = free_port(HOST)
        log_path = self.scratch / f"instance-{number}.log"
        command = [sys.executable, "-m", "bench.instance", "--host", HOST, "--port", str(port)]
        own = self.own_settings[number % len(self.own_settings)] if self.own_settings else {}
        context = listening_process(
            command,
            {**self.environment, **own},
            log_path,
            (HOST, port),
            f"instance {number}",
            startup_timeout=STARTUP_TIMEOUT_SECONDS,
        )
        process = context.__enter__()
        return Instance(number, f"http://{HOST}:{port}", process, log_path, context)

    def kill(self, position: int) -> Instance:
        """SIGKILL the instance at ``position`` (kill -9) and wait for it to be gone."""
        instance = self.running[position]
        instance.process.kill()
        instance.process.wait(timeout=10)
        return instance

    def replace(self, position: int) -> Instance:
        """Stop (or reap) the instance at ``position`` and start a fresh one in its place."""
        old = self.running[position]
        old._context.__exit__(None, None, None)
        new = self._start_one()
        self.running[position] = new
        return new

    def stop(self) -> None:
        for instance in self.running:
            instance._context.__exit__(None, None, None)
        self.running = []

    def spread(self, tenant: str, order: str = "round-robin", seed: int = 0) -> Spread:
        """A client of ``tenant`` whose requests go to every instance (``round-robin`` or ``random``)."""
        return Spread(self, tenant, order, random.Random(seed))

    def table(self) -> TableClient:
        return TableClient.from_connection_string(AZURITE, self.table_name)

    def update_key_vault(self, changes: Mapping[str, str | None]) -> None:
        """Set (or, with None, delete) secrets of the shared fake Key Vault in one rename.

        Every instance sees the change at its next read (see ``bench.instance``).
        """
        path = Path(self.environment["SCIM_FAKE_KEY_VAULT_FILE"])
        contents = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}
        contents.update(changes)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps({k: v for k, v in contents.items() if v is not None}), encoding="utf-8")
        os.replace(temporary, path)


class Spread:
    """Requests of one tenant spread over the running instances; the interface of ``Endpoint``."""

    def __init__(self, instances: Instances, tenant: str, order: str, chooser: random.Random):
        if order not in ("round-robin", "random"):
            raise ValueError(f"order must be round-robin or random, not {order!r}")
        self.instances, self.tenant, self.order, self._random = instances, tenant, order, chooser
        self._next = itertools.count()
        self._lock = threading.Lock()

    def on(self, position: int) -> Endpoint:
        """The tenant's endpoint on the instance at ``position``, for requests pinned to it."""
        return self.instances.running[position].endpoint(self.tenant, self.instances.tokens[self.tenant])

    def pick(self) -> int:
        """The position of the instance the next request goes to."""
        with self._lock:
            if self.order == "random":
                return self._random.randrange(len(self.instances.running))
            return next(self._next) % len(self.instances.running)

    def request(self, method: str, path: str, body: dict | None = None, headers=None) -> Response:
        return self.on(self.pick()).request(method, path, body, headers)

    def send(self, method: str, path: str, body: dict | None = None) -> tuple[float, dict | None]:
        return self.on(self.pick()).send(method, path, body)


@contextmanager
def instances(
    count: int,
    tenants: Iterable[str] = ("bench",),
    settings: Mapping[str, str] | None = None,
    *,
    create_table: bool = True,
    key_vault: Mapping[str, str] | None = None,
    own_settings: Sequence[Mapping[str, str]] = (),
) -> Iterator[Instances]:
    """``count`` instances on a fresh table (deleted afterwards), each tenant with a fresh token.

    The tokens are given in ``SCIM_TOKENS``, read by each instance at its start; with
    ``key_vault`` (secret name -> value) the instances read tenants' records from a shared fake
    Key Vault instead (``SCIM_FAKE_KEY_VAULT_FILE``). ``create_table=False`` leaves the table to the
    instances, which create it on first use. ``settings`` are added to every instance's environment;
    ``own_settings[n]`` to the n-th instance's only (cycled), such as a clock offset.
    """
    tokens = {tenant: secrets.token_urlsafe(32) for tenant in tenants}
    table_name = "scale" + uuid.uuid4().hex[:12]
    service = TableServiceClient.from_connection_string(AZURITE)
    if create_table:
        service.create_table(table_name)
    with tempfile.TemporaryDirectory() as scratch:
        environment = {
            **os.environ,
            "SCIM_STORAGE_CONNECTION_STRING": AZURITE,
            "SCIM_TABLE_NAME": table_name,
            "SCIM_TOKENS": json.dumps(tokens),
            "PYTHONUNBUFFERED": "1",
            **(settings or {}),
        }
        environment.pop("SCIM_KEY_VAULT_URL", None)
        if key_vault is not None:
            environment["SCIM_FAKE_KEY_VAULT_FILE"] = str(Path(scratch) / "key-vault.json")
        group = Instances(environment, Path(scratch), tokens, own_settings)
        if key_vault is not None:
            group.update_key_vault(key_vault)
        try:
            group.start(count)
            yield group
        finally:
            group.stop()
            service.delete_table(table_name)


def warm_up(group: Instances, tenant: str) -> None:
    """One lookup of ``tenant`` on every instance (imports, table client, token record)."""
    spread = group.spread(tenant)
    for position in range(len(group.running)):
        response = spread.on(position).request("GET", user_name_filter("warm-up"))
        if response.status != 200:
            raise RuntimeError(f"warm-up on instance {position} answered {response.status}: {response.body}")
