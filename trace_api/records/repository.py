"""Reading and writing trace records with plain DB-API statements.

Writes happen inside the log store's submit transaction (`insert_records(cursor, ...)`),
so a record, its leaf and its graph rows commit together; bulk rows go through
`Cursor.insert_rows` (COPY on PostgreSQL, executemany on SQLite). Reads use the same
`anchoring.store.Database` (same database as the log), one short transaction each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from anchoring.store.db import Cursor, Database, to_bytes
from trace_api.records.models import EPCS_TABLE, EVENTS_TABLE, StoredRecord

EVENT_COLUMNS = (
    "leaf_index", "event_hash_id", "enterprise_id", "submitter", "entry", "received_at_ms",
    "capture_id", "event_type", "event_time_ms", "biz_step", "disposition", "action",
    "biz_location", "read_point", "body",
)
EPC_COLUMNS = ("leaf_index", "role", "epc")

_RECORD_SELECT = (
    "SELECT e.leaf_index, e.event_hash_id, e.enterprise_id, e.submitter, e.entry, "
    f"e.received_at_ms, e.capture_id, e.event_type, e.body FROM {EVENTS_TABLE} e"
)

LOOKUP_BATCH = 900
"""Identifiers per `IN (...)`: below SQLite's historical 999-parameter limit."""


@dataclass(frozen=True)
class RecordRow:
    """One `api_events` row to insert, with its identifiers for `api_event_epcs`."""

    values: tuple[object, ...]  # in EVENT_COLUMNS order
    epcs: Sequence[tuple[str, str]]  # (role, epc)


def insert_records(cursor: Cursor, rows: Sequence[RecordRow]) -> None:
    """Insert `rows` and their identifiers with `cursor` (the caller's transaction)."""
    cursor.insert_rows(EVENTS_TABLE, EVENT_COLUMNS, [row.values for row in rows])
    cursor.insert_rows(
        EPCS_TABLE, EPC_COLUMNS,
        [(row.values[0], role, epc) for row in rows for role, epc in row.epcs],
    )


def existing_leaves(cursor: Cursor, enterprise_id: str,
                    event_hash_ids: Iterable[str]) -> dict[str, int]:
    """Leaf index of each of `event_hash_ids` this enterprise already recorded."""
    wanted = list(dict.fromkeys(event_hash_ids))
    found: dict[str, int] = {}
    for start in range(0, len(wanted), LOOKUP_BATCH):
        batch = wanted[start:start + LOOKUP_BATCH]
        placeholders = ", ".join("?" for _ in batch)
        for hash_id, leaf_index in cursor.execute(
            f"SELECT event_hash_id, leaf_index FROM {EVENTS_TABLE} WHERE enterprise_id = ? "
            f"AND event_hash_id IN ({placeholders})", (enterprise_id, *batch),
        ).fetchall():
            found[str(hash_id)] = int(leaf_index)
    return found


def records_where(database: Database, where: str, params: Sequence[object],
                  limit: int) -> list[StoredRecord]:
    """Records matching a WHERE clause over alias `e`, ascending by leaf index."""
    with database.transaction(write=False) as cursor:
        rows = cursor.execute(
            f"{_RECORD_SELECT} WHERE {where} ORDER BY e.leaf_index LIMIT ?", (*params, limit)
        ).fetchall()
    return [_stored(row) for row in rows]


def _stored(row: Sequence[object]) -> StoredRecord:
    return StoredRecord(
        leaf_index=int(row[0]),  # type: ignore[call-overload]
        event_hash_id=str(row[1]),
        enterprise_id=str(row[2]),
        submitter=str(row[3]),
        entry=to_bytes(row[4]),
        received_at_ms=int(row[5]),  # type: ignore[call-overload]
        capture_id=str(row[6]),
        event_type=str(row[7]),
        body=str(row[8]),
    )
