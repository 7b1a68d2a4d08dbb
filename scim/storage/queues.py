"""Azure Storage queues for pushed change events (``scim.service.event_push``): one message per SET.

- Message text: the SET (a JWS compact serialization) base64-encoded, the encoding the Azure
  Functions queue trigger expects by default (``messageEncoding: base64``); an SDK reader decodes it
  with ``TextBase64DecodePolicy`` (docs/events.md).
- Messages never expire (time to live -1): a consumer that stops for longer than the queue's default
  of 7 days still finds every SET.
- A queue that does not exist is created when a send finds it missing (no extra request otherwise).

Imported by the event push timer only (azure-storage-queue is not needed by any SCIM request).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Any

from azure.core.exceptions import AzureError, ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueServiceClient, TextBase64EncodePolicy

from scim.platform.credentials import azure_credential
from scim.service.event_push import QueueUnavailable
from scim.storage.tables import StorageTransport

NEVER_EXPIRES = -1
SDK_RETRY_SETTINGS = {"retry_total": 3}
DEVELOPMENT_STORAGE = "UseDevelopmentStorage=true"


class StorageQueueSender:
    """``QueueSender`` on one storage account's Queue service."""

    def __init__(self, service: QueueServiceClient):
        self._service = service
        self._queues: dict[str, QueueClient] = {}

    def send(self, queue: str, message: str) -> None:
        client = self._queue(queue)
        try:
            try:
                client.send_message(message, time_to_live=NEVER_EXPIRES)
            except ResourceNotFoundError:  # QueueNotFound: the first message of a new queue
                with contextlib.suppress(ResourceExistsError):  # another relay created it meanwhile
                    client.create_queue()
                client.send_message(message, time_to_live=NEVER_EXPIRES)
        except AzureError as error:
            raise QueueUnavailable(f"queue {queue}: {type(error).__name__}") from error

    def _queue(self, name: str) -> QueueClient:
        if name not in self._queues:
            self._queues[name] = self._service.get_queue_client(name, message_encode_policy=TextBase64EncodePolicy())
        return self._queues[name]


def queue_sender_from_settings(environ: Mapping[str, str] = os.environ, **client_options: Any) -> StorageQueueSender:
    """``SCIM_EVENTS_QUEUE_ENDPOINT`` (``https://<account>.queue.core.windows.net``) reached with the
    managed identity; otherwise the account of ``SCIM_STORAGE_CONNECTION_STRING`` (default: Azurite,
    whose Queue service listens on 127.0.0.1:10001)."""
    options = {**SDK_RETRY_SETTINGS, **client_options}
    options.setdefault("transport", StorageTransport())
    endpoint = environ.get("SCIM_EVENTS_QUEUE_ENDPOINT")
    if endpoint:
        return StorageQueueSender(QueueServiceClient(endpoint, credential=azure_credential(), **options))
    connection_string = environ.get("SCIM_STORAGE_CONNECTION_STRING") or DEVELOPMENT_STORAGE
    return StorageQueueSender(QueueServiceClient.from_connection_string(connection_string, **options))
