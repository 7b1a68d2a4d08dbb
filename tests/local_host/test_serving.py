"""The local host over real HTTP, its settings files, and ``python -m local_host`` itself."""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import azure.functions as func
import pytest

from local_host import server as server_module
from local_host.routing import build_router
from local_host.server import serving
from local_host.settings import load_local_settings, read_route_prefix

REPO_ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 20
RECORDED_BODIES: list[bytes] = []  # what the "record" function was called with


def make_app() -> func.FunctionApp:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="echo/{word}", methods=["GET", "POST", "HEAD"])
    def echo(req: func.HttpRequest) -> func.HttpResponse:
        answer = {"word": req.route_params["word"], "params": dict(req.params), "body": req.get_body().decode()}
        return func.HttpResponse(json.dumps(answer), mimetype="application/json")

    @app.route(route="cookies", methods=["GET"])
    def cookies(req: func.HttpRequest) -> func.HttpResponse:
        response = func.HttpResponse("two cookies")
        response.headers.add("Set-Cookie", "a=1")
        response.headers.add("Set-Cookie", "b=2")
        return response

    @app.route(route="nothing", methods=["DELETE"])
    def nothing(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(status_code=204)

    @app.route(route="record", methods=["POST"])
    def record(req: func.HttpRequest) -> func.HttpResponse:
        RECORDED_BODIES.append(req.get_body())
        return func.HttpResponse("recorded")

    @app.route(route="boom", methods=["GET"])
    def boom(req: func.HttpRequest) -> func.HttpResponse:
        raise RuntimeError("secret detail in the traceback")

    return app


@pytest.fixture
def base_url() -> Iterator[str]:
    with serving(build_router(make_app(), route_prefix="")) as url:
        yield url


@pytest.fixture
def connection(base_url: str) -> Iterator[http.client.HTTPConnection]:
    address = urlsplit(base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    yield connection
    connection.close()


# --- over real HTTP -----------------------------------------------------------------------------


def raw_exchange(base_url: str, request: bytes, *, hang_up: bool = False, wait: float = 5) -> bytes:
    """Send ``request`` bytes on a new connection; hang up at once, or read what comes back within ``wait``."""
    address = urlsplit(base_url)
    with socket.create_connection((address.hostname, address.port), timeout=wait) as connection:
        connection.sendall(request)
        if hang_up:
            return b""
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except TimeoutError:
            pass
        return received


@pytest.fixture
def recorded() -> list[bytes]:
    RECORDED_BODIES.clear()
    return RECORDED_BODIES


def settle() -> None:
    time.sleep(0.5)  # what the server thread would do with a hung-up request, it has done by now


@pytest.mark.parametrize("length", ["-1", "abc", "1e3", "", "+5"])
def test_a_content_length_that_is_not_a_byte_count_is_400_and_calls_nothing(base_url, recorded, length):
    answer = raw_exchange(base_url, f"POST /record HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode())

    assert answer.startswith(b"HTTP/1.1 400")
    assert recorded == []


def test_a_body_shorter_than_its_content_length_is_never_acted_on_when_the_client_hangs_up(base_url, recorded):
    raw_exchange(base_url, b"POST /record HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort", hang_up=True)
    settle()

    assert recorded == []


def test_a_body_that_stops_arriving_is_408_after_the_body_timeout(base_url, recorded, monkeypatch):
    monkeypatch.setattr(server_module, "BODY_TIMEOUT_SECONDS", 0.5)

    answer = raw_exchange(base_url, b"POST /record HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nshort", wait=5)

    assert answer.startswith(b"HTTP/1.1 408")
    assert recorded == []


def test_a_chunk_larger_than_its_data_is_never_acted_on_when_the_client_hangs_up(base_url, recorded):
    request = b"POST /record HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc"
    raw_exchange(base_url, request, hang_up=True)
    settle()

    assert recorded == []


@pytest.mark.parametrize("size_line", [b"zz", b"-1", b"1" * 40])
def test_a_chunk_size_that_is_not_hexadecimal_is_400(base_url, recorded, size_line):
    request = (
        b"POST /record HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + size_line + b"\r\nabc\r\n0\r\n\r\n"
    )

    assert raw_exchange(base_url, request).startswith(b"HTTP/1.1 400")
    assert recorded == []


def test_a_body_larger_than_the_limit_is_413_before_it_is_read(base_url, recorded):
    length = server_module.MAX_BODY_BYTES + 1
    request = f"POST /record HTTP/1.1\r\nHost: x\r\nContent-Length: {length}\r\n\r\n".encode()

    assert raw_exchange(base_url, request).startswith(b"HTTP/1.1 413")
    assert recorded == []


def test_chunks_adding_up_past_the_limit_are_413(base_url, recorded, monkeypatch):
    monkeypatch.setattr(server_module, "MAX_BODY_BYTES", 10)
    chunks = b"8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n"
    request = b"POST /record HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks

    assert raw_exchange(base_url, request).startswith(b"HTTP/1.1 413")
    assert recorded == []


def test_a_whole_body_is_acted_on(base_url, recorded):
    answer = raw_exchange(
        base_url, b"POST /record HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nConnection: close\r\n\r\nwhole"
    )

    assert answer.startswith(b"HTTP/1.1 200")
    assert recorded == [b"whole"]


def test_request_is_served_over_http(base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/echo/hi%2Fthere?q=a+b", timeout=10) as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert json.load(response) == {"word": "hi/there", "params": {"q": "a b"}, "body": ""}


def test_request_body_is_read_from_content_length(base_url: str) -> None:
    request = urllib.request.Request(f"{base_url}/echo/x", data=b'{"a": 1}', method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        assert json.load(response)["body"] == '{"a": 1}'


def test_chunked_request_body_is_read(connection: http.client.HTTPConnection) -> None:
    connection.request("POST", "/echo/x", body=iter([b"ab", b"cd"]), encode_chunked=True)
    assert json.loads(connection.getresponse().read())["body"] == "abcd"


def test_connection_is_kept_alive_between_requests(connection: http.client.HTTPConnection) -> None:
    connection.request("GET", "/echo/one")
    connection.getresponse().read()
    first_socket = connection.sock
    connection.request("GET", "/echo/two")
    assert json.loads(connection.getresponse().read())["word"] == "two"
    assert connection.sock is first_socket


def test_repeated_response_headers_are_all_written(base_url: str) -> None:
    with urllib.request.urlopen(f"{base_url}/cookies", timeout=10) as response:
        assert response.headers.get_all("Set-Cookie") == ["a=1", "b=2"]


def test_no_content_reply_has_no_body(connection: http.client.HTTPConnection) -> None:
    connection.request("DELETE", "/nothing")
    response = connection.getresponse()
    assert (response.status, response.read(), response.getheader("Content-Length")) == (204, b"", None)


def test_head_reply_has_content_length_but_no_body(connection: http.client.HTTPConnection) -> None:
    connection.request("HEAD", "/echo/x")
    response = connection.getresponse()
    assert int(response.getheader("Content-Length")) > 0
    assert response.read() == b""


def test_method_not_accepted_by_route_returns_404_over_http(base_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(urllib.request.Request(f"{base_url}/echo/x", method="PUT"), timeout=10)
    assert error.value.code == 404


def test_exception_in_function_returns_500_without_traceback_over_http(base_url: str) -> None:
    with pytest.raises(urllib.error.HTTPError) as error:
        urllib.request.urlopen(f"{base_url}/boom", timeout=10)
    body = error.value.read()
    assert error.value.code == 500
    assert b"secret detail" not in body
    assert b"Traceback" not in body


# --- settings files -----------------------------------------------------------------------------


def write_local_settings(directory: Path, values: dict) -> Path:
    path = directory / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": False, "Values": values}), encoding="utf-8")
    return path


def test_local_settings_values_are_loaded_into_environment(tmp_path: Path) -> None:
    environment: dict[str, str] = {}
    load_local_settings(write_local_settings(tmp_path, {"SCIM_TABLE_NAME": "local"}), environment)
    assert environment == {"SCIM_TABLE_NAME": "local"}


def test_local_settings_do_not_override_the_environment(tmp_path: Path) -> None:
    environment = {"SCIM_TABLE_NAME": "from-environment"}
    load_local_settings(write_local_settings(tmp_path, {"SCIM_TABLE_NAME": "local"}), environment)
    assert environment == {"SCIM_TABLE_NAME": "from-environment"}


def test_non_string_local_settings_values_become_json_text(tmp_path: Path) -> None:
    environment: dict[str, str] = {}
    load_local_settings(write_local_settings(tmp_path, {"ENABLED": True, "COUNT": 3}), environment)
    assert environment == {"ENABLED": "true", "COUNT": "3"}


def test_missing_local_settings_change_nothing(tmp_path: Path) -> None:
    environment = {"KEPT": "1"}
    load_local_settings(tmp_path / "local.settings.json", environment)
    assert environment == {"KEPT": "1"}


def test_encrypted_local_settings_stop_the_local_host(tmp_path: Path) -> None:
    path = tmp_path / "local.settings.json"
    path.write_text(json.dumps({"IsEncrypted": True, "Values": {"SCIM_TABLE_NAME": "local"}}), encoding="utf-8")
    environment: dict[str, str] = {}

    with pytest.raises(SystemExit, match="encrypted"):
        load_local_settings(path, environment)
    assert environment == {}


def test_route_prefix_is_read_from_host_json(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"extensions": {"http": {"routePrefix": ""}}}))
    assert read_route_prefix(tmp_path / "host.json") == ""


def test_route_prefix_defaults_to_api(tmp_path: Path) -> None:
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0"}))
    assert read_route_prefix(tmp_path / "host.json") == "api"


# --- python -m local_host ------------------------------------------------------------------

SETTINGS_APP = textwrap.dedent(
    """
    import os
    import azure.functions as func

    SEEN_AT_IMPORT = {name: os.environ.get(name, "<unset>") for name in ("FROM_SETTINGS", "OVERRIDDEN")}
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="setting/{name}", methods=["GET"])
    def setting(req: func.HttpRequest) -> func.HttpResponse:
        return func.HttpResponse(SEEN_AT_IMPORT[req.route_params["name"]])
    """
)


@pytest.fixture(scope="module")
def module_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """``python -m local_host --port 0`` run in a project directory of its own.

    Yields the line it printed and its base URL. The directory has a local.settings.json setting
    FROM_SETTINGS and OVERRIDDEN, and the environment sets OVERRIDDEN too; the app reports the
    values it saw when it was imported.
    """
    tmp_path = tmp_path_factory.mktemp("project")
    (tmp_path / "settings_app.py").write_text(SETTINGS_APP)
    (tmp_path / "host.json").write_text(json.dumps({"version": "2.0", "extensions": {"http": {"routePrefix": "x"}}}))
    write_local_settings(tmp_path, {"FROM_SETTINGS": "settings value", "OVERRIDDEN": "settings value"})
    environment = {**os.environ, "OVERRIDDEN": "environment value", "PYTHONPATH": str(REPO_ROOT)}
    command = [sys.executable, "-m", "local_host", "--port", "0", "--app", "settings_app:app"]
    with (tmp_path / "stderr.log").open("wb") as stderr:
        process = subprocess.Popen(command, cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=stderr)
    try:
        ready, _, _ = select.select([process.stdout], [], [], STARTUP_TIMEOUT_SECONDS)
        line = process.stdout.readline().decode().strip() if ready else ""
        if not line:
            pytest.fail(f"the local host did not start:\n{(tmp_path / 'stderr.log').read_text()}")
        yield line, line.split(" on ")[1].split(" ")[0]
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def get_text(url: str) -> str:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read().decode()


def test_module_prints_what_it_serves(module_host: tuple[str, str]) -> None:
    line, base_url = module_host
    assert line == f"Local host serving settings_app.app on {base_url} (route prefix 'x')"


def test_module_loads_local_settings_before_importing_the_app(module_host: tuple[str, str]) -> None:
    _, base_url = module_host
    assert get_text(f"{base_url}/x/setting/FROM_SETTINGS") == "settings value"


def test_module_keeps_environment_over_local_settings(module_host: tuple[str, str]) -> None:
    _, base_url = module_host
    assert get_text(f"{base_url}/x/setting/OVERRIDDEN") == "environment value"
