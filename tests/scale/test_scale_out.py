"""The soak through several instances (bench/scale_out.py), short: docs/scale.md has the longer runs."""

from __future__ import annotations

from bench import scale_out


def test_a_short_soak_through_two_instances_has_no_error_and_leaves_a_consistent_store(azurite: str):
    figures = scale_out.run(2, seconds=6, clients=4, order="random")

    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["stored_state_problems"] == 0
    assert figures["requests"] > 50
    create = figures["operations"]["create"]
    assert create["storage_requests"] == {1: create["requests"]}  # one transaction each, whichever instance


def test_a_soak_through_four_instances_killed_in_turn_loses_and_duplicates_nothing(azurite: str):
    figures = scale_out.run(4, seconds=8, clients=4, order="round-robin", kill_every=2)

    assert figures["kills"] >= 2 and figures["retry_answers"].get("dropped", 0) > 0
    assert figures["errors"] == 0, figures["error_samples"]
    assert figures["stored_state_problems"] == 0  # every user and membership the clients know, once
