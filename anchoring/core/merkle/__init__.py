"""The RFC 9162 Merkle tree of the TraceLedger log: hashing, proofs, verification, frontier.

Pure code: no I/O, no clock, no randomness. Everything here decides whether old proofs
and anchored tree heads still verify; change it only with that in mind.

- `hashing`: leaf and node hashes (RFC 9162 §2.1.1).
- `tree`: roots and proofs from a full list of leaf hashes.
- `ranges`: proof plans as leaf ranges, for stores that hold subtree hashes.
- `verify`: checking inclusion and consistency proofs.
- `compact_range`: the right frontier of an append-only tree.
"""

from __future__ import annotations

from anchoring.core.merkle.compact_range import CompactRange
from anchoring.core.merkle.hashing import EMPTY_ROOT, HASH_SIZE, leaf_hash, node_hash
from anchoring.core.merkle.ranges import (
    LeafRange,
    consistency_proof_ranges,
    inclusion_proof_ranges,
    proof_from_ranges,
)
from anchoring.core.merkle.tree import consistency_proof, inclusion_proof, root_hash
from anchoring.core.merkle.verify import (
    inclusion_proof_size,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    verify_consistency,
    verify_inclusion,
)

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "LeafRange",
    "consistency_proof",
    "consistency_proof_ranges",
    "inclusion_proof",
    "inclusion_proof_ranges",
    "inclusion_proof_size",
    "leaf_hash",
    "node_hash",
    "proof_from_ranges",
    "root_from_consistency_proof",
    "root_from_inclusion_proof",
    "root_hash",
    "verify_consistency",
    "verify_inclusion",
]
