"""Bulk (RFC 7644 section 3.7): many operations in one request. No Azure, no HTTP.

Each operation is done by the same service call as its single request (``create``, ``replace``,
``patch``, ``delete``), so it is exactly as atomic and costs the same storage requests; a Bulk
request as a whole is not atomic (RFC 7644 section 3.7 does not ask it to be). Successful
operations answer ``location``, ``version`` and ``status`` without a body, so no read is added
to render one.

- ``bulkId``: an operation may name another's new resource as ``bulkId:<id>``, in ``path`` or in
  any string of ``data`` (a group created with members created in the same request). Operations
  run in request order, except that one waits until the operations it references have run.
  A reference to a bulkId no operation declares, or to one whose operation failed, fails with
  409; operations that reference each other in a circle are refused, each with 409 (RFC 7644
  section 3.7.1 lets a service provider stop trying to resolve circular references).
- ``failOnErrors``: once that many operations have failed, no further one runs and the response
  lists those that ran (section 3.7.3).
- ``version``: the operation's precondition, as ``If-Match`` on its single request (412).
- Limits (section 3.7.4), advertised in ServiceProviderConfig: at most ``MAX_OPERATIONS``
  operations and ``MAX_PAYLOAD_BYTES`` of body; beyond either, 413 and nothing runs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scim.errors import InvalidPath, InvalidValue, PayloadTooLarge, ScimError, ServiceUnavailable
from scim.models.bulk import BulkOperation, BulkRequest
from scim.models.messages import BULK_REQUEST_SCHEMA
from scim.service.ports import StorageUnavailable
from scim.service.resources import ResourceService, protocol_message

MAX_OPERATIONS = 1000
MAX_PAYLOAD_BYTES = 1024 * 1024
BULK_ID_PREFIX = "bulkId:"


@dataclass(frozen=True)
class Outcome:
    """What one operation answered (RFC 7644 section 3.7.3); ``error`` when it failed."""

    method: str
    bulk_id: str | None
    status: int
    location: str | None = None
    version: str | None = None
    error: ScimError | None = None


@dataclass
class _Run:
    """The state of one Bulk request while it runs."""

    tenant: str
    tenant_url: str
    services: Mapping[str, ResourceService]  # by endpoint path segment: "Users", "Groups"
    created: dict[str, str] = field(default_factory=dict)  # bulkId -> new resource id
    failed_bulk_ids: set[str] = field(default_factory=set)
    errors: int = 0


def execute(
    tenant: str, tenant_url: str, services: Mapping[str, ResourceService], body: Any, *, payload_bytes: int
) -> list[Outcome]:
    """Run a Bulk request; the outcomes of the operations that ran, in request order."""
    if payload_bytes > MAX_PAYLOAD_BYTES:
        raise PayloadTooLarge(f"a Bulk request may carry at most {MAX_PAYLOAD_BYTES} bytes (maxPayloadSize)")
    if isinstance(body, dict) and isinstance(body.get("Operations"), list) and len(body["Operations"]) > MAX_OPERATIONS:
        raise PayloadTooLarge(f"a Bulk request may carry at most {MAX_OPERATIONS} operations (maxOperations)")
    request: BulkRequest = protocol_message(BulkRequest, BULK_REQUEST_SCHEMA, body)
    declared = _declared_bulk_ids(request.operations)
    run = _Run(tenant, tenant_url, services)
    references = [_references(operation) & declared for operation in request.operations]
    outcomes: dict[int, Outcome] = {}
    pending = list(range(len(request.operations)))
    while pending and not _should_stop(run, request.failOnErrors):
        settled = run.created.keys() | run.failed_bulk_ids
        number = next((n for n in pending if references[n] <= settled), None)
        if number is None:  # every operation left waits on another one left: circular references
            for waiting in pending:
                error = ScimError("circular bulkId references: refused", status=409)
                outcomes[waiting] = _failed(run, request.operations[waiting], error)
            break
        pending.remove(number)
        outcomes[number] = _run_one(run, request.operations[number])
    return [outcomes[number] for number in sorted(outcomes)]


def _should_stop(run: _Run, fail_on_errors: int | None) -> bool:
    return fail_on_errors is not None and run.errors >= fail_on_errors


def _declared_bulk_ids(operations: list[BulkOperation]) -> set[str]:
    """The bulkIds of the request's operations; 400 invalidValue when one is given twice."""
    seen: set[str] = set()
    for operation in operations:
        if operation.bulkId is not None:
            if operation.bulkId in seen:
                raise InvalidValue(f"bulkId '{operation.bulkId}' is given to two operations")
            seen.add(operation.bulkId)
    return seen


def _references(operation: BulkOperation) -> set[str]:
    """The bulkIds an operation names, in its path and anywhere in its data."""
    found: set[str] = set()
    pending: list[Any] = [operation.path, operation.data]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            found.update(part[len(BULK_ID_PREFIX) :] for part in item.split("/") if part.startswith(BULK_ID_PREFIX))
        elif isinstance(item, dict):
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return found


def _resolved(run: _Run, item: Any) -> Any:
    """``item`` with every ``bulkId:<id>`` replaced by the id of the resource created for it."""
    if isinstance(item, str):
        return "/".join(_resolved_part(run, part) for part in item.split("/"))
    if isinstance(item, dict):
        return {key: _resolved(run, value) for key, value in item.items()}
    if isinstance(item, list):
        return [_resolved(run, value) for value in item]
    return item


def _resolved_part(run: _Run, part: str) -> str:
    if not part.startswith(BULK_ID_PREFIX):
        return part
    bulk_id = part[len(BULK_ID_PREFIX) :]
    if bulk_id not in run.created:
        raise ScimError(f"bulkId '{bulk_id}' names no resource created by this request", status=409)
    return run.created[bulk_id]


def _run_one(run: _Run, operation: BulkOperation) -> Outcome:
    try:
        service, resource_id = _target(run, operation)
        return _perform(run, operation, service, resource_id)
    except ScimError as error:
        return _failed(run, operation, error)
    except StorageUnavailable:
        return _failed(run, operation, ServiceUnavailable("storage is unavailable; retry later"))


def _target(run: _Run, operation: BulkOperation) -> tuple[ResourceService, str | None]:
    """The service of the operation's path and the resource id in it (None for a collection)."""
    segments = [segment for segment in _resolved(run, operation.path).split("/") if segment]
    service = run.services.get(segments[0]) if segments else None
    if service is None or len(segments) > 2:
        raise InvalidPath(f"path '{operation.path}' names no resource type or resource served here")
    resource_id = segments[1] if len(segments) == 2 else None
    if (operation.method == "POST") != (resource_id is None):
        raise InvalidPath(f"{operation.method} takes {'a resource type' if resource_id is None else 'a resource'}")
    return service, resource_id


def _perform(run: _Run, operation: BulkOperation, service: ResourceService, resource_id: str | None) -> Outcome:
    data = _resolved(run, operation.data)
    actions: dict[str, Callable[[], Outcome]] = {
        "POST": lambda: _created(run, operation, service, service.create(run.tenant, data)),
        "PUT": lambda: _done(
            run, operation, service, 200, service.replace(run.tenant, resource_id or "", data, operation.version)
        ),
        "PATCH": lambda: _patched(run, operation, service, resource_id or "", data),
        "DELETE": lambda: _deleted(run, operation, service, resource_id or ""),
    }
    return actions[operation.method]()


def _created(run: _Run, operation: BulkOperation, service: ResourceService, resource: Any) -> Outcome:
    if operation.bulkId is not None:
        run.created[operation.bulkId] = resource.id
    return _done(run, operation, service, 201, resource)


def _patched(run: _Run, operation: BulkOperation, service: ResourceService, resource_id: str, data: Any) -> Outcome:
    result = service.patch(run.tenant, resource_id, data, operation.version)
    if result.resource is None:  # as its single request, answered without the resource (204)
        return Outcome(operation.method, operation.bulkId, 204, service.location(run.tenant_url, resource_id))
    return _done(run, operation, service, 200, result.resource)


def _deleted(run: _Run, operation: BulkOperation, service: ResourceService, resource_id: str) -> Outcome:
    service.delete(run.tenant, resource_id, operation.version)
    return Outcome(operation.method, operation.bulkId, 204, service.location(run.tenant_url, resource_id))


def _done(run: _Run, operation: BulkOperation, service: ResourceService, status: int, resource: Any) -> Outcome:
    location = service.location(run.tenant_url, resource.id)
    return Outcome(operation.method, operation.bulkId, status, location, resource.version)


def _failed(run: _Run, operation: BulkOperation, error: ScimError) -> Outcome:
    run.errors += 1
    if operation.bulkId is not None:
        run.failed_bulk_ids.add(operation.bulkId)
    return Outcome(operation.method, operation.bulkId, error.status, error=error)
