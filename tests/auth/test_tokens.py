"""Bearer-token checks against tokens from settings, and the recheck after a mismatch."""

from __future__ import annotations

import json

import pytest

from scim.auth.records import TenantCredentials
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


def test_record_object_in_settings_accepts_current_and_next_tokens():
    rotating = source({"acme": {"current": "old", "next": "new"}})

    authenticate("acme", "Bearer old", rotating)
    authenticate("acme", "Bearer new", rotating)


def test_revoked_tenant_in_settings_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret", source({"acme": {}}))


def test_invalid_record_of_one_tenant_leaves_the_others_working():
    mixed = source({"acme": {"current": "s3cret", "typo": 1}, "globex": "other"})

    authenticate("globex", "Bearer other", mixed)
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret", mixed)


def test_fresher_record_from_the_source_is_checked_after_a_mismatch():
    authenticate("acme", "Bearer new", RotatedSource(TenantCredentials("old"), TenantCredentials("old", "new")))


def test_token_matching_neither_cached_nor_fresher_record_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer guess", RotatedSource(TenantCredentials("old"), TenantCredentials("old", "new")))


class RotatedSource:
    """A source whose cached record is older than what its store holds."""

    def __init__(self, cached: TenantCredentials, stored: TenantCredentials):
        self.cached, self.stored = cached, stored

    def credentials_for(self, tenant: str) -> TenantCredentials:
        return self.cached

    def recheck(self, tenant: str) -> TenantCredentials:
        return self.stored
