"""Declared extension attributes work wherever core ones do: validation, PATCH, filters, sorting, selection."""

from __future__ import annotations

import pytest

from scim.errors import InvalidPath, InvalidValue, Mutability, Uniqueness
from scim.models.extension_schema import MAX_UNIQUE_ATTRIBUTES_PER_TYPE
from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from scim.service.extension_catalog import ExtensionCatalog
from scim.service.query import ListRequest
from scim.service.selection import Selection
from scim.service.users import UserService
from tests.support.extension_schemas import (
    EVERY_TYPE_EXTENSION,
    EVERY_TYPE_SCHEMA,
    RULES_EXTENSION,
    RULES_SCHEMA,
    declare,
    unique_schema,
)

X = EVERY_TYPE_EXTENSION
UNDECLARED = "urn:ietf:params:scim:schemas:extension:Undeclared:2.0:User"


@pytest.fixture
def users(repository, tenant) -> UserService:
    declare(repository, tenant, EVERY_TYPE_SCHEMA)
    declare(repository, tenant, RULES_SCHEMA)
    return UserService(repository, extensions=ExtensionCatalog(repository))


def body(user_name: str = "alice", rules: dict | None = None, **values) -> dict:
    document = {"schemas": [USER_SCHEMA], "userName": user_name, X: values}
    if rules is not None:
        document[RULES_EXTENSION] = rules
    return document


def patch(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": list(operations)}


EVERY_VALUE = {
    "costCode": "CC-1",
    "badge": "B-1",
    "isContractor": True,
    "level": 3,
    "rating": 4.5,
    "hireDate": "2024-01-02T03:04:05Z",
    "homepage": "https://example.com/alice",
    "photo": "aGVsbG8=",
    "skills": ["python", "scim"],
    "workplace": {"building": "B7", "floor": 2},
    "licenses": [{"value": "E5", "type": "office", "primary": True}],
}


def test_every_declared_type_is_stored_as_sent(users, tenant):
    created = users.create(tenant, body(**EVERY_VALUE))

    assert users.get(tenant, created.id).attributes[X] == EVERY_VALUE


def test_extension_attribute_names_are_stored_in_their_declared_case(users, tenant):
    created = users.create(tenant, body(COSTCODE="CC-1"))

    assert created.attributes[X] == {"costCode": "CC-1"}


def test_boolean_given_as_a_string_is_stored_as_a_boolean(users, tenant):
    created = users.create(tenant, body(isContractor="True"))

    assert created.attributes[X]["isContractor"] is True


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("costCode", 7),
        ("isContractor", "maybe"),
        ("level", "3"),
        ("level", 2.5),
        ("rating", "high"),
        ("hireDate", "yesterday"),
        ("photo", "not base64!"),
        ("skills", [1]),
        ("workplace", "B7"),
        ("workplace", {"floor": "second"}),
        ("workplace", {"wing": "east"}),
        ("costCode", ["a", "b"]),
    ],
)
def test_a_value_that_does_not_fit_its_declared_type_is_invalid_value(users, tenant, name, value):
    with pytest.raises(InvalidValue, match=name):
        users.create(tenant, body(**{name: value}))


def test_required_attribute_missing_from_its_extension_is_invalid_value(users, tenant):
    with pytest.raises(InvalidValue, match="requires code"):
        users.create(tenant, body(rules={"note": "x"}))


def test_immutable_attribute_cannot_change_once_set(users, tenant):
    created = users.create(tenant, body(rules={"code": "A", "employeeKey": "K1"}))

    with pytest.raises(Mutability, match="employeeKey"):
        users.replace(tenant, created.id, body(rules={"code": "A", "employeeKey": "K2"}))


def test_immutable_attribute_left_out_of_a_put_keeps_its_value(users, tenant):
    created = users.create(tenant, body(rules={"code": "A", "employeeKey": "K1"}))

    replaced = users.replace(tenant, created.id, body(rules={"code": "B"}))

    assert replaced.attributes[RULES_EXTENSION] == {"code": "B", "employeeKey": "K1"}


def test_read_only_attribute_given_by_the_client_is_ignored(users, tenant):
    created = users.create(tenant, body(rules={"code": "A", "score": 99}))

    assert "score" not in created.attributes[RULES_EXTENSION]


def test_write_only_attribute_is_stored_but_never_returned(users, tenant):
    created = users.create(tenant, body(rules={"code": "A", "pin": "1234"}))

    rendered = users.render(tenant, created, "https://h/scim/t/v2", Selection.parse(f"{RULES_EXTENSION}:pin", None))

    assert created.attributes[RULES_EXTENSION]["pin"] == "1234"
    assert "pin" not in rendered.get(RULES_EXTENSION, {})


def test_returned_request_attribute_is_returned_only_when_asked_for(users, tenant):
    created = users.create(tenant, body(rules={"code": "A", "note": "hello"}))

    by_default = users.render(tenant, created, "https://h/scim/t/v2")
    asked = users.render(tenant, created, "https://h/scim/t/v2", Selection.parse(f"{RULES_EXTENSION}:note", None))

    assert "note" not in by_default[RULES_EXTENSION]
    assert asked[RULES_EXTENSION] == {"note": "hello"}


def test_schemas_lists_the_extensions_a_resource_carries(users, tenant):
    created = users.create(tenant, body(costCode="CC-1"))

    rendered = users.render(tenant, created, "https://h/scim/t/v2")

    assert rendered["schemas"] == [USER_SCHEMA, X]


def test_excluded_attributes_leaves_out_an_extension_attribute(users, tenant):
    created = users.create(tenant, body(costCode="CC-1", level=2))

    rendered = users.render(tenant, created, "https://h/scim/t/v2", Selection.parse(None, f"{X}:level"))

    assert rendered[X] == {"costCode": "CC-1"}


# PATCH in every path form


def test_patch_with_the_full_urn_path_replaces_the_attribute(users, tenant):
    created = users.create(tenant, body(costCode="old"))

    users.patch(tenant, created.id, patch({"op": "Replace", "path": f"{X}:costCode", "value": "new"}))

    assert users.get(tenant, created.id).attributes[X] == {"costCode": "new"}


def test_no_path_patch_keyed_by_the_urn_path_adds_the_attribute(users, tenant):
    created = users.create(tenant, body())

    users.patch(tenant, created.id, patch({"op": "Add", "value": {f"{X}:level": 4}}))

    assert users.get(tenant, created.id).attributes[X] == {"level": 4}


def test_no_path_patch_with_the_urn_object_adds_its_attributes(users, tenant):
    created = users.create(tenant, body(costCode="CC-1"))

    users.patch(tenant, created.id, patch({"op": "add", "value": {X: {"level": 4, "workplace": {"floor": 3}}}}))

    assert users.get(tenant, created.id).attributes[X] == {"costCode": "CC-1", "level": 4, "workplace": {"floor": 3}}


def test_patch_sub_attribute_of_a_complex_extension_attribute(users, tenant):
    created = users.create(tenant, body(workplace={"building": "B7", "floor": 2}))

    users.patch(tenant, created.id, patch({"op": "replace", "path": f"{X}:workplace.floor", "value": 5}))

    assert users.get(tenant, created.id).attributes[X]["workplace"] == {"building": "B7", "floor": 5}


def test_patch_with_a_value_filter_changes_the_matching_element_only(users, tenant):
    licenses = [{"value": "E3", "type": "office"}, {"value": "V1", "type": "visio"}]
    created = users.create(tenant, body(licenses=licenses))

    operation = {"op": "replace", "path": f'{X}:licenses[type eq "visio"].value', "value": "V2"}
    users.patch(tenant, created.id, patch(operation))

    assert users.get(tenant, created.id).attributes[X]["licenses"] == [
        {"value": "E3", "type": "office"},
        {"value": "V2", "type": "visio"},
    ]


def test_patch_removing_an_extension_attribute_removes_it(users, tenant):
    created = users.create(tenant, body(costCode="CC-1", level=1))

    users.patch(tenant, created.id, patch({"op": "remove", "path": f"{X}:level"}))

    assert users.get(tenant, created.id).attributes[X] == {"costCode": "CC-1"}


def test_patch_with_a_value_of_the_wrong_type_is_invalid_value(users, tenant):
    created = users.create(tenant, body())

    with pytest.raises(InvalidValue, match="level"):
        users.patch(tenant, created.id, patch({"op": "add", "path": f"{X}:level", "value": "high"}))


def test_patch_of_a_read_only_extension_attribute_is_mutability(users, tenant):
    created = users.create(tenant, body(rules={"code": "A"}))

    with pytest.raises(Mutability):
        users.patch(tenant, created.id, patch({"op": "add", "path": f"{RULES_EXTENSION}:score", "value": 1}))


# filters and sorting


def names(page) -> list[str]:
    return [resource.attributes["userName"] for resource in page.resources]


def test_filters_compare_extension_attributes_by_their_declared_type(users, tenant):
    users.create(tenant, body("a", level=1, hireDate="2020-01-01T00:00:00Z"))
    users.create(tenant, body("b", level=5, hireDate="2023-06-01T00:00:00+02:00"))

    by_level = users.find(tenant, ListRequest(filter=f"{X}:level gt 2"))
    by_date = users.find(tenant, ListRequest(filter=f'{X}:hireDate ge "2021-01-01T00:00:00Z"'))

    assert names(by_level) == names(by_date) == ["b"]


def test_case_exact_extension_attribute_compares_case_sensitively(users, tenant):
    users.create(tenant, body("a", rules={"code": "Abc"}))

    assert names(users.find(tenant, ListRequest(filter=f'{RULES_EXTENSION}:code eq "abc"'))) == []
    assert names(users.find(tenant, ListRequest(filter=f'{RULES_EXTENSION}:code eq "Abc"'))) == ["a"]


def test_value_filter_on_a_multi_valued_extension_attribute(users, tenant):
    users.create(tenant, body("a", licenses=[{"value": "E5", "type": "office"}]))
    users.create(tenant, body("b", licenses=[{"value": "V1", "type": "visio"}]))

    found = users.find(tenant, ListRequest(filter=f'{X}:licenses[type eq "visio"]'))

    assert names(found) == ["b"]


def test_sort_by_an_extension_attribute(users, tenant):
    for name, level in [("a", 3), ("b", 1), ("c", 2)]:
        users.create(tenant, body(name, level=level))

    assert names(users.find(tenant, ListRequest(sort_by=f"{X}:level"))) == ["b", "c", "a"]


def test_filter_on_an_undeclared_attribute_of_a_declared_extension_is_invalid_filter(users, tenant):
    from scim.errors import InvalidFilter

    with pytest.raises(InvalidFilter, match="shoeSize"):
        users.find(tenant, ListRequest(filter=f'{X}:shoeSize eq "9"'))


# uniqueness: server


def test_a_unique_extension_attribute_taken_by_another_user_is_409(users, tenant):
    users.create(tenant, body("a", badge="B-1"))

    with pytest.raises(Uniqueness, match="badge"):
        users.create(tenant, body("b", badge="b-1"))


def test_a_unique_extension_value_is_free_again_once_changed(users, tenant):
    first = users.create(tenant, body("a", badge="B-1"))
    users.patch(tenant, first.id, patch({"op": "replace", "path": f"{X}:badge", "value": "B-2"}))

    second = users.create(tenant, body("b", badge="B-1"))

    assert second.attributes[X]["badge"] == "B-1"


def test_eq_on_a_unique_extension_attribute_costs_what_user_name_eq_costs(users, tenant, request_counter):
    users.create(tenant, body("alice", badge="B-1"))
    users.find(tenant, ListRequest(filter='userName eq "warm-up"'))  # the tenant's schemas, read once

    before = request_counter.count
    by_badge = users.find(tenant, ListRequest(filter=f'{X}:badge eq "b-1"'))
    badge_cost = request_counter.count - before
    before = request_counter.count
    by_name = users.find(tenant, ListRequest(filter='userName eq "alice"'))
    name_cost = request_counter.count - before

    assert names(by_badge) == names(by_name) == ["alice"]
    assert badge_cost == name_cost == 2  # the index row's point read, then the user's


# undeclared extension attributes


def test_undeclared_extension_is_kept_returned_and_listed_in_schemas(users, tenant):
    created = users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a", UNDECLARED: {"shoeSize": "9"}})

    rendered = users.render(tenant, users.get(tenant, created.id), "https://h/scim/t/v2")

    assert rendered[UNDECLARED] == {"shoeSize": "9"}
    assert UNDECLARED in rendered["schemas"]


def test_undeclared_extension_attribute_is_filterable_as_a_string(users, tenant):
    users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a", UNDECLARED: {"shoeSize": "9"}})

    found = users.find(tenant, ListRequest(filter=f'{UNDECLARED}:shoeSize eq "9"'))

    assert names(found) == ["a"]


def test_undeclared_extension_attribute_patched_by_its_full_path_is_kept(users, tenant):
    created = users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a"})

    users.patch(tenant, created.id, patch({"op": "Add", "path": f"{UNDECLARED}:shoeSize", "value": "10"}))

    assert users.get(tenant, created.id).attributes[UNDECLARED] == {"shoeSize": "10"}


def test_undeclared_extension_is_400_when_the_tenant_rejects_them(repository, tenant):
    repository.set_undeclared_policy(tenant, "reject")
    rejecting = UserService(repository, extensions=ExtensionCatalog(repository))

    with pytest.raises(InvalidValue, match="Undeclared"):
        rejecting.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a", UNDECLARED: {"shoeSize": "9"}})


def test_patch_of_an_undeclared_path_is_400_when_the_tenant_rejects_them(repository, tenant):
    repository.set_undeclared_policy(tenant, "reject")
    rejecting = UserService(repository, extensions=ExtensionCatalog(repository))
    created = rejecting.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a"})

    with pytest.raises(InvalidPath, match="Undeclared"):
        rejecting.patch(tenant, created.id, patch({"op": "add", "path": f"{UNDECLARED}:shoeSize", "value": "9"}))


def test_an_extension_key_that_is_neither_an_object_nor_an_attribute_path_is_invalid_value(users, tenant):
    with pytest.raises(InvalidValue, match="neither"):
        users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a", "urn:x": "value"})


def test_large_extension_values_are_stored_with_the_resource(users, tenant):
    created = users.create(tenant, body(costCode="x" * 200_000))  # several 30,000-character properties

    assert users.get(tenant, created.id).attributes[X]["costCode"] == "x" * 200_000


def test_a_resource_larger_than_one_entity_holds_is_payload_too_large(users, tenant):
    from scim.errors import PayloadTooLarge

    with pytest.raises(PayloadTooLarge):
        users.create(tenant, body(costCode="x" * 950_000))


def test_a_declared_group_extension_is_stored_and_listed_in_schemas(repository, tenant):
    from scim.models.group import GROUP_SCHEMA
    from scim.service.groups import GroupService
    from tests.support.extension_schemas import GROUP_EXTENSION, GROUP_SCHEMA_DOCUMENT

    declare(repository, tenant, GROUP_SCHEMA_DOCUMENT, "Group")
    groups = GroupService(repository, extensions=ExtensionCatalog(repository))
    created = groups.create(
        tenant, {"schemas": [GROUP_SCHEMA], "displayName": "Sales", GROUP_EXTENSION: {"costcode": "CC-9"}}
    )

    rendered = groups.render(tenant, groups.get(tenant, created.id), "https://h/scim/t/v2")

    assert rendered[GROUP_EXTENSION] == {"costCode": "CC-9"}
    assert rendered["schemas"] == [GROUP_SCHEMA, GROUP_EXTENSION]


def test_bulk_operations_validate_declared_extension_attributes(users, tenant):
    from scim.models.messages import BULK_REQUEST_SCHEMA
    from scim.service import bulk

    operations = [
        {"method": "POST", "path": "/Users", "bulkId": "ok", "data": body("a", level=1)},
        {"method": "POST", "path": "/Users", "bulkId": "bad", "data": body("b", level="high")},
    ]
    request = {"schemas": [BULK_REQUEST_SCHEMA], "Operations": operations}

    outcomes = bulk.execute(tenant, "https://host/scim/acme/v2", {"Users": users}, request, payload_bytes=100)

    assert [(outcome.status, type(outcome.error)) for outcome in outcomes] == [(201, type(None)), (400, InvalidValue)]


def test_search_from_the_root_filters_by_a_declared_extension_attribute(users, groups, tenant):
    from scim.service import root_search

    users.create(tenant, body("a", level=1))
    users.create(tenant, body("b", level=5))

    page = root_search.search(tenant, [users, groups], ListRequest(filter=f"{X}:level gt 2"))

    assert [resource.attributes["userName"] for _, resource in page.resources] == ["b"]


def test_search_from_the_root_refuses_undeclared_attributes_when_the_tenant_rejects_them(repository, tenant):
    from scim.errors import InvalidFilter
    from scim.service import root_search
    from scim.service.groups import GroupService

    repository.set_undeclared_policy(tenant, "reject")
    catalog = ExtensionCatalog(repository)
    services = [UserService(repository, extensions=catalog), GroupService(repository, extensions=catalog)]

    with pytest.raises(InvalidFilter, match="shoeSize"):
        root_search.search(tenant, services, ListRequest(filter=f'{UNDECLARED}:shoeSize eq "9"'))


def test_a_replace_changing_every_unique_attribute_allowed_is_one_write(repository, tenant):
    urn = "urn:example:params:keys:User"
    declare(repository, tenant, unique_schema(urn, MAX_UNIQUE_ATTRIBUTES_PER_TYPE))
    service = UserService(repository, extensions=ExtensionCatalog(repository))

    def keyed(user_name: str, suffix: str) -> dict:
        keys = {f"key{number}": f"{suffix}-{number}" for number in range(MAX_UNIQUE_ATTRIBUTES_PER_TYPE)}
        return {"schemas": [USER_SCHEMA], "userName": user_name, "externalId": suffix, urn: keys}

    user = service.create(tenant, keyed("alice", "old"))
    replaced = service.replace(tenant, user.id, keyed("alice2", "new"))

    assert replaced.attributes[urn]["key0"] == "new-0"
    last = MAX_UNIQUE_ATTRIBUTES_PER_TYPE - 1
    found = service.find(tenant, ListRequest(f'{urn}:key{last} eq "new-{last}"'))
    assert [resource.id for resource in found.resources] == [user.id]
