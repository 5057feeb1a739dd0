"""Throughput of the RFC 9162 Merkle code on one core.

Run: .venv/bin/python -m bench.merkle_bench [--leaves 1000000]

Measures, with leaf hashes prepared beforehand (only the tree work is timed):
- `CompactRange.extend` leaf appends per second;
- `root_hash` over all leaves;
- `verify_inclusion` per second for random leaves of the full tree (20 hashes each at 1M);
- `verify_consistency` per second for random old sizes.
Each rate is the best of several repetitions (least disturbed by other load).

Measured on the 2-core dev machine (Python 3.11, other jobs running; best of 5,
1,000,000 leaves, 5,000 proofs):
    CompactRange.extend      ~1.7 M appends/s      (target >= 300,000/s)
    root() after the batch   ~4 us (20 frontier hashes folded)
    root_hash, 1 M leaves    ~0.6-1.0 s
    verify_inclusion         ~90,000 verifications/s, 20 hashes each (target >= 50,000/s;
                             single runs under load dipped to ~50,000/s)
    verify_consistency       ~65,000 verifications/s
"""

from __future__ import annotations

import argparse
import hashlib
import random
import time
from collections.abc import Callable

from anchoring.core.merkle import (
    CompactRange,
    consistency_proof,
    inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)


def _best_seconds(run: Callable[[], None], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--leaves", type=int, default=1_000_000)
    parser.add_argument("--proofs", type=int, default=2_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    tree_size: int = args.leaves
    leaf_hashes = [hashlib.sha256(index.to_bytes(8, "big")).digest() for index in range(tree_size)]

    def build() -> None:
        CompactRange().extend(leaf_hashes)

    seconds = _best_seconds(build, args.repeats)
    print(f"CompactRange.extend: {tree_size / seconds:,.0f} appends/s ({tree_size} leaves)")

    frontier = CompactRange.from_leaf_hashes(leaf_hashes)

    def root_after_batch() -> None:
        frontier.copy().root()

    seconds = _best_seconds(root_after_batch, args.repeats)
    print(f"CompactRange.root after the batch: {seconds * 1e6:.1f} us")

    started = time.perf_counter()
    root = root_hash(leaf_hashes)
    print(f"root_hash: {time.perf_counter() - started:.2f} s for {tree_size} leaves")
    assert root == frontier.root()

    generator = random.Random(9162)  # fixed seed: the same proofs every run
    indexes = [generator.randrange(tree_size) for _ in range(args.proofs)]
    started = time.perf_counter()
    cases = [
        (leaf_hashes[index], index, inclusion_proof(index, tree_size, leaf_hashes))
        for index in indexes[:10]
    ]
    print(f"inclusion_proof: {(time.perf_counter() - started) / len(cases) * 1e3:.0f} ms each")
    cases = (cases * (args.proofs // len(cases) + 1))[: args.proofs]

    def verify_all() -> None:
        for leaf, index, proof in cases:
            verify_inclusion(leaf, index, tree_size, proof, root)

    seconds = _best_seconds(verify_all, args.repeats)
    hashes = sum(len(proof) for _, _, proof in cases) / len(cases)
    print(
        f"verify_inclusion: {len(cases) / seconds:,.0f} verifications/s "
        f"(tree size {tree_size}, {hashes:.1f} hashes per proof)"
    )

    old_sizes = [generator.randrange(1, tree_size) for _ in range(5)]
    consistency_cases = [
        (
            old_size,
            consistency_proof(old_size, tree_size, leaf_hashes),
            root_hash(leaf_hashes[:old_size]),
        )
        for old_size in old_sizes
    ]
    consistency_cases = (consistency_cases * (args.proofs // 5 + 1))[: args.proofs]

    def verify_all_consistency() -> None:
        for old_size, proof, old_root in consistency_cases:
            verify_consistency(old_size, tree_size, proof, old_root, root)

    seconds = _best_seconds(verify_all_consistency, args.repeats)
    print(f"verify_consistency: {len(consistency_cases) / seconds:,.0f} verifications/s")


if __name__ == "__main__":
    main()
