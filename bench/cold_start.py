"""Cold start: how long a fresh interpreter takes to import function_app, and what it imports.

Usage::

    .venv/bin/python -m bench.cold_start [--runs 15] [--top 15]

Copies function_app.py, host.json and scim/ to a scratch folder and, in fresh interpreters,
alternately times (CPU time, which other processes on the machine disturb least, and wall
clock) ``import function_app`` (with its bytecode compiled beforehand, as for
installed packages, and from source, as where __pycache__ cannot be written) and the import of
the Azure SDK packages it uses (azure.functions, azure.data.tables, azure.core). Prints the
medians and their ratio (the goal: function_app within 1.3x), the largest contributors from
``python -X importtime``, and whether anything only some requests need was imported (Key Vault,
azure.identity, jwt, the Table Storage SDK). With Azurite running it also times the import plus
the first request (Entra's Test Connection lookup) in a fresh interpreter, which is where a
deferred cost would show. Runs are bounded by --runs; loopback only.
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import uuid
from collections import defaultdict
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SDK_IMPORT = "azure.functions, azure.data.tables, azure.core"
APP_IMPORT = "function_app"
GOAL_RATIO = 1.3
# Needed only by some requests or deployments: none of them may be imported with function_app.
NOT_AT_IMPORT = ("azure.identity", "azure.keyvault.secrets", "jwt", "cryptography", "azure.data.tables")
TIMED_IMPORT = (
    "import time; w, c = time.perf_counter(), time.process_time(); import {module}; "
    "print(time.perf_counter() - w, time.process_time() - c)"
)
FIRST_REQUEST = """
import json, os, time
started = time.perf_counter()
import function_app
imported = time.perf_counter()
import azure.functions as func
request = func.HttpRequest(
    "GET", "https://scim.example.net/scim/cold/v2/Users", headers={"Authorization": "Bearer cold-token-0123456789"},
    params={"filter": 'userName eq "00000000-0000-0000-0000-000000000000"'}, route_params={"tenant": "cold"}, body=b"")
response = function_app.users(request)
assert response.status_code == 200, response.get_body()
print(json.dumps({"import": imported - started, "first_request": time.perf_counter() - imported}))
"""


def copy_sources(target: Path) -> None:
    shutil.copy2(PROJECT_ROOT / "function_app.py", target)
    shutil.copy2(PROJECT_ROOT / "host.json", target)
    shutil.copytree(PROJECT_ROOT / "scim", target / "scim", ignore=shutil.ignore_patterns("__pycache__"))


def run_python(
    folder: Path, code: str, *, extra: list[str] = (), environ: dict | None = None
) -> subprocess.CompletedProcess:
    environment = {**(environ or os.environ), "PYTHONDONTWRITEBYTECODE": "1"}
    environment.pop("PYTHONPATH", None)
    return subprocess.run(
        [sys.executable, *extra, "-c", code], cwd=folder, env=environment, capture_output=True, text=True, check=True
    )


def timed_import(folder: Path, module: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of importing ``module`` in a fresh interpreter."""
    wall, cpu = run_python(folder, TIMED_IMPORT.format(module=module)).stdout.split()
    return float(wall), float(cpu)


def import_profile(folder: Path, runs: int) -> dict[str, tuple[float, float]]:
    """Median self and cumulative microseconds per module, from ``-X importtime``."""
    own: dict[str, list[int]] = defaultdict(list)
    cumulative: dict[str, list[int]] = defaultdict(list)
    for _ in range(runs):
        lines = run_python(folder, f"import {APP_IMPORT}", extra=["-X", "importtime"]).stderr.splitlines()
        for line in lines:
            found = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|\s*(\S+)", line)
            if found:
                own[found[3]].append(int(found[1]))
                cumulative[found[3]].append(int(found[2]))
    return {name: (statistics.median(own[name]), statistics.median(cumulative[name])) for name in own}


def imported_modules(folder: Path) -> list[str]:
    code = f"import sys, {APP_IMPORT}; print(' '.join(sorted(sys.modules)))"
    loaded = set(run_python(folder, code).stdout.split())
    return [name for name in NOT_AT_IMPORT if name in loaded]


def first_request(folder: Path, runs: int) -> tuple[float, float] | None:
    """Median seconds of the import and of the first request after it, against Azurite; None without it."""
    try:
        socket.create_connection(("127.0.0.1", 10002), timeout=1).close()
    except OSError:
        return None
    from azure.data.tables import TableServiceClient

    table = "cold" + uuid.uuid4().hex[:12]
    service = TableServiceClient.from_connection_string("UseDevelopmentStorage=true")
    service.create_table(table)
    environment = {
        **os.environ,
        "SCIM_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
        "SCIM_TABLE_NAME": table,
        "SCIM_TOKENS": json.dumps({"cold": "cold-token-0123456789"}),
    }
    try:
        results = [json.loads(run_python(folder, FIRST_REQUEST, environ=environment).stdout) for _ in range(runs)]
    finally:
        service.delete_table(table)
    return statistics.median(r["import"] for r in results), statistics.median(r["first_request"] for r in results)


def by_package(profile: dict[str, tuple[float, float]]) -> dict[str, float]:
    """Own import time summed by distribution-like package (``azure.functions``, ``pydantic``...)."""
    totals: dict[str, float] = defaultdict(float)
    for name, (own, _) in profile.items():
        parts = name.split(".")
        package = ".".join(parts[:2]) if parts[0] == "azure" else parts[0]
        if package == "function_app":
            package = "scim"
        elif package.lstrip("_") in sys.stdlib_module_names:
            package = "standard library"
        totals[package] += own
    return totals


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per measurement (default 15)")
    parser.add_argument("--top", type=int, default=15, help="contributors to list (default 15)")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as scratch:
        source, compiled = Path(scratch) / "source", Path(scratch) / "compiled"
        for folder in (source, compiled):
            folder.mkdir()
            copy_sources(folder)
        compileall.compile_dir(compiled, quiet=1)
        times: dict[str, list[tuple[float, float]]] = defaultdict(list)
        for _ in range(arguments.runs):  # alternate, so that a busy moment hits every measurement alike
            times["sdk"].append(timed_import(compiled, SDK_IMPORT))
            times["compiled"].append(timed_import(compiled, APP_IMPORT))
            times["source"].append(timed_import(source, APP_IMPORT))
        wall = {name: statistics.median(w for w, _ in values) * 1000 for name, values in times.items()}
        cpu = {name: statistics.median(c for _, c in values) * 1000 for name, values in times.items()}
        profile = import_profile(compiled, max(arguments.runs // 3, 3))
        unwanted = imported_modules(compiled)
        first = first_request(compiled, max(arguments.runs // 3, 3))

    print(f"Cold import in a fresh interpreter, median of {arguments.runs} runs: CPU time (wall clock)")
    rows = [
        ("sdk", f"import {SDK_IMPORT}"),
        ("compiled", "import function_app (bytecode compiled)"),
        ("source", "import function_app (from source, no .pyc)"),
    ]
    for name, label in rows:
        print(f"  {label:<66} {cpu[name]:7.1f} ms ({wall[name]:.1f})")
    for name, label in rows[1:]:
        ratio = cpu[name] / cpu["sdk"]
        verdict = "within" if ratio <= GOAL_RATIO else "over"
        print(
            f"  ratio {label[7:]} / SDK packages: {ratio:.2f}x CPU ({wall[name] / wall['sdk']:.2f}x wall), "
            f"{verdict} the {GOAL_RATIO}x goal"
        )
    if first is not None:
        print(
            f"  import + first request (GET /Users?filter, Azurite): {first[0] * 1000:.1f} + {first[1] * 1000:.1f} ms"
        )
    print(f"  imported with function_app, though only some requests need them: {', '.join(unwanted) or 'none'}")

    print("\nLargest contributors (-X importtime, median own time summed by package, ms)")
    for package, microseconds in sorted(by_package(profile).items(), key=lambda item: -item[1])[:8]:
        print(f"  {package:<48} {microseconds / 1000:7.1f}")
    print("Modules with the most own time (ms own / cumulative)")
    for name, (own, cumulative) in sorted(profile.items(), key=lambda item: -item[1][0])[: arguments.top]:
        print(f"  {name:<48} {own / 1000:7.1f} / {cumulative / 1000:7.1f}")


if __name__ == "__main__":
    main()
