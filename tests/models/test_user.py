"""The User model: RFC 7643 section 4.1 attributes, case-insensitive names, characteristics."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from scim.models.base import attribute
from scim.models.user import ENTERPRISE_USER_SCHEMA, User


def test_attribute_names_are_case_insensitive_at_every_level():
    user = User.model_validate({"USERNAME": "a", "NAME": {"familyname": "F"}, "Emails": [{"VALUE": "a@x.com"}]})

    assert user.to_dict() == {"userName": "a", "name": {"familyName": "F"}, "emails": [{"value": "a@x.com"}]}


def test_extension_urn_is_matched_case_insensitively():
    user = User.model_validate({"userName": "a", ENTERPRISE_USER_SCHEMA.lower(): {"DEPARTMENT": "Sales"}})

    assert user.to_dict() == {"userName": "a", ENTERPRISE_USER_SCHEMA: {"department": "Sales"}}


def test_boolean_given_as_string_is_accepted():
    assert User.model_validate({"userName": "a", "active": "False"}).active is False


def test_unknown_attributes_are_ignored():
    assert User.model_validate({"userName": "a", "shoeSize": 42}).to_dict() == {"userName": "a"}


def test_unassigned_attributes_are_not_serialized():
    assert User.model_validate({"userName": "a", "emails": [], "name": {}, "title": None}).to_dict() == {
        "userName": "a"
    }


def test_number_for_a_string_attribute_is_rejected():
    with pytest.raises(ValidationError):
        User.model_validate({"userName": 12})


def test_every_core_and_enterprise_attribute_round_trips():
    body = {
        "externalId": "e",
        "userName": "u",
        "name": {
            "formatted": "f",
            "familyName": "fa",
            "givenName": "g",
            "middleName": "m",
            "honorificPrefix": "p",
            "honorificSuffix": "s",
        },
        "displayName": "d",
        "nickName": "n",
        "profileUrl": "https://p",
        "title": "t",
        "userType": "ut",
        "preferredLanguage": "en-US",
        "locale": "en-US",
        "timezone": "Europe/Paris",
        "active": True,
        "emails": [{"value": "a@x.com", "type": "work", "primary": True, "display": "A"}],
        "phoneNumbers": [{"value": "+1", "type": "work"}],
        "ims": [{"value": "im", "type": "xmpp"}],
        "photos": [{"value": "https://photo", "type": "photo"}],
        "addresses": [
            {
                "formatted": "f",
                "streetAddress": "s",
                "locality": "l",
                "region": "r",
                "postalCode": "p",
                "country": "US",
                "type": "work",
                "primary": True,
            }
        ],
        "entitlements": [{"value": "ent"}],
        "roles": [{"value": "role"}],
        "x509Certificates": [{"value": "MIIB"}],
        ENTERPRISE_USER_SCHEMA: {
            "employeeNumber": "1",
            "costCenter": "c",
            "organization": "o",
            "division": "d",
            "department": "dep",
            "manager": {"value": "m", "$ref": "../Users/m", "displayName": "M"},
        },
    }

    assert User.model_validate(body).to_dict() == body


def test_user_name_is_unique_and_case_insensitive():
    characteristics = attribute(User, "username").characteristics

    assert (characteristics.uniqueness, characteristics.case_exact) == ("server", False)


def test_id_is_read_only_and_case_exact():
    characteristics = attribute(User, "ID").characteristics

    assert (characteristics.mutability, characteristics.case_exact) == ("readOnly", True)


def test_one_attribute_in_two_letter_cases_is_rejected_naming_it():
    with pytest.raises(ValidationError, match="userName"):
        User.model_validate({"userName": "a", "USERNAME": "b"})


def test_one_sub_attribute_in_two_letter_cases_is_rejected_naming_it():
    with pytest.raises(ValidationError, match="givenName"):
        User.model_validate({"userName": "a", "name": {"givenName": "a", "GIVENNAME": "b"}})


@pytest.mark.parametrize("text", ["yes", "no", "1", "0", "true ", "TRUE", "t", ""])
def test_boolean_given_as_a_string_other_than_true_or_false_is_rejected(text: str):
    with pytest.raises(ValidationError):
        User.model_validate({"userName": "a", "emails": [{"value": "a@x.com", "primary": text}]})


@pytest.mark.parametrize(("given", "expected"), [(True, True), (False, False), ("True", True), ("False", False)])
def test_boolean_as_json_or_as_entras_capitalised_string_is_accepted(given, expected):
    assert User.model_validate({"userName": "a", "active": given}).active is expected
