"""Building the TableClient from settings, lazily, once per process."""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.core.rest import HttpRequest, HttpResponse
from azure.data.tables import TableClient

if TYPE_CHECKING:
    # azure-core hands out RequestsTransport through a module __getattr__, which type checkers
    # see as Any; the class itself lives (typed) in this private module.
    from azure.core.pipeline.transport._requests_basic import RequestsTransport
else:
    from azure.core.pipeline.transport import RequestsTransport

from scim.platform import request_count
from scim.platform.credentials import azure_credential

# A few quick retries inside the SDK; the HTTP adapter turns what still fails into 503. The SDK
# retries reads, single-entity writes and, on 500/503/504, transactions; it waits 0 s, 0.8 s, 1.6 s
# (or a throttling response's Retry-After, capped below) between attempts.
SDK_RETRY_SETTINGS = {"retry_total": 3, "retry_backoff_factor": 0.4, "retry_backoff_max": 4}
# Each attempt's time to connect and to read the response (the SDK's defaults are 300 s each).
CONNECTION_TIMEOUT_SECONDS = 5
READ_TIMEOUT_SECONDS = 20
# The longest pause before a retry, whatever Retry-After the storage service asks for.
MAX_RETRY_PAUSE_SECONDS = 4

# The SDK logs every request and response at INFO: noise, and URLs that carry index keys.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


class StorageRequestCounter(SansIOHTTPPolicy[HttpRequest, HttpResponse]):
    """Counts each HTTP request the client sends, retries included, into ``request_count``."""

    def on_request(self, request: PipelineRequest[HttpRequest]) -> None:
        request_count.record_request()


class StorageTransport(RequestsTransport):
    """The SDK's HTTP transport with timeouts, and with its pauses between retries capped.

    azure-core sleeps for a response's Retry-After however large it is; a request that waited
    minutes would outlive the caller (Entra gives up, the front end times out) instead of being
    answered 503 with Retry-After.
    """

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("connection_timeout", CONNECTION_TIMEOUT_SECONDS)
        kwargs.setdefault("read_timeout", READ_TIMEOUT_SECONDS)
        super().__init__(**kwargs)

    def sleep(self, duration: float) -> None:
        super().sleep(min(duration, MAX_RETRY_PAUSE_SECONDS))


def table_client_from_settings(**client_options: Any) -> TableClient:
    """A client for the table ``SCIM_TABLE_NAME`` (default ``scim``).

    In Azure, ``SCIM_STORAGE_TABLE_ENDPOINT`` (``https://<account>.table.core.windows.net``) is
    reached with the managed identity; otherwise ``SCIM_STORAGE_CONNECTION_STRING`` is used
    (default: Azurite). ``SCIM_COUNT_STORAGE_REQUESTS=1`` adds a per-retry policy that counts
    every request (see ``scim.platform.request_count``); without it nothing is added.
    """
    table_name = os.environ.get("SCIM_TABLE_NAME", "scim")
    options = {**SDK_RETRY_SETTINGS, **client_options}
    options.setdefault("transport", StorageTransport())
    if request_count.enabled():
        options["per_retry_policies"] = [*options.get("per_retry_policies", []), StorageRequestCounter()]
    endpoint = os.environ.get("SCIM_STORAGE_TABLE_ENDPOINT")
    if endpoint:
        return TableClient(endpoint, table_name, credential=azure_credential(), **options)
    connection_string = os.environ.get("SCIM_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    return TableClient.from_connection_string(connection_string, table_name, **options)
