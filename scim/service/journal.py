"""What the journal records of a change besides the change itself: no Azure, no HTTP.

Every write stores a journal row in the same transaction as the change (``scim.storage.journal``).
Storage knows what it writes (which resource, created, replaced, deleted, which members); the
rest is known above it and handed down through context variables, so that no repository method
grows a parameter: the HTTP adapter states who asks, the request id and the tenant's journal
settings from its record (``begin_request``, ``set_actor``), the service states which attributes a
replace or patch changed and, when the settings want them, the values (``note_change``). Both are
per request (per thread or task), and absent outside one (then the row says ``-``).

Values are kept only when the tenant's events are ``full`` or its audit values are on
(``RequestFacts.keeps_values``): then a create's or replace's row holds the RFC 9967 ``data`` of
the change (``scim.service.change_data``), which never carries an attribute ``returned`` never.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol


def name_digest(value: str) -> str:
    """The digest a unique name's index row and journal rows carry (of the value as indexed)."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def user_name_digest(user_name: str) -> str:
    """The ``NameDigest`` of a user's journal rows: of userName as its index entry holds it, in lower
    case (caseExact false, RFC 7643 section 4.1.1)."""
    return name_digest(user_name.lower())


def key_time(moment: datetime) -> str:
    """A moment as journal keys write it: UTC to the microsecond, sorting as it reads."""
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%S.%fZ")


@dataclass(frozen=True)
class RequestFacts:
    """Who asked, and the request id the operator can find in the logs."""

    request_id: str
    actor: str  # "token:current", "token:next", "entra:<appid>:<oid>", "oauth", "reader"
    event_form: str = "notice"  # the tenant's change events: "notice" or "full" (RFC 9967 section 2.4)
    audit_values: bool = False  # the tenant lets its activity trail show values

    @property
    def keeps_values(self) -> bool:
        """Whether a change's values go into its journal row (for full events, for the audit trail)."""
        return self.event_form == "full" or self.audit_values


@dataclass(frozen=True)
class ChangeFacts:
    """What a replace (``put``) or ``patch`` changed: top-level attribute names (an extension's as
    ``urn:name``) and whether ``active`` went to True (activate) or False (deactivate), None if it
    did not change."""

    event: str
    attributes: tuple[str, ...]
    activation: bool | None = None
    data: dict[str, Any] | None = None  # RFC 9967 ``data`` of a full event, only when values are kept


@dataclass(frozen=True)
class RefusedWrite:
    """A write an authenticated caller asked for and did not get (the audit trail's other half):
    nothing changed, so there is no journal row; ``scim.api.audit`` records it apart."""

    time: str  # ISO 8601 UTC, to the microsecond
    operation: str  # POST, PUT, PATCH, DELETE
    resource_type: str  # User, Group
    resource_id: str  # "-" for a POST
    status: int
    scim_type: str  # "-" when the error has none
    actor: str
    request_id: str
    name_digest: str = ""  # of a POSTed userName, normalized as its index row's (findable, not readable)


class RefusalLog(Protocol):
    """Where refused writes are kept, beside the tenant's journal and swept with it."""

    def record(self, tenant: str, refusal: RefusedWrite) -> None:
        """Store one refused write (one storage request)."""

    def between(self, tenant: str, low: str, high: str) -> list[RefusedWrite]:
        """The refused writes with ``low <= key time < high`` (``key_time`` form; empty: open end)."""


_request: ContextVar[RequestFacts | None] = ContextVar("scim_journal_request", default=None)
_change: ContextVar[ChangeFacts | None] = ContextVar("scim_journal_change", default=None)


@contextmanager
def begin_request(facts: RequestFacts) -> Iterator[None]:
    """Inside the block, every journal row written names ``facts``."""
    token, change_token = _request.set(facts), _change.set(None)
    try:
        yield
    finally:
        _request.reset(token)
        _change.reset(change_token)


def current_request() -> RequestFacts | None:
    return _request.get()


def set_actor(actor: str, *, event_form: str = "notice", audit_values: bool = False) -> None:
    """Name who asked and the tenant's journal settings, once authentication knows them (the
    request id was set before)."""
    facts = _request.get()
    if facts is not None:
        _request.set(RequestFacts(facts.request_id, actor, event_form, audit_values))


def keeps_values() -> bool:
    """Whether the current request's changes are journaled with their values."""
    facts = _request.get()
    return facts is not None and facts.keeps_values


def note_change(event: str, old: Mapping[str, Any], new: Mapping[str, Any], data: dict[str, Any] | None = None) -> None:
    """Record what the write about to happen changes (read by the journal row of that write);
    ``data``, the values (given only when ``keeps_values``)."""
    _change.set(replace(changed(event, old, new), data=data))


def current_change() -> ChangeFacts | None:
    return _change.get()


def changed(event: str, old: Mapping[str, Any], new: Mapping[str, Any]) -> ChangeFacts:
    """The names of the attributes whose values differ, an extension's sub-attributes as ``urn:name``."""
    names: list[str] = []
    for name in sorted(set(old) | set(new)):
        before, after = old.get(name), new.get(name)
        if before == after:
            continue
        if name.startswith("urn:") and isinstance(before or after, dict):
            inner_before, inner_after = before or {}, after or {}
            names += [
                f"{name}:{inner}"
                for inner in sorted(set(inner_before) | set(inner_after))
                if inner_before.get(inner) != inner_after.get(inner)
            ]
        else:
            names.append(name)
    activation = None
    if old.get("active") != new.get("active") and isinstance(new.get("active"), bool):
        activation = bool(new["active"])
    return ChangeFacts(event, tuple(names), activation)
