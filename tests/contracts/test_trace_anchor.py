"""TraceAnchor: consistency-checked tree heads, inclusion verification, witnesses.

Proofs come from the project's `anchoring.core.merkle`, so these tests also hold the
contract's RFC 9162 arithmetic against the off-chain implementation.
"""

from __future__ import annotations

import random
from hashlib import sha256

from anchoring.core.errors import VerificationError
from anchoring.core.merkle import (
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    root_hash,
    verify_consistency,
)
from tests.contracts.kit import ANCHORER, REVERT_ERRORS, WITNESS, Chain, Deployment

SEED = 9162


def make_leaves(count: int, seed: int = SEED) -> list[bytes]:
    """`count` leaf hashes SHA-256(0x00 || entry) of seeded random entries."""
    rng = random.Random(seed)
    return [leaf_hash(rng.randbytes(40)) for _ in range(count)]


def flip(value: bytes, bit: int = 0) -> bytes:
    """`value` with one bit inverted."""
    data = bytearray(value)
    data[bit // 8] ^= 1 << (bit % 8)
    return bytes(data)


def anchor_head(
    chain: Chain, system: Deployment, tree_size: int, leaves: list[bytes], old_size: int
):  # type: ignore[no-untyped-def]
    proof = consistency_proof(old_size, tree_size, leaves) if old_size else []
    return chain.transact(
        system.anchor.functions.anchor(tree_size, root_hash(leaves[:tree_size]), proof),
        system.anchorer,
    )


def _reference_accepts(
    old_size: int, new_size: int, proof: list[bytes], leaves: list[bytes], new_root: bytes
) -> bool:
    try:
        verify_consistency(old_size, new_size, proof, root_hash(leaves[:old_size]), new_root)
    except VerificationError:
        return False
    return True


def test_first_head_needs_no_proof_and_is_stored(chain: Chain, system: Deployment) -> None:
    anchor = system.anchor
    leaves = make_leaves(5)
    root = root_hash(leaves)
    assert anchor.functions.headCount().call() == 0
    chain.expect_revert(
        anchor.functions.latestHead(), system.anchorer, "UnknownHeadIndex", 0, mine=False
    )
    chain.expect_revert(anchor.functions.anchor(0, root, []), system.anchorer, "EmptyTree")
    chain.expect_revert(
        anchor.functions.anchor(5, root, [leaves[0]]), system.anchorer, "ProofLengthMismatch", 0, 1
    )
    receipt = chain.transact(anchor.functions.anchor(5, root, []), system.anchorer)
    assert chain.events(anchor, receipt, "TreeHeadAnchored") == [
        {"headIndex": 0, "treeSize": 5, "rootHash": root, "anchorer": system.anchorer}
    ]
    block = chain.w3.eth.get_block(receipt["blockNumber"])
    head = [5, receipt["blockNumber"], block["timestamp"], root]
    assert list(anchor.functions.headAt(0).call()) == head
    assert list(anchor.functions.latestHead().call()) == head
    assert anchor.functions.headCount().call() == 1
    assert anchor.functions.headIndexBySize(5).call() == 0
    assert anchor.functions.rootAtSize(5).call() == root
    chain.expect_revert(
        anchor.functions.headAt(1), system.anchorer, "UnknownHeadIndex", 1, mine=False
    )
    chain.expect_revert(
        anchor.functions.rootAtSize(4), system.anchorer, "UnknownTreeSize", 4, mine=False
    )
    chain.expect_revert(
        anchor.functions.headIndexBySize(6), system.anchorer, "UnknownTreeSize", 6, mine=False
    )


def test_chain_of_heads_with_consistency_proofs(chain: Chain, system: Deployment) -> None:
    anchor = system.anchor
    leaves = make_leaves(100)
    sizes = [1, 2, 3, 4, 7, 8, 13, 16, 17, 31, 32, 33, 64, 100]
    previous = 0
    for head_index, tree_size in enumerate(sizes):
        receipt = anchor_head(chain, system, tree_size, leaves, previous)
        assert chain.events(anchor, receipt, "TreeHeadAnchored") == [
            {
                "headIndex": head_index,
                "treeSize": tree_size,
                "rootHash": root_hash(leaves[:tree_size]),
                "anchorer": system.anchorer,
            }
        ]
        previous = tree_size
    assert anchor.functions.headCount().call() == len(sizes)
    for head_index, tree_size in enumerate(sizes):
        assert anchor.functions.headIndexBySize(tree_size).call() == head_index
        assert anchor.functions.rootAtSize(tree_size).call() == root_hash(leaves[:tree_size])
        assert anchor.functions.headAt(head_index).call()[0] == tree_size


def test_consistency_accepts_every_valid_and_rejects_mutated_proofs(
    chain: Chain, system: Deployment
) -> None:
    """For a ladder of old heads and a spread of larger sizes (checked with eth_call): the
    valid proof is accepted; one flipped bit in each proof hash in turn, a wrong root, a
    missing or an extra hash are rejected; a neighbouring size is judged as the reference
    verifier judges it."""
    anchor = system.anchor
    anchorer = system.anchorer
    max_size = 40
    leaves = make_leaves(max_size)
    rng = random.Random(SEED)
    previous = 0
    for old_size in (1, 2, 3, 4, 5, 7, 8, 11, 16, 21, 32, 39):
        anchor_head(chain, system, old_size, leaves, previous)
        previous = old_size
        larger = {
            old_size + 1,
            old_size + 2,
            old_size + 3,
            2 * old_size,
            1 << old_size.bit_length(),
        }
        larger |= {rng.randrange(old_size + 1, max_size + 1) for _ in range(2)}
        for new_size in sorted(size for size in larger if size <= max_size):
            proof = consistency_proof(old_size, new_size, leaves)
            new_root = root_hash(leaves[:new_size])
            anchor.functions.anchor(new_size, new_root, proof).call({"from": anchorer})
            chain.expect_revert(
                anchor.functions.anchor(new_size, flip(new_root, rng.randrange(256)), proof),
                anchorer,
                "InconsistentHead",
                mine=False,
            )
            for position in range(len(proof)):
                mutated = list(proof)
                mutated[position] = flip(proof[position], rng.randrange(256))
                chain.expect_revert(
                    anchor.functions.anchor(new_size, new_root, mutated),
                    anchorer,
                    "InconsistentHead",
                    mine=False,
                )
            chain.expect_revert(
                anchor.functions.anchor(new_size, new_root, [*proof, leaves[0]]),
                anchorer,
                "ProofLengthMismatch",
                len(proof),
                len(proof) + 1,
                mine=False,
            )
            if proof:
                chain.expect_revert(
                    anchor.functions.anchor(new_size, new_root, proof[:-1]),
                    anchorer,
                    "ProofLengthMismatch",
                    len(proof),
                    len(proof) - 1,
                    mine=False,
                )
            for wrong_size in (new_size - 1, new_size + 1):
                if wrong_size <= old_size:
                    continue
                # RFC 9162 proofs do not bind the size by themselves: e.g. PROOF(2, D[4]) =
                # [MTH(D[2:4])] is also a valid PROOF(2, D[3]) for a tree whose third leaf
                # hash equals MTH(D[2:4]). So the contract must agree with the reference
                # verifier, which accepts exactly those cases, and reject all others.
                expected = _reference_accepts(old_size, wrong_size, proof, leaves, new_root)
                try:
                    anchor.functions.anchor(wrong_size, new_root, proof).call({"from": anchorer})
                    accepted = True
                except REVERT_ERRORS as exc:
                    assert chain.decode_error(exc)[0] in {"InconsistentHead", "ProofLengthMismatch"}
                    accepted = False
                assert accepted == expected, (old_size, new_size, wrong_size)


def test_shrinking_stale_and_conflicting_heads_are_rejected(
    chain: Chain, system: Deployment
) -> None:
    anchor = system.anchor
    leaves = make_leaves(12)
    anchor_head(chain, system, 10, leaves, 0)
    root_10 = root_hash(leaves[:10])
    other = sha256(b"fork").digest()
    chain.expect_revert(
        anchor.functions.anchor(9, root_hash(leaves[:9]), []), system.anchorer, "TreeShrank", 10, 9
    )
    chain.expect_revert(
        anchor.functions.anchor(10, root_10, []), system.anchorer, "StaleHead", 10, root_10
    )
    chain.expect_revert(
        anchor.functions.anchor(10, other, []),
        system.anchorer,
        "ConflictingRoot",
        10,
        root_10,
        other,
    )
    # A tree that rewrote an old leaf has a well-formed proof that does not lead back.
    forked = list(leaves)
    forked[3] = leaf_hash(b"rewritten")
    receipt = chain.expect_revert(
        anchor.functions.anchor(12, root_hash(forked), consistency_proof(10, 12, forked)),
        system.anchorer,
        "InconsistentHead",
        10,
        root_10,
        12,
        root_hash(forked),
    )
    assert receipt is not None
    # Nothing was stored by any of the mined, reverted transactions.
    assert anchor.functions.headCount().call() == 1
    assert anchor.functions.latestHead().call()[0] == 10
    chain.expect_revert(
        anchor.functions.rootAtSize(12), system.anchorer, "UnknownTreeSize", 12, mine=False
    )


def test_inclusion_verification_on_random_trees(chain: Chain, system: Deployment) -> None:
    anchor = system.anchor
    anchorer = system.anchorer
    leaves = make_leaves(150, seed=SEED + 1)
    rng = random.Random(SEED + 1)
    previous = 0
    for tree_size in (1, 2, 3, 5, 8, 13, 31, 64, 65, 150):
        anchor_head(chain, system, tree_size, leaves, previous)
        previous = tree_size
        indices = {0, tree_size - 1, *(rng.randrange(tree_size) for _ in range(4))}
        for leaf_index in sorted(indices):
            proof = inclusion_proof(leaf_index, tree_size, leaves)
            verify = anchor.functions.verifyInclusion
            assert verify(leaves[leaf_index], leaf_index, tree_size, proof).call() is True
            assert (
                verify(
                    flip(leaves[leaf_index], rng.randrange(256)), leaf_index, tree_size, proof
                ).call()
                is False
            )
            for position in range(len(proof)):
                mutated = list(proof)
                mutated[position] = flip(proof[position], rng.randrange(256))
                assert verify(leaves[leaf_index], leaf_index, tree_size, mutated).call() is False
            if tree_size > 1:
                other_index = (leaf_index + 1) % tree_size
                same_shape = inclusion_proof(other_index, tree_size, leaves)
                if len(same_shape) == len(proof):
                    assert verify(leaves[leaf_index], other_index, tree_size, proof).call() is False
            chain.expect_revert(
                verify(leaves[leaf_index], leaf_index, tree_size, [*proof, leaves[0]]),
                anchorer,
                "ProofLengthMismatch",
                len(proof),
                len(proof) + 1,
                mine=False,
            )
        chain.expect_revert(
            anchor.functions.verifyInclusion(leaves[0], tree_size, tree_size, []),
            anchorer,
            "LeafIndexOutOfRange",
            tree_size,
            tree_size,
            mine=False,
        )
    chain.expect_revert(
        anchor.functions.verifyInclusion(leaves[0], 0, 4, inclusion_proof(0, 4, leaves)),
        anchorer,
        "UnknownTreeSize",
        4,
        mine=False,
    )


def test_witness_cosigns_anchored_heads(chain: Chain, system: Deployment) -> None:
    anchor = system.anchor
    witness_1, witness_2 = system.witnesses
    leaves = make_leaves(8)
    anchor_head(chain, system, 4, leaves, 0)
    anchor_head(chain, system, 8, leaves, 4)
    root_4, root_8 = root_hash(leaves[:4]), root_hash(leaves)

    receipt = chain.transact(anchor.functions.witness(4, root_4), witness_1)
    assert chain.events(anchor, receipt, "TreeHeadWitnessed") == [
        {"headIndex": 0, "witness": witness_1, "treeSize": 4, "rootHash": root_4}
    ]
    chain.transact(anchor.functions.witness(4, root_4), witness_2)
    chain.transact(anchor.functions.witness(8, root_8), witness_2)
    assert anchor.functions.witnessCount(0).call() == 2
    assert anchor.functions.witnessCount(1).call() == 1
    assert anchor.functions.hasWitnessed(1, witness_2).call() is True
    assert anchor.functions.hasWitnessed(1, witness_1).call() is False

    chain.expect_revert(
        anchor.functions.witness(4, root_4), witness_1, "AlreadyWitnessed", 0, witness_1
    )
    chain.expect_revert(
        anchor.functions.witness(8, root_4), witness_1, "ConflictingRoot", 8, root_8, root_4
    )
    chain.expect_revert(anchor.functions.witness(5, root_4), witness_1, "UnknownTreeSize", 5)
    assert anchor.functions.witnessCount(1).call() == 1
    assert anchor.functions.hasWitnessed(1, witness_1).call() is False


def test_revoked_anchorer_and_witness_lose_their_rights(chain: Chain, system: Deployment) -> None:
    anchor, registry = system.anchor, system.registry
    leaves = make_leaves(2)
    anchor_head(chain, system, 1, leaves, 0)
    for account in (system.anchorer, system.witnesses[0]):
        chain.transact(registry.functions.proposeRoleChange(account, 0), system.admins[0])
    chain.expect_revert(
        anchor.functions.anchor(2, root_hash(leaves), consistency_proof(1, 2, leaves)),
        system.anchorer,
        "NotAuthorized",
        system.anchorer,
        ANCHORER,
    )
    chain.expect_revert(
        anchor.functions.witness(1, root_hash(leaves[:1])),
        system.witnesses[0],
        "NotAuthorized",
        system.witnesses[0],
        WITNESS,
    )
