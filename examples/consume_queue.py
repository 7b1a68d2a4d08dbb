"""A small application consuming its tenant's change events from the queue they are pushed to
(docs/events.md, "Push"): receive, verify, apply once, delete.

    pip install azure-storage-queue
    python examples/consume_queue.py "<storage connection string>" <queue> <event reader credential>

(``UseDevelopmentStorage=true`` for Azurite.) Each message is a SET, base64-encoded as the Azure
Functions queue trigger expects. The signature is checked as ``consume_events.py`` checks it; each
event is applied at most once (the jti of every event applied is kept in ``applied.json``) and its
message deleted only after that is recorded. Killed at any moment it loses nothing: a message
received and not deleted comes back after its visibility timeout, and a SET the relay sent twice
has a jti already recorded. A queue does not keep order: each batch is applied in jti order (jti
start with the change's time); across batches, compare a resource's last applied jti if order matters.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any

from consume_events import APPLIED, apply, signing_key, verified_claims

VISIBILITY_TIMEOUT_SECONDS = 60


def consume_batch(queue: Any, key: bytes, applied: set[str]) -> int:
    """Receive up to 32 messages, apply the new events in jti order, delete every message; how many came."""
    messages = list(queue.receive_messages(max_messages=32, visibility_timeout=VISIBILITY_TIMEOUT_SECONDS))
    events = sorted(((verified_claims(message.content, key), message) for message in messages), key=_jti)
    for claims, _message in events:
        if claims["jti"] not in applied:  # a SET sent again after a relay's crash: skip
            apply(claims)
            applied.add(claims["jti"])
    APPLIED.write_text(json.dumps(sorted(applied)))  # recorded before the messages go
    for _claims, message in events:
        queue.delete_message(message)
    return len(messages)


def _jti(event: tuple[dict, Any]) -> str:
    return str(event[0]["jti"])


def main(connection_string: str, queue_name: str, credential: str) -> None:
    from azure.storage.queue import QueueClient, TextBase64DecodePolicy

    queue = QueueClient.from_connection_string(
        connection_string, queue_name, message_decode_policy=TextBase64DecodePolicy()
    )
    key = signing_key(credential)
    applied: set[str] = set(json.loads(APPLIED.read_text())) if APPLIED.exists() else set()
    while True:
        if consume_batch(queue, key, applied) == 0:
            time.sleep(5)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
