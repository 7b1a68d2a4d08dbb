"""Secret tokens per tenant and the bearer-token check (RFC 6750).

A ``TokenSource`` answers which tokens a tenant accepts (more than one while a token is being
rotated). ``SettingsTokenSource`` reads them from the ``SCIM_TOKENS`` setting; the Key Vault
source plugs in behind the same interface.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import os
from collections.abc import Mapping, Sequence
from typing import Protocol

from scim.errors import Unauthorized

logger = logging.getLogger(__name__)

# Compared against when a tenant has no token, so that unknown tenants take the same time.
_NO_TOKEN_DIGEST = hashlib.sha256(b"no token for this tenant").digest()


class TokenSource(Protocol):
    """Where the accepted secret tokens of each tenant come from."""

    def tokens_for(self, tenant: str) -> Sequence[str]:
        """The tokens ``tenant`` accepts now; empty for an unknown tenant."""


class SettingsTokenSource:
    """Tokens from a setting holding a JSON object: ``{"tenant": "token" or ["token", ...]}``."""

    def __init__(self, environ: Mapping[str, str] = os.environ, setting: str = "SCIM_TOKENS"):
        self._tokens = _parse_tokens(environ.get(setting, ""), setting)

    def tokens_for(self, tenant: str) -> Sequence[str]:
        return self._tokens.get(tenant, ())

    def tenants(self) -> list[str]:
        """The tenants that have a token."""
        return sorted(self._tokens)


def _parse_tokens(text: str, setting: str) -> dict[str, tuple[str, ...]]:
    if not text.strip():
        return {}
    try:
        parsed = json.loads(text)
    except json.JSONDecodeError:
        logger.error("Setting %s is not valid JSON; no tenant can authenticate", setting)
        return {}
    if not isinstance(parsed, dict):
        logger.error("Setting %s must be a JSON object of tenant to token", setting)
        return {}
    tokens: dict[str, tuple[str, ...]] = {}
    for tenant, value in parsed.items():
        values = value if isinstance(value, list) else [value]
        accepted = tuple(token for token in values if isinstance(token, str) and token)
        if accepted:
            tokens[tenant] = accepted
    return tokens


def authenticate(tenant: str, authorization: str | None, source: TokenSource) -> None:
    """Accept the request only if it carries ``Bearer <token>`` with one of the tenant's tokens.

    Digests are compared with ``hmac.compare_digest`` against every accepted token, so the time
    taken tells nothing about the token, its length or whether the tenant exists.
    """
    scheme, _, presented = (authorization or "").strip().partition(" ")
    if scheme.lower() != "bearer" or not presented.strip():
        raise Unauthorized("a bearer token is required")
    presented_digest = hashlib.sha256(presented.strip().encode("utf-8")).digest()
    accepted = [hashlib.sha256(token.encode("utf-8")).digest() for token in source.tokens_for(tenant)]
    matched = False
    for digest in accepted or [_NO_TOKEN_DIGEST]:
        matched |= hmac.compare_digest(presented_digest, digest)
    if not (matched and accepted):
        raise Unauthorized("the bearer token is not valid for this tenant")
