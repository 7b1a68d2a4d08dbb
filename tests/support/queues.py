"""Azurite's Queue service for the event push tests: the production sender on it, its requests
counted, and a consumer reading what was pushed."""

from __future__ import annotations

import socket

import pytest
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.queue import QueueServiceClient, TextBase64DecodePolicy

from scim.storage.queues import StorageQueueSender
from scim.storage.tables import StorageTransport

AZURITE_QUEUE_ADDRESS = ("127.0.0.1", 10001)
CONNECTION_STRING = "UseDevelopmentStorage=true"


class CountedRequests(StorageTransport):
    """The production transport, counting the requests it sends (retries included) with their methods.

    A transport, not a policy: the service client's policies do not reach the queue clients it
    hands out, its transport does."""

    def __init__(self) -> None:
        super().__init__()
        self.methods: list[str] = []

    @property
    def count(self) -> int:
        return len(self.methods)

    def send(self, request, **kwargs):
        self.methods.append(request.method)
        return super().send(request, **kwargs)


def require_azurite_queue() -> None:
    try:
        socket.create_connection(AZURITE_QUEUE_ADDRESS, timeout=2).close()
    except OSError:
        pytest.fail("Azurite's Queue service is not listening on 127.0.0.1:10001: run the tests with scripts/test")


def queue_sender(counter: CountedRequests | None = None) -> StorageQueueSender:
    """The production sender on Azurite's Queue service (``counter`` counts its requests)."""
    options = {"transport": counter} if counter is not None else {}
    return StorageQueueSender(QueueServiceClient.from_connection_string(CONNECTION_STRING, **options))


def consumed(queue: str) -> list[str]:
    """Every message in ``queue``, received, decoded as a Functions queue trigger decodes it
    (base64) and deleted, in the order the queue hands them out; [] when the queue does not exist."""
    client = QueueServiceClient.from_connection_string(CONNECTION_STRING).get_queue_client(
        queue, message_decode_policy=TextBase64DecodePolicy()
    )
    messages = []
    try:
        for message in client.receive_messages(messages_per_page=32, visibility_timeout=60):
            messages.append(message.content)
            client.delete_message(message)
    except ResourceNotFoundError:  # no such queue
        return []
    return messages
