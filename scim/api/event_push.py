"""The event push timer's run (function_app.event_push, every minute): relay each registered
tenant's settled journal rows to its queue (``scim.service.event_push``, docs/events.md)."""

from __future__ import annotations


def relay_from_settings() -> dict[str, int]:
    """One relay run with the table, queue account and tenants' records of the settings; the SETs
    enqueued per registered tenant."""
    from scim.api.dependencies import event_relay_from_settings

    relay = event_relay_from_settings()
    return relay.run() if relay is not None else {}
