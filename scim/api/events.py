"""``{Tenant URL}/Events``: the tenant's change events by poll (RFC 8936), for its event reader only."""

from __future__ import annotations

import json

import azure.functions as func

from scim.api import adapter, dependencies
from scim.auth.records import is_tenant_slug
from scim.auth.tokens import authenticate_event_reader
from scim.errors import NotFound, ScimError, ServiceUnavailable
from scim.service.events import EventService, parse_poll_request
from scim.service.ports import StorageUnavailable

JSON_MEDIA_TYPE = "application/json"


def poll(request: func.HttpRequest) -> func.HttpResponse:
    """POST: acknowledge and receive SETs (RFC 8936 section 2.4); errors as SCIM errors."""
    try:
        if request.method.upper() != "POST":
            raise ScimError(f"{request.method} is not supported here; POST a poll request", status=405)
        tenant = request.route_params.get("tenant", "")
        if not is_tenant_slug(tenant):
            raise NotFound("no such tenant")
        current = dependencies.current()
        credential = authenticate_event_reader(tenant, request.headers.get("Authorization"), current.tokens)
        poll_request = parse_poll_request(adapter.parse_json_body(request.get_body() or b"{}"))
        issuer = adapter.tenant_url_of(request)
        body = events_service(current).poll(tenant, issuer, credential, poll_request)
    except ScimError as error:
        return adapter.error_response(error)
    except StorageUnavailable:
        return adapter.error_response(ServiceUnavailable("storage is unavailable; retry later"))
    return func.HttpResponse(json.dumps(body), status_code=200, mimetype=JSON_MEDIA_TYPE, charset="utf-8")


def events_service(current: dependencies.Dependencies) -> EventService:
    if current.events is None:
        raise ServiceUnavailable("events are not configured")
    return current.events
