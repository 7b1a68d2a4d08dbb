"""Bulk (RFC 7644 section 3.7) through the service on Azurite: bulkId references, failOnErrors,
version preconditions, limits, circular references."""

from __future__ import annotations

import pytest

from scim.errors import InvalidSyntax, InvalidValue, PayloadTooLarge
from scim.models.group import GROUP_SCHEMA
from scim.models.messages import BULK_REQUEST_SCHEMA, PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from scim.service import bulk
from scim.service.groups import GroupService
from scim.service.users import UserService

TENANT_URL = "https://host/scim/acme/v2"


def bulk_body(*operations: dict, **extra) -> dict:
    return {"schemas": [BULK_REQUEST_SCHEMA], "Operations": list(operations), **extra}


def new_user(bulk_id: str, user_name: str) -> dict:
    return {
        "method": "POST",
        "path": "/Users",
        "bulkId": bulk_id,
        "data": {"schemas": [USER_SCHEMA], "userName": user_name},
    }


def new_group(bulk_id: str, name: str, *member_refs: str) -> dict:
    data = {"schemas": [GROUP_SCHEMA], "displayName": name, "members": [{"value": ref} for ref in member_refs]}
    return {"method": "POST", "path": "/Groups", "bulkId": bulk_id, "data": data}


@pytest.fixture
def run(users: UserService, groups: GroupService, tenant: str):
    def execute(body: dict, payload_bytes: int = 100) -> list[bulk.Outcome]:
        services = {"Users": users, "Groups": groups}
        return bulk.execute(tenant, TENANT_URL, services, body, payload_bytes=payload_bytes)

    return execute


def test_posts_answer_201_with_location_and_version(run):
    (outcome,) = run(bulk_body(new_user("u1", "ann")))

    assert (outcome.status, outcome.bulk_id, outcome.location.startswith(f"{TENANT_URL}/Users/")) == (201, "u1", True)
    assert outcome.version


def test_group_created_with_members_created_in_the_same_request(run, groups, tenant):
    outcomes = run(
        bulk_body(new_group("g", "Team", "bulkId:u1", "bulkId:u2"), new_user("u1", "ann"), new_user("u2", "bob"))
    )

    group_id = outcomes[0].location.rsplit("/", 1)[1]
    user_ids = sorted(outcome.location.rsplit("/", 1)[1] for outcome in outcomes[1:])
    assert [outcome.status for outcome in outcomes] == [201, 201, 201]
    assert sorted(member.member_id for member in groups.members_of(tenant, group_id)) == user_ids


def test_bulk_id_in_a_path_names_the_created_resource(run, users, tenant):
    patch = {"schemas": [PATCH_OP_SCHEMA], "Operations": [{"op": "replace", "path": "title", "value": "Boss"}]}

    outcomes = run(bulk_body(new_user("u1", "ann"), {"method": "PATCH", "path": "/Users/bulkId:u1", "data": patch}))

    user_id = outcomes[0].location.rsplit("/", 1)[1]
    assert (outcomes[1].status, users.get(tenant, user_id).attributes["title"]) == (200, "Boss")


def test_circular_references_are_refused_with_409(run, groups, tenant):
    outcomes = run(bulk_body(new_group("a", "A", "bulkId:b"), new_group("b", "B", "bulkId:a")))

    assert [outcome.status for outcome in outcomes] == [409, 409]
    assert "circular" in outcomes[0].error.detail


def test_reference_to_an_unknown_bulk_id_is_409(run):
    (outcome,) = run(bulk_body(new_group("g", "G", "bulkId:nobody")))

    assert outcome.status == 409


def test_reference_to_a_failed_operation_is_409(run):
    outcomes = run(bulk_body(new_user("u1", ""), new_group("g", "G", "bulkId:u1")))

    assert [outcome.status for outcome in outcomes] == [400, 409]


def test_fail_on_errors_stops_after_that_many_errors(run):
    body = bulk_body(new_user("a", ""), new_user("b", ""), new_user("c", "carl"), failOnErrors=2)

    outcomes = run(body)

    assert [outcome.status for outcome in outcomes] == [400, 400]


def test_without_fail_on_errors_every_operation_runs(run):
    outcomes = run(bulk_body(new_user("a", ""), new_user("c", "carl")))

    assert [outcome.status for outcome in outcomes] == [400, 201]


def test_stale_version_fails_that_operation_with_412(run, users, tenant):
    created = users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "ann"})
    put = {
        "method": "PUT",
        "path": f"/Users/{created.id}",
        "version": 'W/"stale"',
        "data": {"schemas": [USER_SCHEMA], "userName": "ann2"},
    }

    (outcome,) = run(bulk_body(put))

    assert (outcome.status, users.get(tenant, created.id).attributes["userName"]) == (412, "ann")


def test_current_version_lets_the_operation_run(run, users, tenant):
    created = users.create(tenant, {"schemas": [USER_SCHEMA], "userName": "ann"})
    delete = {"method": "DELETE", "path": f"/Users/{created.id}", "version": created.version}

    (outcome,) = run(bulk_body(delete))

    assert outcome.status == 204


def test_more_operations_than_max_operations_is_413(run):
    with pytest.raises(PayloadTooLarge, match="maxOperations"):
        run(bulk_body(*(new_user(f"u{n}", f"user{n}") for n in range(bulk.MAX_OPERATIONS + 1))))


def test_payload_over_max_payload_size_is_413(run):
    with pytest.raises(PayloadTooLarge, match="maxPayloadSize"):
        run(bulk_body(new_user("u", "ann")), payload_bytes=bulk.MAX_PAYLOAD_BYTES + 1)


def test_bulk_id_given_twice_is_400_invalid_value(run):
    with pytest.raises(InvalidValue):
        run(bulk_body(new_user("u", "ann"), new_user("u", "bob")))


def test_body_without_the_bulk_request_schema_is_400_invalid_syntax(run):
    with pytest.raises(InvalidSyntax):
        run({"schemas": [USER_SCHEMA], "Operations": [new_user("u", "ann")]})


def test_path_naming_no_resource_type_is_400_invalid_path(run):
    (outcome,) = run(bulk_body({"method": "POST", "path": "/Robots", "bulkId": "r", "data": {}}))

    assert (outcome.status, outcome.error.scim_type) == (400, "invalidPath")


def test_duplicate_user_name_fails_only_that_operation(run):
    outcomes = run(bulk_body(new_user("a", "ann"), new_user("b", "ANN")))

    assert [(outcome.status, outcome.error and outcome.error.scim_type) for outcome in outcomes] == [
        (201, None),
        (409, "uniqueness"),
    ]
