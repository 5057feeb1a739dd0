"""Measure `capture_document` directly: signed 1,000-event documents to durable storage.

    .venv/bin/python -m tests.trace_api.capture.measure_service [--db URL] [--documents N]
        [--threads T]

Prints events/s end to end (read, validate, hash, recover, dedupe, one commit per
document). Not a test: numbers live in reports, never in assertions.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import tempfile
import threading
import time
from pathlib import Path

import msgspec

from tests.trace_api.capture.documents import document, random_serials, shipping_event
from tests.trace_api.capture.harness import domain, open_context, self_custody_enterprise
from trace_api.capture.pool import SignaturePool, signature_pool
from trace_api.capture.service import capture_document

EVENTS_PER_DOCUMENT = 1000


def _workers_cpu_s(pool: SignaturePool) -> float:
    """CPU seconds (user + system) used so far by the pool's worker processes (Linux)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pool.worker_pids():
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])  # utime, stime (stat fields 14, 15)
    return total / ticks


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default=None, help="database URL (default: SQLite in a temp dir)")
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--profile", action="store_true",
                        help="profile the request threads' own work (cProfile, one thread)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        url = args.db or f"sqlite:///{work / 'api.db'}"
        ctx = open_context(url, work, signature_workers=args.workers)
        enterprise_id, key, address = self_custody_enterprise(ctx)
        serials = random_serials(EVENTS_PER_DOCUMENT * (args.documents + 1), seed=7)
        started = time.perf_counter()
        bodies = [
            msgspec.json.encode(document(
                [shipping_event(serial) for serial in
                 serials[n * EVENTS_PER_DOCUMENT:(n + 1) * EVENTS_PER_DOCUMENT]],
                signer_key=key, submitter=address, domain=domain()))
            for n in range(args.documents + 1)
        ]
        print(f"prepared {len(bodies)} signed documents in {time.perf_counter() - started:.1f} s "
              f"({len(bodies[0]) // 1024} KiB each)")
        warm = capture_document(ctx, enterprise_id, bodies[0])  # starts the pool
        assert warm.count("accepted") == EVENTS_PER_DOCUMENT
        gc.collect()
        gc.freeze()  # as `traceledger api serve` does once the app is built
        queue = list(bodies[1:])
        lock = threading.Lock()

        def worker() -> None:
            while True:
                with lock:
                    if not queue:
                        return
                    body = queue.pop()
                job = capture_document(ctx, enterprise_id, body)
                assert job.count("accepted") == EVENTS_PER_DOCUMENT

        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            for body in queue:
                capture_document(ctx, enterprise_id, body)
            profiler.disable()
            pstats.Stats(profiler).sort_stats("tottime").print_stats(35)
            ctx.close()
            return
        pool = ctx.shared(signature_pool)
        main_cpu, worker_cpu = time.process_time(), _workers_cpu_s(pool)
        started = time.perf_counter()
        threads = [threading.Thread(target=worker) for _ in range(args.threads)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
        events = args.documents * EVENTS_PER_DOCUMENT
        main_cpu = time.process_time() - main_cpu
        worker_cpu = _workers_cpu_s(pool) - worker_cpu
        print(f"{url.split(':')[0]}: {events} events in {elapsed:.2f} s = "
              f"{events / elapsed:,.0f} events/s (threads={args.threads}, "
              f"workers={pool.workers})")
        # CPU per event is what a busy shared machine cannot distort much: on N idle cores
        # the ceiling is N / (request-side + worker-side CPU per event).
        per_event_us = (main_cpu + worker_cpu) / events * 1e6
        print(f"CPU per event: request side {main_cpu / events * 1e6:.0f} us, workers "
              f"{worker_cpu / events * 1e6:.0f} us; ceiling on 2 idle cores "
              f"{2e6 / per_event_us:,.0f} events/s")
        ctx.close()


if __name__ == "__main__":
    main()
