"""Translate HTTP requests into service calls and results into SCIM responses.

This is the one place where errors become SCIM error responses (RFC 7644 section 3.12):
no response ever carries a traceback, and storage trouble is a 503 with Retry-After.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func

from scim.api import dependencies
from scim.auth.tokens import authenticate
from scim.errors import InvalidSyntax, InvalidValue, NotFound, PayloadTooLarge, ScimError, ServiceUnavailable
from scim.models.messages import ERROR_SCHEMA, LIST_RESPONSE_SCHEMA
from scim.service.ports import StorageUnavailable, StoredResource

logger = logging.getLogger(__name__)

SCIM_MEDIA_TYPE = "application/scim+json"
MAX_BODY_BYTES = 1024 * 1024
TENANT_PATTERN = re.compile(r"^[a-z0-9-]{1,63}$")
TENANT_URL_PATTERN = re.compile(r"^(.*?/scim/[^/]+/v2)(?:/|$)", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    """What a handler answers: a status, maybe a JSON body, and extra headers."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    """An authenticated request, as the handlers see it."""

    request: func.HttpRequest
    tenant: str
    tenant_url: str
    services: dependencies.Dependencies

    def json_body(self) -> Any:
        """The parsed JSON body; 400 invalidSyntax when it is not JSON."""
        try:
            return json.loads(self.request.get_body().decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as problem:
            raise InvalidSyntax(f"the body is not valid JSON: {problem}") from None

    def query(self, name: str) -> str | None:
        """A query parameter by name in any letter case."""
        return next((value for key, value in self.request.params.items() if key.lower() == name.lower()), None)

    def integer_query(self, name: str) -> int | None:
        text = self.query(name)
        if text is None or text == "":
            return None
        try:
            return int(text)
        except ValueError:
            raise InvalidValue(f"{name} must be an integer") from None


Handler = Callable[[Call], Reply]


def users_collection(request: func.HttpRequest) -> func.HttpResponse:
    """/Users: GET lists (RFC 7644 section 3.4.2), POST creates (section 3.3)."""
    return _serve(request, {"GET": _list_users, "POST": _create_user})


def user_item(request: func.HttpRequest) -> func.HttpResponse:
    """/Users/{id}: GET, PUT, PATCH and DELETE of one User."""
    return _serve(request, {"GET": _get_user, "PUT": _replace_user, "PATCH": _patch_user, "DELETE": _delete_user})


def _list_users(call: Call) -> Reply:
    users = call.services.users
    page = users.query(call.tenant, call.query("filter"), call.integer_query("startIndex"), call.integer_query("count"))
    return Reply(
        200,
        {
            "schemas": [LIST_RESPONSE_SCHEMA],
            "totalResults": page.total_results,
            "startIndex": page.start_index,
            "itemsPerPage": len(page.resources),
            "Resources": [users.representation(resource, call.tenant_url) for resource in page.resources],
        },
    )


def _create_user(call: Call) -> Reply:
    created = call.services.users.create(call.tenant, call.json_body())
    reply = _resource_reply(call, created, status=201)
    reply.headers["Location"] = reply.body["meta"]["location"]
    return reply


def _get_user(call: Call) -> Reply:
    return _resource_reply(call, call.services.users.get(call.tenant, _route_id(call)))


def _replace_user(call: Call) -> Reply:
    replaced = call.services.users.replace(call.tenant, _route_id(call), call.json_body(), _if_match(call))
    return _resource_reply(call, replaced)


def _patch_user(call: Call) -> Reply:
    patched = call.services.users.patch(call.tenant, _route_id(call), call.json_body(), _if_match(call))
    return _resource_reply(call, patched)


def _delete_user(call: Call) -> Reply:
    call.services.users.delete(call.tenant, _route_id(call), _if_match(call))
    return Reply(204)


def _resource_reply(call: Call, resource: StoredResource, status: int = 200) -> Reply:
    body = call.services.users.representation(resource, call.tenant_url)
    return Reply(status, body, {"ETag": resource.version})


def _route_id(call: Call) -> str:
    return call.request.route_params.get("id", "")


def _if_match(call: Call) -> str | None:
    return call.request.headers.get("If-Match")


def _serve(request: func.HttpRequest, handlers: dict[str, Handler]) -> func.HttpResponse:
    """Authenticate, dispatch on the method, and turn every outcome into a SCIM response."""
    try:
        handler = handlers.get(request.method.upper())
        if handler is None:
            raise ScimError(f"{request.method} is not supported here", status=405)
        reply = handler(_authenticated_call(request))
    except ScimError as error:
        reply = _error_reply(error)
    except StorageUnavailable:
        logger.warning("Storage unavailable for %s %s", request.method, _path_of(request))
        reply = _error_reply(ServiceUnavailable("storage is unavailable; retry later"))
    except Exception:
        logger.exception("Unexpected error for %s %s", request.method, _path_of(request))
        reply = _error_reply(ScimError("internal error", status=500))
    return _http_response(reply)


def _authenticated_call(request: func.HttpRequest) -> Call:
    tenant = request.route_params.get("tenant", "")
    if not TENANT_PATTERN.match(tenant):
        raise NotFound("no such tenant")
    services = dependencies.current()
    authenticate(tenant, request.headers.get("Authorization"), services.tokens)
    if len(request.get_body() or b"") > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return Call(request, tenant, _tenant_url(request), services)


def _tenant_url(request: func.HttpRequest) -> str:
    """The Tenant URL this request was sent under: ``<scheme>://<host>[/prefix]/scim/<tenant>/v2``."""
    parts = urlsplit(request.url)
    match = TENANT_URL_PATTERN.match(parts.path)
    path = match.group(1) if match else parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _path_of(request: func.HttpRequest) -> str:
    # The query string is left out of logs: filters carry user names and e-mail addresses.
    return urlsplit(request.url).path


def _error_reply(error: ScimError) -> Reply:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    if isinstance(error, ServiceUnavailable):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return Reply(error.status, body, headers)


def _http_response(reply: Reply) -> func.HttpResponse:
    if reply.body is None:
        return func.HttpResponse(status_code=reply.status, headers=reply.headers)
    return func.HttpResponse(
        json.dumps(reply.body, ensure_ascii=False).encode("utf-8"),
        status_code=reply.status,
        headers=reply.headers,
        mimetype=SCIM_MEDIA_TYPE,
        charset="utf-8",
    )
