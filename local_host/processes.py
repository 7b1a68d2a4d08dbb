"""Servers as child processes, for the tests and benchmarks: the local host on a free port, or any
command that listens on an address, stopped when the block ends."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from local_host.server import DEFAULT_HOST

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@contextmanager
def child_process(
    environ: Mapping[str, str], log_path: Path, *, host: str = DEFAULT_HOST, startup_timeout: float = 20
) -> Iterator[str]:
    """Run ``python -m local_host`` as a child process on a free port; yields its base URL.

    The child runs from the project root with ``environ`` as its whole environment and its output
    in ``log_path``; a child that exits or does not listen in time raises ``RuntimeError`` with it.
    """
    port = free_port(host)
    command = [sys.executable, "-m", "local_host", "--host", host, "--port", str(port)]
    with listening_process(command, environ, log_path, (host, port), "the local host", startup_timeout=startup_timeout):
        yield f"http://{host}:{port}"


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that is free on ``host`` now, for a child process to listen on."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def listening_process(
    command: list[str],
    environ: Mapping[str, str],
    log_path: Path,
    address: tuple[str, int],
    name: str,
    *,
    startup_timeout: float = 20,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command``, a server listening on ``address``, from the project root until the block
    ends, then terminate it (kill it after 10 s); its output goes to ``log_path``.

    A process that exits or does not listen within ``startup_timeout`` seconds raises
    ``RuntimeError`` naming it ``name``, with its output.
    """
    with log_path.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=PROJECT_ROOT, env=dict(environ), stdout=output, stderr=subprocess.STDOUT
        )
    try:
        _wait_until_listening(process, address, log_path, startup_timeout, name)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_listening(
    process: subprocess.Popen[bytes], address: tuple[str, int], log_path: Path, timeout: float, name: str
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log_path.read_text()}")
        try:
            socket.create_connection(address, timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{name} did not listen on port {address[1]} within {timeout} s:\n{log_path.read_text()}")
