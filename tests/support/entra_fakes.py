"""A fake Microsoft Entra: RSA keys made in the test, a JWKS served on loopback, tokens it signs.

Used for Entra-issued provisioning tokens and for workload identity federation assertions; no
request leaves 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.utils import base64url_encode

ENTRA_TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_ENTRA_TENANT = "99999999-8888-7777-6666-555555555555"
KEY_ID = "test-key-1"
AUDIENCE = "api://scim-test"  # what the workload identity's assertions carry
SUBJECT = "sync-fabric-object-id"


def new_rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class JwksServer:
    """Serves one key set at any path (``/<entra tenant id>/discovery/...``) on 127.0.0.1; counts requests.

    ``body`` is what it answers (the key set, ``key_set``, unless a test sets something else).
    """

    def __init__(self, public_key) -> None:
        key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
        self.key_set = json.dumps({"keys": [{**key, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}).encode()
        self.body = self.key_set
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url_template = f"http://127.0.0.1:{self.http.server_address[1]}/{{tenant_id}}/discovery/keys"


@contextmanager
def serving_jwks(public_key) -> Iterator[JwksServer]:
    """A ``JwksServer`` running on a thread until the block ends."""
    server = JwksServer(public_key)
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.http.shutdown()
        server.http.server_close()


def signed(key, claims: dict, *, lifetime: int = 3600, starts_in: int = -60) -> str:
    """``claims`` with iat/nbf/exp, signed RS256 by ``key`` under ``KEY_ID``."""
    now = int(time.time())
    timed = {"iat": now + starts_in, "nbf": now + starts_in, "exp": now + starts_in + lifetime, **claims}
    return jwt.encode(timed, key, algorithm="RS256", headers={"kid": KEY_ID})


def assertion(
    key, *, tenant=ENTRA_TENANT, audience="api://scim-test", subject="sync-fabric-object-id", **timing
) -> str:
    """A workload identity federation assertion, shaped as the SCIMReferenceCode WIF document shows."""
    claims = {
        "iss": f"https://login.microsoftonline.com/{tenant}/v2.0",
        "aud": audience,
        "sub": subject,
        "tid": tenant,
        "ver": "2.0",
    }
    return signed(key, claims, **timing)


def unsigned(token: str) -> str:
    """``token``'s header and claims with ``alg: none`` and no signature."""
    header = jwt.get_unverified_header(token)
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, None, algorithm="none", headers={k: v for k, v in header.items() if k != "alg"})


def hmac_with_public_key(token: str, key: rsa.RSAPrivateKey) -> str:
    """Algorithm confusion: ``token``'s claims signed HS256 with the RSA public key (PyJWT refuses to)."""
    header = jwt.get_unverified_header(token)
    _, payload, _ = token.split(".")
    forged = base64url_encode(json.dumps({**header, "alg": "HS256"}).encode()).decode()
    public_pem = key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signature = hmac.new(public_pem, f"{forged}.{payload}".encode(), hashlib.sha256).digest()
    return f"{forged}.{payload}.{base64url_encode(signature).decode()}"
