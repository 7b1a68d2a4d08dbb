"""Entra-issued JWTs, signed with keys made here and checked against a JWKS served on loopback."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from jwt.utils import base64url_encode

from local_host.processes import free_port
from scim.auth.jwt_tokens import NON_GALLERY_AUDIENCE, EntraTokenVerifier, entra_verifier
from scim.auth.tokens import SettingsTokenSource
from scim.errors import ServiceUnavailable
from tests.support.auth_fakes import is_accepted

ENTRA_TENANT = "11111111-2222-3333-4444-555555555555"
OTHER_ENTRA_TENANT = "99999999-8888-7777-6666-555555555555"
KEY_ID = "test-key-1"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


class JwksServer:
    """Serves one key set at ``/<entra tenant id>/discovery/keys`` on 127.0.0.1 and counts requests."""

    def __init__(self, public_key) -> None:
        key = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(public_key))
        body = json.dumps({"keys": [{**key, "kid": KEY_ID, "use": "sig", "alg": "RS256"}]}).encode()
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.requests += 1
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url_template = f"http://127.0.0.1:{self.http.server_address[1]}/{{tenant_id}}/discovery/keys"


@pytest.fixture(scope="module")
def jwks(signing_key) -> Iterator[JwksServer]:
    server = JwksServer(signing_key.public_key())
    thread = threading.Thread(target=server.http.serve_forever, daemon=True)
    thread.start()
    yield server
    server.http.shutdown()
    server.http.server_close()


@pytest.fixture
def verifier(jwks: JwksServer) -> EntraTokenVerifier:
    """A new verifier, with nothing cached, and the server's request count reset."""
    jwks.requests = 0
    return EntraTokenVerifier(jwks.url_template, timeout_seconds=2)


def entra_token(key, *, issuer_tenant=ENTRA_TENANT, audience=NON_GALLERY_AUDIENCE, lifetime=3600, starts_in=-60):
    now = int(time.time())
    claims = {
        "iss": f"https://sts.windows.net/{issuer_tenant}/",
        "aud": audience,
        "tid": issuer_tenant,
        "iat": now + starts_in,
        "nbf": now + starts_in,
        "exp": now + starts_in + lifetime,
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": KEY_ID})


def accepted(token: str, verifier: EntraTokenVerifier, record=None) -> bool:
    source = SettingsTokenSource({"SCIM_TOKENS": json.dumps({"acme": record or {"entraTenantId": ENTRA_TENANT}})})
    return is_accepted(source, "acme", token, verifier)


def test_token_issued_by_the_tenants_entra_tenant_is_accepted(signing_key, verifier):
    assert accepted(entra_token(signing_key), verifier)


def test_expired_token_is_unauthorized(signing_key, verifier):
    assert not accepted(entra_token(signing_key, starts_in=-7200, lifetime=3600), verifier)


def test_token_expired_within_the_leeway_is_accepted(signing_key, verifier):
    assert accepted(entra_token(signing_key, starts_in=-3630, lifetime=3600), verifier)


def test_token_not_yet_valid_is_unauthorized(signing_key, verifier):
    assert not accepted(entra_token(signing_key, starts_in=600), verifier)


def test_token_of_another_entra_tenant_is_unauthorized(signing_key, verifier):
    assert not accepted(entra_token(signing_key, issuer_tenant=OTHER_ENTRA_TENANT), verifier)


def test_token_for_another_audience_is_unauthorized(signing_key, verifier):
    assert not accepted(entra_token(signing_key, audience="api://some-other-app"), verifier)


def test_token_signed_with_another_key_is_unauthorized(other_key, verifier):
    assert not accepted(entra_token(other_key), verifier)


def test_unsigned_token_is_unauthorized(signing_key, verifier):
    claims = jwt.decode(entra_token(signing_key), options={"verify_signature": False})
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": KEY_ID})

    assert not accepted(unsigned, verifier)


def test_token_signed_with_the_public_key_as_hmac_secret_is_unauthorized(signing_key, verifier):
    # Algorithm confusion: HS256 keyed with the RSA public key, built by hand (PyJWT refuses to).
    _, payload, _ = entra_token(signing_key).split(".")
    header = base64url_encode(json.dumps({"alg": "HS256", "typ": "JWT", "kid": KEY_ID}).encode()).decode()
    public_pem = signing_key.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{payload}.{base64url_encode(signature).decode()}"

    assert not accepted(forged, verifier)


def test_tenant_without_an_entra_tenant_id_never_checks_jwts(signing_key, verifier, jwks):
    assert not accepted(entra_token(signing_key), verifier, record={"current": "secret-token"})
    assert jwks.requests == 0


def test_signing_keys_are_fetched_once_for_many_tokens(signing_key, verifier, jwks):
    for _ in range(5):
        assert accepted(entra_token(signing_key), verifier)

    assert jwks.requests == 1


def test_secret_token_still_works_for_a_tenant_that_also_accepts_entra_tokens(verifier):
    assert accepted("secret-token", verifier, record={"current": "secret-token", "entraTenantId": ENTRA_TENANT})


def test_unreachable_signing_keys_are_service_unavailable(signing_key):
    port = free_port()  # a loopback port nothing listens on
    verifier = EntraTokenVerifier(f"http://127.0.0.1:{port}/{{tenant_id}}/discovery/keys", timeout_seconds=2)

    with pytest.raises(ServiceUnavailable):
        accepted(entra_token(signing_key), verifier)


def test_jwks_url_and_audience_come_from_settings(signing_key, jwks):
    verifier = entra_verifier({"SCIM_ENTRA_JWKS_URL": jwks.url_template, "SCIM_ENTRA_AUDIENCE": "gallery-app-id"})

    assert accepted(entra_token(signing_key, audience="gallery-app-id"), verifier)
    assert not accepted(entra_token(signing_key), verifier)
