"""/Events through function_app's trigger: RFC 8936 poll semantics, RFC 9967 notice SETs, and who
may read them."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.events import FakeClock, poll, serving_events, verified_claims
from tests.support.http import Client, created, discovery_request, json_of

EVENT = "urn:ietf:params:scim:event:"
REDELIVERY_SECONDS = 60


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def readers(tenant: str) -> dict[str, str]:
    return {tenant: "reader-" + uuid.uuid4().hex, "other-tenant": "reader-" + uuid.uuid4().hex}


@pytest.fixture
def events_served(repository, tokens, readers, clock) -> Iterator[None]:
    with serving_events(repository, tokens, readers, clock, redelivery_seconds=REDELIVERY_SECONDS, settle_seconds=0):
        yield


@pytest.fixture
def api(events_served, tenant: str, tokens: dict[str, str]) -> tuple[Client, Client]:
    return Client(tenant, tokens[tenant], "Users"), Client(tenant, tokens[tenant], "Groups")


def sets_of(tenant: str, reader: str, body: dict | None = None) -> dict[str, dict]:
    response = poll(tenant, reader, body)
    assert response.status_code == 200, response.get_body()
    return {jti: verified_claims(token, reader) for jti, token in json_of(response)["sets"].items()}


def test_service_provider_config_advertises_the_security_events_to_a_tenant_with_an_event_reader(
    events_served, tenant: str, tokens: dict[str, str]
):
    config = json_of(discovery_request(tenant, "/ServiceProviderConfig", token=tokens[tenant]))

    assert config["securityEvents"]["asyncRequest"] == "none"
    assert EVENT + "prov:deactivate" in config["securityEvents"]["eventUris"]


def test_service_provider_config_read_without_a_token_has_no_security_events(events_served, tenant: str):
    assert "securityEvents" not in json_of(discovery_request(tenant, "/ServiceProviderConfig"))


def test_a_created_user_is_one_signed_create_notice(api, tenant, readers):
    users, _ = api
    user = created(users, user_body("alice@example.com"))

    (claims,) = sets_of(tenant, readers[tenant]).values()

    assert claims["sub_id"] == {"format": "scim", "uri": f"/Users/{user['id']}"}
    assert list(claims["events"]) == [EVENT + "prov:create:notice"]
    assert claims["iss"].endswith(f"/scim/{tenant}/v2")


def test_acknowledged_events_never_come_back(api, tenant, readers, clock):
    users, _ = api
    created(users, user_body("alice@example.com"))
    first = sets_of(tenant, readers[tenant])

    sets_of(tenant, readers[tenant], {"ack": list(first), "maxEvents": 0})
    clock.advance(REDELIVERY_SECONDS * 10)

    assert sets_of(tenant, readers[tenant]) == {}


def test_unacknowledged_events_come_back_after_the_redelivery_timeout_only(api, tenant, readers, clock):
    users, _ = api
    created(users, user_body("alice@example.com"))
    first = sets_of(tenant, readers[tenant])

    clock.advance(REDELIVERY_SECONDS - 1)
    before_timeout = sets_of(tenant, readers[tenant])
    clock.advance(1)
    after_timeout = sets_of(tenant, readers[tenant])

    assert before_timeout == {} and after_timeout.keys() == first.keys()


def test_set_errs_settle_events_like_acks(api, tenant, readers, clock):
    users, _ = api
    created(users, user_body("alice@example.com"))
    (jti,) = sets_of(tenant, readers[tenant])

    sets_of(tenant, readers[tenant], {"setErrs": {jti: {"err": "invalid_request", "description": "x"}}})
    clock.advance(REDELIVERY_SECONDS * 2)

    assert sets_of(tenant, readers[tenant]) == {}


def test_max_events_bounds_a_response_and_more_available_says_more_wait(api, tenant, readers):
    users, _ = api
    for number in range(5):
        created(users, user_body(f"user{number}@example.com"))

    response = json_of(poll(tenant, readers[tenant], {"maxEvents": 3, "returnImmediately": True}))
    rest = json_of(poll(tenant, readers[tenant], {"maxEvents": 3, "returnImmediately": True}))

    assert (len(response["sets"]), response["moreAvailable"]) == (3, True)
    assert (len(rest["sets"]), rest["moreAvailable"]) == (2, False)
    assert not response["sets"].keys() & rest["sets"].keys()


def test_a_provisioning_token_is_refused_on_events(api, tenant, tokens):
    assert poll(tenant, tokens[tenant]).status_code == 401


def test_an_event_reader_credential_is_refused_on_scim_routes(api, tenant, readers):
    assert Client(tenant, readers[tenant], "Users").call("GET").status_code == 401


def test_another_tenants_reader_is_refused(api, tenant, readers):
    assert poll(tenant, readers["other-tenant"]).status_code == 401


def test_a_malformed_poll_request_is_400(api, tenant, readers):
    response = poll(tenant, readers[tenant], {"maxEvents": -1})

    assert (response.status_code, json_of(response)["scimType"]) == (400, "invalidValue")


def test_deactivating_a_user_is_a_patch_notice_naming_active_and_a_deactivate_event(api, tenant, readers):
    users, _ = api
    user = created(users, user_body("alice@example.com"))
    sets_of(tenant, readers[tenant], {"ack": list(sets_of(tenant, readers[tenant])), "maxEvents": 0})

    users.call("PATCH", f"/{user['id']}", patch_body({"op": "Replace", "path": "active", "value": "False"}))
    (claims,) = sets_of(tenant, readers[tenant]).values()

    assert claims["events"] == {
        EVENT + "prov:patch:notice": {"attributes": ["active"]},
        EVENT + "prov:deactivate": {},
    }


def test_deleting_a_user_notifies_the_groups_it_was_in(api, tenant, readers):
    users, groups = api
    user = created(users, user_body("alice@example.com"))
    group = created(groups, group_body("Team"))
    groups.call("PATCH", f"/{group['id']}", add_members(user["id"]))
    sets_of(tenant, readers[tenant], {"ack": list(sets_of(tenant, readers[tenant])), "maxEvents": 0})

    users.call("DELETE", f"/{user['id']}")
    events = sorted((c["sub_id"]["uri"], list(c["events"])) for c in sets_of(tenant, readers[tenant]).values())

    assert events == sorted(
        [
            (f"/Users/{user['id']}", [EVENT + "prov:delete"]),
            (f"/Groups/{group['id']}", [EVENT + "prov:patch:notice"]),
        ]
    )


@pytest.mark.parametrize("count", [1, 50])
def test_polling_n_new_events_costs_three_storage_requests(api, tenant, readers, request_counter, count):
    users, _ = api
    for number in range(count):
        created(users, user_body(f"user{number}@example.com"))

    cost, sets = request_counter.during(lambda: sets_of(tenant, readers[tenant], {"maxEvents": 100}))

    assert (len(sets), cost) == (count, 3)  # the poll state, one range query of the journal, the state saved


def test_acknowledging_without_polling_costs_two_storage_requests(api, tenant, readers, request_counter):
    users, _ = api
    created(users, user_body("alice@example.com"))
    delivered = sets_of(tenant, readers[tenant])

    cost = request_counter.sent_by(lambda: sets_of(tenant, readers[tenant], {"ack": list(delivered), "maxEvents": 0}))

    assert cost == 2  # the poll state read and saved


def test_a_redelivery_costs_one_point_read_per_event_more(api, tenant, readers, request_counter, clock):
    users, _ = api
    for number in range(3):
        created(users, user_body(f"user{number}@example.com"))
    sets_of(tenant, readers[tenant])
    clock.advance(REDELIVERY_SECONDS)

    cost, sets = request_counter.during(lambda: sets_of(tenant, readers[tenant]))

    assert (len(sets), cost) == (3, 3 + 3)
