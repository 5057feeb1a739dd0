"""`LogStore.submit_encoded(..., within=callback)`: the caller's rows share the submit transaction."""

from __future__ import annotations

import pytest

from anchoring.core.entry import encode_entry
from anchoring.errors import StoreError
from anchoring.store import LogStore, Receipt
from anchoring.store.db import Cursor
from tests.anchoring.helpers import make_entry


def _notes_table(store: LogStore) -> str:
    table = store.db.table("test_notes")
    with store.db.transaction() as cursor:
        cursor.execute(f"CREATE TABLE {table} (leaf_index BIGINT PRIMARY KEY, note TEXT NOT NULL)")
    return table


def _notes(store: LogStore, table: str) -> list[tuple[int, str]]:
    with store.db.transaction(write=False) as cursor:
        rows = cursor.execute(f"SELECT leaf_index, note FROM {table} ORDER BY leaf_index").fetchall()
    return [(int(index), str(note)) for index, note in rows]


def test_within_writes_rows_with_the_receipts_in_the_same_commit(store: LogStore) -> None:
    table = _notes_table(store)
    store.submit([make_entry(0)])
    seen: list[list[Receipt]] = []

    def write_notes(cursor: Cursor, receipts: list[Receipt]) -> None:
        seen.append(receipts)
        cursor.executemany(
            f"INSERT INTO {table} (leaf_index, note) VALUES (?, ?)",
            [(receipt.leaf_index, f"note {receipt.leaf_index}") for receipt in receipts],
        )

    encoded = [encode_entry(make_entry(number)) for number in (1, 2)]
    receipts = store.submit_encoded(encoded, within=write_notes)
    assert seen == [receipts]
    assert [receipt.leaf_index for receipt in receipts] == [1, 2]
    assert _notes(store, table) == [(1, "note 1"), (2, "note 2")]
    assert store.pending_count() == 3


def test_a_failing_callback_leaves_neither_entries_nor_rows(store: LogStore) -> None:
    table = _notes_table(store)

    def write_then_fail(cursor: Cursor, receipts: list[Receipt]) -> None:
        cursor.execute(f"INSERT INTO {table} (leaf_index, note) VALUES (?, ?)", (0, "partial"))
        raise RuntimeError("injected failure after the first row")

    with pytest.raises(StoreError, match="injected failure") as raised:
        store.submit_encoded([encode_entry(make_entry(0))], within=write_then_fail)
    assert isinstance(raised.value.__cause__, RuntimeError)
    assert _notes(store, table) == []
    assert store.pending_count() == 0
    assert store.read_entry(0) is None
    # The sequence did not advance: the next submit still gets leaf 0.
    assert [r.leaf_index for r in store.submit([make_entry(7)])] == [0]


def test_within_runs_for_an_empty_batch_and_without_it_nothing_happens(store: LogStore) -> None:
    table = _notes_table(store)
    calls: list[list[Receipt]] = []

    def write_marker(cursor: Cursor, receipts: list[Receipt]) -> None:
        calls.append(receipts)
        cursor.execute(f"INSERT INTO {table} (leaf_index, note) VALUES (?, ?)", (-1, "empty job"))

    assert store.submit_encoded([], within=write_marker) == []
    assert calls == [[]]
    assert _notes(store, table) == [(-1, "empty job")]
    assert store.submit_encoded([]) == []
    assert store.pending_count() == 0
