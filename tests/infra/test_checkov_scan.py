"""checkov's Bicep policies pass over infra/: no failed check, and every skip gives its reason inline.

checkov lives in .venv-tools (scripts/bootstrap): its pinned dependencies would clash with the app's.
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from bicep_templates import BICEP_FILES, INFRA, REPO

CHECKOV = REPO / ".venv-tools" / "bin" / "checkov"
SKIP_COMMENT = re.compile(r"//\s*checkov:skip=([A-Z0-9_]+)(:?)(.*)")


@pytest.fixture(scope="module")
def checkov_report() -> dict:
    if not CHECKOV.exists():
        pytest.fail(f"{CHECKOV.relative_to(REPO)} is missing: run scripts/bootstrap (scripts/test does)")
    completed = subprocess.run(
        # --skip-download: no policy metadata from the vendor's API (offline, and nothing leaves the machine).
        [str(CHECKOV), "--directory", str(INFRA), "--framework", "bicep", "--output", "json", "--skip-download"],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert completed.returncode in (0, 1), completed.stderr[-2000:]  # 1: some check failed
    return json.loads(completed.stdout)


def test_checkov_finds_no_failed_check_in_infra(checkov_report):
    failed = [
        f"{check['check_id']} {check['resource']} ({check['file_path']})"
        for check in checkov_report["results"]["failed_checks"]
    ]

    assert checkov_report["summary"]["parsing_errors"] == 0
    assert checkov_report["summary"]["passed"] > 0
    assert failed == []


def test_every_checkov_skip_in_the_report_carries_a_reason(checkov_report):
    reasons = {
        check["check_id"]: check["check_result"].get("suppress_comment", "")
        for check in checkov_report["results"]["skipped_checks"]
    }

    assert all(reason and reason != "No comment provided" for reason in reasons.values()), reasons


def test_every_skip_comment_in_the_templates_names_one_check_and_explains_it():
    for path in BICEP_FILES:
        for line in path.read_text().splitlines():
            if "checkov:skip" in line:
                match = SKIP_COMMENT.search(line)
                assert match, f"{path.name}: {line.strip()}"
                check, colon, reason = match.groups()
                assert colon and len(reason.split()) >= 5, f"{path.name}: {check} needs a reason after ':'"
