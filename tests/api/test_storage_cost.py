"""Storage requests per SCIM operation do not grow with the number of users."""

from __future__ import annotations

import json

import azure.functions as func

import function_app
from scim.api import dependencies
from scim.auth.tokens import SettingsTokenSource
from scim.models.user import USER_SCHEMA
from scim.service.users import UserService
from tests.support.storage import StorageRequests


def seed(users: UserService, tenant: str, count: int) -> None:
    for number in range(count):
        users.create(tenant, {"schemas": [USER_SCHEMA], "userName": f"user{number:05d}@example.com"})


def requests_for_user_name_filter(
    tenant: str, token: str, user_name: str, counter: StorageRequests
) -> tuple[int, dict]:
    request = func.HttpRequest(
        "GET",
        f"https://scim.example.net/scim/{tenant}/v2/Users",
        headers={"Authorization": f"Bearer {token}"},
        params={"filter": f'userName eq "{user_name}"'},
        route_params={"tenant": tenant},
        body=b"",
    )
    cost, response = counter.during(lambda: function_app.users(request))
    return cost, json.loads(response.get_body())


def test_user_name_filter_costs_the_same_with_10_and_2000_users(served, users: UserService, tenant, request_counter):
    small, large = f"{tenant}-small", f"{tenant}-large"
    tokens = {small: "token-small-0123456789", large: "token-large-0123456789"}
    dependencies.override(
        dependencies.Dependencies(SettingsTokenSource({"SCIM_TOKENS": json.dumps(tokens)}), users, served.groups)
    )
    seed(users, small, 10)
    seed(users, large, 2000)

    small_cost, small_body = requests_for_user_name_filter(
        small, tokens[small], "user00007@example.com", request_counter
    )
    large_cost, large_body = requests_for_user_name_filter(
        large, tokens[large], "user01999@example.com", request_counter
    )

    assert small_body["totalResults"] == large_body["totalResults"] == 1
    # an index point read, a resource point read, and the query of the user's groups
    assert small_cost == large_cost == 3
