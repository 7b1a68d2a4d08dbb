"""``attributes`` / ``excludedAttributes`` (RFC 7644 section 3.9) and ``returned`` (RFC 7643 section 7)."""

from __future__ import annotations

from typing import Annotated

from scim.models.base import Scim, ScimObject
from scim.models.resource_types import USER, ResourceType
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from scim.service.selection import Selection

USER_BODY = {
    "schemas": [USER_SCHEMA, ENTERPRISE_USER_SCHEMA],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "userName": "alice",
    "name": {"givenName": "Alice", "familyName": "Archer"},
    "emails": [{"value": "alice@example.com", "type": "work", "primary": True}, {"value": "a@home.example"}],
    ENTERPRISE_USER_SCHEMA: {"department": "Sales", "costCenter": "42"},
    "groups": [{"value": "g-1", "type": "direct"}],
    "meta": {"resourceType": "User", "version": 'W/"1"'},
}


def selected(attributes: str | None = None, excluded: str | None = None) -> dict:
    return Selection.parse(attributes, excluded).apply(USER_BODY, USER)


def test_no_selection_returns_everything():
    assert selected() == USER_BODY


def test_attributes_return_only_those_plus_what_is_always_returned():
    assert selected("userName") == {"schemas": [USER_SCHEMA], "id": USER_BODY["id"], "userName": "alice"}


def test_attribute_names_match_in_any_letter_case():
    assert selected("USERNAME")["userName"] == "alice"


def test_sub_attribute_of_a_complex_attribute_returns_only_it():
    assert selected("name.givenName")["name"] == {"givenName": "Alice"}


def test_sub_attribute_of_a_multi_valued_attribute_applies_to_every_element():
    assert selected("emails.value")["emails"] == [{"value": "alice@example.com"}, {"value": "a@home.example"}]


def test_urn_qualified_core_attribute_is_selected():
    assert "userName" in selected(f"{USER_SCHEMA}:userName")


def test_extension_attribute_returns_the_extension_with_only_it():
    body = selected(f"{ENTERPRISE_USER_SCHEMA}:department")

    assert body[ENTERPRISE_USER_SCHEMA] == {"department": "Sales"}
    assert body["schemas"] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]


def test_extension_urn_alone_selects_the_whole_extension():
    assert selected(ENTERPRISE_USER_SCHEMA)[ENTERPRISE_USER_SCHEMA] == USER_BODY[ENTERPRISE_USER_SCHEMA]


def test_excluded_attribute_is_left_out():
    body = selected(excluded="emails,groups")

    assert "emails" not in body and "groups" not in body and body["userName"] == "alice"


def test_excluded_sub_attribute_leaves_the_others():
    assert selected(excluded="name.givenName")["name"] == {"familyName": "Archer"}


def test_excluded_extension_is_left_out_of_schemas_too():
    body = selected(excluded=ENTERPRISE_USER_SCHEMA)

    assert ENTERPRISE_USER_SCHEMA not in body
    assert body["schemas"] == [USER_SCHEMA]


def test_attributes_returned_always_cannot_be_excluded():
    body = selected(excluded="id,schemas")

    assert (body["id"], body["schemas"]) == (USER_BODY["id"], USER_BODY["schemas"])


def test_unknown_names_select_and_exclude_nothing():
    assert selected("shoeSize") == {"schemas": [USER_SCHEMA], "id": USER_BODY["id"]}
    assert selected(excluded="shoeSize,urn:example:nothing:1.0:x") == USER_BODY


def test_meta_is_returned_by_default_and_selectable_by_sub_attribute():
    assert selected("meta.version")["meta"] == {"version": 'W/"1"'}
    assert "meta" not in selected(excluded="meta")


class Account(ScimObject):
    id: Annotated[str | None, Scim(returned="always")] = None
    userName: str | None = None
    password: Annotated[str | None, Scim(returned="never")] = None
    recoveryCode: Annotated[str | None, Scim(returned="request")] = None


ACCOUNT = ResourceType("Account", "/Accounts", "urn:example:Account", Account, indexed=())
ACCOUNT_BODY = {"id": "1", "userName": "a", "password": "secret", "recoveryCode": "123"}


def test_returned_never_is_never_returned_even_when_asked():
    assert "password" not in Selection.parse("password", None).apply(ACCOUNT_BODY, ACCOUNT)
    assert "password" not in Selection().apply(ACCOUNT_BODY, ACCOUNT)


def test_returned_request_only_when_named_in_attributes():
    assert "recoveryCode" not in Selection().apply(ACCOUNT_BODY, ACCOUNT)
    assert "recoveryCode" not in Selection.parse(None, "userName").apply(ACCOUNT_BODY, ACCOUNT)
    assert Selection.parse("recoveryCode", None).apply(ACCOUNT_BODY, ACCOUNT) == {"id": "1", "recoveryCode": "123"}


def test_includes_tells_whether_an_attribute_stored_apart_must_be_read():
    assert Selection().includes("groups")
    assert not Selection.parse(None, "groups").includes("groups")
    assert Selection.parse(None, "groups.display").includes("groups")
    assert not Selection.parse("userName", None).includes("groups")
    assert Selection.parse("groups.value", None).includes("groups")
    assert Selection.parse(f"{USER_SCHEMA}:groups", None).includes("groups")


def test_search_request_lists_select_like_the_query_parameters():
    assert Selection.of(["userName", " name.givenName "], ["name.familyName"]) == Selection.parse(
        "userName, name.givenName", "name.familyName"
    )
