"""function_app.py as Azure loads it: indexed by the Functions Python worker's own code, whose
metadata (function names, route templates, methods, auth level) is what the host receives; and
azure-functions-doctor, a maintained linter for the v2 programming model, finds nothing failed.

The worker runs in .venv-worker (Python 3.13, scripts/bootstrap): the deployed Python 3.11's
worker ships with the host only. The worker's metadata is the azure-functions library's
``get_raw_bindings()``, so the listing from the deployed library version (1.26 on 3.11) must be
identical to the worker's; that equality is what makes the 3.13 check hold for 3.11.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bicep_templates import REPO

WORKER_PYTHON = REPO / ".venv-worker" / "bin" / "python"
DOCTOR = REPO / ".venv-worker" / "bin" / "azure-functions-doctor"
INDEXING = Path(__file__).with_name("worker_indexing.py")

# Function name -> (route template, methods, auth level). None: every method reaches it.
EXPECTED_FUNCTIONS = {
    "users": ("scim/{tenant}/v2/Users", ["GET", "POST"]),
    "user": ("scim/{tenant}/v2/Users/{id}", ["GET", "PUT", "PATCH", "DELETE"]),
    "groups": ("scim/{tenant}/v2/Groups", ["GET", "POST"]),
    "group": ("scim/{tenant}/v2/Groups/{id}", ["GET", "PUT", "PATCH", "DELETE"]),
    "users_search": ("scim/{tenant}/v2/Users/.search", ["POST"]),
    "groups_search": ("scim/{tenant}/v2/Groups/.search", ["POST"]),
    "root_search": ("scim/{tenant}/v2/.search", ["POST"]),
    "bulk": ("scim/{tenant}/v2/Bulk", ["POST"]),
    "service_provider_config": ("scim/{tenant}/v2/ServiceProviderConfig", None),
    "schemas": ("scim/{tenant}/v2/Schemas", None),
    "schema": ("scim/{tenant}/v2/Schemas/{id}", None),
    "resource_types": ("scim/{tenant}/v2/ResourceTypes", None),
    "resource_type": ("scim/{tenant}/v2/ResourceTypes/{id}", None),
    "oauth_token": ("scim/{tenant}/v2/oauth2/token", None),
    "oauth_metadata": (".well-known/oauth-authorization-server/scim/{tenant}/v2", ["GET"]),
    "unknown_route": ("scim/{*path}", None),
    "events": ("scim/{tenant}/v2/Events", ["POST"]),
}
TIMER_FUNCTIONS = {"journal_retention": "0 17 3 * * *", "event_push": "0 * * * * *"}
# Doctor warnings about the machine running it, not the app (no func, no local settings, ...);
# app_insights: the doctor reads app settings from literal Bicep values only, and infra/ sets
# APPLICATIONINSIGHTS_CONNECTION_STRING from the resource (test_bicep_structure checks it).
ENVIRONMENT_WARNINGS = {"check_venv", "check_local_settings", "check_func_cli", "check_func_core_tools_version"}
UNREADABLE_BY_DOCTOR = {"check_app_insights"}


def require_worker_environment() -> None:
    if not WORKER_PYTHON.exists():
        pytest.fail(
            ".venv-worker is missing: scripts/bootstrap creates it from a Python 3.13 interpreter"
            " (PYTHON_WORKER, python3.13 or pyenv's 3.13); the worker indexing cannot be checked without it"
        )


def index(python: Path | str, *options: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(python), str(INDEXING), *options], capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def worker_listing() -> dict:
    require_worker_environment()
    completed = index(WORKER_PYTHON)
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout)


def http_trigger(function: dict) -> dict:
    (trigger,) = [binding for binding in function["bindings"] if binding["type"] == "httpTrigger"]
    return trigger


def http_functions(listing: dict) -> list[dict]:
    return [f for f in listing["functions"] if any(b["type"] == "httpTrigger" for b in f["bindings"])]


def test_worker_indexes_every_function_with_its_route_methods_and_anonymous_auth(worker_listing):
    indexed = {
        function["name"]: (http_trigger(function)["route"], http_trigger(function).get("methods"))
        for function in http_functions(worker_listing)
    }

    assert "azure-functions-runtime" in worker_listing["indexer"]
    assert indexed == EXPECTED_FUNCTIONS
    assert {http_trigger(function)["authLevel"] for function in http_functions(worker_listing)} == {"ANONYMOUS"}


def test_worker_indexes_the_timers_with_their_schedules(worker_listing):
    timers = {
        function["name"]: binding["schedule"]
        for function in worker_listing["functions"]
        for binding in function["bindings"]
        if binding["type"] == "timerTrigger"
    }

    assert timers == TIMER_FUNCTIONS


def test_every_http_function_takes_the_request_as_req_and_returns_the_http_response(worker_listing):
    for function in http_functions(worker_listing):
        directions = {(binding["name"], binding["type"], binding["direction"]) for binding in function["bindings"]}
        assert directions == {("req", "httpTrigger", "IN"), ("$return", "http", "OUT")}, function["name"]


def test_worker_metadata_equals_what_the_deployed_library_version_generates(worker_listing):
    completed = index(sys.executable, "--sdk")
    assert completed.returncode == 0, completed.stderr[-3000:]
    deployed = json.loads(completed.stdout)

    assert "azure-functions 1.26" in deployed["indexer"]
    assert deployed["functions"] == worker_listing["functions"]


def test_worker_refuses_a_function_whose_parameter_does_not_match_its_binding(tmp_path):
    require_worker_environment()
    (tmp_path / "function_app.py").write_text(
        "import azure.functions as func\n"
        "app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)\n"
        "@app.route(route='x')\n"
        "def handler(request: func.HttpRequest) -> func.HttpResponse:\n"  # the binding is named req
        "    return func.HttpResponse('')\n"
    )

    completed = index(WORKER_PYTHON, "--app", str(tmp_path))

    assert completed.returncode != 0
    assert "FunctionLoadError" in completed.stderr
    assert "handler" in completed.stderr


def test_azure_functions_doctor_finds_nothing_failed_in_the_deployed_package(tmp_path):
    require_worker_environment()
    package = tmp_path / "package"
    package.mkdir()
    for name in ("function_app.py", "host.json", "requirements.txt", ".funcignore"):
        shutil.copy(REPO / name, package / name)
    for folder in ("scim", "infra"):
        shutil.copytree(REPO / folder, package / folder, ignore=shutil.ignore_patterns("__pycache__"))

    completed = subprocess.run(
        [
            str(DOCTOR),
            "doctor",
            "--path",
            str(package),
            "--profile",
            "full",
            "--target-python",
            "3.11",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    report = json.loads(completed.stdout)
    items = [item for section in report["results"] for item in section["items"]]
    failed = [f"{item['rule_id']}: {item['value']}" for item in items if item["status"] == "fail"]
    warned = {item["rule_id"] for item in items if item["status"] == "warn"}

    assert report["metadata"]["programming_model"] == "v2"
    assert failed == []
    assert warned <= ENVIRONMENT_WARNINGS | UNREADABLE_BY_DOCTOR
    assert sum(item["status"] == "pass" for item in items) >= 20
