"""One Bulk request against the same work as single requests: results, storage requests, time.

Usage (Azurite running, e.g. via ./scripts/start-azurite)::

    .venv/bin/python -m bench.bulk [--users 900] [--group-size 9]

On one local host (``SCIM_COUNT_STORAGE_REQUESTS=1``), tenant ``bulk`` gets one ``POST /Bulk`` of
``users + users / group-size`` operations (1,000 by default): every user, and after each run of
``group-size`` users a group created with them as members, named by ``bulkId``. Tenant ``single``
gets the same users and groups as single ``POST /Users`` and ``POST /Groups`` requests (members
by id), one client. Then both tenants are read back and compared (user names; each group's
members by user name), and the storage requests (``X-Storage-Requests``) and times are printed.
Loopback only, bounded by --users.
"""

from __future__ import annotations

import argparse
import os

from bench.harness import GROUP_SCHEMA, UNTHROTTLED, USER_SCHEMA, Endpoint, local_host
from scim.platform import request_count

BULK_REQUEST_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def user(number: int) -> dict:
    return {"schemas": [USER_SCHEMA], "userName": f"user{number:05d}@bench.example", "active": True}


def group(number: int, member_ids: list[str]) -> dict:
    return {
        "schemas": [GROUP_SCHEMA],
        "displayName": f"group{number:04d}",
        "members": [{"value": m} for m in member_ids],
    }


def bulk_operations(users: int, group_size: int) -> list[dict]:
    operations: list[dict] = []
    for number in range(users):
        operations.append({"method": "POST", "path": "/Users", "bulkId": f"u{number}", "data": user(number)})
        if (number + 1) % group_size == 0:
            members = [f"bulkId:u{member}" for member in range(number + 1 - group_size, number + 1)]
            group_number = number // group_size
            operations.append(
                {
                    "method": "POST",
                    "path": "/Groups",
                    "bulkId": f"g{group_number}",
                    "data": group(group_number, members),
                }
            )
    return operations


def run_bulk(endpoint: Endpoint, operations: list[dict]) -> tuple[float, int | None]:
    response = endpoint.request("POST", "/Bulk", {"schemas": [BULK_REQUEST_SCHEMA], "Operations": operations})
    statuses = {answer["status"] for answer in (response.body or {}).get("Operations", [])}
    assert response.status == 200 and statuses == {"201"}, (response.status, statuses)
    return response.seconds, response.storage_requests


def run_single(endpoint: Endpoint, users: int, group_size: int) -> tuple[float, int | None]:
    seconds, storage_requests, ids = 0.0, 0, []
    for number in range(users):
        response = endpoint.request("POST", "/Users", user(number))
        assert response.status == 201, response.body
        ids.append(response.body["id"])
        seconds, storage_requests = seconds + response.seconds, storage_requests + (response.storage_requests or 0)
        if (number + 1) % group_size == 0:
            response = endpoint.request("POST", "/Groups", group(number // group_size, ids[-group_size:]))
            assert response.status == 201, response.body
            seconds, storage_requests = seconds + response.seconds, storage_requests + (response.storage_requests or 0)
    return seconds, storage_requests


def contents(endpoint: Endpoint) -> tuple[list[str], dict[str, list[str]]]:
    """The tenant's user names, and each group's members by user name."""
    names: dict[str, str] = {}
    for start in range(1, 100_000, 200):
        _, page = endpoint.send("GET", f"/Users?startIndex={start}&count=200&excludedAttributes=groups")
        names.update({resource["id"]: resource["userName"] for resource in page["Resources"]})
        if start + 200 > page["totalResults"]:
            break
    groups: dict[str, list[str]] = {}
    for start in range(1, 100_000, 200):
        _, page = endpoint.send("GET", f"/Groups?startIndex={start}&count=200")
        for resource in page["Resources"]:
            groups[resource["displayName"]] = sorted(names[m["value"]] for m in resource.get("members", []))
        if start + 200 > page["totalResults"]:
            break
    return sorted(names.values()), groups


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=900, help="users to create (default 900)")
    parser.add_argument("--group-size", type=int, default=9, help="members of each group (default 9)")
    arguments = parser.parse_args()
    operations = bulk_operations(arguments.users, arguments.group_size)

    os.environ[request_count.SETTING] = "1"  # the local host inherits the environment
    with local_host(tenants=("bulk", "single"), settings=UNTHROTTLED) as host:
        bulk_endpoint, single_endpoint = host.endpoint("bulk"), host.endpoint("single")
        bulk_seconds, bulk_requests = run_bulk(bulk_endpoint, operations)
        single_seconds, single_requests = run_single(single_endpoint, arguments.users, arguments.group_size)
        identical = contents(bulk_endpoint) == contents(single_endpoint)

    groups = arguments.users // arguments.group_size
    print(f"{len(operations)} operations: {arguments.users} users, {groups} groups of {arguments.group_size} members")
    print(f"  one Bulk request     storage requests={bulk_requests:>6}  time={bulk_seconds:7.2f} s")
    print(f"  {len(operations)} single requests storage requests={single_requests:>6}  time={single_seconds:7.2f} s")
    print(f"  results identical: {identical}")


if __name__ == "__main__":
    main()
