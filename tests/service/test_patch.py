"""The PATCH engine (RFC 7644 section 3.5.2) on User attributes, without storage."""

from __future__ import annotations

import pytest

from scim.errors import InvalidPath, Mutability, NoTarget
from scim.models.messages import PatchOperation
from scim.models.resource_types import USER
from scim.models.user import ENTERPRISE_USER_SCHEMA
from scim.service.patch import apply_operations

DEPARTMENT_PATH = f"{ENTERPRISE_USER_SCHEMA}:department"


def patched(attributes: dict, *operations: dict) -> dict:
    return apply_operations(attributes, [PatchOperation.model_validate(op) for op in operations], USER)


def test_replace_simple_attribute_sets_it():
    assert patched({"userName": "a"}, {"op": "replace", "path": "title", "value": "CEO"})["title"] == "CEO"


def test_path_attribute_names_match_in_any_letter_case():
    assert patched({"userName": "a"}, {"op": "add", "path": "DISPLAYNAME", "value": "A"})["displayName"] == "A"


def test_add_sub_attribute_creates_the_complex_parent():
    result = patched({"userName": "a"}, {"op": "add", "path": "name.givenName", "value": "Alice"})

    assert result["name"] == {"givenName": "Alice"}


def test_replace_complex_attribute_keeps_sub_attributes_not_given():
    result = patched(
        {"userName": "a", "name": {"givenName": "A", "familyName": "B"}},
        {"op": "replace", "path": "name", "value": {"familyName": "C"}},
    )

    assert result["name"] == {"givenName": "A", "familyName": "C"}


def test_remove_sub_attribute_removes_only_it():
    result = patched(
        {"userName": "a", "name": {"givenName": "A", "familyName": "B"}}, {"op": "remove", "path": "name.givenName"}
    )

    assert result["name"] == {"familyName": "B"}


def test_add_to_filtered_path_with_no_match_creates_exactly_one_element():
    result = patched(
        {"userName": "a", "emails": [{"value": "home@x.com", "type": "home"}]},
        {"op": "add", "path": 'emails[type eq "work"].value', "value": "work@x.com"},
    )

    assert result["emails"] == [{"value": "home@x.com", "type": "home"}, {"type": "work", "value": "work@x.com"}]


def test_replace_on_filtered_path_updates_the_matching_element():
    result = patched(
        {"userName": "a", "emails": [{"value": "old@x.com", "type": "work"}, {"value": "h@x.com", "type": "home"}]},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "new@x.com"},
    )

    assert result["emails"] == [{"value": "new@x.com", "type": "work"}, {"value": "h@x.com", "type": "home"}]


def test_remove_with_filter_removes_only_matching_elements():
    result = patched(
        {"userName": "a", "emails": [{"value": "w@x.com", "type": "work"}, {"value": "h@x.com", "type": "home"}]},
        {"op": "remove", "path": 'emails[type eq "work"]'},
    )

    assert result["emails"] == [{"value": "h@x.com", "type": "home"}]


def test_remove_with_value_array_removes_only_those_values():
    result = patched(
        {"userName": "a", "roles": [{"value": "r1"}, {"value": "r2"}, {"value": "r3"}]},
        {"op": "remove", "path": "roles", "value": [{"value": "r1"}, {"value": "r3"}]},
    )

    assert result["roles"] == [{"value": "r2"}]


def test_remove_of_whole_multi_valued_attribute_drops_it():
    result = patched({"userName": "a", "emails": [{"value": "w@x.com"}]}, {"op": "remove", "path": "emails"})

    assert "emails" not in result


def test_add_of_existing_multi_valued_element_does_not_duplicate_it():
    result = patched(
        {"userName": "a", "emails": [{"value": "w@x.com"}]},
        {"op": "add", "path": "emails", "value": [{"value": "w@x.com"}]},
    )

    assert result["emails"] == [{"value": "w@x.com"}]


def test_urn_qualified_path_targets_the_extension():
    result = patched({"userName": "a"}, {"op": "replace", "path": DEPARTMENT_PATH, "value": "Sales"})

    assert result[ENTERPRISE_USER_SCHEMA] == {"department": "Sales"}


def test_no_path_replace_applies_dotted_and_urn_keys_as_paths():
    result = patched(
        {"userName": "a"},
        {"op": "replace", "value": {"name.givenName": "Alice", DEPARTMENT_PATH: "Sales", "active": False}},
    )

    assert result == {
        "userName": "a",
        "name": {"givenName": "Alice"},
        ENTERPRISE_USER_SCHEMA: {"department": "Sales"},
        "active": False,
    }


def test_no_path_add_with_extension_object_merges_its_attributes():
    result = patched(
        {"userName": "a", ENTERPRISE_USER_SCHEMA: {"division": "D"}},
        {"op": "add", "value": {ENTERPRISE_USER_SCHEMA: {"department": "Sales"}}},
    )

    assert result[ENTERPRISE_USER_SCHEMA] == {"division": "D", "department": "Sales"}


def test_remove_of_last_extension_attribute_drops_the_extension():
    result = patched(
        {"userName": "a", ENTERPRISE_USER_SCHEMA: {"department": "S"}}, {"op": "remove", "path": DEPARTMENT_PATH}
    )

    assert ENTERPRISE_USER_SCHEMA not in result


def test_operations_do_not_change_the_input():
    original = {"userName": "a", "name": {"givenName": "A"}}

    patched(original, {"op": "replace", "path": "name.givenName", "value": "B"})

    assert original == {"userName": "a", "name": {"givenName": "A"}}


def test_remove_without_path_is_no_target():
    with pytest.raises(NoTarget):
        patched({"userName": "a"}, {"op": "remove"})


def test_replace_of_id_is_mutability():
    with pytest.raises(Mutability):
        patched({"userName": "a"}, {"op": "replace", "path": "id", "value": "x"})


def test_no_path_replace_giving_id_its_own_value_ignores_it():
    operation = {"op": "replace", "value": {"id": "own-id", "displayName": "Renamed"}}

    result = apply_operations({"userName": "a"}, [PatchOperation.model_validate(operation)], USER, "own-id")

    assert result == {"userName": "a", "displayName": "Renamed"}


def test_replace_of_id_with_another_value_is_mutability():
    operation = {"op": "replace", "value": {"id": "other-id"}}

    with pytest.raises(Mutability):
        apply_operations({"userName": "a"}, [PatchOperation.model_validate(operation)], USER, "own-id")


def test_remove_of_id_is_mutability():
    operation = {"op": "remove", "path": "id"}

    with pytest.raises(Mutability):
        apply_operations({"userName": "a"}, [PatchOperation.model_validate(operation)], USER, "own-id")


def test_add_to_groups_is_mutability():
    with pytest.raises(Mutability):
        patched({"userName": "a"}, {"op": "add", "path": "groups", "value": [{"value": "g"}]})


def test_unknown_attribute_path_is_invalid_path():
    with pytest.raises(InvalidPath):
        patched({"userName": "a"}, {"op": "replace", "path": "shoeSize", "value": 42})


def test_unknown_sub_attribute_path_is_invalid_path():
    with pytest.raises(InvalidPath):
        patched({"userName": "a"}, {"op": "replace", "path": "name.nickname", "value": "x"})


def test_filter_on_single_valued_attribute_is_invalid_path():
    with pytest.raises(InvalidPath):
        patched({"userName": "a"}, {"op": "replace", "path": 'name[givenName eq "x"]', "value": {}})


def test_malformed_path_is_invalid_path():
    with pytest.raises(InvalidPath):
        patched({"userName": "a"}, {"op": "replace", "path": 'emails[type eq "work"', "value": "x"})
