"""The audit trail of writes: one structured log line per write request, whatever its result, and
the refused writes of authenticated callers stored beside the journal.

Successful changes are in the journal (``scim.storage.journal``); a write an authenticated caller
was refused (400, 404, 409, 412, 413, 415, 500 ...) changed nothing, so it is stored apart as a
``RefusedWrite`` (``scim.storage.refusals``); ``python -m scim.admin activity`` reads both. Not
stored: 401/403 (no authenticated caller: storing them would let anyone write to a tenant's
partition), 429 (the tenant is already over its share) and 503 (storage is what failed); the log
line has them all. A line names the tenant, the credential (``token:current``, ``token:next``,
``entra:<appid>:<oid>``, ``oauth``, or ``-`` when authentication failed), the operation, the
resource type and id, the attribute names a replace or patch changed, the status and the request
id; never a token or a filter. Attribute values (they may carry personal data) only for a tenant
whose record has ``auditValues`` on: then ``values`` is the change's RFC 9967 ``data``
(``scim.service.change_data``: never an attribute ``returned`` never), cut at
``MAX_VALUES_CHARACTERS``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import azure.functions as func

from scim.api.decoding import parse_json_body
from scim.auth.records import is_tenant_slug
from scim.errors import ScimError
from scim.service import journal
from scim.service.journal import RefusalLog, RefusedWrite, user_name_digest

logger = logging.getLogger("scim.audit")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# Refusals not stored (see the module's docstring); any other status of 400 and above is.
UNSTORED_REFUSALS = frozenset({401, 403, 429, 503})
# Application Insights keeps at most 8,192 characters of a custom dimension's value.
MAX_VALUES_CHARACTERS = 8000


def record(
    request: func.HttpRequest,
    status: int,
    request_id: str,
    *,
    scim_type: str | None,
    refusals: Callable[[], RefusalLog | None],
) -> None:
    """Log the audit line of ``request`` if it was a write of a resource (not a query or a poll),
    and store it in the log ``refusals()`` gives if it was an authenticated caller's refused write."""
    method = request.method.upper()
    path = request.url.split("?", 1)[0]
    resource_type = next((name for name in ("Users", "Groups") if f"/{name}" in path), None)
    if method not in WRITE_METHODS or resource_type is None or path.endswith(".search"):
        return
    facts = journal.current_request()
    actor = facts.actor if facts else "-"
    change = journal.current_change() if 200 <= status < 300 else None
    tenant = request.route_params.get("tenant", "")
    dimensions = {
        "tenant": tenant if is_tenant_slug(tenant) else "-",
        "actor": actor,
        "operation": method,
        "resourceType": resource_type[:-1],
        "resourceId": request.route_params.get("id") or "-",
        "attributes": ",".join(change.attributes) if change and change.attributes else "-",
        "status": status,
        "requestId": request_id,
    }
    if facts is not None and facts.audit_values and change is not None and change.data is not None:
        values = json.dumps(change.data, separators=(",", ":"))
        cut = len(values) > MAX_VALUES_CHARACTERS
        dimensions["values"] = values[:MAX_VALUES_CHARACTERS] + "..." if cut else values
    line = " ".join(f"{key}={value}" for key, value in dimensions.items())
    logger.info("SCIM audit %s", line, extra={"custom_dimensions": dimensions})
    if status >= 400 and status not in UNSTORED_REFUSALS and actor != "-":
        refusal = RefusedWrite(
            time=datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            operation=method,
            resource_type=resource_type[:-1],
            resource_id=str(dimensions["resourceId"]),
            status=status,
            scim_type=scim_type or "-",
            actor=actor,
            request_id=request_id,
            name_digest=_posted_user_name_digest(request) if method == "POST" and resource_type == "Users" else "",
        )
        _store(refusals, tenant, refusal)


def _store(refusals: Callable[[], RefusalLog | None], tenant: str, refusal: RefusedWrite) -> None:
    """Best effort: the caller's answer is already decided and must not change because of this."""
    try:
        log = refusals()
        if log is not None:
            log.record(tenant, refusal)
    except Exception as error:
        logger.warning("Refused write not stored in the audit trail: %s", type(error).__name__)


def _posted_user_name_digest(request: func.HttpRequest) -> str:
    """The digest of the body's userName, so that ``activity --user-name`` finds a refused create."""
    try:
        body: Any = parse_json_body(request.get_body() or b"")
    except ScimError:  # the request was refused for its body, as the decoder refuses it
        return ""
    user_name = body.get("userName") if isinstance(body, dict) else None
    return user_name_digest(user_name) if isinstance(user_name, str) else ""
