"""Entra-issued JWTs, signed with keys made here and checked against a JWKS served on loopback."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import jwt
import pytest

from local_host.processes import free_port
from scim.auth.jwt_tokens import NON_GALLERY_AUDIENCE, EntraTokenVerifier, entra_verifier
from scim.auth.tokens import SettingsTokenSource
from scim.errors import ServiceUnavailable
from tests.support.auth_fakes import is_accepted
from tests.support.entra_fakes import (
    ENTRA_TENANT,
    KEY_ID,
    OTHER_ENTRA_TENANT,
    JwksServer,
    hmac_with_public_key,
    new_rsa_key,
    serving_jwks,
    unsigned,
)


@pytest.fixture(scope="module")
def signing_key():
    return new_rsa_key()


@pytest.fixture(scope="module")
def other_key():
    return new_rsa_key()


@pytest.fixture(scope="module")
def jwks(signing_key) -> Iterator[JwksServer]:
    with serving_jwks(signing_key.public_key()) as server:
        yield server


@pytest.fixture
def verifier(jwks: JwksServer) -> EntraTokenVerifier:
    """A new verifier, with nothing cached, and the server's request count reset."""
    jwks.requests = 0
    jwks.body = jwks.key_set
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
    assert not accepted(unsigned(entra_token(signing_key)), verifier)


def test_token_signed_with_the_public_key_as_hmac_secret_is_unauthorized(signing_key, verifier):
    assert not accepted(hmac_with_public_key(entra_token(signing_key), signing_key), verifier)


def test_tenant_without_an_entra_tenant_id_never_checks_jwts(signing_key, verifier, jwks):
    assert not accepted(entra_token(signing_key), verifier, record={"current": "secret-token-0123456789abcdef"})
    assert jwks.requests == 0


def test_signing_keys_are_fetched_once_for_many_tokens(signing_key, verifier, jwks):
    for _ in range(5):
        assert accepted(entra_token(signing_key), verifier)

    assert jwks.requests == 1


def test_secret_token_still_works_for_a_tenant_that_also_accepts_entra_tokens(verifier):
    assert accepted(
        "secret-token-0123456789abcdef",
        verifier,
        record={"current": "secret-token-0123456789abcdef", "entraTenantId": ENTRA_TENANT},
    )


def test_unreachable_signing_keys_are_service_unavailable(signing_key):
    port = free_port()  # a loopback port nothing listens on
    verifier = EntraTokenVerifier(f"http://127.0.0.1:{port}/{{tenant_id}}/discovery/keys", timeout_seconds=2)

    with pytest.raises(ServiceUnavailable):
        accepted(entra_token(signing_key), verifier)


def test_jwks_url_and_audience_come_from_settings(signing_key, jwks):
    verifier = entra_verifier({"SCIM_ENTRA_JWKS_URL": jwks.url_template, "SCIM_ENTRA_AUDIENCE": "gallery-app-id"})

    assert accepted(entra_token(signing_key, audience="gallery-app-id"), verifier)
    assert not accepted(entra_token(signing_key), verifier)


@pytest.mark.parametrize(
    "body",
    [b"<html><body>Service Unavailable</body></html>", b'{"keys": []}', b"[]", b'{"keys": [{"kty": "RSA"}]}', b""],
    ids=["html", "empty-key-set", "not-an-object", "key-without-id", "empty-body"],
)
def test_a_key_set_that_cannot_be_used_is_service_unavailable_with_retry_after(signing_key, verifier, jwks, body):
    jwks.body = body

    with pytest.raises(ServiceUnavailable) as raised:
        accepted(entra_token(signing_key), verifier)
    assert raised.value.retry_after_seconds >= 1


def test_a_failed_key_fetch_is_remembered_so_requests_do_not_wait_for_it_again(signing_key, verifier, jwks):
    jwks.body = b"<html></html>"
    for _ in range(5):
        with pytest.raises(ServiceUnavailable):
            accepted(entra_token(signing_key), verifier)

    assert jwks.requests == 1


def test_a_token_naming_an_unknown_key_id_is_unauthorized(signing_key, verifier):
    token = jwt.encode({"iss": "x"}, signing_key, algorithm="RS256", headers={"kid": "no-such-key"})

    assert not accepted(token, verifier)
