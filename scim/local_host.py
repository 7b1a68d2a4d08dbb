"""A stand-in for ``func start``: serves the HTTP triggers of a v2-model FunctionApp over real HTTP.

Run it from the project root::

    python -m scim.local_host [--host 127.0.0.1] [--port 7071] [--app function_app:app]

Like the Functions host it loads ``local.settings.json`` ``Values`` into the environment (variables
already set win), reads the route prefix from ``host.json`` and then imports the app. Only the
standard library server is used; it is for local development and tests, never for production.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import inspect
import json
import logging
import os
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func

logger = logging.getLogger("scim.local_host")  # not __main__ under python -m

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7071
DEFAULT_APP = "function_app:app"
DEFAULT_ROUTE_PREFIX = "api"
LOCAL_SETTINGS_FILE = "local.settings.json"
HOST_FILE = "host.json"
PROJECT_ROOT = Path(__file__).resolve().parents[1]

# Framing headers are computed by the server from the body it writes, never taken from a response.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_INTERNAL_ERROR_BODY = b"Internal Server Error"
# {name}, {name?}, {*name}; a constraint or default after ':' or '=' is accepted and ignored.
_PARAMETER = re.compile(r"\{(?P<catch_all>\*{1,2})?(?P<name>\w+)(?:[:=][^{}]*?)?(?P<optional>\?)?\}")


# --- settings -----------------------------------------------------------------------------------


def load_local_settings(path: Path, environ: MutableMapping[str, str] = os.environ) -> dict[str, str]:
    """Copy ``Values`` of a local.settings.json into ``environ``, as ``func start`` does.

    A variable already set in ``environ`` is kept (the environment wins). Non-string values are
    stored as their JSON text. A missing file changes nothing. Returns the variables it set.
    """
    if not path.is_file():
        return {}
    settings = json.loads(path.read_text(encoding="utf-8"))
    if settings.get("IsEncrypted"):
        raise SystemExit(f"{path} is encrypted; the local host reads only unencrypted settings")
    applied = {}
    for name, value in (settings.get("Values") or {}).items():
        if name not in environ:
            applied[name] = value if isinstance(value, str) else json.dumps(value)
    environ.update(applied)
    return applied


def read_route_prefix(path: Path) -> str:
    """``extensions.http.routePrefix`` of host.json; "api" when the file or the setting is absent."""
    if not path.is_file():
        return DEFAULT_ROUTE_PREFIX
    host = json.loads(path.read_text(encoding="utf-8"))
    prefix = host.get("extensions", {}).get("http", {}).get("routePrefix", DEFAULT_ROUTE_PREFIX)
    return prefix.strip("/")


def load_app(spec: str) -> func.FunctionApp:
    """Import ``module:attribute`` (e.g. ``function_app:app``) and return the app object."""
    module_name, _, attribute = spec.partition(":")
    return getattr(importlib.import_module(module_name), attribute or "app")


# --- route templates ----------------------------------------------------------------------------


@dataclass(frozen=True)
class TemplateSegment:
    """One '/'-separated part of a route template, matched against one decoded path segment.

    ``rank`` orders segments by specificity: literal 0, literal text mixed with parameters 1,
    parameter 2, optional parameter 3, catch-all 4 (lower wins when several routes match).
    """

    pattern: re.Pattern[str]
    rank: int
    optional: bool = False
    catch_all_name: str | None = None

    @classmethod
    def parse(cls, text: str) -> TemplateSegment:
        whole = _PARAMETER.fullmatch(text)
        if whole and whole["catch_all"]:
            # The rest of the path is taken whole, so the pattern is never used.
            return cls(re.compile(".*"), rank=4, optional=True, catch_all_name=whole["name"])
        if whole:
            optional = bool(whole["optional"])
            return cls(re.compile(f"(?P<{whole['name']}>.+)"), rank=3 if optional else 2, optional=optional)
        parameters = list(_PARAMETER.finditer(text))
        if parameters:
            return cls(_mixed_segment_pattern(text, parameters), rank=1)
        return cls(re.compile(re.escape(text), re.IGNORECASE), rank=0)


def _mixed_segment_pattern(text: str, parameters: list[re.Match[str]]) -> re.Pattern[str]:
    """Literal text matched case-insensitively around greedy parameters, e.g. ``{name}.{ext}``."""
    pattern, position = "", 0
    for parameter in parameters:
        pattern += re.escape(text[position : parameter.start()]) + f"(?P<{parameter['name']}>.+)"
        position = parameter.end()
    return re.compile(pattern + re.escape(text[position:]), re.IGNORECASE)


@dataclass(frozen=True)
class RouteTemplate:
    """A route template such as ``scim/{tenant}/v2/Users/{id}``, prefix included.

    Rules: literal segments match case-insensitively; ``{x}`` takes exactly one non-empty
    segment; ``{x?}`` may be missing at the end; ``{*x}`` takes the rest of the path (zero or more
    segments, joined with '/'); a missing optional or empty catch-all gives no route parameter.
    """

    text: str
    segments: tuple[TemplateSegment, ...]

    @classmethod
    def parse(cls, text: str) -> RouteTemplate:
        return cls(text, tuple(TemplateSegment.parse(part) for part in _split(text)))

    @property
    def precedence(self) -> tuple[int, ...]:
        """Sort key: more specific templates (literals before parameters, segment by segment) first."""
        return tuple(segment.rank for segment in self.segments)

    def match(self, segments: list[str]) -> dict[str, str] | None:
        """Route parameters when the decoded path ``segments`` fit this template, else None."""
        parameters: dict[str, str] = {}
        for index, part in enumerate(self.segments):
            if part.catch_all_name:
                rest = "/".join(segments[index:])
                return {**parameters, part.catch_all_name: rest} if rest else parameters
            if index == len(segments):
                return parameters if all(later.optional for later in self.segments[index:]) else None
            found = part.pattern.fullmatch(segments[index])
            if not found:
                return None
            parameters.update(found.groupdict())
        return parameters if len(segments) == len(self.segments) else None


def _split(path: str) -> list[str]:
    """The '/'-separated segments of a path or template; leading and trailing '/' are ignored."""
    stripped = path.strip("/")
    return stripped.split("/") if stripped else []


def path_segments(raw_path: str) -> list[str]:
    """Segments of a still percent-encoded path, each decoded on its own (so %2F stays inside it)."""
    return [unquote(segment) for segment in _split(raw_path)]


# --- routing and dispatch -----------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    """One HTTP-triggered function: where it listens and how it is called."""

    function_name: str
    template: RouteTemplate
    methods: frozenset[str] | None  # None: every method
    request_parameter: str
    user_function: Callable[..., Any]

    def accepts(self, method: str) -> bool:
        return self.methods is None or method.upper() in self.methods


@dataclass(frozen=True)
class Reply:
    """What is written back on the wire: status, headers (repeats allowed) and body."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes


class Router:
    """Finds the function for a request and turns its HttpResponse into a Reply.

    Rules: among the routes whose template fits the path and that accept the method, the most
    specific wins (see ``RouteTemplate.precedence``; ties go to the earlier route). A path no route
    accepts the method for is 404, as on the Functions host (not 405). An exception escaping the
    function is logged and answered 500 with a generic body.
    """

    def __init__(self, routes: Iterable[Route]) -> None:
        self.routes = sorted(routes, key=lambda route: route.template.precedence)

    def find(self, method: str, raw_path: str) -> tuple[Route, dict[str, str]] | None:
        """The route for ``method`` on the percent-encoded ``raw_path`` and its route parameters."""
        segments = path_segments(raw_path)
        for route in self.routes:
            if route.accepts(method):
                parameters = route.template.match(segments)
                if parameters is not None:
                    return route, parameters
        return None

    def dispatch(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Serve one request for the full ``url`` (``http://host:port/path?query``)."""
        target = urlsplit(url)
        found = self.find(method, target.path)
        if found is None:
            return Reply(404, [], b"")
        route, route_params = found
        request = func.HttpRequest(
            method.upper(),
            url,
            headers=dict(headers),
            params=dict(parse_qsl(target.query, keep_blank_values=True)),
            route_params=route_params,
            body=body,
        )
        try:
            return reply_from(call_function(route, request))
        except Exception:
            logger.exception("Function %s failed on %s %s", route.function_name, method, target.path)
            return Reply(500, [("Content-Type", "text/plain; charset=utf-8")], _INTERNAL_ERROR_BODY)


def call_function(route: Route, request: func.HttpRequest) -> func.HttpResponse:
    """Call the user function with the request as its trigger parameter; coroutines run to completion."""
    arguments = {route.request_parameter: request}
    if inspect.iscoroutinefunction(route.user_function):
        response = asyncio.run(route.user_function(**arguments))
    else:
        response = route.user_function(**arguments)
    if not isinstance(response, func.HttpResponse):
        raise TypeError(f"function {route.function_name} returned {type(response).__name__}, not HttpResponse")
    return response


def reply_from(response: func.HttpResponse) -> Reply:
    """Status, every header and the body of ``response``.

    Content-Type comes from the headers when set there, else from ``mimetype`` (with
    ``; charset=...`` for text/* types), as the Python worker does. Framing headers are dropped.
    """
    headers = [(name, value) for name, value in response.headers.items() if name.lower() not in _FRAMING_HEADERS]
    if not any(name.lower() == "content-type" for name, _ in headers):
        content_type = response.mimetype
        if content_type.startswith("text/"):
            content_type += f"; charset={response.charset}"
        headers.append(("Content-Type", content_type))
    return Reply(response.status_code, headers, response.get_body())


def build_router(app: func.FunctionApp, route_prefix: str) -> Router:
    """A Router over the HTTP triggers of ``app``, each route behind ``route_prefix`` ("" for none).

    ``app.get_functions()`` may be called only once per app object, so build one router per app.
    """
    routes = []
    for function in app.get_functions():
        if not function.is_http_function():
            continue
        trigger = function.get_trigger()
        route = (trigger.route or function.get_function_name()).strip("/")
        routes.append(
            Route(
                function_name=function.get_function_name(),
                template=RouteTemplate.parse("/".join(part for part in (route_prefix.strip("/"), route) if part)),
                methods=None if trigger.methods is None else frozenset(_method_name(m) for m in trigger.methods),
                request_parameter=trigger.name,
                user_function=function.get_user_function(),
            )
        )
    return Router(routes)


def _method_name(method: Any) -> str:
    """'GET' for HttpMethod.GET or 'get'."""
    return str(getattr(method, "value", method)).upper()


# --- HTTP server --------------------------------------------------------------------------------


class LocalHostServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server that hands every request to ``router``."""

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        super().__init__(address, _RequestHandler)
        self.router = router

    @property
    def base_url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}"


class _RequestHandler(BaseHTTPRequestHandler):
    """Reads a request (Content-Length or chunked body), dispatches it, writes the Reply.

    Replies carry Content-Length, so connections stay open (HTTP/1.1 keep-alive); 204 and 304
    replies have no body and no Content-Length, and a reply to HEAD has no body.
    """

    protocol_version = "HTTP/1.1"
    timeout = 120  # seconds an idle keep-alive connection is kept open
    # TCP_NODELAY: headers and body go out as separate writes, and on a keep-alive connection
    # Nagle's algorithm would hold the body back until the client's delayed ACK (~40 ms).
    disable_nagle_algorithm = True
    server: LocalHostServer

    def _serve(self) -> None:
        body = self._read_body()
        if self.path.startswith("/"):
            host = self.headers.get("Host") or "{}:{}".format(*self.server.server_address[:2])
            url = f"http://{host}{self.path}"
        else:  # absolute-form request target
            url = self.path
        reply = self.server.router.dispatch(self.command, url, self._headers(), body)
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        has_body = reply.status not in (204, 304)
        if has_body:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if has_body and self.command != "HEAD":
            self.wfile.write(reply.body)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _headers(self) -> dict[str, str]:
        """Request headers; a repeated header becomes one comma-separated value."""
        headers: dict[str, str] = {}
        for name, value in self.headers.items():
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        return headers

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked_body()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _read_chunked_body(self) -> bytes:
        chunks = []
        while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
            chunks.append(self.rfile.read(size))
            self.rfile.readline()  # CRLF after the chunk
        while self.rfile.readline().strip():  # trailer headers up to the empty line
            pass
        return b"".join(chunks)

    def log_message(self, format: str, *args: Any) -> None:
        # The request line goes without its query string: filters carry user names and e-mail addresses.
        args = tuple(re.sub(r"\?\S*", "", arg) if arg == getattr(self, "requestline", None) else arg for arg in args)
        logger.info("%s - %s", self.address_string(), format % args)


def create_server(router: Router, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> LocalHostServer:
    """A bound, listening server (port 0 picks a free port; see ``base_url``)."""
    return LocalHostServer((host, port), router)


@contextmanager
def serving(router: Router, host: str = DEFAULT_HOST, port: int = 0) -> Iterator[str]:
    """Serve ``router`` from a background thread; yields the base URL, e.g. ``http://127.0.0.1:54321``."""
    server = create_server(router, host, port)
    # A short poll interval makes shutdown (and so the end of the with block) quick.
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def child_process(
    environ: Mapping[str, str], log_path: Path, *, host: str = DEFAULT_HOST, startup_timeout: float = 20
) -> Iterator[str]:
    """Run ``python -m scim.local_host`` as a child process on a free port; yields its base URL.

    The child runs from the project root with ``environ`` as its whole environment and its output
    in ``log_path``; a child that exits or does not listen in time raises ``RuntimeError`` with it.
    """
    port = free_port(host)
    command = [sys.executable, "-m", "scim.local_host", "--host", host, "--port", str(port)]
    with listening_process(command, environ, log_path, (host, port), "the local host", startup_timeout=startup_timeout):
        yield f"http://{host}:{port}"


def free_port(host: str = DEFAULT_HOST) -> int:
    """A TCP port that is free on ``host`` now, for a child process to listen on."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@contextmanager
def listening_process(
    command: list[str],
    environ: Mapping[str, str],
    log_path: Path,
    address: tuple[str, int],
    name: str,
    *,
    startup_timeout: float = 20,
) -> Iterator[subprocess.Popen]:
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
    process: subprocess.Popen, address: tuple[str, int], log_path: Path, timeout: float, name: str
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


# --- command line -------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m scim.local_host", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default {DEFAULT_HOST})")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("SCIM_PORT", DEFAULT_PORT)),
        help=f"port to listen on (default: $SCIM_PORT, else {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--app", default=DEFAULT_APP, help=f"module:attribute of the FunctionApp (default {DEFAULT_APP})"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> None:
    """Load settings, import the app, then serve it until interrupted (from the current directory)."""
    arguments = parse_arguments(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    load_local_settings(Path(LOCAL_SETTINGS_FILE))
    route_prefix = read_route_prefix(Path(HOST_FILE))
    if "" not in sys.path and os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())  # the app module lives in the current directory, as for func
    router = build_router(load_app(arguments.app), route_prefix)
    server = create_server(router, arguments.host, arguments.port)
    app_name = arguments.app.replace(":", ".")
    print(f"Local host serving {app_name} on {server.base_url} (route prefix {route_prefix!r})", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
