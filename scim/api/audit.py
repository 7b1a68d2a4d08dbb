"""The audit trail's log side: one structured line per write request, whatever its result.

Successful changes are also in the journal (``scim.storage.journal``), which ``python -m scim.admin
activity`` reads; refused writes (4xx, 5xx) are only here. A line names the tenant, the credential
(``token:current``, ``token:next``, ``entra``, or ``-`` when authentication failed), the operation,
the resource type and id, the attribute names a replace or patch changed, the status and the request
id; never a token, a filter or an attribute value (they may carry personal data).
"""

from __future__ import annotations

import logging

import azure.functions as func

from scim.auth.records import is_tenant_slug
from scim.service import journal

logger = logging.getLogger("scim.audit")

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def record(request: func.HttpRequest, status: int, request_id: str) -> None:
    """Log the audit line of ``request`` if it was a write of a resource (not a query or a poll)."""
    method = request.method.upper()
    path = request.url.split("?", 1)[0]
    resource_type = next((name for name in ("Users", "Groups") if f"/{name}" in path), None)
    if method not in WRITE_METHODS or resource_type is None or path.endswith(".search"):
        return
    facts = journal.current_request()
    change = journal.current_change() if 200 <= status < 300 else None
    tenant = request.route_params.get("tenant", "")
    dimensions = {
        "tenant": tenant if is_tenant_slug(tenant) else "-",
        "actor": facts.actor if facts else "-",
        "operation": method,
        "resourceType": resource_type[:-1],
        "resourceId": request.route_params.get("id") or "-",
        "attributes": ",".join(change.attributes) if change else "-",
        "status": status,
        "requestId": request_id,
    }
    line = " ".join(f"{key}={value}" for key, value in dimensions.items())
    logger.info("SCIM audit %s", line, extra={"custom_dimensions": dimensions})
