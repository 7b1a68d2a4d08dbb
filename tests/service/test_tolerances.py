"""The declared tolerances for what Entra sends, applied through the models and the PATCH engine."""

from __future__ import annotations

from scim.models.messages import PatchOperation
from scim.models.resource_types import USER
from scim.models.user import ENTERPRISE_USER_SCHEMA, User
from scim.service.patch import apply_operations

MANAGER_PATH = f"{ENTERPRISE_USER_SCHEMA}:manager"


def patched_user(attributes: dict, *operations: dict) -> dict:
    result = apply_operations(attributes, [PatchOperation.model_validate(op) for op in operations], USER)
    return User.model_validate(result).to_dict()


def test_op_in_capitals_is_accepted():
    assert PatchOperation.model_validate({"op": "REPLACE", "path": "title", "value": "x"}).op == "replace"


def test_manager_as_a_bare_id_string_is_wrapped():
    user = patched_user({"userName": "a"}, {"op": "Add", "path": MANAGER_PATH, "value": "boss-id"})

    assert user[ENTERPRISE_USER_SCHEMA]["manager"] == {"value": "boss-id"}


def test_manager_as_a_value_object_is_kept():
    user = patched_user({"userName": "a"}, {"op": "replace", "path": MANAGER_PATH, "value": {"value": "boss-id"}})

    assert user[ENTERPRISE_USER_SCHEMA]["manager"] == {"value": "boss-id"}


def test_manager_replaced_by_an_empty_value_is_cleared():
    start = {"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": {"value": "boss-id"}, "department": "D"}}

    user = patched_user(start, {"op": "replace", "path": MANAGER_PATH, "value": {"value": ""}})

    assert user[ENTERPRISE_USER_SCHEMA] == {"department": "D"}


def test_manager_removed_is_cleared():
    start = {"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": {"value": "boss-id"}}}

    assert ENTERPRISE_USER_SCHEMA not in patched_user(start, {"op": "remove", "path": MANAGER_PATH})


def test_manager_given_as_a_string_on_create_is_wrapped():
    user = User.model_validate({"userName": "a", ENTERPRISE_USER_SCHEMA: {"manager": "boss-id"}})

    assert user.to_dict()[ENTERPRISE_USER_SCHEMA] == {"manager": {"value": "boss-id"}}


def test_add_on_unmatched_filtered_path_creates_exactly_one_element():
    user = patched_user(
        {"userName": "a"},
        {"op": "add", "path": 'emails[type eq "work"].value', "value": "a@x.com"},
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "b@x.com"},
    )

    assert user["emails"] == [{"type": "work", "value": "b@x.com"}]
