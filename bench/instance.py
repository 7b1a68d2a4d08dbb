"""One instance of the scale-out harness (``bench.instances``): the local host, with two test seams.

    python -m bench.instance --host 127.0.0.1 --port 7072

Without the settings below it is exactly ``python -m local_host``. With them:

- ``SCIM_FAKE_KEY_VAULT_FILE=<path>``: tenants' records come from the Key Vault token source
  (``scim.auth.keyvault``, with the usual ``SCIM_TOKEN_*_SECONDS`` cache settings) whose
  ``SecretClient`` is a fake reading a JSON file of secret name -> value. Every instance reads the
  same file, which stands in for the one Key Vault all instances of a deployment share; each
  instance caches what it read, as in Azure. No credential is built.
- ``SCIM_FAULT_HOOKS=1``: a request carrying ``X-Fault: <action>-<when>:<n>`` acts at its n-th
  storage request (retries counted): ``kill-before`` sends SIGKILL to this process before the
  request is sent (nothing written), ``kill-after`` once storage has answered (written, answer
  lost), ``pause-before`` prints ``fault: paused`` and sleeps so that the harness can kill the
  process from outside in the middle of a request. Requests without the header are untouched.
- ``SCIM_CLOCK_OFFSET_SECONDS=<seconds>``: this instance's clock runs that far ahead (negative:
  behind) wherever writes are stamped (lastModified, journal rows), as an instance whose clock
  drifted would.

For tests and benchmarks only: production runs ``function_app`` on the Functions host.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from pathlib import Path
from typing import Any

from local_host.routing import Router
from local_host.server import main

FAULT_HEADER = "X-Fault"
FAKE_KEY_VAULT_SETTING = "SCIM_FAKE_KEY_VAULT_FILE"
FAULT_HOOKS_SETTING = "SCIM_FAULT_HOOKS"
CLOCK_OFFSET_SETTING = "SCIM_CLOCK_OFFSET_SECONDS"
PAUSED_LINE = "fault: paused"
PAUSE_SECONDS = 60

_fault = threading.local()  # the plan of the request this thread serves: (action, when, n, seen)


# --- a Key Vault shared by every instance, faked at the SecretClient ---------------------------


class FileSecretClient:
    """``get_secret`` of ``azure.keyvault.secrets.SecretClient`` over a JSON file: name -> value.

    The file is read on every call, so a change made by the harness (written to a temporary file
    and renamed over it) is seen by the next read of every instance, as a Key Vault write is.
    """

    def __init__(self, path: Path):
        self.path = path

    def get_secret(self, name: str) -> Any:
        from azure.core.exceptions import ResourceNotFoundError
        from azure.keyvault.secrets import KeyVaultSecret, SecretProperties

        secrets = json.loads(self.path.read_text(encoding="utf-8"))
        if name not in secrets:
            raise ResourceNotFoundError(f"secret {name} not found")
        properties = SecretProperties(vault_id=f"https://shared-file.vault.azure.net/secrets/{name}/1")
        return KeyVaultSecret(properties, secrets[name])


def file_key_vault_token_source(environ=os.environ):
    """The Key Vault token source of ``scim.auth.keyvault`` over ``FileSecretClient``."""
    from scim.auth.keyvault import CACHE_SETTINGS, KeyVaultTokenSource, seconds_setting

    seconds = {name: seconds_setting(environ, name, default) for name, default in CACHE_SETTINGS.items()}
    return KeyVaultTokenSource(
        FileSecretClient(Path(environ[FAKE_KEY_VAULT_SETTING])),
        cache_seconds=seconds["SCIM_TOKEN_CACHE_SECONDS"],
        miss_seconds=seconds["SCIM_TOKEN_MISS_SECONDS"],
        grace_seconds=seconds["SCIM_TOKEN_GRACE_SECONDS"],
    )


# --- faults at a named storage request ---------------------------------------------------------


def parse_fault(text: str) -> tuple[str, str, int]:
    """``kill-after:2`` -> ("kill", "after", 2); ValueError for anything else."""
    step, _, number = text.strip().partition(":")
    action, _, when = step.partition("-")
    if (action, when) not in {("kill", "before"), ("kill", "after"), ("pause", "before")} or not number.isdigit():
        raise ValueError(f"not a fault: {text!r}")
    return action, when, int(number)


def _act(action: str) -> None:
    if action == "kill":
        os.kill(os.getpid(), signal.SIGKILL)  # kill -9: no cleanup, no answer, sockets reset
    print(PAUSED_LINE, flush=True)
    time.sleep(PAUSE_SECONDS)


def _fault_policy() -> Any:
    from azure.core.pipeline.policies import SansIOHTTPPolicy

    class FaultAtStorageRequest(SansIOHTTPPolicy):
        """Acts on the plan of the SCIM request this thread serves, at its n-th storage request."""

        def on_request(self, request: Any) -> None:
            plan = getattr(_fault, "plan", None)
            if plan is None:
                return
            plan["seen"] += 1
            if plan["when"] == "before" and plan["seen"] == plan["n"]:
                _act(plan["action"])

        def on_response(self, request: Any, response: Any) -> None:
            plan = getattr(_fault, "plan", None)
            if plan is not None and plan["when"] == "after" and plan["seen"] == plan["n"]:
                _act(plan["action"])

    return FaultAtStorageRequest()


def install_fault_hooks() -> None:
    """Arm a request's ``X-Fault`` plan around its dispatch; give the table client the policy."""
    from scim.storage import tables

    build_table_client = tables.table_client_from_settings
    tables.table_client_from_settings = lambda **options: build_table_client(
        **{**options, "per_retry_policies": [*options.get("per_retry_policies", []), _fault_policy()]}
    )
    dispatch = Router.dispatch

    def dispatch_with_fault(router, method, url, headers, body):
        text = next((value for name, value in headers.items() if name.lower() == FAULT_HEADER.lower()), None)
        if text is None:
            return dispatch(router, method, url, headers, body)
        action, when, number = parse_fault(text)
        _fault.plan = {"action": action, "when": when, "n": number, "seen": 0}
        try:
            return dispatch(router, method, url, headers, body)
        finally:
            _fault.plan = None

    Router.dispatch = dispatch_with_fault


# --- a clock that drifted --------------------------------------------------------------------


def install_clock_offset(seconds: float) -> None:
    """Shift ``datetime.now`` by ``seconds`` in the modules that stamp writes."""
    from datetime import datetime, timedelta

    from scim.service import resources
    from scim.storage import journal

    class DriftedDateTime(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[override]
            return datetime.now(tz) + timedelta(seconds=seconds)

    resources.datetime = DriftedDateTime  # type: ignore[misc]
    journal.datetime = DriftedDateTime  # type: ignore[misc]


def run_instance() -> None:
    """Switch on the seams the settings ask for, then serve as the local host does."""
    if os.environ.get(CLOCK_OFFSET_SETTING):
        install_clock_offset(float(os.environ[CLOCK_OFFSET_SETTING]))
    if os.environ.get(FAKE_KEY_VAULT_SETTING):
        from scim.auth import tokens

        tokens.token_source_from_settings = file_key_vault_token_source
    if os.environ.get(FAULT_HOOKS_SETTING) == "1":
        install_fault_hooks()
    main()


if __name__ == "__main__":
    run_instance()
