"""python-scim's scim2-tester, run over real HTTP against the local host: every check succeeds.

Where we answer differently from what a check expects, the check is listed in
``EXPECTED_DIFFERENCES`` with the RFC section that allows our answer.
"""

from __future__ import annotations

from collections import Counter

import pytest

httpx2 = pytest.importorskip("httpx2")
from scim2_client.engines.httpx2 import SyncSCIMClient  # noqa: E402
from scim2_tester import Status, check_server  # noqa: E402

# check title -> why our answer differs, with the RFC section that allows it
EXPECTED_DIFFERENCES: dict[str, str] = {}


def test_every_scim2_tester_check_succeeds(local_host_url, capsys):
    http = httpx2.Client(base_url=local_host_url.tenant_url(), headers=local_host_url.auth_header(), timeout=30)
    results = check_server(SyncSCIMClient(http))
    http.close()

    statuses = Counter(result.status.name for result in results)
    with capsys.disabled():
        print(f"\nscim2-tester: {statuses['SUCCESS']} SUCCESS of {len(results)} checks {dict(statuses)}")
    failures = [
        f"{result.title}: {result.status.name}: {result.reason}"
        for result in results
        if result.status != Status.SUCCESS and result.title not in EXPECTED_DIFFERENCES
    ]
    assert failures == []
    assert statuses["SUCCESS"] == len(results)  # none skipped either
