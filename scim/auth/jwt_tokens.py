"""JWTs that Microsoft Entra issues: the tokens its provisioning service sends when a job's Secret
Token is left blank, and the assertions it presents to the token endpoint under workload identity
federation.

Rules: signed with RS256 by a key of the issuing Entra tenant's key set (JWKS, fetched and
cached); ``exp`` and ``nbf`` required and checked with 60 seconds of leeway.

- Provisioning tokens: keys from ``SCIM_ENTRA_JWKS_URL``; issuer
  ``https://sts.windows.net/<entra tenant id>/``; audience ``SCIM_ENTRA_AUDIENCE`` (the
  application template id of every non-gallery app).
- Federation assertions (RFC 7523 section 3): keys from ``SCIM_ENTRA_ASSERTION_JWKS_URL`` (Entra's
  v2.0 key set); issuer ``https://login.microsoftonline.com/<entra tenant id>/v2.0``; the audience
  and, when configured, the subject the tenant's federation names (AzureAD/SCIMReferenceCode,
  Workload-Identity-Federation-for-SCIM-Provisioning.md: iss, sub, aud).

Imported only when a tenant configured for either presents one.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any

import jwt

from scim.errors import ServiceUnavailable

logger = logging.getLogger(__name__)

# The application template id Entra puts in the audience of tokens for non-gallery apps.
NON_GALLERY_AUDIENCE = "8adf8e6e-67b2-4cf2-a259-e3dc5476c621"
DEFAULT_JWKS_URL = "https://login.microsoftonline.com/{tenant_id}/discovery/keys"
DEFAULT_ASSERTION_JWKS_URL = "https://login.microsoftonline.com/{tenant_id}/discovery/v2.0/keys"
LEEWAY_SECONDS = 60
# Entra's signing keys change rarely and with notice; an unknown key id forces a refetch anyway
# (at most once per cooldown, so made-up key ids cannot make us hammer the endpoint).
JWKS_CACHE_SECONDS = 3600
JWKS_REFETCH_COOLDOWN_SECONDS = 30
# After a failed fetch, requests are answered 503 at once for this long, not each after a timeout.
KEY_FAILURE_MEMORY_SECONDS = 10
ALGORITHMS = ["RS256"]
GUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


class EntraTokenVerifier:
    """Checks Entra-issued JWTs; the key set of each Entra tenant is fetched once and cached.

    Every failure to get usable keys (no answer, an answer that is not a JSON key set, a set
    without signing keys) is 503 with Retry-After, never 401 (Entra quarantines a job on 401),
    and is remembered for ``KEY_FAILURE_MEMORY_SECONDS``: requests meanwhile get 503 at once
    instead of each waiting for the endpoint again.
    """

    def __init__(
        self,
        jwks_url: str = DEFAULT_JWKS_URL,
        audience: str = NON_GALLERY_AUDIENCE,
        *,
        timeout_seconds: float = 5,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._jwks_url = jwks_url
        self._audience = audience
        self._timeout = timeout_seconds
        self._clock = clock
        self._key_sets: dict[str, jwt.PyJWKClient] = {}
        self._failed_until: dict[str, float] = {}
        self._refetched_at: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, token: str, entra_tenant_id: str) -> dict[str, Any] | None:
        """The claims of ``token`` when it is valid and issued by ``entra_tenant_id``, else None.

        Raises ``ServiceUnavailable`` when the signing keys cannot be had: that says nothing
        about the token, and a 401 would make Entra quarantine the provisioning job.
        """
        return self._valid(token, entra_tenant_id, f"https://sts.windows.net/{entra_tenant_id}/", self._audience)

    def verify_assertion(self, token: str, entra_tenant_id: str, audience: str, subject: str | None) -> bool:
        """True when ``token`` is an assertion of ``entra_tenant_id`` for ``audience`` (and ``subject``).

        Raises ``ServiceUnavailable`` when the signing keys cannot be fetched.
        """
        issuer = f"https://login.microsoftonline.com/{entra_tenant_id}/v2.0"
        return self._valid(token, entra_tenant_id, issuer, audience, subject) is not None

    def _valid(
        self, token: str, entra_tenant_id: str, issuer: str, audience: str, subject: str | None = None
    ) -> dict[str, Any] | None:
        try:
            key_id = jwt.get_unverified_header(token).get("kid")
            key = self._signing_key(self._jwks_url.replace("{tenant_id}", entra_tenant_id), key_id)
            if key is None:
                raise jwt.InvalidKeyError("no signing key has the token's key id")
            claims = jwt.decode(
                token,
                key.key,
                algorithms=ALGORITHMS,
                audience=audience,
                issuer=issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "nbf", "iss", "aud"] + (["sub"] if subject else [])},
            )
            if subject is not None and claims.get("sub") != subject:
                logger.info("Entra token rejected: InvalidSubjectError")
                return None
        except jwt.PyJWTError as problem:
            # The reason only: a token is never logged.
            logger.info("Entra token rejected: %s", type(problem).__name__)
            return None
        return dict(claims)

    def _signing_key(self, url: str, key_id: object) -> jwt.PyJWK | None:
        """The key of the set at ``url`` with ``key_id``; an unknown id refetches at most once per cooldown."""
        keys = self._keys(url, refresh=False)
        found = next((key for key in keys if key.key_id == key_id), None)
        if found is None and self._clock() >= self._refetched_at.get(url, -math.inf) + JWKS_REFETCH_COOLDOWN_SECONDS:
            self._refetched_at[url] = self._clock()
            found = next((key for key in self._keys(url, refresh=True) if key.key_id == key_id), None)
        return found

    def _keys(self, url: str, refresh: bool) -> list[jwt.PyJWK]:
        now = self._clock()
        if now < self._failed_until.get(url, -math.inf):
            raise self._unavailable(url)
        try:
            return self._key_set(url).get_signing_keys(refresh=refresh)
        except (jwt.PyJWTError, ValueError, OSError) as problem:  # no answer, not JSON, no usable key
            logger.warning("Signing keys at %s cannot be used: %s", url, type(problem).__name__)
            self._failed_until[url] = now + KEY_FAILURE_MEMORY_SECONDS
            raise self._unavailable(url) from None

    def _unavailable(self, url: str) -> ServiceUnavailable:
        seconds = max(1, math.ceil(self._failed_until[url] - self._clock()))
        return ServiceUnavailable("the token signing keys are unavailable; retry later", retry_after_seconds=seconds)

    def _key_set(self, url: str) -> jwt.PyJWKClient:
        with self._lock:
            if url not in self._key_sets:
                # PyJWT's own refetch cooldown is off: _signing_key decides when to refetch.
                self._key_sets[url] = jwt.PyJWKClient(url, lifespan=JWKS_CACHE_SECONDS, timeout=self._timeout)
            return self._key_sets[url]


def entra_actor(claims: Mapping[str, Any]) -> str:
    """Who presented an Entra-issued token, for the audit trail: ``entra:<app id>:<object id>``.

    Microsoft Learn, "Access token claims reference": ``appid`` (v1.0 tokens, which Entra's
    provisioning service sends) or ``azp`` (v2.0) is the application id of the client, ``oid`` the
    object id of the principal (for an application's own token, its service principal). Each must
    be a GUID to be written (the journal and the logs take no free text from a token); anything
    else is ``-``.
    """
    app_id = claims.get("appid", claims.get("azp"))
    return f"entra:{_guid_or_dash(app_id)}:{_guid_or_dash(claims.get('oid'))}"


def _guid_or_dash(value: Any) -> str:
    return value.lower() if isinstance(value, str) and GUID.fullmatch(value) else "-"


@functools.cache
def assertion_verifier_from_settings() -> EntraTokenVerifier:
    """The shared verifier of federation assertions, keys from ``SCIM_ENTRA_ASSERTION_JWKS_URL``."""
    return EntraTokenVerifier(os.environ.get("SCIM_ENTRA_ASSERTION_JWKS_URL") or DEFAULT_ASSERTION_JWKS_URL)


@functools.cache
def entra_verifier_from_settings() -> EntraTokenVerifier:
    """The shared verifier, from ``SCIM_ENTRA_JWKS_URL`` and ``SCIM_ENTRA_AUDIENCE``."""
    return entra_verifier(os.environ)


def entra_verifier(environ: Mapping[str, str]) -> EntraTokenVerifier:
    """A verifier configured by ``environ``'s settings, with their defaults."""
    return EntraTokenVerifier(
        environ.get("SCIM_ENTRA_JWKS_URL") or DEFAULT_JWKS_URL,
        environ.get("SCIM_ENTRA_AUDIENCE") or NON_GALLERY_AUDIENCE,
    )
