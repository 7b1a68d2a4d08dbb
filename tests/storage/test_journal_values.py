"""The values a journal row keeps for full events and the audit trail, within an entity's size."""

from __future__ import annotations

from scim.service import journal
from scim.storage.chunks import JSON_CHUNK_CHARACTERS
from scim.storage.journal import MAX_DATA_CHUNKS, with_journal_row


def journal_row(data: dict) -> dict:
    with journal.begin_request(journal.RequestFacts("r1", "token:current", event_form="full")):
        journal.note_change("patch", {}, {"title": "t"}, data=data)
        ((_, row),) = with_journal_row([], "acme", "replace", "User", "id-1")
    return row


def test_values_within_the_limit_are_kept_in_chunks():
    row = journal_row({"title": "x" * (JSON_CHUNK_CHARACTERS + 1)})

    assert row["DataChunks"] == 2 and "DataOmitted" not in row


def test_values_larger_than_a_row_holds_are_left_out_and_the_row_is_still_written():
    row = journal_row({"title": "x" * (MAX_DATA_CHUNKS * JSON_CHUNK_CHARACTERS)})

    assert row["DataOmitted"] is True and "Data0" not in row and row["Event"] == "patch"
