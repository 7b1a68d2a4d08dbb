"""Discovery routes through function_app: who may read them and which methods they take."""

from __future__ import annotations

import pytest

from tests.support.http import HOST, assert_scim_error, discovery_request, json_of


def test_service_provider_config_is_readable_without_a_token(served, tenant: str):
    response = discovery_request(tenant, "/ServiceProviderConfig")

    assert response.status_code == 200
    assert response.mimetype == "application/scim+json"
    assert json_of(response)["meta"]["location"] == f"{HOST}/scim/{tenant}/v2/ServiceProviderConfig"


def test_service_provider_config_has_no_security_events_for_a_tenant_without_an_event_reader(
    served, tenant: str, tokens: dict[str, str]
):
    assert "securityEvents" not in json_of(discovery_request(tenant, "/ServiceProviderConfig", token=tokens[tenant]))


@pytest.mark.parametrize("path", ["/Schemas", "/ResourceTypes", "/ResourceTypes/User"])
def test_other_discovery_routes_need_the_tenants_token(served, tenant: str, path: str):
    assert_scim_error(discovery_request(tenant, path), 401)


@pytest.mark.parametrize(
    "path",
    ["/Schemas", "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "/ResourceTypes", "/ResourceTypes/Group"],
)
def test_discovery_routes_answer_with_the_token(served, tenant: str, tokens: dict[str, str], path: str):
    assert discovery_request(tenant, path, token=tokens[tenant]).status_code == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_discovery_routes_are_405(served, tenant: str, method: str):
    assert_scim_error(discovery_request(tenant, "/ServiceProviderConfig", method), 405)


def test_unknown_schema_is_404(served, tenant: str, tokens: dict[str, str]):
    assert_scim_error(discovery_request(tenant, "/Schemas/urn:example:nothing", token=tokens[tenant]), 404)
