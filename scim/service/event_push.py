"""Change events pushed to a queue: the relay that copies each registered tenant's journal, as the
same signed SETs poll delivers (``scim.service.events``), to its queue. No Azure, no HTTP.

- A tenant is registered by the operator (``python -m scim.admin event-push``) with a queue name; the
  registration holds ``high``, the key of the last journal row relayed.
- Each run (a timer, every minute) relays, per registered tenant, up to ``MAX_ROWS_PER_TENANT``
  journal rows after ``high`` that are settled (as old as poll waits for, ``EventService.settled_before``),
  in key order, one queue message per SET, and then saves the new ``high`` at the registration's
  ETag.
- At least once: the mark is saved only after the SETs before it were enqueued, so a crash between
  the two re-sends those SETs on the next run; the application removes duplicates by ``jti``. Two
  relays running at once both send and only the first to save moves the mark (the other's save is
  refused: its SETs go again on the next run); a mark never moves back or past a row not sent.
- A tenant whose queue or storage fails keeps its mark where its last sent row left it; the other
  tenants are relayed all the same.
- A full event (a tenant with ``eventForm`` full) too large for a queue message is pushed as the
  notice event of the same change, under the same ``jti``: the application reads the resource, as
  for any notice (poll delivers it full).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Protocol

from scim.errors import ServiceUnavailable
from scim.service.events import EventService, JournalEntry, sign, signing_key
from scim.service.ports import StorageUnavailable, VersionConflict

logger = logging.getLogger(__name__)

# Journal rows relayed per tenant per run: a backlog drains at this many rows a minute per tenant;
# one journal query page (Table Storage returns at most 1,000 entities per request).
MAX_ROWS_PER_TENANT = 1000
# Azure Storage queue names: 3 to 63 lowercase letters, digits and single hyphens, starting and
# ending with a letter or digit.
QUEUE_NAME = re.compile(r"(?=.{3,63}$)[a-z0-9]+(-[a-z0-9]+)*")
# A queue message holds 64 KiB and its text is the SET in base64: a SET of at most 48 KiB.
MAX_SET_CHARACTERS = 48 * 1024


def is_queue_name(text: str) -> bool:
    return QUEUE_NAME.fullmatch(text) is not None


@dataclass(frozen=True)
class PushRegistration:
    """A tenant whose events are pushed to ``queue``; ``high`` is the last journal key relayed."""

    tenant: str
    queue: str
    tenant_url: str  # the SETs' issuer
    high: str
    version: str  # the stored registration's ETag


class QueueUnavailable(Exception):
    """The queue did not take a message (it could not be reached, or refused it)."""


class QueueSender(Protocol):
    def send(self, queue: str, message: str) -> None:
        """Enqueue ``message``, creating the queue if absent; ``QueueUnavailable`` when it cannot."""


class PushStore(Protocol):
    def registrations(self) -> list[PushRegistration]: ...

    def journal_after(self, tenant: str, after_key: str, before_key: str, limit: int) -> list[JournalEntry]:
        """Up to ``limit`` entries with ``after_key < key < before_key``, in key order."""

    def save_high(self, registration: PushRegistration, high: str) -> None:
        """Store ``high`` if the registration is still at ``registration.version``; ``VersionConflict`` otherwise."""


class EventRelay:
    """Relays registered tenants' settled journal rows to their queues as signed SETs."""

    def __init__(
        self,
        store: PushStore,
        queues: QueueSender,
        events: EventService,
        reader_credential: Callable[[str], str | None],
        *,
        max_rows_per_tenant: int = MAX_ROWS_PER_TENANT,
    ):
        self._store = store
        self._queues = queues
        self._events = events
        self._reader_credential = reader_credential
        self._max_rows = max_rows_per_tenant

    def run(self) -> dict[str, int]:
        """One run over every registered tenant; the SETs enqueued per tenant."""
        settled = self._events.settled_before()
        sent = {}
        for registration in self._store.registrations():
            sent[registration.tenant] = self._relay(registration, settled)
        if any(sent.values()):
            logger.info("Event push: %d SETs enqueued for %d tenants", sum(sent.values()), len(sent))
        return sent

    def _relay(self, registration: PushRegistration, settled: str) -> int:
        tenant = registration.tenant
        high, sent = registration.high, 0
        try:
            credential = self._reader_credential(tenant)
            if not credential:
                logger.warning("Event push: tenant %s has no event reader credential to sign with", tenant)
                return 0
            key = signing_key(credential)
            for entry in self._store.journal_after(tenant, registration.high, settled, self._max_rows):
                for jti, claims in self._events.sets_of(tenant, entry, registration.tenant_url):
                    token = sign(claims, key)
                    if len(token) > MAX_SET_CHARACTERS:  # a full event's values: its notice instead
                        notice = replace(entry, event_form="notice")
                        token = sign(dict(self._events.sets_of(tenant, notice, registration.tenant_url))[jti], key)
                    self._queues.send(registration.queue, token)
                    sent += 1
                high = entry.key
        except (QueueUnavailable, StorageUnavailable, ServiceUnavailable) as problem:
            logger.warning("Event push: tenant %s stopped after %d SETs: %r", tenant, sent, problem)
        if high != registration.high:
            try:
                self._store.save_high(registration, high)
            except VersionConflict:
                logger.info("Event push: another relay moved tenant %s's mark; its SETs go again", tenant)
            except StorageUnavailable as problem:
                logger.warning("Event push: tenant %s's mark not saved (%r); its SETs go again", tenant, problem)
        return sent
