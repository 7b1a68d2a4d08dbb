"""Counting the storage requests a TableClient sends, through an azure-core pipeline policy."""

from __future__ import annotations

from azure.core.pipeline.policies import SansIOHTTPPolicy


class RequestCounter(SansIOHTTPPolicy):
    """Counts every HTTP request a TableClient sends, retries included."""

    def __init__(self) -> None:
        self.count = 0

    def on_request(self, request) -> None:
        self.count += 1
