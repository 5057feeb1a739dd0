"""Throughput and latency of the trace log and the anchorer (issue #5).

Figures:

- `entries_integrated_per_s`: pending entries moved into tiles, bundles and a signed
  checkpoint per second, each batch committed durably (SQLite WAL, synchronous=FULL:
  COMMIT returns after fsync). Best of a few runs of `INTEGRATE_ENTRIES` entries.
- `entries_submitted_per_s`: `submit` throughput (durable queueing, batches of 1,000).
- `tile_bytes_per_entry`: stored hash tiles + entry bundles per entry (the tlog-tiles
  payload), and `db_bytes_per_entry`, the whole SQLite file after a WAL checkpoint.
- `anchor_latency_p50_s` / `p99`: from `submit` returning to the first block holding an
  anchored head that includes the entry, at `OFFERED_RATE` entries/s against anvil with
  a 1 s block time (`--block-time 1`), sequencer and anchorer running in this process.

Reported, never asserted. The machine may be shared: the report says so.
"""

from __future__ import annotations

import logging
import os
import secrets
import shutil
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from anchoring.core.entry import LogEntry, encode_entry
from anchoring.core.note import NoteSigner

TARGETS = {
    "entries_integrated_per_s": 100_000,
    "anchor_latency_p50_s": 2.0,
    "anchor_latency_p99_s": 5.0,
}
INTEGRATE_ENTRIES = 300_000
OFFERED_RATE = 5_000
LOAD_SECONDS = 30.0
TICK_S = 0.05
ORIGIN = "bench.traceledger.local/log"
POSTGRES_URL = os.environ.get(
    "TRACELEDGER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)

log = logging.getLogger(__name__)


def _encoded_entries(count: int, start: int = 0) -> list[bytes]:
    salt = secrets.token_bytes(32)
    return [
        encode_entry(
            LogEntry(
                event_hash=(start + n).to_bytes(32, "big"),
                submitter=b"\x11" * 20,
                signature=b"\x22" * 64 + b"\x1b",
                received_at_ms=start + n,
                salt=salt,
            )
        )
        for n in range(count)
    ]


def measure_integration(directory: Path, repeats: int = 2) -> dict[str, float]:
    """Integration and submit rates on SQLite, and storage per entry."""
    from anchoring.sequencer import Sequencer, SequencerConfig
    from anchoring.store import LogStore

    entries = _encoded_entries(INTEGRATE_ENTRIES)
    best_integrate = best_submit = 0.0
    figures: dict[str, float] = {}
    for run in range(repeats):
        path = directory / f"integrate-{run}.db"
        store = LogStore.open(f"sqlite:///{path}")
        started = time.perf_counter()
        for offset in range(0, len(entries), 1000):
            store.submit_encoded(entries[offset : offset + 1000])
        best_submit = max(best_submit, len(entries) / (time.perf_counter() - started))
        sequencer = Sequencer(
            store, NoteSigner.from_seed(ORIGIN, bytes(32)), SequencerConfig(origin=ORIGIN)
        )
        started = time.perf_counter()
        sequencer.integrate_all()
        best_integrate = max(best_integrate, len(entries) / (time.perf_counter() - started))
        with store.db.transaction(write=False) as cursor:
            tiles = cursor.execute(
                f"SELECT SUM(LENGTH(data)) FROM {store.db.table('tiles')}"
            ).fetchone()[0]
            bundles = cursor.execute(
                f"SELECT SUM(LENGTH(data)) FROM {store.db.table('bundles')}"
            ).fetchone()[0]
        store.db.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.db.connection().execute("VACUUM")
        figures["tile_bytes_per_entry"] = round((tiles + bundles) / len(entries), 1)
        figures["hash_tile_bytes_per_entry"] = round(tiles / len(entries), 2)
        figures["db_bytes_per_entry"] = round(path.stat().st_size / len(entries), 1)
        store.close()
    figures["entries_integrated_per_s"] = round(best_integrate)
    figures["entries_submitted_per_s"] = round(best_submit)
    return figures


def measure_integration_postgres(url: str, count: int = 100_000) -> dict[str, float]:
    """Submit and integration rates on PostgreSQL (own table prefix, dropped after)."""
    from anchoring.sequencer import Sequencer, SequencerConfig
    from anchoring.store import LogStore

    try:
        store = LogStore.open(url, table_prefix=f"bench{secrets.token_hex(4)}_")
    except Exception:  # no server here: report nothing rather than fail the bench
        log.warning("PostgreSQL not reachable at %s; skipping", url, exc_info=True)
        return {}
    try:
        entries = _encoded_entries(count)
        started = time.perf_counter()
        for offset in range(0, count, 1000):
            store.submit_encoded(entries[offset : offset + 1000])
        submitted = count / (time.perf_counter() - started)
        sequencer = Sequencer(
            store, NoteSigner.from_seed(ORIGIN, bytes(32)), SequencerConfig(origin=ORIGIN)
        )
        started = time.perf_counter()
        sequencer.integrate_all()
        integrated = count / (time.perf_counter() - started)
    finally:
        store.drop_all()
        store.close()
    return {
        "postgres_entries_integrated_per_s": round(integrated),
        "postgres_entries_submitted_per_s": round(submitted),
    }


def measure_anchor_latency(directory: Path, seconds: float = LOAD_SECONDS) -> dict[str, float]:
    """Accept-to-anchored latency at OFFERED_RATE entries/s against anvil (1 s blocks)."""
    from eth_account import Account
    from web3 import Web3

    from anchoring.anchor_contract import head_at, head_count
    from anchoring.anchorer import Anchorer, AnchorerConfig
    from anchoring.sequencer import Sequencer, SequencerConfig
    from anchoring.store import LogStore
    from testing.anvil import ANVIL_BINARY, Anvil, deploy_contracts

    if not ANVIL_BINARY.exists():
        return {}
    anvil = Anvil(state_dir=directory, block_time=1)
    anvil.start()
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        account = Account.create()
        _, anchor = deploy_contracts(w3, w3.eth.accounts[0], account.address, [])
        store = LogStore.open(f"sqlite:///{directory / 'latency.db'}")
        sequencer = Sequencer(
            store,
            NoteSigner.from_seed(ORIGIN, bytes(32)),
            SequencerConfig(origin=ORIGIN, interval_s=0.2),
        )
        anchorer = Anchorer(
            store,
            account,
            AnchorerConfig(rpc_url=anvil.url, anchor_address=anchor.address, poll_interval_s=0.05),
        )
        anchored: list[tuple[float, int]] = []  # (time first seen on chain, tree size)
        stop = threading.Event()

        def monitor() -> None:
            seen = 0
            while not stop.is_set():
                try:
                    count = head_count(anchor)
                    if count > seen:
                        anchored.append((time.monotonic(), head_at(anchor, count - 1).tree_size))
                        seen = count
                except Exception:  # the node is busy or restarting: look again
                    log.debug("head poll failed", exc_info=True)
                stop.wait(0.02)

        watcher = threading.Thread(target=monitor, daemon=True)
        sequencer.start()
        anchorer.start()
        watcher.start()
        accepted: list[tuple[float, int, int]] = []  # (accept time, first index, count)
        per_tick = int(OFFERED_RATE * TICK_S)
        entries = _encoded_entries(int(OFFERED_RATE * seconds) + per_tick)
        started = time.monotonic()
        tick = 0
        while time.monotonic() - started < seconds:
            batch = entries[tick * per_tick : (tick + 1) * per_tick]
            receipts = store.submit_encoded(batch)
            accepted.append((time.monotonic(), receipts[0].leaf_index, len(receipts)))
            sequencer.notify()
            tick += 1
            delay = started + tick * TICK_S - time.monotonic()
            if delay > 0:
                time.sleep(delay)
        offered_s = time.monotonic() - started
        total = accepted[-1][1] + accepted[-1][2]
        deadline = time.monotonic() + 30
        while (not anchored or anchored[-1][1] < total) and time.monotonic() < deadline:
            time.sleep(0.1)
        stop.set()
        anchorer.stop()
        sequencer.stop()
        watcher.join(5)
        latencies: list[float] = []
        for accept_time, first, count in accepted:
            done = next((seen for seen, size in anchored if size >= first + count), None)
            if done is not None:
                latencies.extend([done - accept_time] * count)
        latencies.sort()
        store.close()
        return {
            "offered_entries_per_s": round(total / offered_s),
            "anchored_fraction": round(len(latencies) / total, 4),
            "anchor_latency_p50_s": round(statistics.median(latencies), 2),
            "anchor_latency_p99_s": round(latencies[int(0.99 * (len(latencies) - 1))], 2),
            "anchored_heads": len(anchored),
        }
    finally:
        anvil.stop()


def run_log_bench(
    *, latency_seconds: float = LOAD_SECONDS, postgres_url: str = POSTGRES_URL
) -> dict[str, Any]:
    """Run every measurement; return {"figures": ..., "targets": ..., "load": ...}."""
    directory = Path(tempfile.mkdtemp(prefix="traceledger-log-bench-"))
    try:
        figures = measure_integration(directory)
        figures.update(measure_integration_postgres(postgres_url))
        figures.update(measure_anchor_latency(directory, latency_seconds))
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    return {
        "figures": figures,
        "targets": TARGETS,
        "load_average": os.getloadavg(),
        "note": "machine shared with other engineers' test runs while measuring",
    }
