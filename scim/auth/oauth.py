"""The OAuth 2.0 token endpoint's rules, and the check of the access tokens it issues.

Token requests (RFC 6749 section 4.4, client credentials; RFC 7523):
- ``grant_type=client_credentials`` with the client authenticated by exactly one of: HTTP Basic
  (section 2.3.1), ``client_id`` + ``client_secret`` in the body, or an RFC 7523 section 2.2 client
  assertion (``client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer``)
  that the tenant's federated Entra tenant issued (workload identity federation).
- ``grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer`` (RFC 7523 section 2.1) with the
  same Entra assertion as ``assertion``: a bad one is ``invalid_grant``.
- ``scope`` is optional and whatever is asked, ``scim`` (the only scope: every SCIM operation of
  the tenant) is granted and named in the answer (RFC 6749 section 3.3 lets the server grant
  another scope than asked; Microsoft's examples send ``scim`` or ``scim.readwrite``, and a
  refusal would fail Entra's Test Connection for a name only).
- Errors (section 5.2): ``invalid_request`` (a parameter missing or repeated, two authentication
  methods), ``invalid_client`` (401: unknown client, wrong or expired secret, bad assertion),
  ``invalid_grant``, ``unsupported_grant_type``; failed authentications past
  the throttle's limits are 429 (``scim.auth.throttle``).

Access tokens: JWTs (RFC 9068 profile: ``typ`` ``at+jwt``) signed HS256 with the newest key of the
ring (``scim.auth.signing_keys``), ``iss`` and ``aud`` the Tenant URL they were issued under,
``sub`` and ``client_id`` the client, lifetime the tenant's ``tokenLifetimeSeconds``. HS256,
because this service is the only party that verifies them: a symmetric key needs no key-pair
management, verifies in microseconds, and only ``HS256`` is accepted, so ``none`` and RS/HS
confusion have nothing to work with. Checked on every SCIM request against the cached ring and
the tenant's cached record (the client must still exist): no storage or Key Vault read.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from scim.auth import client_secrets
from scim.auth.records import TenantCredentials
from scim.auth.signing_keys import LEEWAY_SECONDS, SigningKeySource
from scim.auth.throttle import FailedAuthentications
from scim.auth.tokens import ACCESS_TOKEN_TYPE, TokenSource
from scim.errors import ServiceUnavailable

if TYPE_CHECKING:
    from scim.auth.jwt_tokens import EntraTokenVerifier

logger = logging.getLogger(__name__)

CLIENT_CREDENTIALS = "client_credentials"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_BEARER_ASSERTION = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
ALGORITHM = "HS256"
SCOPE = "scim"


class OAuthError(Exception):
    """An RFC 6749 section 5.2 error response: ``error``, its description, the status to answer with."""

    def __init__(self, error: str, description: str, status: int = 400, *, retry_after: int | None = None):
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True)
class TokenRequest:
    """A token request's parameters (absent or empty: None), and the client of an HTTP Basic header."""

    grant_type: str | None = None
    client_id: str | None = None
    client_secret: str | None = None
    client_assertion_type: str | None = None
    client_assertion: str | None = None
    assertion: str | None = None
    scope: str | None = None
    basic: tuple[str, str] | None = None  # (client id, secret) from Authorization: Basic


@dataclass(frozen=True)
class IssuedToken:
    """RFC 6749 section 5.1's successful response."""

    access_token: str
    expires_in: int
    scope: str = SCOPE
    token_type: str = "Bearer"


def audience_of(tenant_url: str) -> str:
    """The ``iss`` and ``aud`` of a tenant's tokens: its Tenant URL in lower case (routes match in any case)."""
    return tenant_url.lower()


class OAuthServer:
    """Issues access tokens for the tenants' clients, and checks them."""

    def __init__(
        self,
        tokens: TokenSource,
        keys: SigningKeySource,
        assertions: EntraTokenVerifier | None = None,
        throttle: FailedAuthentications | None = None,
        clock: Callable[[], float] = time.time,
        *,
        lifetime_override: int | None = None,
    ):
        """``lifetime_override`` (``SCIM_OAUTH_BENCH_TOKEN_SECONDS``, benchmarks only) replaces every
        tenant's token lifetime, so that a short run sees tokens expire and be refreshed."""
        self._lifetime_override = lifetime_override
        self._tokens = tokens
        self._keys = keys
        self._assertions = assertions
        self._throttle = throttle or FailedAuthentications()
        self._clock = clock

    def issue(self, tenant: str, tenant_url: str, request: TokenRequest) -> IssuedToken:
        """An access token for the client ``request`` authenticates, or ``OAuthError``."""
        if request.grant_type is None:
            raise OAuthError("invalid_request", "grant_type is required")
        if request.grant_type not in (CLIENT_CREDENTIALS, JWT_BEARER_GRANT):
            raise OAuthError("unsupported_grant_type", f"grant_type must be {CLIENT_CREDENTIALS} or {JWT_BEARER_GRANT}")
        credentials = self._tokens.credentials_for(tenant)
        if request.grant_type == JWT_BEARER_GRANT:
            client_id = self._grant_client(tenant, credentials, request)
        else:
            client_id = self._authenticated_client(tenant, credentials, request)
        return self._token(tenant_url, client_id, self._lifetime_override or credentials.token_lifetime_seconds)

    def _authenticated_client(self, tenant: str, credentials: TenantCredentials, request: TokenRequest) -> str:
        methods = [
            request.basic is not None,
            request.client_secret is not None,
            request.client_assertion is not None or request.client_assertion_type is not None,
        ]
        if sum(methods) > 1:
            raise OAuthError("invalid_request", "use exactly one client authentication method (RFC 6749 section 2.3)")
        if request.basic is not None:
            client_id, secret = request.basic
            if request.client_id is not None and request.client_id != client_id:
                raise OAuthError("invalid_request", "client_id differs from the Authorization header's")
            return self._secret_client(tenant, credentials, client_id, secret)
        if request.client_secret is not None:
            if request.client_id is None:
                raise OAuthError("invalid_request", "client_id is required with client_secret")
            return self._secret_client(tenant, credentials, request.client_id, request.client_secret)
        if methods[2]:
            if request.client_assertion_type != JWT_BEARER_ASSERTION or request.client_assertion is None:
                raise OAuthError(
                    "invalid_request", f"client_assertion_type must be {JWT_BEARER_ASSERTION}, with client_assertion"
                )
            federated = self._federated_client(tenant, credentials, request.client_id, request.client_assertion)
            if federated is None:
                self._failed(tenant, request.client_id or "-")
                raise OAuthError("invalid_client", "the client assertion is not valid for this tenant", 401)
            return federated
        self._failed(tenant, request.client_id or "-")
        raise OAuthError("invalid_client", "client authentication is required", 401)

    def _secret_client(self, tenant: str, credentials: TenantCredentials, client_id: str, secret: str) -> str:
        stored = credentials.client_secrets(client_id) or ()
        if client_secrets.matches(secret, stored, self._clock()):
            return client_id
        fresher = self._tokens.recheck(tenant)  # a secret added since the record was cached
        if fresher is not None and client_secrets.matches(
            secret, fresher.client_secrets(client_id) or (), self._clock()
        ):
            return client_id
        self._failed(tenant, client_id)
        raise OAuthError("invalid_client", "the client or its secret is not valid for this tenant", 401)

    def _grant_client(self, tenant: str, credentials: TenantCredentials, request: TokenRequest) -> str:
        if request.assertion is None:
            raise OAuthError("invalid_request", "assertion is required with this grant_type")
        client_id = self._federated_client(tenant, credentials, request.client_id, request.assertion)
        if client_id is None:
            self._failed(tenant, request.client_id or "-")
            raise OAuthError("invalid_grant", "the assertion is not valid for this tenant")
        return client_id

    def _federated_client(
        self, tenant: str, credentials: TenantCredentials, client_id: str | None, assertion: str
    ) -> str | None:
        federation = credentials.federation
        if federation is None or (client_id is not None and client_id != federation.client_id):
            return None
        verifier = self._assertions
        if verifier is None:
            from scim.auth.jwt_tokens import assertion_verifier_from_settings

            verifier = assertion_verifier_from_settings()
        entra, audience, subject = federation.entra_tenant_id, federation.audience, federation.subject
        try:
            valid = verifier.verify_assertion(assertion, entra, audience, subject)
        except ServiceUnavailable as problem:  # Entra's keys cannot be fetched: says nothing about the client
            retry = problem.retry_after_seconds
            raise OAuthError("temporarily_unavailable", problem.detail, 503, retry_after=retry) from None
        return federation.client_id if valid else None

    def _failed(self, tenant: str, client_id: str) -> None:
        wait = self._throttle.record(tenant, client_id)
        logger.info("OAuth client authentication failed tenant=%s throttled=%s", tenant, wait is not None)
        if wait is not None:
            raise OAuthError(
                "temporarily_unavailable", "too many failed client authentications; retry later", 429, retry_after=wait
            )

    def _token(self, tenant_url: str, client_id: str, lifetime: int) -> IssuedToken:
        import jwt

        key = self._keys.ring().signing_key
        now = int(self._clock())
        audience = audience_of(tenant_url)
        claims = {
            "iss": audience,
            "aud": audience,
            "sub": client_id,
            "client_id": client_id,
            "scope": SCOPE,
            "iat": now,
            "nbf": now,
            "exp": now + lifetime,
            "jti": secrets.token_urlsafe(12),
        }
        token = jwt.encode(claims, key.secret, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYPE})
        return IssuedToken(token, lifetime)

    def accepts(self, token: str, tenant_url: str, credentials: TenantCredentials) -> bool:
        """Whether ``token`` is an access token this service issued under ``tenant_url`` to a client
        the tenant still has; only a ring re-read (for an unknown ``kid``, rate-limited) leaves memory."""
        import jwt

        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            return False
        if header.get("typ") != ACCESS_TOKEN_TYPE or header.get("alg") != ALGORITHM:
            return False
        kid = str(header.get("kid", ""))
        key = self._keys.ring().find(kid)
        if key is None:
            fresher = self._keys.refresh()
            key = fresher.find(kid) if fresher is not None else None
        if key is None:
            return False
        audience = audience_of(tenant_url)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.secret,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=audience,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "client_id"]},
            )
        except jwt.PyJWTError as problem:
            logger.info("Access token rejected: %s", type(problem).__name__)
            return False
        return credentials.has_client(str(claims["client_id"]))
