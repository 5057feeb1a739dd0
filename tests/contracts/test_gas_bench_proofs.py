"""The gas benchmark's synthetic proofs follow the same arithmetic as real trees."""

from __future__ import annotations

import random

from anchoring.core.merkle import consistency_proof, leaf_hash, root_hash
from bench.contracts_gas import consistency_proof_length, roots_from_consistency_proof


def test_roots_from_consistency_proof_match_real_trees() -> None:
    rng = random.Random(7)
    leaves = [leaf_hash(rng.randbytes(16)) for _ in range(40)]
    for new_size in range(2, 41):
        for old_size in range(1, new_size):
            proof = consistency_proof(old_size, new_size, leaves)
            assert consistency_proof_length(old_size, new_size) == len(proof)
            old_root = root_hash(leaves[:old_size])
            assert roots_from_consistency_proof(old_size, new_size, proof, old_root) == (
                old_root,
                root_hash(leaves[:new_size]),
            )
