"""A cold start imports no Key Vault, identity or JWT code: it is loaded only when settings need it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
LAZY_PACKAGES = (
    "azure.keyvault",
    "azure.identity",
    "jwt",
    "cryptography",
    "scim.auth.oauth",
    "scim.api.oauth_endpoint",
    # The event push timer's: no SCIM request needs the queue client.
    "azure.storage.queue",
    "scim.api.event_push",
    "scim.service.event_push",
)


def test_importing_the_function_app_loads_no_key_vault_identity_or_jwt_module():
    finished = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import function_app"],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    # importtime prints "import time: self | cumulative | module" per module, to stderr.
    imported = {line.rsplit("|", 1)[-1].strip() for line in finished.stderr.splitlines() if "|" in line}

    assert "function_app" in imported
    loaded = [name for name in imported if any(name == lazy or name.startswith(lazy + ".") for lazy in LAZY_PACKAGES)]
    assert loaded == []
