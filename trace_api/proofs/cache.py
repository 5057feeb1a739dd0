"""One bounded cache of inclusion proofs from the log's tiles, shared by the app.

`ctx.shared(inclusion_proofs)` is the one instance the proof bundles, the integrity audit
and trace event states use. A tree of a given size never changes (the log only appends),
so its tiles and subtree hashes can be kept as long as memory allows; the bounds below
keep that small.
"""

from __future__ import annotations

import threading

from cachetools import LRUCache

from anchoring.core.merkle import inclusion_proof_ranges
from anchoring.store import LogStore
from anchoring.tiles import TileHashes
from trace_api.context import ApiContext

TREES_CACHED = 8
"""Tree sizes whose tiles and subtree hashes are kept: records are read in log order and
answers share a few anchored heads, so consecutive proofs share their tree."""
SUBTREES_PER_TREE = 65_536
"""Subtree hashes remembered per tree (32 bytes each, ~4 MB when full); the memo starts
over when full, the tiles stay."""


class InclusionProofCache:
    """(leaf_index, tree_size) -> RFC 9162 inclusion proof, from the log's tiles.

    Proofs of leaves under one head share most of their subtrees; recomputing them per
    leaf (as `LogStore.inclusion_proof` does) costs hundreds of SHA-256 calls a leaf,
    remembering them a few. Safe to share between threads.
    """

    def __init__(self, log_store: LogStore) -> None:
        self._log_store = log_store
        self._lock = threading.Lock()
        self._trees: LRUCache[int, tuple[TileHashes, dict[tuple[int, int], bytes]]] = LRUCache(
            maxsize=TREES_CACHED)

    def _tree(self, tree_size: int) -> tuple[TileHashes, dict[tuple[int, int], bytes]]:
        with self._lock:
            tree = self._trees.get(tree_size)  # a hit becomes the most recently used
            if tree is not None:
                return tree
        tree = (self._log_store.tile_hashes(tree_size), {})
        with self._lock:
            return self._trees.setdefault(tree_size, tree)

    def __call__(self, leaf_index: int, tree_size: int) -> list[bytes]:
        """The inclusion proof of `leaf_index` in the tree of `tree_size` leaves; requires
        0 <= leaf_index < tree_size. Raises the log's errors for missing tiles."""
        hashes, memo = self._tree(tree_size)
        if len(memo) > SUBTREES_PER_TREE:
            memo.clear()
        proof = []
        for start, end in inclusion_proof_ranges(leaf_index, tree_size):
            node = memo.get((start, end))
            if node is None:
                node = memo[(start, end)] = hashes.subtree_hash(start, end)
            proof.append(node)
        return proof

    def root(self, tree_size: int) -> bytes:
        """MTH(D[0:tree_size]) from the same tiles (RFC 9162 §2.1.1)."""
        hashes, _ = self._tree(tree_size)
        return hashes.root()


def inclusion_proofs(ctx: ApiContext) -> InclusionProofCache:
    """The app's one proof cache (`ctx.shared(inclusion_proofs)`)."""
    return InclusionProofCache(ctx.log_store)
