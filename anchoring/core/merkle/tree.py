"""Computing RFC 9162 tree heads and proofs from the full list of leaf hashes.

For a log small enough to hold every leaf hash in memory, and as the reference the
tile-based store is checked against. Each function hashes every leaf it needs once:
O(n) work, no recursion.

Changing anything here changes tree heads and proofs that may already be anchored.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from anchoring.core.errors import IndexOutOfRangeError, TreeInputError
from anchoring.core.merkle.hashing import EMPTY_ROOT, HASH_SIZE
from anchoring.core.merkle.ranges import (
    consistency_proof_ranges,
    inclusion_proof_ranges,
    proof_from_ranges,
)

_NODE_PREFIX = b"\x01"


def root_hash(leaf_hashes: Sequence[bytes]) -> bytes:
    """Return MTH(D[n]) for the n given leaf hashes, RFC 9162 §2.1.1 (EMPTY_ROOT for none).

    Requires every leaf hash to be HASH_SIZE bytes; raises `TreeInputError` otherwise.
    """
    _check_leaf_hashes(leaf_hashes, 0, len(leaf_hashes))
    return _subtree_root(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_index: int, tree_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PATH(leaf_index, D[tree_size]), RFC 9162 §2.1.3.1, leaf-side hash first.

    Requires 0 <= leaf_index < tree_size <= len(leaf_hashes); only the first tree_size leaf
    hashes are used, so proofs against earlier tree heads come from the same list.
    """
    plan = inclusion_proof_ranges(leaf_index, tree_size)
    _check_prefix(tree_size, leaf_hashes)
    return proof_from_ranges(plan, lambda start, end: _subtree_root(leaf_hashes, start, end))


def consistency_proof(old_size: int, new_size: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    """Return PROOF(old_size, D[new_size]), RFC 9162 §2.1.4.1.

    Requires 0 <= old_size <= new_size <= len(leaf_hashes). The proof is empty when
    old_size == new_size or old_size == 0.
    """
    plan = consistency_proof_ranges(old_size, new_size)
    _check_prefix(new_size, leaf_hashes)
    return proof_from_ranges(plan, lambda start, end: _subtree_root(leaf_hashes, start, end))


def _check_prefix(tree_size: int, leaf_hashes: Sequence[bytes]) -> None:
    if tree_size > len(leaf_hashes):
        raise IndexOutOfRangeError(
            f"tree size {tree_size} exceeds the {len(leaf_hashes)} leaf hashes given"
        )
    _check_leaf_hashes(leaf_hashes, 0, tree_size)


def _check_leaf_hashes(leaf_hashes: Sequence[bytes], start: int, end: int) -> None:
    for index in range(start, end):
        leaf = leaf_hashes[index]
        if type(leaf) is not bytes or len(leaf) != HASH_SIZE:
            raise TreeInputError(
                f"leaf hash {index} must be {HASH_SIZE} bytes, got {_describe(leaf)}"
            )


def _describe(value: object) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return type(value).__name__


def _subtree_root(leaf_hashes: Sequence[bytes], start: int, end: int) -> bytes:
    """MTH(D[start:end]) by hashing level by level.

    Pairing neighbours bottom-up and lifting an unpaired last node to the next level
    builds the same tree as RFC 9162 §2.1.1's split at the largest power of two below n:
    the left part is always a complete subtree, so the only unpaired node on any level
    is the right edge's.
    """
    if start == end:
        return EMPTY_ROOT  # MTH({}) = SHA-256(), RFC 9162 §2.1.1
    level = list(leaf_hashes[start:end])
    hash_function = sha256
    prefix = _NODE_PREFIX
    while len(level) > 1:
        carried = level[-1] if len(level) & 1 else None
        # SHA-256(0x01 || left || right), RFC 9162 §2.1.1
        level = [
            hash_function(prefix + left + right).digest()
            for left, right in zip(level[0::2], level[1::2])
        ]
        if carried is not None:
            level.append(carried)
    return level[0]
