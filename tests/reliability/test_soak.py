"""The soak (bench/soak.py), short: CI runs it for a few seconds; docs/reliability.md has a long run."""

from __future__ import annotations

import io

from bench import soak


def test_a_short_soak_has_no_error_and_leaves_a_consistent_store(azurite: str):
    output = io.StringIO()

    figures = soak.run(seconds=8, clients=4, max_requests=5000, out=output)

    assert figures["errors"] == 0, output.getvalue()
    assert figures["stored_state_problems"] == 0, output.getvalue()
    assert figures["requests"] > 100 and set(figures["operations"]) >= {"create", "lookup", "add member"}
