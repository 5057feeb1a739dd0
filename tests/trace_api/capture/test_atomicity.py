"""Under rollback nothing is partially stored: a failure injected after the records were
written (inside the capture transaction) leaves no leaf, record, identifier, graph row or
job behind, on SQLite and PostgreSQL. Runs the service directly on a fresh database."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anchoring.errors import StoreError
from testing.postgres import BACKENDS, database_on
from tests.trace_api.capture import harness
from tests.trace_api.capture.documents import document, shipping_event
from trace_api.capture import service
from trace_api.context import ApiContext

COUNTED = ("api_events", "api_event_epcs", "api_prov_events", "api_capture_jobs", "tl_pending")


@pytest.fixture(params=BACKENDS)
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ApiContext]:
    with database_on(request.param, tmp_path / "api.db", "capture_test") as url:
        context = harness.open_context(url, tmp_path, signature_workers=1)
        try:
            yield context
        finally:
            context.close()


def _counts(ctx: ApiContext) -> dict[str, int]:
    with ctx.log_store.db.transaction(write=False) as cursor:
        counts = {table: int(cursor.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
                  for table in COUNTED}
        counts["next_index"] = int(cursor.execute(
            "SELECT next_index FROM tl_sequence WHERE id = 1").fetchone()[0])
    return counts


def _signed_document(ctx: ApiContext, count: int, first_serial: int) -> dict[str, Any]:
    _, key, address = harness.self_custody_enterprise(ctx)
    return document([shipping_event(first_serial + n) for n in range(count)],
                    signer_key=key, submitter=address, domain=harness.domain())


def test_a_failure_after_the_rows_were_written_stores_nothing(
    ctx: ApiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    enterprise_id, _, _ = harness.self_custody_enterprise(ctx)
    first = service.capture_document(ctx, enterprise_id, _signed_document(ctx, 3, 1000))
    assert [r.leaf_index for r in first.results] == [0, 1, 2]
    before = _counts(ctx)
    assert before == {"api_events": 3, "api_event_epcs": 3, "api_prov_events": 3,
                      "api_capture_jobs": 1, "tl_pending": 3, "next_index": 3}
    real_insert_graph_rows = service.insert_graph_rows

    def insert_graph_rows_then_fail(cursor: Any, *rows: Any) -> None:
        real_insert_graph_rows(cursor, *rows)  # records, identifiers and graph rows are written
        raise RuntimeError("injected: disk gone mid-capture")

    monkeypatch.setattr(service, "insert_graph_rows", insert_graph_rows_then_fail)
    with pytest.raises(StoreError, match="injected"):
        service.capture_document(ctx, enterprise_id, _signed_document(ctx, 50, 2000))
    assert _counts(ctx) == before
    monkeypatch.setattr(service, "insert_graph_rows", real_insert_graph_rows)
    # The log continues gap-free where it was.
    retry = service.capture_document(ctx, enterprise_id, _signed_document(ctx, 50, 2000))
    assert [r.leaf_index for r in retry.results] == list(range(3, 53))
    assert _counts(ctx)["api_events"] == 53


def test_a_race_on_the_same_event_is_retried_and_reported_as_duplicate(
    ctx: ApiContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    enterprise_id, _, _ = harness.self_custody_enterprise(ctx)
    doc = _signed_document(ctx, 2, 5000)
    real_existing = service.existing_leaves
    calls: list[int] = []

    def stale_first_check(cursor: Any, enterprise: str, hash_ids: Any) -> dict[str, int]:
        calls.append(1)
        if len(calls) == 1:
            # A concurrent capture (another thread, its own connection) commits the same
            # events right after our duplicate check found none.
            other = threading.Thread(target=service.capture_document, args=(ctx, enterprise_id, doc))
            other.start()
            other.join()
            return {}
        return real_existing(cursor, enterprise, hash_ids)

    monkeypatch.setattr(service, "existing_leaves", stale_first_check)
    job = service.capture_document(ctx, enterprise_id, doc)
    assert [(r.status, r.leaf_index) for r in job.results] == [("duplicate", 0), ("duplicate", 1)]
    assert _counts(ctx)["api_events"] == 2


def test_a_killed_worker_does_not_break_later_captures(
    ctx: ApiContext, caplog: pytest.LogCaptureFixture
) -> None:
    import signal

    from trace_api.capture.pool import signature_pool

    enterprise_id, _, _ = harness.self_custody_enterprise(ctx)
    pool = ctx.shared(signature_pool)
    first = service.capture_document(ctx, enterprise_id, _signed_document(ctx, 100, 7000))
    assert first.count("accepted") == 100  # 100 events go through the worker processes
    for process in list(pool._started()._processes.values()):
        os.kill(process.pid, signal.SIGKILL)
        process.join()
    second = service.capture_document(ctx, enterprise_id, _signed_document(ctx, 100, 8000))
    assert second.count("accepted") == 100
    assert "signature pool broken; restarting it" in caplog.text


def test_proceed_with_every_event_rejected_stores_only_the_job(ctx: ApiContext) -> None:
    from trace_api.capture.jobs import read_job

    enterprise_id, _, _ = harness.self_custody_enterprise(ctx)
    doc = _signed_document(ctx, 2, 9000)
    del doc["tl:signatures"]
    job = service.capture_document(ctx, enterprise_id, doc, behaviour="proceed")
    assert [(r.index, r.status, r.pointer) for r in job.results] == [
        (0, "rejected", "/tl:signatures"), (1, "rejected", "/tl:signatures")]
    assert _counts(ctx) == {"api_events": 0, "api_event_epcs": 0, "api_prov_events": 0,
                            "api_capture_jobs": 1, "tl_pending": 0, "next_index": 0}
    assert read_job(ctx.log_store.db, job.capture_id) == job
