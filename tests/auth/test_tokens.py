"""Bearer-token checks against tokens from settings."""

from __future__ import annotations

import json

import pytest

from scim.auth.tokens import SettingsTokenSource, authenticate
from scim.errors import Unauthorized


def source(tokens: dict) -> SettingsTokenSource:
    return SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)})


def test_tenant_token_is_accepted():
    authenticate("acme", "Bearer s3cret", source({"acme": "s3cret"}))


def test_bearer_scheme_is_case_insensitive():
    authenticate("acme", "bearer s3cret", source({"acme": "s3cret"}))


def test_any_of_several_tokens_is_accepted_while_rotating():
    authenticate("acme", "Bearer next", source({"acme": ["current", "next"]}))


def test_wrong_token_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer guess", source({"acme": "s3cret"}))


def test_token_of_another_tenant_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer other", source({"acme": "s3cret", "globex": "other"}))


def test_unknown_tenant_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("nobody", "Bearer s3cret", source({"acme": "s3cret"}))


def test_missing_header_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", None, source({"acme": "s3cret"}))


def test_other_scheme_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Basic s3cret", source({"acme": "s3cret"}))


def test_token_prefix_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cre", source({"acme": "s3cret"}))


def test_empty_token_in_settings_opens_nothing():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer ", source({"acme": ""}))


def test_malformed_setting_means_no_tenant_can_authenticate():
    broken = SettingsTokenSource({"SCIM_TOKENS": "{not json"})

    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret", broken)


def test_tenants_lists_the_configured_tenants():
    assert source({"b": "1", "a": "2"}).tenants() == ["a", "b"]
