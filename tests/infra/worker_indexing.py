"""Index function_app.py as the Azure Functions Python worker does, and print what the host receives.

    .venv-worker/bin/python tests/infra/worker_indexing.py    # the worker's own indexing
    .venv/bin/python tests/infra/worker_indexing.py --sdk     # the azure-functions library alone
    ... worker_indexing.py --app DIR                          # DIR/function_app.py instead of the repository's

With the worker package (``azure-functions-runtime``, the Python worker for Python 3.13 and
later, installed into ``.venv-worker`` by scripts/bootstrap) this runs the worker's steps of the
host's init and metadata requests: ``load_binding_registry`` loads the binding types,
``loader.index_function_app`` imports the app and collects its functions,
``functions.Registry.add_indexed_function`` validates each function's parameters
against its bindings (the check that refuses to load a mismatched function), and
``loader.process_indexed_function`` builds the ``RpcFunctionMetadata`` sent to the host. The
gRPC message classes come from the host's side of the worker and are not on PyPI; here they are
plain records with the protobuf enum values of FunctionRpc.proto.

``--sdk`` prints the same listing from the azure-functions library of the interpreter running it
(the deployed Python 3.11 has no worker on PyPI): the worker's metadata is the library's
``get_raw_bindings()``, so the two listings must be equal.

Output (JSON): ``{"indexer": ..., "functions": [{"name", "bindings": [...]}, ...]}``.
"""

from __future__ import annotations

import json
import os
import sys
from importlib.metadata import version
from pathlib import Path
from types import SimpleNamespace
from typing import Any

REPO = Path(__file__).resolve().parents[2]


class _Message:
    """A stand-in for a gRPC message: keeps the fields it is built with."""

    def __init__(self, **fields: Any):
        self.__dict__.update(fields)


class _BindingInfo(_Message):
    # Enum values of BindingInfo.Direction and BindingInfo.DataType in FunctionRpc.proto.
    in_, out, inout = 0, 1, 2
    undefined, string, binary, stream = 0, 1, 2, 3


PROTOS = SimpleNamespace(BindingInfo=_BindingInfo, RpcFunctionMetadata=_Message, RpcRetryOptions=_Message)


def _listing(functions: list[tuple[str, list[str]]], indexer: str) -> dict[str, Any]:
    entries = [
        {"name": name, "bindings": [json.loads(raw) for raw in raw_bindings]} for name, raw_bindings in functions
    ]
    return {"indexer": indexer, "functions": sorted(entries, key=lambda entry: entry["name"])}


def index_with_worker(app_dir: Path) -> dict[str, Any]:
    from azure_functions_runtime import loader  # only in .venv-worker
    from azure_functions_runtime.bindings.meta import load_binding_registry
    from azure_functions_runtime.functions import Registry

    load_binding_registry()  # what the worker does on the host's init request
    indexed = loader.index_function_app(str(app_dir / "function_app.py"))
    metadata, _logs = loader.process_indexed_function(PROTOS, Registry(), indexed, str(app_dir))
    indexer = (
        f"azure-functions-runtime {version('azure-functions-runtime')} with azure-functions "
        f"{version('azure-functions')} on Python {sys.version.split()[0]}"
    )
    return _listing([(item.name, list(item.raw_bindings)) for item in metadata], indexer)


def index_with_sdk() -> dict[str, Any]:
    import function_app  # imported here: the app is indexed once, in this process

    functions = function_app.app.get_functions()
    indexer = f"azure-functions {version('azure-functions')} on Python {sys.version.split()[0]}"
    return _listing([(f.get_function_name(), f.get_raw_bindings()) for f in functions], indexer)


def main(arguments: list[str]) -> int:
    app_dir = Path(arguments[arguments.index("--app") + 1]).resolve() if "--app" in arguments else REPO
    os.chdir(app_dir)
    sys.path.insert(0, str(app_dir))
    listing = index_with_sdk() if "--sdk" in arguments else index_with_worker(app_dir)
    print(json.dumps(listing, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
