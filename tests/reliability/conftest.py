"""Helpers of the reliability tests (the users_api/groups_api clients come from tests/conftest.py)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from azure.data.tables import TableClient

from scim.models.group import GROUP_SCHEMA
from scim.models.messages import PATCH_OP_SCHEMA
from scim.models.user import USER_SCHEMA
from tests.api.http_client import Client, json_of
from tests.reliability.faults import client_with


@pytest.fixture
def storage_client(monkeypatch, azurite: str, table_name: str) -> Callable[..., TableClient]:
    """Builds TableClients on the test table as production does, with the options given."""

    def build(**options: Any) -> TableClient:
        return client_with(monkeypatch, azurite, table_name, **options)

    return build


def user_body(user_name: str, **attributes: Any) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": user_name, **attributes}


def group_body(display_name: str, **attributes: Any) -> dict:
    return {"schemas": [GROUP_SCHEMA], "displayName": display_name, **attributes}


def patch_body(*operations: dict) -> dict:
    return {"schemas": [PATCH_OP_SCHEMA], "Operations": list(operations)}


def add_members(*member_ids: str) -> dict:
    return patch_body({"op": "add", "path": "members", "value": [{"value": member} for member in member_ids]})


def created(client: Client, body: dict) -> dict:
    response = client.call("POST", body=body)
    assert response.status_code == 201, response.get_body()
    return json_of(response)


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call in a thread of its own, released together; their results in order.

    An exception in a call is re-raised here (an assertion inside a thread would be lost).
    """
    start = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(position: int, call: Callable[[], Any]) -> None:
        start.wait()
        try:
            results[position] = call()
        except BaseException as problem:
            errors.append(problem)

    threads = [threading.Thread(target=run, args=(position, call)) for position, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racing request did not finish within 120 s"
    if errors:
        raise errors[0]
    return results


def outcome(response) -> tuple[int, str | None]:
    """Status and scimType of a response, for comparing the outcomes of a race."""
    body = json_of(response) if response.get_body() else {}
    return response.status_code, body.get("scimType")
