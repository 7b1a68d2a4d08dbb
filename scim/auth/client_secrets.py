"""OAuth client secrets: made here, stored as salted SHA-256 digests, checked in constant time.

A client secret is 256 random bits (like a Secret Token). A slow password hash (scrypt, PBKDF2)
protects secrets people choose, which are guessable; against 2^256 possibilities it adds nothing,
while it would cost every token request tens of milliseconds of CPU an attacker could spend for
us. So the digest is one SHA-256 over a per-secret random salt and the secret: a leaked record
reveals no secret, and equal secrets never share a digest.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time

from scim.auth.records import ClientSecret

SECRET_BYTES = 32  # 256 bits
# Microsoft's gallery requirements ask for client secrets that expire after 1 to 3 years.
DEFAULT_SECRET_DAYS = 730
MIN_SECRET_DAYS, MAX_SECRET_DAYS = 1, 3 * 366
_NO_SECRET = ClientSecret("none", "bm8tc2FsdA==", base64.b64encode(b"\0" * 32).decode(), 0)


def new_client_id() -> str:
    """A client id: public, random so that it tells nothing about the tenant."""
    return "scim-" + secrets.token_hex(12)


def new_secret(days: int = DEFAULT_SECRET_DAYS, now: float | None = None) -> tuple[str, ClientSecret]:
    """A fresh secret (shown once) and what is stored of it, expiring after ``days``."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    salt = secrets.token_bytes(16)
    expires = int((time.time() if now is None else now) + days * 86400)
    stored = ClientSecret(secrets.token_hex(4), _b64(salt), _b64(_digest(salt, secret)), expires)
    return secret, stored


def matches(presented: str, stored: tuple[ClientSecret, ...], now: float | None = None) -> bool:
    """Whether ``presented`` is one of the unexpired ``stored`` secrets.

    Every stored secret is compared (``hmac.compare_digest``), matched or not, and a client
    without secrets is compared against a fixed digest, so the time taken does not tell which
    secret matched or whether the client exists.
    """
    moment = time.time() if now is None else now
    matched = False
    for secret in stored or (_NO_SECRET,):
        digest = _digest(base64.b64decode(secret.salt), presented)
        equal = hmac.compare_digest(digest, base64.b64decode(secret.sha256))
        matched |= equal and secret.expires > moment and secret is not _NO_SECRET
    return matched


def _digest(salt: bytes, secret: str) -> bytes:
    return hashlib.sha256(salt + secret.encode("utf-8")).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
