"""python-scim's ``scim2-server`` (in memory) on loopback, as a reference point for the benchmarks.

It is installed into a virtual environment of its own, ``.venv-bench/`` (never into
requirements.txt), on first use or with::

    .venv/bin/python -m bench.reference --setup
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench.harness import Endpoint
from local_host.processes import free_port, listening_process

PROJECT_ROOT = Path(__file__).resolve().parents[1]
VENV = PROJECT_ROOT / ".venv-bench"
PACKAGE = "scim2-server==0.8.3"
HOST = "127.0.0.1"


def server_command() -> Path:
    return VENV / "bin" / "scim2-server"


def ensure_installed() -> Path:
    """``.venv-bench/bin/scim2-server``, creating the environment and installing the package if needed."""
    command = server_command()
    if not command.exists():
        print(f"installing {PACKAGE} into {VENV.relative_to(PROJECT_ROOT)}/", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "--quiet", PACKAGE], check=True)
    return command


@contextmanager
def reference_endpoint() -> Iterator[Endpoint]:
    """``scim2-server`` on a free loopback port with a bearer token; stopped afterwards."""
    command = ensure_installed()
    token = secrets.token_urlsafe(32)
    port = free_port(HOST)
    arguments = [str(command), "--hostname", HOST, "--port", str(port), "--bearer-token", token]
    with tempfile.TemporaryDirectory() as scratch:
        log = Path(scratch) / "scim2-server.log"
        with listening_process(arguments, os.environ, log, (HOST, port), "scim2-server", startup_timeout=30):
            yield Endpoint(f"http://{HOST}:{port}/v2", token)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", action="store_true", help="create .venv-bench/ and install scim2-server")
    arguments = parser.parse_args()
    if arguments.setup:
        print(ensure_installed())


if __name__ == "__main__":
    main()
