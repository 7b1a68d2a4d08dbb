"""The OAuth 2.0 token endpoint and its access tokens over real HTTP through the local host.

RFC 6749 section 4.4 (client credentials) and 5.2 (errors), RFC 6750 (bearer tokens on SCIM
requests), RFC 7523 (Entra-issued assertions: workload identity federation), RFC 8414 (metadata).
Entra is faked: its keys are made here and its JWKS is served on loopback. Each test takes
tenants of its own from a pool, so that the throttle of one test's failures never meets another.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote_plus, urlencode

import jwt
import pytest
from azure.data.tables import TableServiceClient

from local_host.processes import child_process
from scim.auth.client_secrets import new_secret
from scim.auth.records import Federation, TenantCredentials
from scim.auth.signing_keys import key_to_json, new_key
from tests.support.entra_fakes import (
    AUDIENCE,
    ENTRA_TENANT,
    OTHER_ENTRA_TENANT,
    SUBJECT,
    assertion,
    hmac_with_public_key,
    new_rsa_key,
    serving_jwks,
    unsigned,
)
from tests.support.local_host import request_json

POOL = 40
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@dataclass(frozen=True)
class Tenant:
    name: str
    client_id: str
    secret: str | None  # None for a federated tenant
    tenant_url: str

    @property
    def token_url(self) -> str:
        return f"{self.tenant_url}/oauth2/token"


@dataclass
class OAuthHost:
    base_url: str
    signing_key: dict  # the ring's only key, as the setting holds it
    entra_key: object
    expired_secrets: dict[str, str]
    pools: dict[str, Iterator[Tenant]]
    bearer_tenant: str
    bearer_token: str

    def take(self, kind: str) -> Tenant:
        return next(self.pools[kind])


@pytest.fixture(scope="module")
def oauth_host(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OAuthHost]:
    entra_key = new_rsa_key()
    ring_key = key_to_json(new_key())
    records, secret_tenants, federated_tenants, expired = {}, [], [], {}
    with serving_jwks(entra_key.public_key()) as jwks:
        for index in range(POOL):
            secret, stored = new_secret()
            old, old_stored = new_secret(days=1, now=time.time() - 2 * 86400)  # expired yesterday
            client_id = f"client-{index}"
            name = f"oauth-{index}"
            records[name] = TenantCredentials().with_client(client_id, (stored, old_stored)).to_json()
            secret_tenants.append((name, client_id, secret))
            expired[name] = old
            federated = f"wif-{index}"
            federation = Federation(f"wif-client-{index}", ENTRA_TENANT, AUDIENCE, SUBJECT)
            records[federated] = TenantCredentials(federation=federation).to_json()
            federated_tenants.append((federated, federation.client_id, None))
        bearer_token = secrets.token_urlsafe(32)
        records["bearer-only"] = {"current": bearer_token}
        table_name = "oauth" + uuid.uuid4().hex[:16]
        environment = {
            **os.environ,
            "SCIM_STORAGE_CONNECTION_STRING": azurite,
            "SCIM_TABLE_NAME": table_name,
            "SCIM_TOKENS": json.dumps(records),
            "SCIM_OAUTH_SIGNING_KEYS": json.dumps([ring_key]),
            "SCIM_ENTRA_ASSERTION_JWKS_URL": jwks.url_template,
            "PYTHONUNBUFFERED": "1",
        }
        log_path = tmp_path_factory.mktemp("oauth_host") / "output.log"
        try:
            with child_process(environment, log_path) as base_url:

                def pool(entries):
                    return iter([Tenant(n, c, s, f"{base_url}/scim/{n}/v2") for n, c, s in entries])

                yield OAuthHost(
                    base_url,
                    ring_key,
                    entra_key,
                    expired,
                    {"secret": pool(secret_tenants), "federated": pool(federated_tenants)},
                    "bearer-only",
                    bearer_token,
                )
        finally:
            TableServiceClient.from_connection_string(azurite).delete_table(table_name)


@pytest.fixture
def tenant(oauth_host: OAuthHost) -> Tenant:
    """A tenant with one OAuth client (a valid secret and an expired one), used by this test only."""
    return oauth_host.take("secret")


@pytest.fixture
def other_tenant(oauth_host: OAuthHost) -> Tenant:
    return oauth_host.take("secret")


@pytest.fixture
def federated(oauth_host: OAuthHost) -> Tenant:
    """A tenant federated with the fake Entra tenant (audience AUDIENCE, subject SUBJECT)."""
    return oauth_host.take("federated")


def post_token(tenant: Tenant, fields, *, basic: tuple[str, str] | None = None, headers: dict | None = None):
    """POST the form ``fields`` (a dict, or pairs to repeat one) to the tenant's token endpoint."""
    request_headers = {**FORM, **(headers or {})}
    if basic is not None:
        pair = f"{quote_plus(basic[0])}:{quote_plus(basic[1])}".encode()
        request_headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    return request_json("POST", tenant.token_url, data=urlencode(fields).encode(), headers=request_headers)


def token_for(tenant: Tenant) -> str:
    status, _, body = post_token(tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, tenant.secret))
    assert status == 200, body
    return body["access_token"]


def scim_get(tenant: Tenant, token: str | None):
    headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
    query = "/Users?filter=" + quote_plus(f'userName eq "{uuid.uuid4()}"')
    return request_json("GET", tenant.tenant_url + query, headers=headers)


def forged_access_token(host: OAuthHost, tenant: Tenant, **changes) -> str:
    """An access token signed with the ring's real key, with claims changed (to test each check alone)."""
    now = int(time.time())
    claims = {
        "iss": tenant.tenant_url.lower(),
        "aud": tenant.tenant_url.lower(),
        "sub": tenant.client_id,
        "client_id": tenant.client_id,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        **changes,
    }
    key = base64.urlsafe_b64decode(host.signing_key["k"])
    return jwt.encode(claims, key, algorithm="HS256", headers={"kid": host.signing_key["kid"], "typ": "at+jwt"})


def assert_oauth_error(response, status: int, error: str) -> dict:
    code, headers, body = response
    assert (code, body["error"]) == (status, error), body
    assert headers["Cache-Control"] == "no-store"
    assert headers["Content-Type"].startswith("application/json")
    assert body["error_description"]
    return dict(headers)


def assert_invalid_token(response) -> None:
    status, headers, body = response
    assert status == 401
    assert headers["WWW-Authenticate"] == 'Bearer realm="SCIM", error="invalid_token"'
    assert body["status"] == "401"


# --- RFC 6749 section 4.4: issuing tokens ----------------------------------------------------


def test_client_credentials_with_basic_authentication_issue_a_bearer_token(tenant):
    status, headers, body = post_token(
        tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, tenant.secret)
    )

    assert status == 200
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "scim")
    assert (headers["Cache-Control"], headers["Pragma"]) == ("no-store", "no-cache")
    assert "refresh_token" not in body


def test_client_credentials_in_the_body_issue_a_token(tenant):
    fields = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.secret}

    status, _, body = post_token(tenant, fields)

    assert status == 200 and body["access_token"]


def test_access_token_is_accepted_on_its_tenants_scim_requests(tenant):
    status, _, body = scim_get(tenant, token_for(tenant))

    assert (status, body["totalResults"]) == (200, 0)


def test_requested_scim_scope_is_granted(tenant):
    fields = {"grant_type": "client_credentials", "scope": "scim"}

    status, _, body = post_token(tenant, fields, basic=(tenant.client_id, tenant.secret))

    assert (status, body["scope"]) == (200, "scim")


# --- RFC 6749 section 5.2: errors ------------------------------------------------------------


def test_missing_grant_type_is_invalid_request(tenant):
    assert_oauth_error(post_token(tenant, {}, basic=(tenant.client_id, tenant.secret)), 400, "invalid_request")


def test_password_grant_is_unsupported_grant_type(tenant):
    fields = {"grant_type": "password", "username": "u", "password": "p"}

    assert_oauth_error(
        post_token(tenant, fields, basic=(tenant.client_id, tenant.secret)), 400, "unsupported_grant_type"
    )


def test_repeated_parameter_is_invalid_request(tenant):
    fields = [("grant_type", "client_credentials"), ("grant_type", "client_credentials")]

    assert_oauth_error(post_token(tenant, fields, basic=(tenant.client_id, tenant.secret)), 400, "invalid_request")


def test_two_client_authentication_methods_are_invalid_request(tenant):
    fields = {"grant_type": "client_credentials", "client_id": tenant.client_id, "client_secret": tenant.secret}

    response = post_token(tenant, fields, basic=(tenant.client_id, tenant.secret))

    assert_oauth_error(response, 400, "invalid_request")


def test_json_body_is_invalid_request(tenant):
    data = json.dumps({"grant_type": "client_credentials"}).encode()
    headers = {"Content-Type": "application/json", "Authorization": "Basic " + base64.b64encode(b"a:b").decode()}

    assert_oauth_error(request_json("POST", tenant.token_url, data=data, headers=headers), 400, "invalid_request")


def test_get_on_the_token_endpoint_is_refused(tenant):
    assert_oauth_error(request_json("GET", tenant.token_url), 405, "invalid_request")


def test_any_requested_scope_is_answered_with_the_scim_scope(tenant):
    fields = {"grant_type": "client_credentials", "scope": "scim.readwrite"}

    status, _, body = post_token(tenant, fields, basic=(tenant.client_id, tenant.secret))

    assert (status, body["scope"]) == (200, "scim")


def test_wrong_secret_is_invalid_client_with_a_basic_challenge(tenant):
    response = post_token(tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, "wrong"))

    headers = assert_oauth_error(response, 401, "invalid_client")
    assert headers["WWW-Authenticate"].startswith("Basic realm=")


def test_unknown_client_is_invalid_client(tenant):
    response = post_token(tenant, {"grant_type": "client_credentials"}, basic=("no-such-client", tenant.secret))

    assert_oauth_error(response, 401, "invalid_client")


def test_expired_secret_is_invalid_client(oauth_host, tenant):
    expired = oauth_host.expired_secrets[tenant.name]

    response = post_token(tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, expired))

    assert_oauth_error(response, 401, "invalid_client")


def test_client_of_another_tenant_is_invalid_client(tenant, other_tenant):
    credentials = (other_tenant.client_id, other_tenant.secret)

    assert_oauth_error(
        post_token(tenant, {"grant_type": "client_credentials"}, basic=credentials), 401, "invalid_client"
    )


def test_no_client_authentication_is_invalid_client(tenant):
    assert_oauth_error(post_token(tenant, {"grant_type": "client_credentials"}), 401, "invalid_client")


def test_unknown_tenant_is_invalid_client(oauth_host, tenant):
    nobody = Tenant("nobody-here", tenant.client_id, tenant.secret, f"{oauth_host.base_url}/scim/nobody-here/v2")

    assert_oauth_error(
        post_token(nobody, {"grant_type": "client_credentials"}, basic=(tenant.client_id, tenant.secret)),
        401,
        "invalid_client",
    )


# --- Abuse limits ----------------------------------------------------------------------------


def test_failures_past_the_limit_are_throttled_with_retry_after(tenant):
    responses = [
        post_token(tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, f"guess-{n}"))
        for n in range(6)
    ]

    assert [status for status, _, _ in responses] == [401] * 5 + [429]
    headers = assert_oauth_error(responses[-1], 429, "temporarily_unavailable")
    assert int(headers["Retry-After"]) >= 1


def test_correct_secret_gets_a_token_while_failures_are_throttled(tenant):
    for n in range(8):
        post_token(tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, f"guess-{n}"))

    status, _, _ = post_token(tenant, {"grant_type": "client_credentials"}, basic=(tenant.client_id, tenant.secret))

    assert status == 200


# --- RFC 6750: the access token on SCIM requests ---------------------------------------------


def test_token_of_one_tenant_is_unauthorized_on_another(tenant, other_tenant):
    assert_invalid_token(scim_get(other_tenant, token_for(tenant)))


def test_access_token_is_unauthorized_on_a_tenant_with_bearer_tokens_only(oauth_host, tenant):
    bearer = Tenant(oauth_host.bearer_tenant, "", None, f"{oauth_host.base_url}/scim/{oauth_host.bearer_tenant}/v2")

    status, _, _ = scim_get(bearer, token_for(tenant))

    assert status == 401


def test_tampered_access_token_is_unauthorized(tenant):
    header, payload, signature = token_for(tenant).split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["client_id"] = claims["sub"] = "someone-else"
    tampered = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")

    assert_invalid_token(scim_get(tenant, f"{header}.{tampered}.{signature}"))


def test_expired_access_token_is_unauthorized(oauth_host, tenant):
    expired = forged_access_token(oauth_host, tenant, iat=int(time.time()) - 7200, exp=int(time.time()) - 120)

    assert_invalid_token(scim_get(tenant, expired))


def test_access_token_for_another_audience_is_unauthorized(oauth_host, tenant):
    token = forged_access_token(oauth_host, tenant, aud="https://elsewhere.example/scim/x/v2")

    assert_invalid_token(scim_get(tenant, token))


def test_access_token_signed_with_the_real_key_and_right_claims_is_accepted(oauth_host, tenant):
    # The control for the forged-token tests above: only the changed claim makes them fail.
    status, _, _ = scim_get(tenant, forged_access_token(oauth_host, tenant))

    assert status == 200


def test_unsigned_access_token_is_unauthorized(tenant):
    assert_invalid_token(scim_get(tenant, unsigned(token_for(tenant))))


def test_access_token_signed_rs256_by_another_key_is_unauthorized(oauth_host, tenant):
    claims = jwt.decode(token_for(tenant), options={"verify_signature": False})
    header = {"kid": oauth_host.signing_key["kid"], "typ": "at+jwt"}
    forged = jwt.encode(claims, new_rsa_key(), algorithm="RS256", headers=header)

    assert_invalid_token(scim_get(tenant, forged))


def test_access_token_signed_with_an_unknown_key_is_unauthorized(tenant):
    claims = jwt.decode(token_for(tenant), options={"verify_signature": False})
    forged = jwt.encode(claims, secrets.token_bytes(32), algorithm="HS256", headers={"kid": "made-up", "typ": "at+jwt"})

    assert_invalid_token(scim_get(tenant, forged))


def test_request_without_a_token_gets_a_challenge_without_an_error_code(tenant):
    status, headers, _ = scim_get(tenant, None)

    assert (status, headers["WWW-Authenticate"]) == (401, 'Bearer realm="SCIM"')


# --- RFC 7523: workload identity federation --------------------------------------------------


def federation_request(tenant: Tenant, token: str, **overrides) -> dict:
    return {
        "grant_type": "client_credentials",
        "client_id": tenant.client_id,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": token,
        "scope": "scim",
        **overrides,
    }


def test_entra_assertion_issues_a_token_that_works_on_scim_requests(oauth_host, federated):
    status, headers, body = post_token(federated, federation_request(federated, assertion(oauth_host.entra_key)))

    assert (status, headers["Cache-Control"]) == (200, "no-store")
    assert scim_get(federated, body["access_token"])[0] == 200


def test_assertion_without_client_id_identifies_the_tenants_federation(oauth_host, federated):
    fields = federation_request(federated, assertion(oauth_host.entra_key))
    del fields["client_id"]

    assert post_token(federated, fields)[0] == 200


def test_assertion_of_another_entra_tenant_is_invalid_client(oauth_host, federated):
    token = assertion(oauth_host.entra_key, tenant=OTHER_ENTRA_TENANT)

    assert_oauth_error(post_token(federated, federation_request(federated, token)), 401, "invalid_client")


def test_assertion_for_another_audience_is_invalid_client(oauth_host, federated):
    token = assertion(oauth_host.entra_key, audience="api://another-app")

    assert_oauth_error(post_token(federated, federation_request(federated, token)), 401, "invalid_client")


def test_assertion_with_another_subject_is_invalid_client(oauth_host, federated):
    token = assertion(oauth_host.entra_key, subject="someone-else")

    assert_oauth_error(post_token(federated, federation_request(federated, token)), 401, "invalid_client")


def test_expired_assertion_is_invalid_client(oauth_host, federated):
    token = assertion(oauth_host.entra_key, starts_in=-7200, lifetime=3600)

    assert_oauth_error(post_token(federated, federation_request(federated, token)), 401, "invalid_client")


def test_assertion_signed_by_another_key_is_invalid_client(federated):
    assert_oauth_error(
        post_token(federated, federation_request(federated, assertion(new_rsa_key()))), 401, "invalid_client"
    )


def test_unsigned_assertion_is_invalid_client(oauth_host, federated):
    token = unsigned(assertion(oauth_host.entra_key))

    assert_oauth_error(post_token(federated, federation_request(federated, token)), 401, "invalid_client")


def test_assertion_signed_with_the_public_key_as_hmac_secret_is_invalid_client(oauth_host, federated):
    token = hmac_with_public_key(assertion(oauth_host.entra_key), oauth_host.entra_key)

    assert_oauth_error(post_token(federated, federation_request(federated, token)), 401, "invalid_client")


def test_assertion_with_another_client_id_is_invalid_client(oauth_host, federated):
    fields = federation_request(federated, assertion(oauth_host.entra_key), client_id="wif-client-not-this")

    assert_oauth_error(post_token(federated, fields), 401, "invalid_client")


def test_entra_assertion_at_a_tenant_without_federation_is_invalid_client(oauth_host, tenant):
    fields = federation_request(tenant, assertion(oauth_host.entra_key))

    assert_oauth_error(post_token(tenant, fields), 401, "invalid_client")


def test_wrong_client_assertion_type_is_invalid_request(oauth_host, federated):
    fields = federation_request(federated, assertion(oauth_host.entra_key), client_assertion_type="urn:made:up")

    assert_oauth_error(post_token(federated, fields), 400, "invalid_request")


def test_jwt_bearer_grant_with_the_entra_assertion_issues_a_token(oauth_host, federated):
    fields = {"grant_type": JWT_BEARER_GRANT, "assertion": assertion(oauth_host.entra_key)}

    assert post_token(federated, fields)[0] == 200


def test_jwt_bearer_grant_with_a_bad_assertion_is_invalid_grant(oauth_host, federated):
    fields = {"grant_type": JWT_BEARER_GRANT, "assertion": assertion(oauth_host.entra_key, audience="api://x")}

    assert_oauth_error(post_token(federated, fields), 400, "invalid_grant")


def test_jwt_bearer_grant_without_an_assertion_is_invalid_request(federated):
    assert_oauth_error(post_token(federated, {"grant_type": JWT_BEARER_GRANT}), 400, "invalid_request")


# --- RFC 8414 --------------------------------------------------------------------------------


def test_metadata_names_the_issuer_and_token_endpoint(oauth_host, tenant):
    url = f"{oauth_host.base_url}/.well-known/oauth-authorization-server/scim/{tenant.name}/v2"

    status, _, body = request_json("GET", url)

    assert status == 200
    assert (body["issuer"], body["token_endpoint"]) == (tenant.tenant_url.lower(), tenant.token_url.lower())
    assert "client_credentials" in body["grant_types_supported"]


# --- ServiceProviderConfig (RFC 7643 section 5) ----------------------------------------------


def schemes(tenant: Tenant, token: str | None) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    status, _, body = request_json("GET", tenant.tenant_url + "/ServiceProviderConfig", headers=headers)
    assert status == 200
    return [scheme["type"] for scheme in body["authenticationSchemes"]]


def test_service_provider_config_lists_the_calling_tenants_schemes(tenant):
    assert schemes(tenant, token_for(tenant)) == ["oauth2"]


def test_service_provider_config_lists_every_scheme_to_an_unknown_caller(oauth_host, tenant):
    bearer = Tenant(oauth_host.bearer_tenant, "", None, f"{oauth_host.base_url}/scim/{oauth_host.bearer_tenant}/v2")

    assert schemes(tenant, None) == schemes(bearer, None) == ["oauthbearertoken", "oauth2"]
    assert schemes(bearer, oauth_host.bearer_token) == ["oauthbearertoken"]
