"""Translate HTTP requests into service calls and results into SCIM responses.

This is the one place where errors become SCIM error responses (RFC 7644 section 3.12):
no response ever carries a traceback, and storage trouble is a 503 with Retry-After.
"""

from __future__ import annotations

import json
import logging
import re
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

import azure.functions as func

from scim.api import audit, dependencies
from scim.api.decoding import MAX_BODY_BYTES, check_json_media_type, check_request_text, parse_json_body
from scim.api.fair_share import TooManyRequests
from scim.auth.records import TenantCredentials, is_tenant_slug
from scim.auth.tokens import authenticate, authenticate_event_reader
from scim.errors import (
    InvalidValue,
    NotFound,
    PayloadTooLarge,
    ScimError,
    ServiceUnavailable,
    Unauthorized,
)
from scim.models.base import value_in_any_case
from scim.models.messages import BULK_RESPONSE_SCHEMA, ERROR_SCHEMA, LIST_RESPONSE_SCHEMA
from scim.models.resource_types import ResourceType
from scim.platform import request_count
from scim.service import discovery, journal
from scim.service.journal import RefusalLog
from scim.service.ports import StorageUnavailable, StoredResource
from scim.service.query import ListRequest
from scim.service.resources import ResourceService, matches_if_none_match
from scim.service.selection import Selection

logger = logging.getLogger(__name__)

SCIM_MEDIA_TYPE = "application/scim+json"
JSON_MEDIA_TYPE = "application/json"
OAUTH_METADATA_SEGMENT = "/.well-known/oauth-authorization-server"
REQUEST_ID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")
TENANT_URL_PATTERN = re.compile(r"^(.*?/scim/[^/]+/v2)(?:/|$)", re.IGNORECASE)

# What a route serves: a resource service on /Users and /Groups, None on discovery routes.
S = TypeVar("S", bound=ResourceService | None)

# Who may call a route: anyone (ServiceProviderConfig), a provisioning credential (every SCIM
# route), or only the tenant's event reader (/Events; it cannot provision, nor tokens read events).
Access = Literal["public", "provisioning", "event_reader"]


@dataclass(frozen=True)
class Reply:
    """What a handler answers: a status, maybe a JSON body, and extra headers."""

    status: int
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str = SCIM_MEDIA_TYPE


@dataclass(frozen=True)
class Call(Generic[S]):
    """An authenticated request, as the handlers see it."""

    request: func.HttpRequest
    tenant: str
    tenant_url: str
    service: S
    # The event reader's credential on /Events (its SETs are signed with a key derived from it).
    reader_credential: str = ""

    def json_body(self) -> Any:
        """The parsed JSON body: 415 unless its media type is JSON, 400 invalidSyntax unless it is
        (see ``scim.api.decoding``)."""
        check_json_media_type(self.request.headers.get("Content-Type"))
        return parse_json_body(self.request.get_body())

    def query(self, name: str) -> str | None:
        """A query parameter by name in any letter case."""
        params: Mapping[str, str] = self.request.params
        return value_in_any_case(params, name)

    def integer_query(self, name: str) -> int | None:
        text = self.query(name)
        if text is None or text == "":
            return None
        try:
            return int(text)
        except ValueError:
            raise InvalidValue(f"{name} must be an integer") from None


Handler = Callable[[Call[S]], Reply]


def users_collection(request: func.HttpRequest) -> func.HttpResponse:
    """/Users: GET lists (RFC 7644 section 3.4.2), POST creates (section 3.3)."""
    return _serve(request, _users, {"GET": _list, "POST": _create})


def user_item(request: func.HttpRequest) -> func.HttpResponse:
    """/Users/{id}: GET, PUT, PATCH and DELETE of one User."""
    return _serve(request, _users, ITEM_HANDLERS)


def groups_collection(request: func.HttpRequest) -> func.HttpResponse:
    """/Groups: GET lists, POST creates."""
    return _serve(request, _groups, {"GET": _list, "POST": _create})


def group_item(request: func.HttpRequest) -> func.HttpResponse:
    """/Groups/{id}: GET, PUT, PATCH and DELETE of one Group."""
    return _serve(request, _groups, ITEM_HANDLERS)


def users_search(request: func.HttpRequest) -> func.HttpResponse:
    """/Users/.search: POST queries with a SearchRequest body (RFC 7644 section 3.4.3)."""
    return _serve(request, _users, {"POST": _search})


def groups_search(request: func.HttpRequest) -> func.HttpResponse:
    """/Groups/.search: POST queries with a SearchRequest body."""
    return _serve(request, _groups, {"POST": _search})


def root_search(request: func.HttpRequest) -> func.HttpResponse:
    """/.search: POST queries Users and Groups at once (RFC 7644 section 3.4.3)."""
    return _serve(request, _no_service, {"POST": _root_search})


def bulk(request: func.HttpRequest) -> func.HttpResponse:
    """/Bulk: POST runs many operations in one request (RFC 7644 section 3.7)."""
    return _serve(request, _no_service, {"POST": _bulk})


def events(request: func.HttpRequest) -> func.HttpResponse:
    """/Events: POST acknowledges and polls the tenant's change events (RFC 8936 section 2.4), for its
    event reader only (docs/events.md)."""
    return _serve(request, _no_service, {"POST": _poll_events}, access="event_reader")


def _poll_events(call: Call[None]) -> Reply:
    from scim.service.events import parse_poll_request  # only event readers need it

    events = dependencies.current().events
    if events is None:
        raise ServiceUnavailable("events are not configured")
    poll = parse_poll_request(call.json_body() if call.request.get_body() else {})
    body = events.poll(call.tenant, call.tenant_url, call.reader_credential, poll)
    return Reply(200, body, media_type=JSON_MEDIA_TYPE)


def service_provider_config(request: func.HttpRequest) -> func.HttpResponse:
    """/ServiceProviderConfig (RFC 7644 section 4): readable without a token. The calling tenant is
    known only when the request carries credentials it accepts: then its own authentication
    schemes are listed, and its security events (RFC 9967 section 4) if it has an event reader;
    else every scheme the service offers (a tenant's are not public)."""

    def answer(call: Call[None]) -> Reply:
        caller = _calling_tenant(call)
        methods = caller.methods if caller is not None else None
        has_events = caller is not None and caller.event_reader is not None
        return Reply(200, discovery.service_provider_config(call.tenant_url, methods, security_events=has_events))

    return _serve(request, _no_service, {"GET": answer}, access="public")


def _calling_tenant(call: Call[None]) -> TenantCredentials | None:
    """The calling tenant's record when the request carries a credential it accepts, else None."""
    authorization = call.request.headers.get("Authorization")
    if not authorization:
        return None
    served = dependencies.current()
    try:
        authenticate(call.tenant, authorization, served.tokens, tenant_url=call.tenant_url, oauth=served.oauth)
    except Unauthorized:
        return None
    return served.tokens.credentials_for(call.tenant)


def schemas(request: func.HttpRequest) -> func.HttpResponse:
    """/Schemas: every schema the calling tenant has (core, deployment and its own extensions)."""
    handlers = {"GET": lambda call: Reply(200, discovery.schemas(call.tenant_url, _served(call)))}
    return _serve(request, _no_service, handlers)


def schema(request: func.HttpRequest) -> func.HttpResponse:
    """/Schemas/{id}: one schema by URN."""
    handlers = {"GET": lambda call: Reply(200, discovery.schema(call.tenant_url, _route_id(call), _served(call)))}
    return _serve(request, _no_service, handlers)


def resource_types(request: func.HttpRequest) -> func.HttpResponse:
    """/ResourceTypes: every resource type served, with the calling tenant's schemaExtensions."""
    handlers = {"GET": lambda call: Reply(200, discovery.resource_types(call.tenant_url, _served(call)))}
    return _serve(request, _no_service, handlers)


def resource_type(request: func.HttpRequest) -> func.HttpResponse:
    """/ResourceTypes/{id}: one resource type by name."""
    handlers = {
        "GET": lambda call: Reply(200, discovery.resource_type(call.tenant_url, _route_id(call), _served(call)))
    }
    return _serve(request, _no_service, handlers)


def _served(call: Call[None]) -> tuple[ResourceType, ...]:
    """The resource types as the (authenticated) calling tenant has them."""
    services = dependencies.current()
    return services.users.type_for(call.tenant), services.groups.type_for(call.tenant)


def unknown_route(request: func.HttpRequest) -> func.HttpResponse:
    """Any other path under /scim: a SCIM 404, so that clients get an Error message, not a bare 404."""
    return _http_response(_error_reply(NotFound(f"no SCIM endpoint at {_path_of(request)}")))


def _users() -> ResourceService:
    return dependencies.current().users


def _groups() -> ResourceService:
    return dependencies.current().groups


def _no_service() -> None:
    return None


def _list(call: Call[ResourceService]) -> Reply:
    request = ListRequest(
        call.query("filter"),
        call.integer_query("startIndex"),
        call.integer_query("count"),
        call.query("cursor"),
        call.query("sortBy"),
        call.query("sortOrder"),
    )
    return _list_reply(call, request, _selection(call))


def _search(call: Call[ResourceService]) -> Reply:
    request, selection = call.service.search_request(call.json_body())
    return _list_reply(call, request, selection)


def _root_search(call: Call[None]) -> Reply:
    from scim.service import root_search  # only root searches need it

    request, selection = ResourceService.search_request(call.json_body())
    services = dependencies.current()
    page = root_search.search(call.tenant, (services.users, services.groups), request)
    resources = [
        service.render(call.tenant, resource, call.tenant_url, selection) for service, resource in page.resources
    ]
    body: dict[str, Any] = {
        "schemas": [LIST_RESPONSE_SCHEMA],
        "totalResults": page.total_results,
        "startIndex": page.start_index,
        "itemsPerPage": len(resources),
        "Resources": resources,
    }
    return Reply(200, body)


def _bulk(call: Call[None]) -> Reply:
    """A BulkResponse: each operation's status, location and version, or its SCIM error."""
    from scim.service import bulk  # only Bulk requests need it

    services = dependencies.current()
    outcomes = bulk.execute(
        call.tenant,
        call.tenant_url,
        {"Users": services.users, "Groups": services.groups},
        call.json_body(),
        payload_bytes=len(call.request.get_body() or b""),
    )
    operations = []
    for outcome in outcomes:
        described: dict[str, Any] = {"method": outcome.method}
        if outcome.bulk_id is not None:
            described["bulkId"] = outcome.bulk_id
        if outcome.version is not None:
            described["version"] = outcome.version
        if outcome.location is not None:
            described["location"] = outcome.location
        if outcome.error is not None:
            described["response"] = _error_reply(outcome.error).body
        described["status"] = str(outcome.status)
        operations.append(described)
    return Reply(200, {"schemas": [BULK_RESPONSE_SCHEMA], "Operations": operations})


def _list_reply(call: Call[ResourceService], request: ListRequest, selection: Selection) -> Reply:
    """A ListResponse (RFC 7644 section 3.4.2); cursor pages carry nextCursor, not startIndex (RFC 9865)."""
    page = call.service.find(call.tenant, request)
    body: dict[str, Any] = {"schemas": [LIST_RESPONSE_SCHEMA], "totalResults": page.total_results}
    if page.start_index is not None:
        body["startIndex"] = page.start_index
    body["itemsPerPage"] = len(page.resources)
    if page.next_cursor is not None:
        body["nextCursor"] = page.next_cursor
    body["Resources"] = call.service.render_page(call.tenant, page, call.tenant_url, selection)
    return Reply(200, body)


def _create(call: Call[ResourceService]) -> Reply:
    created = call.service.create(call.tenant, call.json_body())
    reply = _resource_reply(call, created, status=201)
    reply.headers["Location"] = call.service.location(call.tenant_url, created.id)
    return reply


def _get(call: Call[ResourceService]) -> Reply:
    """The resource, or 304 with no body when If-None-Match names its version (RFC 7644 section 3.14)."""
    resource = call.service.get(call.tenant, _route_id(call))
    if matches_if_none_match(resource.version, call.request.headers.get("If-None-Match")):
        return Reply(304, None, {"ETag": resource.version})
    return _resource_reply(call, resource)


def _replace(call: Call[ResourceService]) -> Reply:
    replaced = call.service.replace(call.tenant, _route_id(call), call.json_body(), _if_match(call))
    return _resource_reply(call, replaced)


def _patch(call: Call[ResourceService]) -> Reply:
    """200 with the resource, or 204 when the service answers without one (group PATCH, no attributes asked)."""
    requested = call.query("attributes") is not None or call.query("excludedAttributes") is not None
    result = call.service.patch(
        call.tenant, _route_id(call), call.json_body(), _if_match(call), attributes_requested=requested
    )
    return Reply(204) if result.resource is None else _resource_reply(call, result.resource)


def _delete(call: Call[ResourceService]) -> Reply:
    call.service.delete(call.tenant, _route_id(call), _if_match(call))
    return Reply(204)


ITEM_HANDLERS: dict[str, Handler[ResourceService]] = {"GET": _get, "PUT": _replace, "PATCH": _patch, "DELETE": _delete}


def _resource_reply(call: Call[ResourceService], resource: StoredResource, status: int = 200) -> Reply:
    return Reply(status, _render(call, resource), {"ETag": resource.version})


def _render(call: Call[ResourceService], resource: StoredResource) -> dict[str, Any]:
    return call.service.render(call.tenant, resource, call.tenant_url, _selection(call))


def _selection(call: Call[ResourceService]) -> Selection:
    return Selection.parse(call.query("attributes"), call.query("excludedAttributes"))


def _route_id(call: Call[S]) -> str:
    route_params: Mapping[str, str] = call.request.route_params  # azure.functions leaves it unannotated
    return route_params.get("id", "")


def _if_match(call: Call[ResourceService]) -> str | None:
    headers: Mapping[str, str] = call.request.headers
    return headers.get("If-Match")


def _serve(
    request: func.HttpRequest,
    service_of: Callable[[], S],
    handlers: dict[str, Handler[S]],
    *,
    access: Access = "provisioning",
) -> func.HttpResponse:
    """Authenticate as ``access`` says, dispatch on the method, turn every outcome into a SCIM response.

    With ``SCIM_COUNT_STORAGE_REQUESTS=1`` (benchmarks only) the response says in
    ``X-Storage-Requests`` how many storage requests it took; see ``scim.platform.request_count``.
    """
    request_id = request_id_of(request)
    with journal.begin_request(journal.RequestFacts(request_id, "-")):
        if not request_count.enabled():
            reply = _reply_to(request, service_of, handlers, access)
        else:
            with request_count.counting() as count:
                reply = _reply_to(request, service_of, handlers, access)
            reply.headers[request_count.HEADER] = str(count())
        log_outcome(request, reply.status)
        scim_type = reply.body.get("scimType") if reply.body is not None and reply.status >= 400 else None
        audit.record(request, reply.status, request_id, scim_type=scim_type, refusals=_refusal_log)
    reply.headers.setdefault("X-Request-Id", request_id)
    return _http_response(reply)


def _refusal_log() -> RefusalLog | None:
    return dependencies.current().refusals


def log_outcome(request: func.HttpRequest, status: int) -> None:
    """One line per request, which the workbook and alert rules of infra/modules/operations.bicep parse:
    ``SCIM request tenant=acme operation=PATCH Users/{id} status=200``. Ids, query strings and
    anything but a slug as tenant are left out: they may carry personal data."""
    tenant = request.route_params.get("tenant", "")
    endpoint = _path_of(request).partition("/v2/")[2] or "-"
    if request.route_params.get("id"):
        endpoint = endpoint.rpartition("/")[0] + "/{id}"
    operation = f"{request.method.upper()} {endpoint}"
    logger.info(
        "SCIM request tenant=%s operation=%s status=%d",
        tenant if is_tenant_slug(tenant) else "-",
        operation,
        status,
    )


def _reply_to(
    request: func.HttpRequest, service_of: Callable[[], S], handlers: dict[str, Handler[S]], access: Access
) -> Reply:
    try:
        handler = handlers.get(request.method.upper())
        if handler is None:
            raise ScimError(f"{request.method} is not supported here", status=405)
        call = _call_for(request, service_of, access)
        fair_share = dependencies.current().fair_share
        if access == "public" or fair_share is None:
            reply = handler(call)
        else:
            with fair_share.admit(call.tenant):
                reply = handler(call)
    except ScimError as error:
        reply = _error_reply(error)
    except StorageUnavailable:
        logger.warning("Storage unavailable for %s %s", request.method, _path_of(request))
        reply = _error_reply(ServiceUnavailable("storage is unavailable; retry later"))
    except Exception as error:
        # The exception's class and stack, not its message: messages may quote request data.
        stack = "".join(traceback.format_tb(error.__traceback__))
        path, kind = _path_of(request), type(error).__name__
        logger.error("Unexpected error for %s %s: %s\n%s", request.method, path, kind, stack)
        reply = _error_reply(ScimError("internal error", status=500))
    return reply


def _call_for(request: func.HttpRequest, service_of: Callable[[], S], access: Access) -> Call[S]:
    tenant = request.route_params.get("tenant", "")
    if not is_tenant_slug(tenant):
        raise NotFound("no such tenant")
    tenant_url = tenant_url_of(request)
    served, authorization, reader_credential = dependencies.current(), request.headers.get("Authorization"), ""
    if access == "provisioning":
        actor = authenticate(tenant, authorization, served.tokens, tenant_url=tenant_url, oauth=served.oauth)
        record = served.tokens.credentials_for(tenant)  # the record just read: cached, no request
        journal.set_actor(actor, event_form=record.event_form, audit_values=record.audit_values)
    elif access == "event_reader":
        reader_credential = authenticate_event_reader(tenant, authorization, served.tokens)
        journal.set_actor("reader")
    check_request_text("header", request.headers.items())
    check_request_text("query parameter", request.params)
    check_request_text("route value", request.route_params)
    if len(request.get_body() or b"") > MAX_BODY_BYTES:
        raise PayloadTooLarge(f"the body is larger than {MAX_BODY_BYTES} bytes")
    return Call(request, tenant, tenant_url, service_of(), reader_credential)


def request_id_of(request: func.HttpRequest) -> str:
    """The request id the audit trail and the journal name: the caller's ``client-request-id`` when
    it is a short token (Entra sends one), else a new one (answered in ``X-Request-Id``)."""
    given = request.headers.get("client-request-id") or ""
    return given if REQUEST_ID_PATTERN.fullmatch(given) else str(uuid.uuid4())


def tenant_url_of(request: func.HttpRequest) -> str:
    """The Tenant URL of a request: ``SCIM_BASE_URL`` + ``/scim/<tenant>/v2`` when that is set, else the
    one the request was sent under (``<scheme>://<host>[/prefix]/scim/<tenant>/v2``, trusting the
    Host header). The one definition: ``Location``, ``meta.location``, discovery, and the issuer
    and audience access tokens are bound to (``scim.auth.oauth``) all start with it."""
    base_url = dependencies.current().base_url
    if base_url is not None:
        return f"{base_url.rstrip('/')}/scim/{request.route_params.get('tenant', '')}/v2"
    parts = urlsplit(request.url)
    # RFC 8414 section 3.1: the metadata route puts its well-known segment before the Tenant URL's path.
    before, _, after = parts.path.partition(OAUTH_METADATA_SEGMENT)
    match = TENANT_URL_PATTERN.match(before + after)
    path = match.group(1) if match else parts.path.rstrip("/")
    return f"{parts.scheme}://{parts.netloc}{path}"


def _path_of(request: func.HttpRequest) -> str:
    # The query string is left out of logs: filters carry user names and e-mail addresses.
    url: str = request.url
    return urlsplit(url).path


def _error_reply(error: ScimError) -> Reply:
    body: dict[str, Any] = {"schemas": [ERROR_SCHEMA], "status": str(error.status), "detail": error.detail}
    if error.scim_type:
        body["scimType"] = error.scim_type
    headers = {}
    if isinstance(error, Unauthorized) and error.bearer_error:
        headers["WWW-Authenticate"] = f'Bearer realm="SCIM", error="{error.bearer_error}"'
    elif error.status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="SCIM"'
    if isinstance(error, ServiceUnavailable | TooManyRequests):
        headers["Retry-After"] = str(error.retry_after_seconds)
    return Reply(error.status, body, headers)


def _http_response(reply: Reply) -> func.HttpResponse:
    if reply.body is None:
        return func.HttpResponse(status_code=reply.status, headers=reply.headers)
    return func.HttpResponse(
        json.dumps(reply.body, ensure_ascii=False).encode("utf-8"),
        status_code=reply.status,
        headers=reply.headers,
        mimetype=reply.media_type,
        charset="utf-8",
    )
