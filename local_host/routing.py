"""Route templates and dispatch: which HTTP-triggered function of a v2-model FunctionApp answers a
request, and the reply its ``HttpResponse`` becomes, with the Functions host's rules."""

from __future__ import annotations

import asyncio
import inspect
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import azure.functions as func
from azure.functions.decorators.http import HttpTrigger

logger = logging.getLogger("local_host")

# Framing headers are computed by the server from the body it writes, never taken from a response.
_FRAMING_HEADERS = frozenset({"content-length", "transfer-encoding", "connection"})
_INTERNAL_ERROR_BODY = b"Internal Server Error"
# {name}, {name?}, {*name}; a constraint or default after ':' or '=' is accepted and ignored.
_PARAMETER = re.compile(r"\{(?P<catch_all>\*{1,2})?(?P<name>\w+)(?:[:=][^{}]*?)?(?P<optional>\?)?\}")

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
    return router_of(app.get_functions(), route_prefix)


def router_of(functions: Iterable[func.Function], route_prefix: str) -> Router:
    """A Router over the HTTP triggers among ``functions`` (``app.get_functions()``)."""
    routes = []
    for function in functions:
        trigger = function.get_trigger()
        if not isinstance(trigger, HttpTrigger):
            continue
        function_name = str(function.get_function_name())
        route = (trigger.route or function_name).strip("/")
        routes.append(
            Route(
                function_name=function_name,
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
