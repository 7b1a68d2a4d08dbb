"""The token endpoint over HTTP: ``POST {Tenant URL}/oauth2/token`` (RFC 6749 section 3.2), and its
RFC 8414 metadata at ``/.well-known/oauth-authorization-server{Tenant URL path}``.

Its errors are OAuth errors, not SCIM errors: a JSON object with ``error`` and
``error_description`` (RFC 6749 section 5.2), ``Cache-Control: no-store`` on every answer
(section 5.1), ``WWW-Authenticate: Basic`` with ``invalid_client`` (401), ``Retry-After`` with
429 and 503. The rules are in ``scim.auth.oauth``; this module parses the form and the
``Authorization: Basic`` header and writes the answers.
"""

from __future__ import annotations

import base64
import json
import logging
import traceback
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

import azure.functions as func

from scim.api import dependencies
from scim.api.adapter import log_outcome, tenant_url_of
from scim.auth.oauth import (
    CLIENT_CREDENTIALS,
    JWT_BEARER_GRANT,
    SCOPE,
    OAuthError,
    TokenRequest,
    audience_of,
)
from scim.auth.records import is_tenant_slug
from scim.auth.tokens import HTTP_WHITESPACE
from scim.errors import ScimError

logger = logging.getLogger(__name__)

FORM_MEDIA_TYPE = "application/x-www-form-urlencoded"
MAX_FORM_BYTES = 64 * 1024
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PARAMETERS = {
    "grant_type",
    "client_id",
    "client_secret",
    "client_assertion_type",
    "client_assertion",
    "assertion",
    "scope",
}


def token(request: func.HttpRequest) -> func.HttpResponse:
    """``POST {Tenant URL}/oauth2/token``: an access token, or an RFC 6749 section 5.2 error."""
    try:
        status, body, headers = _token(request)
    except OAuthError as error:
        status, body, headers = _error(error)
    except ScimError as error:  # e.g. the tenants' records are unavailable (503)
        retry = getattr(error, "retry_after_seconds", None)
        status, body, headers = _error(
            OAuthError("temporarily_unavailable", error.detail, error.status, retry_after=retry)
        )
    except Exception as error:
        # The class and stack only: a message may quote the request's secrets.
        stack = "".join(traceback.format_tb(error.__traceback__))
        logger.error("Unexpected error at the token endpoint: %s\n%s", type(error).__name__, stack)
        status, body, headers = _error(OAuthError("server_error", "internal error", 500))
    log_outcome(request, status)
    return func.HttpResponse(
        json.dumps(body).encode("utf-8"),
        status_code=status,
        headers={**NO_STORE, **headers},
        mimetype="application/json",
        charset="utf-8",
    )


def metadata(request: func.HttpRequest) -> func.HttpResponse:
    """RFC 8414 section 3: the token endpoint's metadata, for the issuer ``{Tenant URL}``."""
    tenant = request.route_params.get("tenant", "")
    body: dict[str, Any]
    if request.method.upper() != "GET" or not is_tenant_slug(tenant):
        status, body = 404, {"error": "not_found"}
    else:
        issuer = audience_of(tenant_url_of(request))
        status, body = (
            200,
            {
                "issuer": issuer,
                "token_endpoint": f"{issuer}/oauth2/token",
                "grant_types_supported": [CLIENT_CREDENTIALS, JWT_BEARER_GRANT],
                "token_endpoint_auth_methods_supported": [
                    "client_secret_basic",
                    "client_secret_post",
                    "private_key_jwt",
                ],
                "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
                "scopes_supported": [SCOPE],
                "response_types_supported": [],
            },
        )
    return func.HttpResponse(json.dumps(body).encode("utf-8"), status_code=status, mimetype="application/json")


def _token(request: func.HttpRequest) -> tuple[int, dict[str, Any], dict[str, str]]:
    tenant = request.route_params.get("tenant", "")
    if request.method.upper() != "POST":
        raise OAuthError("invalid_request", "the token endpoint takes POST only (RFC 6749 section 3.2)", 405)
    if not is_tenant_slug(tenant):
        raise OAuthError("invalid_request", "no such tenant", 404)
    content_type = (request.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
    if content_type != FORM_MEDIA_TYPE:
        raise OAuthError("invalid_request", f"the body must be {FORM_MEDIA_TYPE}")
    issued = dependencies.current().oauth().issue(tenant, tenant_url_of(request), _token_request(request))
    body = {
        "access_token": issued.access_token,
        "token_type": issued.token_type,
        "expires_in": issued.expires_in,
        "scope": issued.scope,
    }
    return 200, body, {}


def _token_request(request: func.HttpRequest) -> TokenRequest:
    """The form's parameters: each at most once (section 3.2), empty ones treated as absent."""
    data = request.get_body() or b""
    if len(data) > MAX_FORM_BYTES:
        raise OAuthError("invalid_request", f"the body is larger than {MAX_FORM_BYTES} bytes")
    try:
        pairs = parse_qsl(data.decode("utf-8"), keep_blank_values=True, errors="strict")
    except (UnicodeDecodeError, ValueError):
        raise OAuthError("invalid_request", "the body is not a valid form") from None
    values: dict[str, str] = {}
    for name, value in pairs:
        if name in values:
            raise OAuthError("invalid_request", f"{name} is repeated")
        values[name] = value
    fields = {name: values.get(name) or None for name in _PARAMETERS}
    return TokenRequest(**fields, basic=_basic(request.headers.get("Authorization")))


def _basic(authorization: str | None) -> tuple[str, str] | None:
    """The client id and secret of ``Authorization: Basic`` (RFC 6749 section 2.3.1: each form-encoded)."""
    if not authorization:
        return None
    scheme, _, encoded = authorization.strip(HTTP_WHITESPACE).partition(" ")
    if scheme.lower() != "basic":
        raise OAuthError("invalid_request", "the Authorization header must use the Basic scheme")
    try:
        decoded = base64.b64decode(encoded.strip(HTTP_WHITESPACE), validate=True).decode("utf-8")
    except ValueError:  # not base64 (binascii.Error), not ASCII, or not UTF-8 once decoded
        raise OAuthError("invalid_request", "the Authorization header is not valid Basic credentials") from None
    client_id, colon, secret = decoded.partition(":")
    if not colon or not client_id:
        raise OAuthError("invalid_request", "the Authorization header is not valid Basic credentials")
    return unquote_plus(client_id), unquote_plus(secret)


def _error(error: OAuthError) -> tuple[int, dict[str, Any], dict[str, str]]:
    headers = {}
    if error.status == 401:
        headers["WWW-Authenticate"] = 'Basic realm="SCIM token endpoint", charset="UTF-8"'
    if error.retry_after is not None:
        headers["Retry-After"] = str(error.retry_after)
    return error.status, {"error": error.error, "error_description": error.description}, headers
