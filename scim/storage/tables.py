"""Building the TableClient from settings, lazily, once per process."""

from __future__ import annotations

import logging
import os
from typing import Any

from azure.core.pipeline.policies import SansIOHTTPPolicy
from azure.data.tables import TableClient

from scim.auth.credentials import azure_credential
from scim.storage import request_count

# A few quick retries inside the SDK; the HTTP adapter turns what still fails into 503.
SDK_RETRY_SETTINGS = {"retry_total": 3, "retry_backoff_factor": 0.4, "retry_backoff_max": 4}

# The SDK logs every request and response at INFO: noise, and URLs that carry index keys.
logging.getLogger("azure.core.pipeline.policies.http_logging_policy").setLevel(logging.WARNING)


class StorageRequestCounter(SansIOHTTPPolicy):
    """Counts each HTTP request the client sends, retries included, into ``request_count``."""

    def on_request(self, request: Any) -> None:
        request_count.record_request()


def table_client_from_settings(**client_options: Any) -> TableClient:
    """A client for the table ``SCIM_TABLE_NAME`` (default ``scim``).

    In Azure, ``SCIM_STORAGE_TABLE_ENDPOINT`` (``https://<account>.table.core.windows.net``) is
    reached with the managed identity; otherwise ``SCIM_STORAGE_CONNECTION_STRING`` is used
    (default: Azurite). ``SCIM_COUNT_STORAGE_REQUESTS=1`` adds a per-retry policy that counts
    every request (see ``scim.storage.request_count``); without it nothing is added.
    """
    table_name = os.environ.get("SCIM_TABLE_NAME", "scim")
    options = {**SDK_RETRY_SETTINGS, **client_options}
    if request_count.enabled():
        options["per_retry_policies"] = [*options.get("per_retry_policies", []), StorageRequestCounter()]
    endpoint = os.environ.get("SCIM_STORAGE_TABLE_ENDPOINT")
    if endpoint:
        return TableClient(endpoint, table_name, credential=azure_credential(), **options)
    connection_string = os.environ.get("SCIM_STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true")
    return TableClient.from_connection_string(connection_string, table_name, **options)
