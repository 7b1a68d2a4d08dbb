"""A stand-in for ``func start``: serves the HTTP triggers of a v2-model FunctionApp over real HTTP.

The HTTP server (standard library, threading, HTTP/1.1 keep-alive) and the command line
``python -m local_host``; see the package's docstring.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import azure.functions as func

from local_host.routing import Router, logger, router_of
from local_host.settings import load_local_settings, read_route_prefix
from local_host.timers import Timers, timer_functions
from scim.platform.local_settings import FILE_NAME as LOCAL_SETTINGS_FILE

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7071
DEFAULT_APP = "function_app:app"
HOST_FILE = "host.json"
# Bounds on what a request may make the local host read (it stands in for the Functions host,
# whose own limit is 100 MB; the SCIM adapter refuses bodies over 1 MiB anyway): a body is at
# most this long, and each read of it waits at most this long for data.
MAX_BODY_BYTES = 4 * 1024 * 1024
BODY_TIMEOUT_SECONDS = 10.0
_DIGITS = re.compile(r"[0-9]{1,12}")
_HEX_DIGITS = re.compile(rb"[0-9a-fA-F]{1,12}")
_MAX_LINE = 1024
_MAX_TRAILERS = 64


def load_app(spec: str) -> func.FunctionApp:
    """Import ``module:attribute`` (e.g. ``function_app:app``) and return the app object."""
    module_name, _, attribute = spec.partition(":")
    app: func.FunctionApp = getattr(importlib.import_module(module_name), attribute or "app")
    return app


class LocalHostServer(ThreadingHTTPServer):
    """A threading HTTP/1.1 server that hands every request to ``router``."""

    def __init__(self, address: tuple[str, int], router: Router) -> None:
        super().__init__(address, _RequestHandler)
        self.router = router

    @property
    def base_url(self) -> str:
        host, port = self.socket.getsockname()[:2]
        return f"http://{host}:{port}"


class _BodyRefused(Exception):
    """A request body the local host does not read whole: the function is not called."""

    def __init__(self, status: int, reason: str):
        super().__init__(reason)
        self.status = status
        self.reason = reason


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
        try:
            body = self._read_body()
        except _BodyRefused as refused:
            self._refuse(refused.status, refused.reason)
            return
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
        """The whole body, or _BodyRefused: a function is never called with part of a body."""
        self.connection.settimeout(BODY_TIMEOUT_SECONDS)
        try:
            if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
                return self._read_chunked_body()
            length = self.headers.get("Content-Length")
            if length is None:
                return b""
            if not _DIGITS.fullmatch(length.strip()):
                raise _BodyRefused(400, "Content-Length is not a byte count")
            return self._read_exactly(int(length))
        except TimeoutError:
            raise _BodyRefused(408, "the body did not arrive in time") from None
        finally:
            self.connection.settimeout(self.timeout)

    def _read_chunked_body(self) -> bytes:
        chunks, total = [], 0
        while True:
            size_text = self.rfile.readline(_MAX_LINE).split(b";")[0].strip()
            if not _HEX_DIGITS.fullmatch(size_text):
                raise _BodyRefused(400, "a chunk size is not hexadecimal")
            size = int(size_text, 16)
            if size == 0:
                break
            total += size
            chunks.append(self._read_exactly(size, total))
            self.rfile.readline(_MAX_LINE)  # CRLF after the chunk
        for _ in range(_MAX_TRAILERS):  # trailer headers up to the empty line
            if not self.rfile.readline(_MAX_LINE).strip():
                break
        return b"".join(chunks)

    def _read_exactly(self, size: int, total: int | None = None) -> bytes:
        if (size if total is None else total) > MAX_BODY_BYTES:
            raise _BodyRefused(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
        data = self.rfile.read(size)
        if len(data) < size:  # the client hung up: what arrived is not the request it meant
            raise _BodyRefused(400, "the body ended before its announced length")
        return data

    def _refuse(self, status: int, reason: str) -> None:
        self.close_connection = True  # the rest of the stream cannot be trusted to start a request
        body = reason.encode()
        try:
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client is gone

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


# --- command line -------------------------------------------------------------------------------


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m local_host", description=__doc__.splitlines()[0])
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
    functions = load_app(arguments.app).get_functions()  # once per app object
    server = create_server(router_of(functions, route_prefix), arguments.host, arguments.port)
    timers = Timers(timer_functions(functions))
    app_name = arguments.app.replace(":", ".")
    print(f"Local host serving {app_name} on {server.base_url} (route prefix {route_prefix!r})", flush=True)
    timers.start()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        timers.stop()
        server.server_close()
