"""`traceledger bench export`: evidence export of 1,000,000 rows (time and memory).

The records are helper "provenance"'s generated supply network (`bench.trace_bench`:
farms, processors, distributors, retailers; aggregation and transformation), loaded into
`api_events` through its `also_write` hook, with anchored heads in the mirror tables
(one head per 1,000 leaves, as a busy anchorer makes them). Loading stops once the
records give `rows` export rows (one row per lot or object an event names). Then the
FSMA 204 export is streamed exactly as `/v1/audit/export` streams it, CSV and XLSX,
and we measure wall time, this process's CPU time, rows/s, output bytes and the peak
resident memory above the baseline before the export (sampled every 20 ms from
/proc/self/statm): the export is streamed, so that figure must stay flat whatever the
row count.

Entries are fixed 158-byte placeholders and `api_event_epcs` is not filled: the export
reads neither (it filters by enterprise and event time, and re-verification is the
findings' job), and loading them would only lengthen the set-up.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Self

import typer

from testing.postgres import fresh_database

if TYPE_CHECKING:  # keep `traceledger bench` start-up light
    from anchoring.store.db import Cursor
    from trace_api.records.models import CapturedEvent

DEFAULT_ROWS = 1_000_000
LEAVES_PER_HEAD = 1_000
PLACEHOLDER_ENTRY = bytes([1]) + bytes(157)
_PAGE_BYTES = os.sysconf("SC_PAGE_SIZE")


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * _PAGE_BYTES


class PeakMemory:
    """Peak resident set size while the block runs, sampled on a thread."""

    def __init__(self, interval_s: float = 0.02) -> None:
        self.interval_s = interval_s
        self.baseline = 0
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            time.sleep(self.interval_s)

    def __enter__(self) -> Self:
        self.baseline = self.peak = _rss_bytes()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss_bytes())


def _rows_of(event: dict[str, Any]) -> int:
    from trace_api.audit.epcis_view import EventView

    return max(1, len(EventView(event).objects))


def _until_rows(events: Iterator[CapturedEvent], rows: int, counter: dict[str, int]) -> Iterator[CapturedEvent]:
    for event in events:
        if counter["rows"] >= rows:
            return
        counter["rows"] += _rows_of(event.event)
        counter["events"] += 1
        yield event


def _write_records(cursor: Cursor, batch: Sequence[CapturedEvent]) -> None:
    from trace_api.records.columns import record_columns
    from trace_api.records.models import EVENTS_TABLE
    from trace_api.records.repository import EVENT_COLUMNS

    cursor.insert_rows(EVENTS_TABLE, EVENT_COLUMNS, [
        (event.leaf_index, event.event_hash_id, event.enterprise_id, event.submitter,
         PLACEHOLDER_ENTRY, event.received_at_ms, "bench", *record_columns(event.event),
         json.dumps(event.event))
        for event in batch])


def _anchor_heads(url: str, leaves: int) -> None:
    """Mirror tables plus one anchored head per LEAVES_PER_HEAD leaves (roots are dummies:
    the export copies them, it does not check them)."""
    from sqlalchemy import insert

    from indexer.sink.db import create_mirror_engine, migrate
    from indexer.sink.models import ChainBlock, ChainTreeHead

    engine = create_mirror_engine(url)
    migrate(engine)
    sizes = list(range(LEAVES_PER_HEAD, leaves, LEAVES_PER_HEAD)) + [leaves]
    with engine.begin() as connection:
        connection.execute(insert(ChainBlock), [
            {"number": n, "hash": f"0x{n:064x}", "parent_hash": f"0x{n - 1:064x}",
             "timestamp": 1_767_225_600 + n, "miner": "0x" + "00" * 20, "final": True}
            for n in range(1, len(sizes) + 1)])
        connection.execute(insert(ChainTreeHead), [
            {"block_hash": f"0x{n:064x}", "log_index": 0, "block_number": n,
             "transaction_hash": f"0x{n + 0xA000:064x}", "final": True, "head_index": n - 1,
             "tree_size": size, "root_hash": "0x" + "ab" * 32, "anchorer": "0x" + "0a" * 20}
            for n, size in enumerate(sizes, start=1)])
    engine.dispose()


def _measure(export: Callable[[], Iterator[bytes]]) -> dict[str, Any]:
    started = time.perf_counter()
    cpu_started = time.process_time()
    size = 0
    with PeakMemory() as memory:
        for chunk in export():
            size += len(chunk)
    # CPU seconds of this process (database server time excluded): on a shared machine
    # the wall time mostly measures the neighbours.
    return {"seconds": round(time.perf_counter() - started, 1),
            "cpu_seconds": round(time.process_time() - cpu_started, 1), "bytes": size,
            "peak_rss_above_baseline_mib": round((memory.peak - memory.baseline) / 2**20, 1),
            "baseline_rss_mib": round(memory.baseline / 2**20, 1)}


def run_export_bench_on(url: str, rows: int) -> dict[str, Any]:
    """Load a network giving `rows` export rows at `url`, then export it as CSV and XLSX."""
    import trace_api.provenance.models
    import trace_api.records.models  # noqa: F401
    from bench.trace_bench import generate_network, load_network
    from trace_api.audit.export.kde import COLUMNS, NUMERIC_COLUMNS
    from trace_api.audit.export.rows import export_rows
    from trace_api.audit.export.tabular import stream_csv, stream_xlsx
    from trace_api.audit.sources import EventFilter
    from trace_api.db import create_db_engine

    counter = {"rows": 0, "events": 0}
    times = load_network(url, _until_rows(generate_network(events=10 * rows), rows, counter),
                         also_write=_write_records)
    _anchor_heads(url, counter["events"])
    engine = create_db_engine(url)
    try:
        figures: dict[str, Any] = {"events": counter["events"], "rows": counter["rows"],
                                   "load_s": round(times.generate_s + times.load_s, 1)}
        for fmt, writer in (("csv", lambda r: stream_csv(COLUMNS, r)),
                            ("xlsx", lambda r: stream_xlsx(COLUMNS, r, numeric=NUMERIC_COLUMNS))):
            measured = _measure(lambda w=writer: w(export_rows(engine, engine, EventFilter())))
            measured["rows_per_s"] = round(counter["rows"] / max(measured["seconds"], 1e-9))
            figures[fmt] = measured
    finally:
        engine.dispose()
    return figures


def run_export_bench(*, rows: int = DEFAULT_ROWS, backends: Sequence[str] = ("sqlite", "postgresql"),
                     pg_server: str = "postgresql://postgres@127.0.0.1:5432") -> dict[str, Any]:
    """Figures per backend (no assertions: numbers live in bench/README.md)."""
    result: dict[str, Any] = {"rows": rows, "backends": {}}
    for backend in backends:
        if backend == "sqlite":
            with tempfile.TemporaryDirectory(prefix="export-bench-") as directory:
                result["backends"]["sqlite"] = run_export_bench_on(
                    f"sqlite:///{Path(directory) / 'bench.db'}", rows)
            continue
        with fresh_database("export_bench", pg_server) as url:
            result["backends"]["postgresql"] = run_export_bench_on(url, rows)
    return result


def export_command(
    rows: Annotated[int, typer.Option(help="Export rows to produce (one per lot an event names).")] = DEFAULT_ROWS,
    backends: Annotated[str, typer.Option(help="Comma-separated: sqlite,postgresql.")] = "sqlite,postgresql",
    pg_server: Annotated[str, typer.Option(help="PostgreSQL server (a fresh database is made and dropped).")]
    = "postgresql://postgres@127.0.0.1:5432",
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Evidence export (FSMA 204 CSV and XLSX) of ROWS rows: time, rows/s and peak memory."""
    from bench.machine import describe_machine
    from bench.report import append_section

    result = run_export_bench(rows=rows, backends=[b.strip() for b in backends.split(",") if b.strip()],
                              pg_server=pg_server)
    result["machine"] = describe_machine()
    typer.echo(json.dumps(result, indent=2))
    if not record:
        return
    table: list[tuple[str, str, str]] = []
    for backend, figures in result["backends"].items():
        for fmt in ("csv", "xlsx"):
            cell = figures[fmt]
            table.append((f"export {figures['rows']:,} rows as {fmt.upper()} ({backend}): wall s / CPU s / rows/s",
                          f"{cell['seconds']} / {cell['cpu_seconds']} / {cell['rows_per_s']:,}", "streamed"))
            table.append((f"peak RSS above baseline during {fmt.upper()} export ({backend}), MiB",
                          f"{cell['peak_rss_above_baseline_mib']}", "flat in row count"))
    append_section("evidence export", result["machine"], table, f"traceledger bench export --rows {rows}")


if __name__ == "__main__":  # pragma: no cover
    print(json.dumps(run_export_bench(rows=int(os.environ.get("ROWS", "20000"))), indent=2))
