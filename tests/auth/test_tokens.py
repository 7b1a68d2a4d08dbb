"""Bearer-token checks against tokens from settings, and the recheck after a mismatch."""

from __future__ import annotations

import base64
import json

import pytest

from scim.auth.records import TenantCredentials
from scim.auth.tokens import SettingsTokenSource, authenticate, looks_like_access_token
from scim.errors import Unauthorized


def source(tokens: dict) -> SettingsTokenSource:
    return SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)})


def test_tenant_token_is_accepted():
    authenticate("acme", "Bearer s3cret-0123456789abcdef", source({"acme": "s3cret-0123456789abcdef"}))


def test_bearer_scheme_is_case_insensitive():
    authenticate("acme", "bearer s3cret-0123456789abcdef", source({"acme": "s3cret-0123456789abcdef"}))


def test_any_of_several_tokens_is_accepted_while_rotating():
    authenticate(
        "acme", "Bearer next-0123456789abcdef", source({"acme": ["current-0123456789abcdef", "next-0123456789abcdef"]})
    )


def test_wrong_token_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer guess", source({"acme": "s3cret-0123456789abcdef"}))


def test_token_of_another_tenant_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate(
            "acme",
            "Bearer other-0123456789abcdef",
            source({"acme": "s3cret-0123456789abcdef", "globex": "other-0123456789abcdef"}),
        )


def test_unknown_tenant_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("nobody", "Bearer s3cret-0123456789abcdef", source({"acme": "s3cret-0123456789abcdef"}))


def test_missing_header_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", None, source({"acme": "s3cret-0123456789abcdef"}))


def test_other_scheme_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Basic s3cret", source({"acme": "s3cret-0123456789abcdef"}))


def test_token_prefix_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret-0123456789abcde", source({"acme": "s3cret-0123456789abcdef"}))


def test_empty_token_in_settings_opens_nothing():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer ", source({"acme": ""}))


def test_malformed_setting_means_no_tenant_can_authenticate():
    broken = SettingsTokenSource({"SCIM_TOKENS": "{not json"})

    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret-0123456789abcdef", broken)


def test_tenants_lists_the_configured_tenants():
    assert source({"b": "1-0123456789abcdef", "a": "2-0123456789abcdef"}).tenants() == ["a", "b"]


def test_record_object_in_settings_accepts_current_and_next_tokens():
    rotating = source({"acme": {"current": "old-0123456789abcdef", "next": "new-0123456789abcdef"}})

    authenticate("acme", "Bearer old-0123456789abcdef", rotating)
    authenticate("acme", "Bearer new-0123456789abcdef", rotating)


def test_revoked_tenant_in_settings_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret-0123456789abcdef", source({"acme": {}}))


def test_invalid_record_of_one_tenant_leaves_the_others_working():
    mixed = source({"acme": {"current": "s3cret-0123456789abcdef", "typo": 1}, "globex": "other-0123456789abcdef"})

    authenticate("globex", "Bearer other-0123456789abcdef", mixed)
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret-0123456789abcdef", mixed)


def test_fresher_record_from_the_source_is_checked_after_a_mismatch():
    authenticate(
        "acme",
        "Bearer new-0123456789abcdef",
        RotatedSource(
            TenantCredentials("old-0123456789abcdef"), TenantCredentials("old-0123456789abcdef", "new-0123456789abcdef")
        ),
    )


def test_token_matching_neither_cached_nor_fresher_record_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate(
            "acme",
            "Bearer guess",
            RotatedSource(
                TenantCredentials("old-0123456789abcdef"),
                TenantCredentials("old-0123456789abcdef", "new-0123456789abcdef"),
            ),
        )


class RotatedSource:
    """A source whose cached record is older than what its store holds."""

    def __init__(self, cached: TenantCredentials, stored: TenantCredentials):
        self.cached, self.stored = cached, stored

    def credentials_for(self, tenant: str) -> TenantCredentials:
        return self.cached

    def recheck(self, tenant: str) -> TenantCredentials:
        return self.stored


TOKEN = "s3cret-0123456789abcdef"


@pytest.mark.parametrize("trailer", ["\x1f", "\xa0", "\x00", "\u2003", "\x0b", "\x0c", "\r", "\n"])
def test_token_followed_by_a_character_that_is_not_http_whitespace_is_unauthorized(trailer: str):
    with pytest.raises(Unauthorized):
        authenticate("acme", f"Bearer {TOKEN}{trailer}", source({"acme": TOKEN}))


@pytest.mark.parametrize("header", [f"Bearer {TOKEN} ", f" Bearer {TOKEN}\t", f"Bearer \t {TOKEN}"])
def test_spaces_and_tabs_around_the_token_are_trimmed(header: str):
    authenticate("acme", header, source({"acme": TOKEN}))


def test_token_holding_a_lone_surrogate_is_unauthorized():
    with pytest.raises(Unauthorized):
        authenticate("acme", "Bearer s3cret\ud800", source({"acme": TOKEN}))


def test_check_hashes_the_same_number_of_times_for_known_unknown_and_rotating_tenants(monkeypatch):
    import hashlib

    from scim.auth import tokens as tokens_module

    settings = source({"acme": TOKEN, "rotating": [TOKEN, "next-0123456789abcdef"]})
    counts = {}
    real = hashlib.sha256
    for tenant in ("acme", "rotating", "nobody"):
        calls: list[int] = []
        monkeypatch.setattr(
            tokens_module.hashlib, "sha256", lambda data=b"", calls=calls: calls.append(1) or real(data)
        )
        with pytest.raises(Unauthorized):
            authenticate(tenant, "Bearer wrong-0123456789abcdef", settings)
        counts[tenant] = len(calls)
        monkeypatch.undo()

    assert counts["acme"] == counts["rotating"] == counts["nobody"]


def test_a_token_whose_header_nests_past_the_parser_limit_is_no_access_token():
    header = base64.urlsafe_b64encode(b"[" * 100_000).decode().rstrip("=")

    assert not looks_like_access_token(f"{header}.e30.c2ln")
