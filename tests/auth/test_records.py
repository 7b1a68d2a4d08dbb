"""The tenant record's format: one JSON value per tenant, in Key Vault or in SCIM_TOKENS."""

from __future__ import annotations

import pytest

from scim.auth.records import InvalidRecord, TenantCredentials, secret_name, tenant_of_secret

ENTRA_TENANT = "11111111-2222-3333-4444-555555555555"

CURRENT, NEXT = "current-token-0123456789", "next-token-0123456789"


def test_record_round_trips_through_its_json_form():
    record = TenantCredentials("current-token-0123456789", "next-token-0123456789", ENTRA_TENANT)

    assert TenantCredentials.from_json(record.to_json()) == record


def test_json_form_leaves_out_what_is_absent():
    assert TenantCredentials("current-token-0123456789").to_json() == {"current": "current-token-0123456789"}


def test_bare_string_is_the_current_token():
    assert TenantCredentials.from_json("current-token-0123456789") == TenantCredentials("current-token-0123456789")


def test_list_holds_the_current_then_the_next_token():
    assert TenantCredentials.from_json([CURRENT, NEXT]) == TenantCredentials(CURRENT, NEXT)


def test_empty_object_is_a_revoked_tenant_that_accepts_nothing():
    record = TenantCredentials.from_json({})

    assert record.tokens == ()
    assert record.entra_tenant_id is None
    assert record.state == "revoked"


@pytest.mark.parametrize(
    "value",
    [
        pytest.param(["a", "b", "c"], id="more-than-two-tokens"),
        pytest.param({"Current": "token"}, id="unknown-key"),
        pytest.param({"current": ""}, id="empty-token"),
        pytest.param({"current": 42}, id="token-not-a-string"),
        pytest.param({"next": "token"}, id="next-without-current"),
        pytest.param({"entraTenantId": "contoso.onmicrosoft.com"}, id="entra-tenant-id-not-a-guid"),
        pytest.param(42, id="not-an-object"),
    ],
)
def test_malformed_record_is_invalid(value):
    with pytest.raises(InvalidRecord):
        TenantCredentials.from_json(value)


def test_entra_tenant_id_is_kept_in_lower_case():
    record = TenantCredentials.from_json({"entraTenantId": ENTRA_TENANT.upper()})

    assert record.entra_tenant_id == ENTRA_TENANT


def test_invalid_record_message_never_quotes_a_token():
    with pytest.raises(InvalidRecord) as raised:
        TenantCredentials.from_json({"current": "s3cret-value", "extra": "s3cret-value"})

    assert "s3cret-value" not in str(raised.value)


def test_state_tells_the_mode_without_showing_a_token():
    states = [
        TenantCredentials("a").state,
        TenantCredentials("a", "b").state,
        TenantCredentials(entra_tenant_id=ENTRA_TENANT).state,
        TenantCredentials("a", entra_tenant_id=ENTRA_TENANT).state,
    ]

    assert states == ["token", "rotating", "entra", "token+entra"]


def test_setting_value_is_the_bare_token_when_there_is_nothing_else():
    assert TenantCredentials("a").to_setting_value() == "a"
    assert TenantCredentials("a", "b").to_setting_value() == {"current": "a", "next": "b"}


def test_secret_name_is_the_prefix_and_the_tenant_slug():
    assert secret_name("acme-eu") == "scim-tenant-acme-eu"


def test_secret_name_refuses_what_is_not_a_tenant_slug():
    with pytest.raises(ValueError):
        secret_name("Acme/../x")


def test_tenant_of_a_secret_reverses_the_naming_rule():
    assert tenant_of_secret("scim-tenant-acme") == "acme"


def test_secrets_that_are_not_tenant_records_have_no_tenant():
    assert tenant_of_secret("storage-key") is None
    assert tenant_of_secret("scim-tenant-") is None


@pytest.mark.parametrize("token", ["x", "short-token", "0123456789abcde"])
def test_a_token_too_short_to_be_a_secret_is_refused(token: str):
    with pytest.raises(InvalidRecord, match="at least 16 characters"):
        TenantCredentials.from_json({"current": token})


@pytest.mark.parametrize(
    "token", ["<generated-on-first-run>", "<your-secret-token-here>", "changeme-changeme-changeme"]
)
def test_a_placeholder_token_is_refused(token: str):
    with pytest.raises(InvalidRecord, match="placeholder"):
        TenantCredentials.from_json(token)


def test_a_token_with_characters_a_bearer_header_cannot_carry_is_refused():
    with pytest.raises(InvalidRecord, match="characters"):
        TenantCredentials.from_json({"current": "a token with spaces in it"})


def test_a_record_nested_deeper_than_the_parser_allows_is_refused():
    from scim.auth.records import parse_record_text

    with pytest.raises(InvalidRecord):
        parse_record_text("[" * 100_000 + "]" * 100_000)


@pytest.mark.parametrize(
    "record", [{"eventForm": "loud"}, {"eventForm": None}, {"auditValues": "true"}, {"auditValues": 1}]
)
def test_a_record_with_an_unknown_event_form_or_a_non_boolean_audit_values_is_invalid(record):
    with pytest.raises(InvalidRecord):
        TenantCredentials.from_json({"current": "s3cret-0123456789abcdef", **record})


def test_event_form_and_audit_values_survive_a_round_trip_and_default_to_notice_and_off():
    record = {"current": "s3cret-0123456789abcdef", "eventForm": "full", "auditValues": True}

    assert TenantCredentials.from_json(record).to_json() == record
    plain = TenantCredentials.from_json("s3cret-0123456789abcdef")
    assert (plain.event_form, plain.audit_values, "eventForm" in plain.to_json()) == ("notice", False, False)
