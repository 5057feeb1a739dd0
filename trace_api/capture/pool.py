"""The signature worker pool: processes that validate, hash and recover signers in chunks.

Why processes: event hashing (~30k/s per core) and secp256k1 recovery (~18-32k/s per
core) are pure Python / GIL-holding C calls, so threads would not use the second core.
The pool is created on first use (`ctx.shared(signature_pool)`) and closed with
the context. Small documents are analysed in the calling thread: shipping them to a
process costs more than it saves and would add latency to single-event captures.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from trace_api.capture.analysis import Analysed, ChunkTask, analyse_chunk
from trace_api.context import ApiContext

log = logging.getLogger(__name__)

INLINE_MAX_EVENTS = 48
"""Up to this many events a document is analysed in the request thread (~5 ms of work)."""

CHUNKS_PER_WORKER = 1
"""Chunks per worker per document. One: each chunk carries the document's whole signature
map and costs a round trip, and concurrent documents already keep every worker busy
(measured on 1,000-event documents: 2 chunks per worker cost ~9 µs per event more CPU
and ~8% throughput)."""


class SignaturePool:
    """A lazily started process pool running `analyse_chunk`."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()

    def _started(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._executor is None:
                # forkserver: the API process runs threads (uvicorn, anyio); forking it
                # would copy locks held by other threads into the children.
                context = multiprocessing.get_context("forkserver")
                context.set_forkserver_preload(["trace_api.capture.analysis"])
                self._executor = ProcessPoolExecutor(self.workers, mp_context=context,
                                                     initializer=_worker_started)
                log.info("signature pool started: workers=%d", self.workers)
            return self._executor

    def analyse(self, task: ChunkTask) -> list[Analysed]:
        """Analyse the events of `task` (in order), in the workers when it is worth it."""
        events = task.events
        if len(events) <= INLINE_MAX_EVENTS or self.workers <= 0:
            return analyse_chunk(task)
        chunk_count = min(self.workers * CHUNKS_PER_WORKER, len(events) // INLINE_MAX_EVENTS)
        size = -(-len(events) // chunk_count)
        chunks = [_with_events(task, events[start:start + size])
                  for start in range(0, len(events), size)]
        try:
            return self._map(chunks)
        except BrokenProcessPool:
            # A worker died (killed, out of memory): start a fresh pool and try once more,
            # rather than failing every later capture.
            log.warning("signature pool broken; restarting it")
            self.close()
            return self._map(chunks)

    def _map(self, chunks: list[ChunkTask]) -> list[Analysed]:
        results: list[Analysed] = []
        for chunk_result in self._started().map(analyse_chunk, chunks):
            results.extend(chunk_result)
        return results

    def worker_pids(self) -> list[int]:
        """Process ids of the running workers (for measurements)."""
        executor = self._executor
        processes = getattr(executor, "_processes", None) or {}
        return list(processes)

    def close(self) -> None:
        """Stop the worker processes (waits for running chunks)."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)


def _worker_started() -> None:
    # Everything imported so far lives as long as the worker: keep it out of the cyclic
    # collector's full passes, which otherwise rescan it while chunks allocate.
    gc.freeze()


def _with_events(task: ChunkTask, events: Sequence[tuple[int, bytes]]) -> ChunkTask:
    return dataclasses.replace(task, events=list(events))


def signature_pool(ctx: ApiContext) -> SignaturePool:
    """A pool of `settings.signature_workers` processes (0 = one per CPU); the app's one
    is `ctx.shared(signature_pool)`, its processes started on first use."""
    return SignaturePool(ctx.settings.signature_workers or os.cpu_count() or 1)
