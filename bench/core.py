"""Throughput of `anchoring.core`: the four figures issue #2 sets targets for.

Each measurement runs single-threaded on one core, repeats a few times and keeps the
best run (the least disturbed by the rest of the machine). Figures are reported, never
asserted: speed targets live here and in bench/README.md, not in unit tests.
"""

from __future__ import annotations

import json
import os
import random
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from hashlib import sha256
from pathlib import Path
from typing import Any

from anchoring.core import (
    CompactRange,
    CoreError,
    DocumentEvent,
    RecordDomain,
    TraceRecord,
    document_events,
    event_hash_id,
    node_hash,
    recover_record_signer,
    sign_record,
    verify_inclusion,
)
from anchoring.core.merkle import inclusion_proof_ranges, proof_from_ranges

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"

TARGETS = {
    "leaf_appends_per_s": 300_000,
    "inclusion_verifications_per_s": 50_000,
    "event_hashes_per_s": 20_000,
    "eip712_recoveries_per_s": 20_000,
    "eip712_recoveries_per_s_all_cores": 20_000,
}

TREE_SIZE = 1_000_000


def _best_rate(operation: Callable[[], int], repeats: int = 3) -> float:
    """Run operation (which returns how many items it processed) and return the best items/s."""
    best = 0.0
    for _ in range(repeats):
        started = time.perf_counter()
        count = operation()
        elapsed = time.perf_counter() - started
        best = max(best, count / elapsed)
    return best


def _leaf_hashes(count: int) -> list[bytes]:
    return [sha256(index.to_bytes(8, "big")).digest() for index in range(count)]


def measure_appends(leaf_hashes: Sequence[bytes]) -> float:
    """Leaf hashes appended per second through the compact range (batches of 10,000)."""
    batch = 10_000

    def append_all() -> int:
        frontier = CompactRange()
        for start in range(0, len(leaf_hashes), batch):
            frontier.extend(leaf_hashes[start : start + batch])
            frontier.root()  # the sequencer needs the root after every batch
        return len(leaf_hashes)

    return _best_rate(append_all)


class _PerfectLevels:
    """All perfect-subtree hashes of a tree, so proofs for a million leaves come cheap."""

    def __init__(self, leaf_hashes: Sequence[bytes]) -> None:
        self.levels = [list(leaf_hashes)]
        while len(self.levels[-1]) > 1:
            below = self.levels[-1]
            self.levels.append(
                [node_hash(below[i], below[i + 1]) for i in range(0, len(below) - 1, 2)]
            )

    def subtree_hash(self, start: int, end: int) -> bytes:
        """MTH of leaves [start, end), RFC 9162 §2.1.1, from stored perfect subtrees."""
        size = end - start
        if size & (size - 1) == 0 and start % size == 0:
            return self.levels[size.bit_length() - 1][start // size]
        split = 1 << ((size - 1).bit_length() - 1)
        return node_hash(
            self.subtree_hash(start, start + split), self.subtree_hash(start + split, end)
        )


def measure_inclusion(leaf_hashes: Sequence[bytes], samples: int = 20_000) -> float:
    """Inclusion proofs verified per second on a tree of len(leaf_hashes) leaves."""
    tree_size = len(leaf_hashes)
    levels = _PerfectLevels(leaf_hashes)
    root = levels.subtree_hash(0, tree_size)
    rng = random.Random(2)
    cases = []
    for leaf_index in (rng.randrange(tree_size) for _ in range(samples)):
        ranges = inclusion_proof_ranges(leaf_index, tree_size)
        cases.append(
            (leaf_hashes[leaf_index], leaf_index, proof_from_ranges(ranges, levels.subtree_hash))
        )

    def verify_all() -> int:
        for leaf_hash, leaf_index, proof in cases:
            verify_inclusion(leaf_hash, leaf_index, tree_size, proof, root)
        return len(cases)

    return _best_rate(verify_all)


def gs1_example_events() -> list[DocumentEvent]:
    """The GS1 EPCIS 2.0 example events from ../shared/data that hash without error."""
    files = sorted((SHARED_DATA / "epcis" / "JSON").rglob("*.jsonld"))
    files += sorted((SHARED_DATA / "cbv-event-hash").glob("*.jsonld"))
    if not files:
        raise FileNotFoundError(f"no EPCIS example documents under {SHARED_DATA}")
    events = []
    for path in files:
        for item in document_events(json.loads(path.read_text(encoding="utf-8"))):
            try:
                item.hash_id()
            except CoreError:
                continue
            events.append(item)
    return events


def measure_event_hashes(events: Sequence[DocumentEvent]) -> float:
    """CBV 2.0 Event Hash IDs computed per second over the example events."""
    rounds = max(1, 20_000 // len(events))

    def hash_all() -> int:
        for _ in range(rounds):
            for event in events:
                event_hash_id(event.event, context=event.context, ignore_fields=event.ignore_fields)
        return rounds * len(events)

    return _best_rate(hash_all)


_BENCH_DOMAIN = RecordDomain(chain_id=7_357, verifying_contract="0x" + "7a" * 20)


def _signed_records(samples: int, seed: int) -> list[tuple[TraceRecord, bytes]]:
    rng = random.Random(seed)
    signed = []
    for _ in range(samples):
        private_key = rng.randbytes(31).rjust(32, b"\x01")
        record = TraceRecord(event_hash=rng.randbytes(32), submitter="0x" + rng.randbytes(20).hex())
        signed.append((record, sign_record(record, _BENCH_DOMAIN, private_key)))
    return signed


def _recover_all(signed: Sequence[tuple[TraceRecord, bytes]]) -> int:
    for record, signature in signed:
        recover_record_signer(record, _BENCH_DOMAIN, signature)
    return len(signed)


def measure_recoveries(samples: int = 5_000) -> float:
    """EIP-712 record signers recovered per second on one core."""
    signed = _signed_records(samples, seed=3)
    return _best_rate(lambda: _recover_all(signed))


def measure_recoveries_all_cores(samples_per_core: int = 5_000) -> float:
    """EIP-712 record signers recovered per second with one worker process per core.

    Recovery is libsecp256k1-bound (one core's ceiling is the C library's own speed), so a
    capture path verifies batches in parallel; this is that machine-level figure.
    """
    cores = os.cpu_count() or 1
    batches = [_signed_records(samples_per_core, seed=3 + core) for core in range(cores)]
    with ProcessPoolExecutor(max_workers=cores) as pool:
        list(pool.map(_recover_all, [batch[:100] for batch in batches]))  # warm the workers
        return _best_rate(lambda: sum(pool.map(_recover_all, batches)))


def run_core_bench(tree_size: int = TREE_SIZE) -> dict[str, Any]:
    """Measure all four core figures and return them with the targets."""
    leaf_hashes = _leaf_hashes(tree_size)
    events = gs1_example_events()
    figures = {
        "leaf_appends_per_s": measure_appends(leaf_hashes),
        "inclusion_verifications_per_s": measure_inclusion(leaf_hashes),
        "event_hashes_per_s": measure_event_hashes(events),
        "eip712_recoveries_per_s": measure_recoveries(),
        "eip712_recoveries_per_s_all_cores": measure_recoveries_all_cores(),
    }
    return {
        "tree_size": tree_size,
        "example_events": len(events),
        "figures": {name: round(rate) for name, rate in figures.items()},
        "targets": TARGETS,
    }
