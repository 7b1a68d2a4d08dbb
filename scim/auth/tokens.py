"""Tenants' credentials and the bearer-token check (RFC 6750).

A ``TokenSource`` answers what a tenant accepts (a ``TenantCredentials`` record): its secret
tokens (two while a token is being rotated) and optionally the Entra tenant whose JWTs it accepts.
``SettingsTokenSource`` reads records from the ``SCIM_TOKENS`` setting; with
``SCIM_KEY_VAULT_URL`` set they come from Key Vault (``scim.auth.keyvault``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Protocol

from scim.auth.records import (
    BEARER_TOKEN_SYNTAX,
    NO_CREDENTIALS,
    InvalidRecord,
    TenantCredentials,
    is_tenant_slug,
    parse_record_text,
)
from scim.errors import Unauthorized

if TYPE_CHECKING:
    from scim.auth.jwt_tokens import EntraTokenVerifier
    from scim.auth.oauth import OAuthServer

logger = logging.getLogger(__name__)

# The JWT type of the access tokens the token endpoint issues (RFC 9068 section 2.1).
ACCESS_TOKEN_TYPE = "at+jwt"
# RFC 9110 section 5.6.3: OWS is spaces and horizontal tabs, nothing else (not str.strip()'s set).
HTTP_WHITESPACE = " \t"


class TokenSource(Protocol):
    """Where each tenant's credentials come from."""

    def credentials_for(self, tenant: str) -> TenantCredentials:
        """What ``tenant`` accepts now; ``NO_CREDENTIALS`` for an unknown tenant.

        Raises ``ServiceUnavailable`` when the answer cannot be had (the check fails closed).
        """

    def recheck(self, tenant: str) -> TenantCredentials | None:
        """A fresher record after a presented token matched nothing; None when there is none to be had.

        Lets a token that was just created or rotated work before a cached record expires,
        while bounding how often a wrong token can make the source re-read its store.
        """


class SettingsTokenSource:
    """Records from a setting holding a JSON object: tenant slug -> record (see ``scim.auth.records``)."""

    def __init__(self, environ: Mapping[str, str] = os.environ, setting: str = "SCIM_TOKENS"):
        self._records = _parse_records(environ.get(setting, ""), setting)

    def credentials_for(self, tenant: str) -> TenantCredentials:
        return self._records.get(tenant, NO_CREDENTIALS)

    def recheck(self, tenant: str) -> TenantCredentials | None:
        return None  # a setting is read once: nothing fresher until the process restarts

    def tenants(self) -> list[str]:
        """The tenants that accept something."""
        return sorted(tenant for tenant, record in self._records.items() if record != NO_CREDENTIALS)


def _parse_records(text: str, setting: str) -> dict[str, TenantCredentials]:
    if not text.strip():
        return {}
    try:
        parsed = parse_record_text(text)
    except InvalidRecord:
        logger.error("Setting %s is not valid JSON; no tenant can authenticate", setting)
        return {}
    if not isinstance(parsed, dict):
        logger.error("Setting %s must be a JSON object of tenant to token", setting)
        return {}
    records = {}
    for tenant, value in parsed.items():
        if not is_tenant_slug(tenant):
            logger.error("Setting %s names a tenant that is not a slug; it is ignored", setting)
            continue
        try:
            records[tenant] = TenantCredentials.from_json(value)
        except InvalidRecord as problem:
            logger.error("Setting %s: tenant %s is ignored: %s", setting, tenant, problem)
    return records


def token_source_from_settings(environ: Mapping[str, str] = os.environ) -> TokenSource:
    """Key Vault when ``SCIM_KEY_VAULT_URL`` is set, else the ``SCIM_TOKENS`` setting."""
    if environ.get("SCIM_KEY_VAULT_URL"):
        from scim.auth.keyvault import key_vault_token_source_from_settings

        return key_vault_token_source_from_settings(environ)
    return SettingsTokenSource(environ)


def authenticate(
    tenant: str,
    authorization: str | None,
    source: TokenSource,
    entra: EntraTokenVerifier | None = None,
    *,
    tenant_url: str = "",
    oauth: Callable[[], OAuthServer] | None = None,
) -> str:
    """Accept the request only if it carries ``Bearer <token>`` that the tenant accepts; returns which
    credential it was (``token:current``, ``token:next``, ``entra:<appid>:<oid>`` (``scim.auth.jwt_tokens.entra_actor``)
    or ``oauth``), for the audit trail.

    The header is trimmed of RFC 9110's whitespace (spaces and tabs) only, and a token that is
    not RFC 6750 b64token text is refused before any record is looked up. The token is one of
    the tenant's secret tokens; for a tenant with an Entra tenant id, a JWT that Entra tenant
    issued (checked by ``entra``, by default built from settings); for a tenant with OAuth
    clients or federation, an access token issued under ``tenant_url`` (checked by the server
    ``oauth`` gives, built only then; RFC 6750: a rejected token is 401 with
    ``error="invalid_token"``, section 3.1). Any other token is checked with the same work
    whatever the tenant: one SHA-256 of the presented token, then ``hmac.compare_digest``
    against both digest slots of the record (``TenantCredentials.digests``, hashed when the
    record was read, a fixed digest for an absent token). A token that matches nothing is
    checked once more against a fresher record when the source has one.
    """
    presented = _bearer_token(authorization)
    credentials = source.credentials_for(tenant)
    oauth_tenant = bool(credentials.oauth_clients or credentials.federation)
    if oauth_tenant and oauth is not None and looks_like_access_token(presented):
        # Checked against the record in hand only: a re-read would not make a signature valid.
        if oauth().accepts(presented, tenant_url, credentials):
            return "oauth"
        raise Unauthorized("the bearer token is not valid for this tenant", bearer_error="invalid_token")
    presented_digest = hashlib.sha256(presented.encode("ascii")).digest()
    actor = _accepts(credentials, presented, presented_digest, entra)
    if actor:
        return actor
    fresher = source.recheck(tenant)
    actor = _accepts(fresher, presented, presented_digest, entra) if fresher is not None else None
    if not actor:
        raise Unauthorized("the bearer token is not valid for this tenant", bearer_error="invalid_token")
    return actor


def authenticate_event_reader(tenant: str, authorization: str | None, source: TokenSource) -> str:
    """Accept the request only with the tenant's event reader credential (never a provisioning
    token); returns the credential, which the events are signed with (``scim.service.events``)."""
    presented = _bearer_token(authorization)
    presented_digest = hashlib.sha256(presented.encode("ascii")).digest()
    for credentials in (source.credentials_for(tenant), source.recheck(tenant)):
        reader = credentials.event_reader if credentials else None
        expected = hashlib.sha256((reader or "").encode("utf-8")).digest()
        if hmac.compare_digest(presented_digest, expected) and reader:
            return presented
    raise Unauthorized("the bearer token is not this tenant's event reader credential", bearer_error="invalid_token")


def _bearer_token(authorization: str | None) -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 without one, or when it is not
    RFC 6750 b64token text (refused before any record is looked up)."""
    scheme, _, presented = (authorization or "").strip(HTTP_WHITESPACE).partition(" ")
    presented = presented.strip(HTTP_WHITESPACE)
    if scheme.lower() != "bearer" or not presented:
        raise Unauthorized("a bearer token is required")
    if not BEARER_TOKEN_SYNTAX.fullmatch(presented):
        raise Unauthorized("the bearer token is not valid for this tenant", bearer_error="invalid_token")
    return presented


def looks_like_access_token(token: str) -> bool:
    """A JWT whose header says ``typ: at+jwt`` (RFC 9068), told apart without verifying anything."""
    head = token.split(".", 1)[0]
    try:
        header = json.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, RecursionError):  # a header nested past the parser's limit is no access token
        return False
    return isinstance(header, dict) and header.get("typ") == ACCESS_TOKEN_TYPE


def _accepts(
    credentials: TenantCredentials, presented: str, presented_digest: bytes, entra: EntraTokenVerifier | None
) -> str | None:
    """Which of the tenant's credentials ``presented`` is (``token:current``, ``token:next``,
    ``entra:<appid>:<oid>``), or None."""
    current_digest, next_digest = credentials.digests
    # Both compared, without stopping at a match.
    matched_current = hmac.compare_digest(presented_digest, current_digest)
    matched_next = hmac.compare_digest(presented_digest, next_digest)
    if matched_current and credentials.current:
        return "token:current"
    if matched_next and credentials.next:
        return "token:next"
    # Secret tokens never contain dots (token_urlsafe); a JWT is three dot-separated parts.
    if credentials.entra_tenant_id and presented.count(".") == 2:
        from scim.auth.jwt_tokens import entra_actor, entra_verifier_from_settings

        claims = (entra or entra_verifier_from_settings()).verify(presented, credentials.entra_tenant_id)
        return entra_actor(claims) if claims is not None else None
    return None
