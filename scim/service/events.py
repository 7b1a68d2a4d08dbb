"""Change events for the tenant's application: RFC 9967 SETs made from journal rows, delivered by
poll (RFC 8936). No Azure, no HTTP.

- One journal row gives one SET (a row of a delete's cleanup gives one per group that lost the
  deleted resource as member). ``jti`` is the row's key (``<time>:<random>``, with ``:<n>`` for
  the n-th SET of a row): stable across redeliveries, so the application removes duplicates by it.
- Events are ``notice`` events (RFC 9967 section 2.4): the subject (``sub_id`` of format ``scim``,
  the resource's path) and the names of the attributes changed, never values; the application
  reads the resource for them. For a tenant whose events are ``full`` (its record's
  ``eventForm``), a change journaled while it was so is a full event carrying ``data``: the
  resource after a create (section 2.4.1) or put (2.4.3), a PatchOp making the change for a patch
  (2.4.2) and a membership change, built by ``scim.service.change_data`` without what is
  ``returned`` never. A change journaled without values (before the tenant chose ``full``, or too
  large to keep) stays a notice; deletes, activations and deactivations have no full form.
- SETs are signed HS256 (RFC 7515/7519) with a key derived from the tenant's event reader
  credential (HMAC-SHA256 of ``"scim-events-set-signing"`` under the credential), which the
  application holds already: it knows the SET came from this endpoint and was not altered.
- Poll (RFC 8936 section 2.4): ``ack`` and ``setErrs`` settle SETs (they never come back);
  a SET delivered and not settled within ``redelivery_seconds`` is delivered again; at most
  ``maxEvents`` SETs a response; ``moreAvailable`` says whether more are waiting. Rows are
  delivered once older than ``settle_seconds``, longer than a write's transaction can be in
  flight, so that a row committed late (its key was taken before a slower commit) is not skipped.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from scim.errors import InvalidSyntax, InvalidValue, ServiceUnavailable
from scim.models.messages import PATCH_OP_SCHEMA
from scim.service.journal import key_time
from scim.service.ports import VersionConflict

logger = logging.getLogger(__name__)

EVENT_PREFIX = "urn:ietf:params:scim:event:"
SIGNING_LABEL = b"scim-events-set-signing"
MAX_EVENTS = 500  # per poll response
# Characters of SETs' claims per poll response, at least one SET: full events carry values.
MAX_RESPONSE_CHARACTERS = 4_000_000
MAX_PENDING = 2000  # delivered and not yet acknowledged; past this, only redeliveries go out
DEFAULT_REDELIVERY_SECONDS = 300
DEFAULT_SETTLE_SECONDS = 120
MAX_POLL_ATTEMPTS = 10
ENDPOINTS = {"User": "/Users", "Group": "/Groups"}
# What set_claims issues (ServiceProviderConfig's securityEvents.eventUris, RFC 9967 section 4).
EVENT_URIS = tuple(
    EVENT_PREFIX + name
    for name in (
        "prov:create:notice",
        "prov:put:notice",
        "prov:patch:notice",
        "prov:create:full",
        "prov:put:full",
        "prov:patch:full",
        "prov:delete",
        "prov:activate",
        "prov:deactivate",
    )
)


@dataclass(frozen=True)
class JournalEntry:
    """A journal row as the events and the activity command read it."""

    key: str  # the RowKey without its ``jnl:`` prefix: ``<time>:<random>``
    event: str  # create, put, patch, delete, members, unlinked
    resource_type: str
    resource_id: str
    time: str
    attributes: tuple[str, ...] = ()
    active: bool | None = None
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    request_id: str = "-"
    actor: str = "-"
    name_digest: str = ""  # SHA-256 of the normalized unique name (userName, displayName)
    event_form: str = "notice"  # "full" when the tenant's events were full when the change was made
    audit_values: bool = False  # the tenant let its activity trail show values when the change was made
    data: dict[str, Any] | None = None  # RFC 9967 ``data`` of a create, put or patch, when kept


@dataclass
class PollState:
    """The tenant's delivery bookkeeping: rows up to ``high`` were read; ``pending`` maps each SET
    delivered (or due) and not settled to when it went out (epoch seconds; 0: not yet)."""

    high: str = ""
    pending: dict[str, float] = field(default_factory=dict)
    version: str | None = None  # the stored row's ETag; None when there is none yet


class EventStore(Protocol):
    def journal_after(self, tenant: str, after_key: str, before_key: str, limit: int) -> list[JournalEntry]:
        """Up to ``limit`` entries with ``after_key < key < before_key``, in key order."""

    def journal_entries(self, tenant: str, keys: Sequence[str]) -> list[JournalEntry]:
        """The entries with these keys (point reads); those swept already are left out."""

    def poll_state(self, tenant: str) -> PollState: ...

    def save_poll_state(self, tenant: str, state: PollState) -> None:
        """Store ``state`` if the stored one is still at ``state.version``; ``VersionConflict`` otherwise."""


@dataclass(frozen=True)
class PollRequest:
    ack: tuple[str, ...]
    errors: dict[str, Any]
    max_events: int
    return_immediately: bool


def parse_poll_request(body: Any) -> PollRequest:
    """RFC 8936 section 2.4's request; 400 invalidSyntax / invalidValue when it is not one."""
    if not isinstance(body, dict):
        raise InvalidSyntax("the body must be a JSON object (RFC 8936 section 2.4)")
    ack = body.get("ack", [])
    errors = body.get("setErrs", {})
    max_events = body.get("maxEvents", MAX_EVENTS)
    immediately = body.get("returnImmediately", True)
    if not isinstance(ack, list) or not all(isinstance(jti, str) for jti in ack):
        raise InvalidValue("ack must be an array of jti strings")
    if not isinstance(errors, dict):
        raise InvalidValue("setErrs must be an object of jti to error")
    if isinstance(max_events, bool) or not isinstance(max_events, int) or max_events < 0:
        raise InvalidValue("maxEvents must be a non-negative integer")
    if not isinstance(immediately, bool):
        raise InvalidValue("returnImmediately must be a boolean")
    return PollRequest(tuple(ack), errors, min(max_events, MAX_EVENTS), immediately)


class EventService:
    """Poll delivery of a tenant's SETs (RFC 8936) from its journal."""

    def __init__(
        self,
        store: EventStore,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        redelivery_seconds: float = DEFAULT_REDELIVERY_SECONDS,
        settle_seconds: float = DEFAULT_SETTLE_SECONDS,
    ):
        self._store = store
        self._clock = clock
        self._redelivery = redelivery_seconds
        self._settle = settle_seconds

    def poll(self, tenant: str, issuer: str, reader_credential: str, request: PollRequest) -> dict[str, Any]:
        """The poll response: ``{"sets": {jti: SET}, "moreAvailable": bool}``."""
        for _ in range(MAX_POLL_ATTEMPTS):
            try:
                return self._poll_once(tenant, issuer, reader_credential, request)
            except VersionConflict:
                continue  # another poll of the same tenant saved first: redo on its state
        raise ServiceUnavailable("events are being polled concurrently; retry", retry_after_seconds=1)

    def _poll_once(self, tenant: str, issuer: str, credential: str, request: PollRequest) -> dict[str, Any]:
        state = self._store.poll_state(tenant)
        for jti, error in request.errors.items():
            logger.warning("Event reader of %s reports an error for SET %s: %.200s", tenant, jti, json.dumps(error))
        for jti in (*request.ack, *request.errors):
            state.pending.pop(jti, None)
        now = self._clock()
        epoch = now.timestamp()
        due = sorted(jti for jti, sent in state.pending.items() if epoch - sent >= self._redelivery)
        chosen = due[: request.max_events]
        sets = self._redeliveries(tenant, issuer, state, chosen)
        size = sum(_characters(claims) for claims in sets.values())  # full events carry values
        more = len(due) > len(chosen) or any(jti in state.pending and jti not in sets for jti in chosen)
        room = request.max_events - len(sets)
        if room > 0 and len(state.pending) < MAX_PENDING and size < MAX_RESPONSE_CHARACTERS:
            fresh = self._store.journal_after(tenant, state.high, self.settled_before(now), room + 1)
            more = more or len(fresh) > room
            for entry in fresh[:room]:
                if size >= MAX_RESPONSE_CHARACTERS:
                    more = True  # the rest after ``high``: read again by the next poll
                    break
                for jti, claims in self.sets_of(tenant, entry, issuer):
                    size += _characters(claims)
                    if len(sets) < request.max_events:
                        sets[jti] = claims
                    else:
                        state.pending[jti] = 0  # due at the next poll
                        more = True
                state.high = entry.key
        for jti in sets:
            state.pending[jti] = epoch
        if request.ack or request.errors or sets:
            self._store.save_poll_state(tenant, state)
        key = signing_key(credential)
        return {"sets": {jti: sign(claims, key) for jti, claims in sets.items()}, "moreAvailable": more}

    def sets_of(self, tenant: str, entry: JournalEntry, issuer: str) -> list[tuple[str, dict[str, Any]]]:
        """The SETs (jti, claims) of one journal entry, as the tenant's events take them: what poll
        delivers and push (``scim.service.event_push``) enqueues."""
        return set_claims(entry, issuer)

    def settled_before(self, now: datetime | None = None) -> str:
        """Journal keys below this are ``settle_seconds`` old: delivered by poll and push alike, no row
        can commit behind them any more."""
        return key_time((now or self._clock()) - timedelta(seconds=self._settle))

    def _redeliveries(self, tenant: str, issuer: str, state: PollState, chosen: list[str]) -> dict[str, dict[str, Any]]:
        """The claims of the SETs ``chosen`` to deliver again, up to ``MAX_RESPONSE_CHARACTERS``
        (the rest stay pending and due); those whose row retention swept are dropped."""
        entries = {entry.key: entry for entry in self._store.journal_entries(tenant, sorted({_row(j) for j in chosen}))}
        sets: dict[str, dict[str, Any]] = {}
        size = 0
        for jti in chosen:
            if size >= MAX_RESPONSE_CHARACTERS:
                break
            entry = entries.get(_row(jti))
            claims = dict(self.sets_of(tenant, entry, issuer)).get(jti) if entry else None
            if claims is None:
                state.pending.pop(jti)  # swept by retention: nothing left to deliver
            else:
                sets[jti] = claims
                size += _characters(claims)
        return sets


def set_claims(entry: JournalEntry, issuer: str) -> list[tuple[str, dict[str, Any]]]:
    """The SETs (jti, claims) of one journal entry (RFC 8417 section 2.2, RFC 9967 notice events)."""
    issued_at = int(datetime.fromisoformat(entry.time.replace("Z", "+00:00")).timestamp())

    def claims(jti: str, resource_type: str, resource_id: str, events: dict[str, Any]) -> dict[str, Any]:
        return {
            "iss": issuer,
            "iat": issued_at,
            "jti": jti,
            "txn": entry.request_id,
            "sub_id": {"format": "scim", "uri": f"{ENDPOINTS.get(resource_type, '/' + resource_type)}/{resource_id}"},
            "events": events,
        }

    full = entry.event_form == "full"
    if entry.event == "unlinked":
        sets = []
        for number, group in enumerate(entry.removed):
            jti = f"{entry.key}:{number}"
            unlinked = _members_full((), (entry.resource_id,)) if full else _patch_notice(["members"])
            sets.append((jti, claims(jti, "Group", group, unlinked)))
        return sets
    if entry.event == "delete":
        events: dict[str, Any] = {EVENT_PREFIX + "prov:delete": {}}
    elif entry.event == "members":
        events = _members_full(entry.added, entry.removed) if full else _patch_notice(["members"])
    elif full and entry.data is not None:  # create, put, patch (RFC 9967 sections 2.4.1 to 2.4.3)
        events = {EVENT_PREFIX + f"prov:{entry.event}:full": {"data": entry.data}}
    elif entry.event in ("create", "put"):
        events = {EVENT_PREFIX + f"prov:{entry.event}:notice": {"attributes": list(entry.attributes)}}
    else:
        events = _patch_notice(list(entry.attributes))
    if entry.active is not None:
        events[EVENT_PREFIX + ("prov:activate" if entry.active else "prov:deactivate")] = {}
    return [(entry.key, claims(entry.key, entry.resource_type, entry.resource_id, events))]


def _patch_notice(attributes: list[str]) -> dict[str, Any]:
    return {EVENT_PREFIX + "prov:patch:notice": {"attributes": attributes}}


def _members_full(added: Sequence[str], removed: Sequence[str]) -> dict[str, Any]:
    """A membership change as ``prov:patch:full``: the PatchOp adding and removing those members."""
    operations: list[dict[str, Any]] = []
    if added:
        operations.append({"op": "add", "path": "members", "value": [{"value": member} for member in added]})
    operations += [{"op": "remove", "path": f'members[value eq "{member}"]'} for member in removed]
    data = {"schemas": [PATCH_OP_SCHEMA], "Operations": operations}
    return {EVENT_PREFIX + "prov:patch:full": {"data": data}}


def signing_key(reader_credential: str) -> bytes:
    """The HS256 key of a tenant's SETs, derived from its event reader credential."""
    return hmac.new(reader_credential.encode("utf-8"), SIGNING_LABEL, hashlib.sha256).digest()


def sign(claims: dict[str, Any], key: bytes) -> str:
    """A JWS compact serialization (RFC 7515) of the claims, HS256, ``typ`` secevent+jwt (RFC 8417 2.3)."""
    header = {"alg": "HS256", "typ": "secevent+jwt"}
    signing_input = (
        f"{_b64(json.dumps(header, separators=(',', ':')))}.{_b64(json.dumps(claims, separators=(',', ':')))}"
    )
    signature = hmac.new(key, signing_input.encode("ascii"), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _characters(claims: dict[str, Any]) -> int:
    return len(json.dumps(claims, separators=(",", ":")))


def _row(jti: str) -> str:
    """The journal row a jti was made from (``<time>:<random>`` of ``<time>:<random>[:<n>]``)."""
    return ":".join(jti.split(":")[:2])
