"""The per-request tally of storage requests (``scim.platform.request_count``)."""

from __future__ import annotations

from scim.platform import request_count


def test_a_request_counts_in_every_block_it_is_sent_in():
    with request_count.counting() as outer:
        request_count.record_request()
        with request_count.counting() as inner:
            request_count.record_request()
            request_count.record_request()
        request_count.record_request()

    assert (outer(), inner()) == (4, 2)


def test_a_request_outside_every_block_is_counted_nowhere():
    request_count.record_request()

    with request_count.counting() as count:
        pass

    assert count() == 0
