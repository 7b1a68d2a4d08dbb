"""SCIM rules for Users, exercised through the service on a real Azurite-backed repository."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from scim.errors import InvalidFilter, InvalidSyntax, InvalidValue, NotFound, PreconditionFailed, Uniqueness
from scim.models.user import ENTERPRISE_USER_SCHEMA, USER_SCHEMA
from scim.service.query import ListRequest
from scim.service.resources import MAX_PAGE_SIZE
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from tests.support.bodies import patch_body, user_body

# create


def test_create_assigns_a_server_id_and_ignores_the_clients(users: UserService, tenant: str):
    created = users.create(tenant, user_body(id="client-chosen"))

    assert created.id != "client-chosen"
    assert users.get(tenant, created.id).attributes["userName"] == "alice@example.com"


def test_create_sets_created_and_last_modified(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    assert created.created == created.last_modified
    assert created.created.endswith("Z")


def test_create_accepts_attribute_names_in_any_letter_case(users: UserService, tenant: str):
    created = users.create(tenant, {"USERNAME": "bob", "Name": {"GIVENNAME": "Bob"}, "aCtIvE": True})

    assert created.attributes == {"userName": "bob", "name": {"givenName": "Bob"}, "active": True}


def test_create_keeps_the_enterprise_extension(users: UserService, tenant: str):
    body = user_body(**{ENTERPRISE_USER_SCHEMA: {"department": "Sales", "manager": {"value": "boss"}}})

    created = users.create(tenant, body)

    assert created.attributes[ENTERPRISE_USER_SCHEMA] == {"department": "Sales", "manager": {"value": "boss"}}


def test_create_without_user_name_is_invalid_value(users: UserService, tenant: str):
    with pytest.raises(InvalidValue, match="userName"):
        users.create(tenant, {"schemas": [USER_SCHEMA], "displayName": "No Name"})


def test_create_with_blank_user_name_is_invalid_value(users: UserService, tenant: str):
    with pytest.raises(InvalidValue, match="userName"):
        users.create(tenant, user_body("   "))


def test_create_with_wrong_attribute_type_is_invalid_value(users: UserService, tenant: str):
    with pytest.raises(InvalidValue, match="emails"):
        users.create(tenant, user_body(emails="not-a-list"))


def test_create_whose_schemas_lack_the_user_schema_is_invalid_syntax(users: UserService, tenant: str):
    with pytest.raises(InvalidSyntax):
        users.create(tenant, {"schemas": ["urn:example:Other"], "userName": "x"})


def test_create_with_a_non_object_body_is_invalid_syntax(users: UserService, tenant: str):
    with pytest.raises(InvalidSyntax):
        users.create(tenant, ["userName", "x"])


def test_create_with_user_name_taken_in_another_letter_case_is_uniqueness(users: UserService, tenant: str):
    users.create(tenant, user_body("Alice@Example.com"))

    with pytest.raises(Uniqueness):
        users.create(tenant, user_body("alice@example.COM"))


def test_same_user_name_in_two_tenants_is_allowed(users: UserService, tenant: str):
    users.create(tenant, user_body("shared"))

    assert users.create(tenant + "-b", user_body("shared")).attributes["userName"] == "shared"


# get


def test_get_of_unknown_id_is_not_found(users: UserService, tenant: str):
    with pytest.raises(NotFound):
        users.get(tenant, str(uuid.uuid4()))


def test_get_of_malformed_id_is_not_found(users: UserService, tenant: str):
    with pytest.raises(NotFound):
        users.get(tenant, "../../etc/passwd")


# query


def test_filter_user_name_eq_matches_case_insensitively(users: UserService, tenant: str):
    created = users.create(tenant, user_body("Alice@Example.com"))

    page = users.find(tenant, ListRequest('userName eq "alice@example.com"'))

    assert [resource.id for resource in page.resources] == [created.id]
    assert page.total_results == 1


def test_filter_external_id_eq_matches_case_exactly(users: UserService, tenant: str):
    created = users.create(tenant, user_body(externalId="Ext-1"))

    assert [r.id for r in users.find(tenant, ListRequest('externalId eq "Ext-1"')).resources] == [created.id]
    assert users.find(tenant, ListRequest('externalId eq "ext-1"')).total_results == 0


def test_filter_id_eq_finds_the_user(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    assert [r.id for r in users.find(tenant, ListRequest(f'id eq "{created.id}"')).resources] == [created.id]


def test_filter_and_of_equalities_requires_both(users: UserService, tenant: str):
    users.create(tenant, user_body("alice", externalId="a-1"))

    assert users.find(tenant, ListRequest('userName eq "alice" and externalId eq "a-1"')).total_results == 1
    assert users.find(tenant, ListRequest('userName eq "alice" and externalId eq "other"')).total_results == 0


def test_filter_on_unknown_user_name_returns_empty_page(users: UserService, tenant: str):
    page = users.find(tenant, ListRequest(f'userName eq "{uuid.uuid4()}"'))

    assert (page.total_results, page.resources) == (0, [])


def test_filter_without_an_indexed_equality_scans_the_tenants_users(users: UserService, tenant: str):
    engineer = users.create(tenant, user_body("alice", title="Senior Engineer"))
    users.create(tenant, user_body("bob", title="Manager"))

    page = users.find(tenant, ListRequest('title co "engineer"'))

    assert (page.total_results, [r.id for r in page.resources]) == (1, [engineer.id])


def test_filter_on_an_unknown_attribute_is_invalid_filter(users: UserService, tenant: str):
    with pytest.raises(InvalidFilter, match="unknown attribute 'favouriteColour'"):
        users.find(tenant, ListRequest('favouriteColour eq "blue"'))


def test_malformed_filter_is_invalid_filter(users: UserService, tenant: str):
    with pytest.raises(InvalidFilter):
        users.find(tenant, ListRequest('userName eq "unterminated'))


def test_listing_pages_by_start_index_and_count_with_true_total(users: UserService, tenant: str):
    ids = sorted(users.create(tenant, user_body(f"user{number}")).id for number in range(5))

    page = users.find(tenant, ListRequest(None, 2, 2))

    assert page.total_results == 5
    assert page.start_index == 2
    assert [resource.id for resource in page.resources] == ids[1:3]


def test_listing_with_count_zero_returns_only_the_total(users: UserService, tenant: str):
    users.create(tenant, user_body())

    page = users.find(tenant, ListRequest(None, None, 0))

    assert (page.total_results, page.resources) == (1, [])


def test_listing_past_the_end_returns_no_resources_and_the_total(users: UserService, tenant: str):
    users.create(tenant, user_body())

    page = users.find(tenant, ListRequest(None, 5, 10))

    assert (page.total_results, page.resources) == (1, [])


def test_listing_count_above_maximum_is_capped(users: UserService, tenant: str):
    page = users.find(tenant, ListRequest(None, None, MAX_PAGE_SIZE + 50))

    assert page.resources == [] and page.total_results == 0


def test_filtered_results_page_too(users: UserService, tenant: str):
    users.create(tenant, user_body("alice", externalId="shared"))
    users.create(tenant, user_body("bob", externalId="shared"))

    page = users.find(tenant, ListRequest('externalId eq "shared"', 2, 5))

    assert page.total_results == 2
    assert len(page.resources) == 1


# replace


def test_replace_drops_attributes_the_body_leaves_out(users: UserService, tenant: str):
    created = users.create(tenant, user_body(title="Engineer", displayName="Alice"))

    replaced = users.replace(tenant, created.id, user_body(displayName="Alice B"))

    assert replaced.attributes == {"userName": "alice@example.com", "displayName": "Alice B"}


def test_replace_keeps_created_and_changes_version(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    replaced = users.replace(tenant, created.id, user_body(title="New"))

    assert replaced.created == created.created
    assert replaced.version != created.version


def test_replace_to_a_taken_user_name_is_uniqueness(users: UserService, tenant: str):
    users.create(tenant, user_body("bob"))
    alice = users.create(tenant, user_body("alice"))

    with pytest.raises(Uniqueness):
        users.replace(tenant, alice.id, user_body("BOB"))


def test_replace_changing_only_the_case_of_user_name_succeeds(users: UserService, tenant: str):
    alice = users.create(tenant, user_body("alice"))

    assert users.replace(tenant, alice.id, user_body("ALICE")).attributes["userName"] == "ALICE"


def test_replace_frees_the_old_user_name(users: UserService, tenant: str):
    alice = users.create(tenant, user_body("alice"))
    users.replace(tenant, alice.id, user_body("alicia"))

    assert users.create(tenant, user_body("alice")).attributes["userName"] == "alice"


def test_replace_of_unknown_id_is_not_found(users: UserService, tenant: str):
    with pytest.raises(NotFound):
        users.replace(tenant, str(uuid.uuid4()), user_body())


def test_replace_with_stale_if_match_is_precondition_failed(users: UserService, tenant: str):
    created = users.create(tenant, user_body())
    users.replace(tenant, created.id, user_body(title="first"))

    with pytest.raises(PreconditionFailed):
        users.replace(tenant, created.id, user_body(title="second"), if_match=created.version)


# patch


def test_patch_replace_active_given_as_string_false_deactivates(users: UserService, tenant: str):
    created = users.create(tenant, user_body(active=True))

    patched = users.patch(
        tenant, created.id, patch_body({"op": "Replace", "path": "active", "value": "False"})
    ).resource

    assert patched.attributes["active"] is False


def test_patch_add_email_appends_to_the_multi_valued_attribute(users: UserService, tenant: str):
    created = users.create(tenant, user_body(emails=[{"value": "a@x.com", "type": "work"}]))

    patched = users.patch(
        tenant, created.id, patch_body({"op": "add", "path": "emails", "value": [{"value": "b@x.com", "type": "home"}]})
    ).resource

    assert [email["value"] for email in patched.attributes["emails"]] == ["a@x.com", "b@x.com"]


def test_patch_remove_complex_attribute_removes_it(users: UserService, tenant: str):
    created = users.create(tenant, user_body(name={"givenName": "Alice", "familyName": "Smith"}))

    patched = users.patch(tenant, created.id, patch_body({"op": "remove", "path": "name"})).resource

    assert "name" not in patched.attributes


def test_patch_renaming_user_name_moves_the_lookup(users: UserService, tenant: str):
    created = users.create(tenant, user_body("alice"))

    users.patch(tenant, created.id, patch_body({"op": "replace", "path": "userName", "value": "alicia"}))

    assert users.find(tenant, ListRequest('userName eq "alice"')).total_results == 0
    assert users.find(tenant, ListRequest('userName eq "alicia"')).total_results == 1


def test_patch_that_changes_nothing_keeps_the_version(users: UserService, tenant: str):
    created = users.create(tenant, user_body(active=True))

    patched = users.patch(tenant, created.id, patch_body({"op": "replace", "path": "active", "value": True})).resource

    assert patched.version == created.version


def test_patch_with_an_invalid_operation_applies_none_of_them(users: UserService, tenant: str):
    created = users.create(tenant, user_body(title="Engineer"))

    with pytest.raises(InvalidValue):
        users.patch(
            tenant,
            created.id,
            patch_body(
                {"op": "replace", "path": "title", "value": "Manager"},
                {"op": "replace", "path": "active", "value": "not-a-boolean"},
            ),
        )

    assert users.get(tenant, created.id).attributes["title"] == "Engineer"


def test_patch_without_the_patch_op_schema_is_invalid_syntax(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    with pytest.raises(InvalidSyntax):
        users.patch(tenant, created.id, {"schemas": [USER_SCHEMA], "Operations": [{"op": "remove", "path": "title"}]})


def test_patch_with_unknown_op_is_invalid_syntax(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    with pytest.raises(InvalidSyntax):
        users.patch(tenant, created.id, patch_body({"op": "merge", "path": "title", "value": "x"}))


def test_patch_to_a_taken_user_name_is_uniqueness(users: UserService, tenant: str):
    users.create(tenant, user_body("bob"))
    alice = users.create(tenant, user_body("alice"))

    with pytest.raises(Uniqueness):
        users.patch(tenant, alice.id, patch_body({"op": "replace", "path": "userName", "value": "Bob"}))


def test_patch_with_stale_if_match_is_precondition_failed(users: UserService, tenant: str):
    created = users.create(tenant, user_body())
    users.patch(tenant, created.id, patch_body({"op": "add", "path": "title", "value": "x"}))

    with pytest.raises(PreconditionFailed):
        users.patch(tenant, created.id, patch_body({"op": "add", "path": "title", "value": "y"}), created.version)


def test_patch_with_current_if_match_succeeds(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    patched = users.patch(
        tenant, created.id, patch_body({"op": "add", "path": "title", "value": "x"}), created.version
    ).resource

    assert patched.attributes["title"] == "x"


# delete


def test_delete_then_get_is_not_found(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    users.delete(tenant, created.id)

    with pytest.raises(NotFound):
        users.get(tenant, created.id)


def test_delete_frees_the_user_name(users: UserService, tenant: str):
    created = users.create(tenant, user_body("alice"))
    users.delete(tenant, created.id)

    assert users.create(tenant, user_body("alice")).id != created.id


def test_delete_of_unknown_id_is_not_found(users: UserService, tenant: str):
    with pytest.raises(NotFound):
        users.delete(tenant, str(uuid.uuid4()))


def test_delete_with_stale_if_match_is_precondition_failed(users: UserService, tenant: str):
    created = users.create(tenant, user_body())
    users.patch(tenant, created.id, patch_body({"op": "add", "path": "title", "value": "x"}))

    with pytest.raises(PreconditionFailed):
        users.delete(tenant, created.id, if_match=created.version)


# representation


def test_representation_carries_schemas_id_and_meta(users: UserService, tenant: str):
    created = users.create(tenant, user_body(**{ENTERPRISE_USER_SCHEMA: {"department": "Sales"}}))

    body = users.render(tenant, created, "https://host/scim/acme/v2")

    assert body["schemas"] == [USER_SCHEMA, ENTERPRISE_USER_SCHEMA]
    assert body["id"] == created.id
    assert body["meta"] == {
        "resourceType": "User",
        "created": created.created,
        "lastModified": created.last_modified,
        "location": f"https://host/scim/acme/v2/Users/{created.id}",
        "version": created.version,
    }


# --- password: accepted, never stored (RFC 7643 section 4.1.1: writeOnly, returned never) ---------


def test_create_with_a_password_stores_no_password(users: UserService, tenant: str):
    created = users.create(tenant, user_body(password="1mz050nq"))

    assert "password" not in users.get(tenant, created.id).attributes


def test_replace_with_a_password_stores_no_password(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    replaced = users.replace(tenant, created.id, user_body(password="1mz050nq", displayName="Alice"))

    assert (replaced.attributes.get("displayName"), "password" in replaced.attributes) == ("Alice", False)


def test_patch_of_a_password_succeeds_and_changes_nothing(users: UserService, tenant: str):
    created = users.create(tenant, user_body())

    users.patch(tenant, created.id, patch_body({"op": "replace", "value": {"password": "n3w-secret"}}))

    assert users.get(tenant, created.id).version == created.version


@pytest.mark.parametrize("op", ["add", "replace", "Add", "Replace"])
def test_patch_add_or_replace_without_a_value_is_invalid_value_and_changes_nothing(
    users: UserService, tenant: str, op: str
):
    created = users.create(tenant, user_body(nickName="Al"))

    with pytest.raises(InvalidValue, match="requires a value"):
        users.patch(tenant, created.id, patch_body({"op": op, "path": "nickName"}))

    assert users.get(tenant, created.id).attributes["nickName"] == "Al"


def test_patch_add_with_a_null_value_is_invalid_value(users: UserService, tenant: str):
    created = users.create(tenant, user_body(nickName="Al"))

    with pytest.raises(InvalidValue, match="requires a value"):
        users.patch(tenant, created.id, patch_body({"op": "add", "path": "nickName", "value": None}))

    assert users.get(tenant, created.id).attributes["nickName"] == "Al"


def test_patch_replace_of_a_path_with_an_explicit_null_clears_it(users: UserService, tenant: str):
    created = users.create(tenant, user_body(nickName="Al"))

    users.patch(tenant, created.id, patch_body({"op": "replace", "path": "nickName", "value": None}))

    assert "nickName" not in users.get(tenant, created.id).attributes


def test_patch_replace_without_a_path_with_a_null_value_is_invalid_value(users: UserService, tenant: str):
    created = users.create(tenant, user_body(nickName="Al"))

    with pytest.raises(InvalidValue, match="requires a value"):
        users.patch(tenant, created.id, patch_body({"op": "replace", "value": None}))


def test_patch_remove_with_a_value_on_a_single_valued_attribute_is_invalid_value(users: UserService, tenant: str):
    created = users.create(tenant, user_body(nickName="Al"))

    with pytest.raises(InvalidValue, match="takes no value"):
        users.patch(tenant, created.id, patch_body({"op": "remove", "path": "nickName", "value": "Bob"}))

    assert users.get(tenant, created.id).attributes["nickName"] == "Al"


def test_patch_with_one_attribute_in_two_letter_cases_is_invalid_syntax(users: UserService, tenant: str):
    created = users.create(tenant, user_body(nickName="Al"))
    operation = {"op": "replace", "value": {"nickName": "A", "NICKNAME": "B"}}

    with pytest.raises(InvalidSyntax, match=r"(?i)nickname"):
        users.patch(tenant, created.id, patch_body(operation))

    assert users.get(tenant, created.id).attributes["nickName"] == "Al"


def test_create_with_one_attribute_in_two_letter_cases_is_invalid_syntax(users: UserService, tenant: str):
    with pytest.raises(InvalidSyntax, match="userName"):
        users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "a", "USERNAME": "b"})


def test_filter_whose_index_matches_more_resources_than_a_request_may_read_is_too_many(
    users: UserService, tenant: str, monkeypatch
):
    from scim.errors import TooMany
    from scim.service import query

    monkeypatch.setattr(query, "MAX_INDEX_MATCHES", 2)
    for number in range(3):
        users.create(tenant, user_body(f"shared-{number}", externalId="same"))

    with pytest.raises(TooMany):
        users.find(tenant, ListRequest('externalId eq "same"'))


def _clock_off_by(seconds: float) -> Callable[[], str]:
    def now() -> str:
        moment = datetime.now(UTC) + timedelta(seconds=seconds)
        return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")

    return now


def test_last_modified_grows_with_each_write_when_the_writers_clock_is_behind(
    repository: TableResourceRepository, tenant: str
):
    ahead, behind = UserService(repository, clock=_clock_off_by(5)), UserService(repository, clock=_clock_off_by(-5))
    user = ahead.create(tenant, user_body("alice@example.com"))

    patched = behind.patch(tenant, user.id, patch_body({"op": "replace", "path": "displayName", "value": "Alice"}))

    assert patched.resource is not None
    assert datetime.fromisoformat(patched.resource.last_modified) > datetime.fromisoformat(user.last_modified)
