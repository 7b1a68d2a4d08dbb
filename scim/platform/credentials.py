"""The Azure credential of the function app's managed identity, built only when a setting needs it.

Locally nothing builds it: connection strings and settings tokens need no credential. Never build
it in tests either: its managed-identity probe leaves the machine.
"""

from __future__ import annotations

import functools
import os
from typing import Any


@functools.cache
def azure_credential() -> Any:
    """``ManagedIdentityCredential``, user-assigned when ``AZURE_CLIENT_ID`` names the identity."""
    from azure.identity import ManagedIdentityCredential

    client_id = os.environ.get("AZURE_CLIENT_ID")
    return ManagedIdentityCredential(client_id=client_id) if client_id else ManagedIdentityCredential()
