"""A small application consuming its tenant's change events (docs/events.md): poll, apply, acknowledge.

    python examples/consume_events.py http://127.0.0.1:7071/scim/acme/v2 <event reader credential>

It polls ``{Tenant URL}/Events`` (RFC 8936), checks each SET's HS256 signature with the key derived
from its credential, applies each event at most once (the jti of every event applied is kept in
``applied.json``), and acknowledges in the next poll only what it has applied and recorded. Killed
at any moment it loses nothing: what it had not acknowledged comes again after the redelivery
timeout, and the jti it recorded tells it what it applied already. Standard library only.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import sys
import time
import urllib.request
from pathlib import Path

APPLIED = Path("applied.json")


def signing_key(credential: str) -> bytes:
    return hmac.new(credential.encode(), b"scim-events-set-signing", hashlib.sha256).digest()


def verified_claims(token: str, key: bytes) -> dict:
    header, claims, signature = token.split(".")
    expected = hmac.new(key, f"{header}.{claims}".encode(), hashlib.sha256).digest()
    if not hmac.compare_digest(_unb64(signature), expected):
        raise ValueError("a SET whose signature does not verify: not from this endpoint, or altered")
    return json.loads(_unb64(claims))


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def poll(tenant_url: str, credential: str, ack: list[str]) -> dict:
    body = json.dumps({"ack": ack, "maxEvents": 100, "returnImmediately": True}).encode()
    request = urllib.request.Request(
        f"{tenant_url}/Events",
        data=body,
        headers={"Authorization": f"Bearer {credential}", "Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)


def apply(claims: dict) -> None:
    """Here the application changes its own data; this one prints. Notice events carry names, not
    values: read the resource (GET sub_id.uri under the Tenant URL) when its values are needed. Full
    events (a tenant with ``event-settings --form full``) carry them in ``data``: the resource after
    a create or put, a PatchOp for a patch."""
    for uri, payload in claims["events"].items():
        print(f"{claims['jti']}  {uri.rsplit(':', 2)[-2:]}  {claims['sub_id']['uri']}  {payload}")


def main(tenant_url: str, credential: str) -> None:
    key = signing_key(credential)
    applied: set[str] = set(json.loads(APPLIED.read_text())) if APPLIED.exists() else set()
    to_ack: list[str] = []
    while True:
        answer = poll(tenant_url, credential, to_ack)
        # Apply in jti order: jti sort by time, so each resource's events are applied in order even
        # when a redelivered one comes in the same response as newer ones.
        for jti, token in sorted(answer["sets"].items()):
            claims = verified_claims(token, key)
            if jti not in applied:  # a redelivery of what was applied before a crash: skip
                apply(claims)
                applied.add(jti)
        APPLIED.write_text(json.dumps(sorted(applied)))  # recorded before it is acknowledged
        to_ack = list(answer["sets"])
        if not answer["moreAvailable"]:
            time.sleep(5)


if __name__ == "__main__":
    main(sys.argv[1].rstrip("/"), sys.argv[2])
