"""Every log record of a representative run, at DEBUG for every logger: no token, no e-mail
address, no user name or display name, in messages, arguments or tracebacks.

The run goes through function_app's triggers and covers successes and every kind of failure a
log line is written for: 400 (a filter quoting a user name), 401 (a wrong token), 409, 404,
503 (storage unreachable) and 500 (an unexpected exception whose message quotes request data).
"""

from __future__ import annotations

import json
import logging
import urllib.parse

import azure.functions as func
import pytest

import function_app
from scim.api import dependencies
from scim.models.messages import SEARCH_REQUEST_SCHEMA
from scim.service.groups import GroupService
from scim.service.users import UserService
from scim.storage.resources import TableResourceRepository
from tests.reliability.faults import client_with
from tests.support.bodies import add_members, group_body, patch_body, user_body
from tests.support.http import HOST, Client, created

USER_NAME = "zelda.secret@privacy.example"
EMAIL = "zq.home@mailbox.example"
DISPLAY_NAME = "Zelda Quixote-Marvellous"
GIVEN_NAME = "Zeldarine"
NEW_DISPLAY_NAME = "Zelda Renamed-Quietly"
GROUP_NAME = "Confidential Circle Of Friends"
WRONG_TOKEN = "wrong-token-Qx81nVd0zz"


def secrets_of(tokens: dict[str, str]) -> list[str]:
    plain = [USER_NAME, EMAIL, DISPLAY_NAME, GIVEN_NAME, NEW_DISPLAY_NAME, GROUP_NAME, WRONG_TOKEN, *tokens.values()]
    encoded = [urllib.parse.quote(text) for text in plain] + [urllib.parse.quote_plus(text) for text in plain]
    return sorted({text.lower() for text in plain + encoded})


def everything_logged(records: list[logging.LogRecord]) -> str:
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    return "\n".join(f"{formatter.format(record)} {record.args!r}" for record in records).lower()


def representative_run(users_api: Client, groups_api: Client, tokens: dict[str, str]) -> None:
    tenant = users_api.tenant
    full = user_body(
        USER_NAME,
        displayName=DISPLAY_NAME,
        name={"givenName": GIVEN_NAME, "familyName": "Quixote"},
        emails=[{"value": EMAIL, "type": "work", "primary": True}],
        externalId="ext-zelda",
    )
    user = created(users_api, full)
    assert users_api.call("POST", body=full).status_code == 409
    assert users_api.call("GET", params={"filter": f'userName eq "{USER_NAME}"'}).status_code == 200
    assert users_api.call("GET", params={"filter": f'emails[type eq "work" and value eq "{EMAIL}"]'}).status_code == 200
    assert users_api.call("GET", params={"filter": f'userName eq "{USER_NAME}" and'}).status_code == 400
    assert users_api.call("GET", params={"cursor": "", "count": "1"}).status_code == 200
    search = {"schemas": [SEARCH_REQUEST_SCHEMA], "filter": f'displayName eq "{DISPLAY_NAME}"'}
    searched = function_app.users_search(
        func.HttpRequest(
            "POST",
            f"{HOST}/scim/{tenant}/v2/Users/.search",
            headers={"Authorization": f"Bearer {tokens[tenant]}"},
            route_params={"tenant": tenant},
            body=json.dumps(search).encode(),
        )
    )
    assert searched.status_code == 200
    rename = patch_body({"op": "replace", "path": "displayName", "value": NEW_DISPLAY_NAME})
    assert users_api.call("PATCH", f"/{user['id']}", rename).status_code == 200
    assert users_api.call("PUT", f"/{user['id']}", full).status_code == 200
    assert users_api.call("GET", f"/{user['id']}", headers={"If-None-Match": user["meta"]["version"]}).status_code
    assert users_api.call("DELETE", f"/{user['id']}", headers={"If-Match": 'W/"stale"'}).status_code == 412
    group = created(groups_api, group_body(GROUP_NAME))
    assert groups_api.call("PATCH", f"/{group['id']}", add_members(user["id"])).status_code == 204
    assert groups_api.call("GET", params={"filter": f'displayName eq "{GROUP_NAME}"'}).status_code == 200
    assert Client(tenant, WRONG_TOKEN).call("GET", params={"filter": f'userName eq "{USER_NAME}"'}).status_code == 401
    assert users_api.call("GET", "/" + "0" * 8 + "-0000-4000-8000-000000000000").status_code == 404
    assert users_api.call("DELETE", f"/{user['id']}").status_code == 204


def test_logs_of_a_representative_run_hold_no_token_email_or_name(
    caplog: pytest.LogCaptureFixture, users_api: Client, groups_api: Client, tokens: dict[str, str]
):
    caplog.set_level(logging.DEBUG)

    representative_run(users_api, groups_api, tokens)

    logged = everything_logged(caplog.records)
    assert caplog.records, "nothing was logged: the test would prove nothing"
    assert [secret for secret in secrets_of(tokens) if secret in logged] == []


def test_storage_outage_logs_hold_no_name(
    caplog: pytest.LogCaptureFixture, monkeypatch, served, users_api: Client, tokens
):
    unreachable = client_with(
        monkeypatch,
        "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=a2V5;"
        "TableEndpoint=http://127.0.0.1:9/devstoreaccount1",
        "users",
        retry_total=0,
    )
    repository = TableResourceRepository(unreachable)
    dependencies.override(dependencies.Dependencies(served.tokens, UserService(repository), GroupService(repository)))
    caplog.set_level(logging.DEBUG)

    assert users_api.call("GET", params={"filter": f'userName eq "{USER_NAME}"'}).status_code == 503
    assert users_api.call("POST", body=user_body(USER_NAME, displayName=DISPLAY_NAME)).status_code == 503

    logged = everything_logged(caplog.records)
    assert "storage unavailable" in logged
    assert [secret for secret in secrets_of(tokens) if secret in logged] == []


def test_an_unexpected_error_is_logged_with_its_stack_but_not_its_message(
    caplog: pytest.LogCaptureFixture, served, users_api: Client, tokens
):
    class Broken(UserService):
        def create(self, tenant: str, body):
            raise RuntimeError(f"could not store {body['userName']} ({body['emails'][0]['value']})")

    dependencies.override(dependencies.Dependencies(served.tokens, Broken(served.users._repository), served.groups))
    caplog.set_level(logging.DEBUG)

    response = users_api.call("POST", body=user_body(USER_NAME, emails=[{"value": EMAIL}]))

    assert response.status_code == 500
    logged = everything_logged(caplog.records)
    assert "runtimeerror" in logged and "test_log_privacy.py" in logged  # the class and the stack
    assert [secret for secret in secrets_of(tokens) if secret in logged] == []
    assert json.loads(response.get_body())["detail"] == "internal error"
