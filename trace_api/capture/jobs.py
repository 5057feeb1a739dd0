"""Storing and reading capture jobs (`api_capture_jobs`)."""

from __future__ import annotations

from typing import Any

import msgspec

from anchoring.store.db import Cursor, Database
from trace_api.capture.models import JOBS_TABLE
from trace_api.capture.results import CaptureJob, EventResult

_COLUMNS = ("capture_id", "enterprise_id", "behaviour", "created_at_ms", "event_count", "results")


def insert_job(cursor: Cursor, job: CaptureJob) -> None:
    """Insert `job` with `cursor` (inside the capture transaction)."""
    results = msgspec.json.encode([
        [r.index, r.event_hash_id, r.status, r.leaf_index, r.reason, r.pointer, r.problem]
        for r in job.results
    ]).decode("utf-8")
    cursor.execute(
        f"INSERT INTO {JOBS_TABLE} ({', '.join(_COLUMNS)}) VALUES (?, ?, ?, ?, ?, ?)",
        (job.capture_id, job.enterprise_id, job.behaviour, job.created_at_ms,
         len(job.results), results),
    )


def read_job(database: Database, capture_id: str) -> CaptureJob | None:
    """The stored job `capture_id`, or None."""
    with database.transaction(write=False) as cursor:
        row = cursor.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM {JOBS_TABLE} WHERE capture_id = ?", (capture_id,)
        ).fetchone()
    if row is None:
        return None
    # Jobs stored before `problem` existed have six values; EventResult defaults the seventh.
    results: list[list[Any]] = msgspec.json.decode(row[5])
    return CaptureJob(
        capture_id=str(row[0]), enterprise_id=str(row[1]), behaviour=row[2],
        created_at_ms=int(row[3]),
        results=tuple(EventResult(*values) for values in results),
    )
