"""The token endpoint's rules through function_app's triggers: secret rotation, signing key
rotation, client removal, and the steady-state cost of a SCIM request with an access token."""

from __future__ import annotations

import base64
import dataclasses
import json
import time
from urllib.parse import urlencode

import azure.functions as func
import jwt
import pytest

import function_app
from scim.api import dependencies
from scim.api.fair_share import FairShare
from scim.auth.client_secrets import new_secret
from scim.auth.keyvault import KeyVaultTokenSource
from scim.auth.oauth import OAuthServer
from scim.auth.records import NO_CREDENTIALS, TenantCredentials
from scim.auth.signing_keys import KeyVaultSigningKeys, SettingsSigningKeys, key_to_json, new_key
from tests.support.auth_fakes import FakeClock, FakeVault, VersionedVault
from tests.support.http import HOST, Client

REQUESTS = 250
# A Secret Token beside the OAuth client: long enough to be a secret (scim.auth.records.MIN_TOKEN_LENGTH).
BEARER_TOKEN = "bearer-token-0123456789abcdef"


class Records:
    """Tenants' records an admin changes while the service runs (what a cache refresh delivers)."""

    def __init__(self) -> None:
        self.records: dict[str, TenantCredentials] = {}

    def credentials_for(self, tenant: str) -> TenantCredentials:
        return self.records.get(tenant, NO_CREDENTIALS)

    def recheck(self, tenant: str) -> TenantCredentials | None:
        return None


def token_request(tenant: str, client_id: str, secret: str) -> func.HttpResponse:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return token_request_authorized_by(tenant, f"Basic {basic}")


def token_request_authorized_by(tenant: str, authorization: str) -> func.HttpResponse:
    request = func.HttpRequest(
        "POST",
        f"{HOST}/scim/{tenant}/v2/oauth2/token",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": authorization},
        route_params={"tenant": tenant},
        body=urlencode({"grant_type": "client_credentials"}).encode(),
    )
    return function_app.oauth_token(request)


def access_token(tenant: str, client_id: str, secret: str) -> str:
    response = token_request(tenant, client_id, secret)
    assert response.status_code == 200, response.get_body()
    return json.loads(response.get_body())["access_token"]


def scim_status(tenant: str, token: str) -> int:
    """Entra's Test Connection lookup with ``token``."""
    return Client(tenant, token).call("GET", params={"filter": 'userName eq "no-such-user"'}).status_code


@pytest.fixture
def records(served, tenant: str) -> Records:
    """function_app serves the test table with records the test changes, signing keys from settings."""
    source = Records()
    keys = SettingsSigningKeys({"SCIM_OAUTH_SIGNING_KEYS": json.dumps([key_to_json(new_key())])})
    dependencies.override(dataclasses.replace(served, tokens=source, oauth_server=OAuthServer(source, keys)))
    return source


def test_old_secret_keeps_working_until_it_is_removed(records: Records, tenant: str):
    old, old_stored = new_secret()
    records.records[tenant] = TenantCredentials().with_client("c1", (old_stored,))
    new, new_stored = new_secret()

    records.records[tenant] = records.records[tenant].with_client("c1", (old_stored, new_stored))
    assert token_request(tenant, "c1", old).status_code == 200
    assert token_request(tenant, "c1", new).status_code == 200

    records.records[tenant] = records.records[tenant].with_client("c1", (new_stored,))
    assert token_request(tenant, "c1", old).status_code == 401
    assert token_request(tenant, "c1", new).status_code == 200


def test_token_issued_with_a_removed_secret_stays_valid_until_it_expires(records: Records, tenant: str):
    old, old_stored = new_secret()
    _, new_stored = new_secret()
    records.records[tenant] = TenantCredentials().with_client("c1", (old_stored,))
    token = access_token(tenant, "c1", old)

    records.records[tenant] = records.records[tenant].with_client("c1", (new_stored,))

    assert scim_status(tenant, token) == 200


def test_removing_the_client_refuses_its_access_tokens(records: Records, tenant: str):
    secret, stored = new_secret()
    records.records[tenant] = TenantCredentials(current=BEARER_TOKEN).with_client("c1", (stored,))
    token = access_token(tenant, "c1", secret)

    records.records[tenant] = records.records[tenant].with_client("c1", None)

    assert scim_status(tenant, token) == 401


def test_signing_key_rotation_invalidates_no_earlier_token(served, records: Records, tenant: str):
    secret, stored = new_secret()
    records.records[tenant] = TenantCredentials().with_client("c1", (stored,))
    old_key, new_key_ = new_key(time.time() - 60), new_key(time.time())
    before = OAuthServer(records, SettingsSigningKeys({"SCIM_OAUTH_SIGNING_KEYS": json.dumps([key_to_json(old_key)])}))
    dependencies.override(dataclasses.replace(served, tokens=records, oauth_server=before))
    earlier = access_token(tenant, "c1", secret)

    rotated_ring = json.dumps([key_to_json(old_key), key_to_json(new_key_)])
    after = OAuthServer(records, SettingsSigningKeys({"SCIM_OAUTH_SIGNING_KEYS": rotated_ring}))
    dependencies.override(dataclasses.replace(served, tokens=records, oauth_server=after))
    later = access_token(tenant, "c1", secret)

    assert json.loads(base64.urlsafe_b64decode(later.split(".")[0] + "=="))["kid"] == new_key_.kid
    assert scim_status(tenant, earlier) == 200
    assert scim_status(tenant, later) == 200


def test_scim_requests_with_an_access_token_read_no_key_vault_and_no_more_storage_in_steady_state(
    served, tenant: str, request_counter
):
    clock, wall = FakeClock(), FakeClock(1_800_000_000.0)
    secret, stored = new_secret(now=wall())
    tenants_vault, keys_vault = FakeVault(), VersionedVault(wall)
    tenants_vault.put_record(tenant, TenantCredentials(current=BEARER_TOKEN).with_client("c1", (stored,)).to_json())
    source = KeyVaultTokenSource(tenants_vault.client, cache_seconds=300, clock=clock)
    server = OAuthServer(source, KeyVaultSigningKeys(keys_vault, cache_seconds=300, clock=wall))
    dependencies.override(dataclasses.replace(served, tokens=source, oauth_server=server))
    token = access_token(tenant, "c1", secret)
    assert scim_status(tenant, token) == 200  # warm
    vault_requests = tenants_vault.reads + keys_vault.requests
    storage_requests = request_counter.count

    for _ in range(REQUESTS):  # at Entra's 25 requests a second: inside every cache period
        clock.advance(0.04)
        wall.advance(0.04)
        assert scim_status(tenant, token) == 200

    assert tenants_vault.reads + keys_vault.requests == vault_requests
    oauth_cost = request_counter.count - storage_requests
    before_bearer = request_counter.count
    for _ in range(REQUESTS):
        assert scim_status(tenant, BEARER_TOKEN) == 200
    # One point read each, as with a Secret Token:
    assert oauth_cost == request_counter.count - before_bearer == REQUESTS


def test_access_token_is_bound_to_the_configured_base_url_whatever_the_host_header(records: Records, tenant: str):
    dependencies.override(dataclasses.replace(dependencies.current(), base_url="https://scim.contoso.example/"))
    secret, stored = new_secret()
    records.records[tenant] = TenantCredentials().with_client("c1", (stored,))

    token = access_token(tenant, "c1", secret)  # sent to HOST, another name

    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"]) == (f"https://scim.contoso.example/scim/{tenant}/v2",) * 2
    assert scim_status(tenant, token) == 200


def test_metadata_names_the_configured_base_url_as_issuer(served, tenant: str):
    dependencies.override(dataclasses.replace(served, base_url="https://scim.contoso.example"))
    request = func.HttpRequest(
        "GET",
        f"{HOST}/.well-known/oauth-authorization-server/scim/{tenant}/v2",
        headers={},
        route_params={"tenant": tenant},
        body=b"",
    )

    metadata = json.loads(function_app.oauth_metadata(request).get_body())

    issuer = f"https://scim.contoso.example/scim/{tenant}/v2"
    assert (metadata["issuer"], metadata["token_endpoint"]) == (issuer, f"{issuer}/oauth2/token")


def test_token_endpoint_requests_do_not_spend_the_tenants_fair_share(records: Records, tenant: str):
    one_request = FairShare(requests_per_second=0.001, burst=1, concurrency=1)
    dependencies.override(dataclasses.replace(dependencies.current(), fair_share=one_request))
    secret, stored = new_secret()
    records.records[tenant] = TenantCredentials().with_client("c1", (stored,))

    tokens = [access_token(tenant, "c1", secret) for _ in range(3)]

    assert [scim_status(tenant, tokens[0]), scim_status(tenant, tokens[0])] == [200, 429]


@pytest.mark.parametrize(
    "encoded", ["\u00e9", "YTpi\u00a0", "\ud800"], ids=["not-ascii", "no-break-space", "surrogate"]
)
def test_basic_credentials_that_are_not_base64_text_are_invalid_request(records: Records, tenant: str, encoded: str):
    response = token_request_authorized_by(tenant, f"Basic {encoded}")

    assert (response.status_code, json.loads(response.get_body())["error"]) == (400, "invalid_request")
