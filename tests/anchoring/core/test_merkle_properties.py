"""The fast Merkle code against the naive RFC 9162 §2.1 reference in `naive_merkle`.

Exhaustive over small trees (every index, every old_size <= new_size up to MAX_SIZE) for
equality and acceptance; exhaustive tampering over smaller trees; hypothesis for the
rest (arbitrary bits, sizes, split points).
"""

from __future__ import annotations

from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from anchoring.core.errors import (
    IndexOutOfRangeError,
    RootMismatchError,
    TreeInputError,
)
from anchoring.core.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    proof_from_ranges,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)
from tests.anchoring.core.merkle_claims import (
    assert_outcome,
    consistency_claim_error,
    flip_bit,
    inclusion_claim_error,
    raised_class,
    tampered_proofs,
)
from tests.anchoring.core.naive_merkle import (
    naive_leaf_hash,
    naive_mth,
    naive_mth_of_leaf_hashes,
    naive_path,
    naive_proof,
)

MAX_SIZE = 100
"""Largest tree checked exhaustively (every index, every pair of sizes)."""

TAMPER_MAX_SIZE = 64
"""Largest tree whose every proof is tampered with exhaustively (cost grows as n^3)."""

ENTRIES = [f"entry {index}".encode() for index in range(2 * MAX_SIZE + 1)]
LEAF_HASHES = [naive_leaf_hash(entry) for entry in ENTRIES]


@cache
def naive_root(size: int) -> bytes:
    return naive_mth_of_leaf_hashes(LEAF_HASHES[:size])


@cache
def naive_inclusion(index: int, size: int) -> tuple[bytes, ...]:
    return tuple(naive_path(index, LEAF_HASHES[:size]))


@cache
def naive_consistency(old_size: int, new_size: int) -> tuple[bytes, ...]:
    if old_size == 0:
        return ()
    return tuple(naive_proof(old_size, LEAF_HASHES[:new_size]))


def naive_subtree_hash(start: int, end: int) -> bytes:
    return naive_mth_of_leaf_hashes(LEAF_HASHES[start:end])


# --- roots ---------------------------------------------------------------------


def test_leaf_hash_matches_naive() -> None:
    assert all(leaf_hash(entry) == naive_leaf_hash(entry) for entry in ENTRIES)
    assert naive_mth([]) == EMPTY_ROOT


def test_root_and_compact_range_match_naive_for_every_prefix() -> None:
    frontier = CompactRange()
    for size in range(len(LEAF_HASHES) + 1):
        expected = naive_root(size)
        assert root_hash(LEAF_HASHES[:size]) == expected, size
        assert frontier.size == size
        assert frontier.root() == expected, size
        assert len(frontier.hashes) == size.bit_count()
        if size < len(LEAF_HASHES):
            frontier.append(LEAF_HASHES[size])


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_restored_compact_range_continues_like_the_original(data: st.DataObject) -> None:
    size = data.draw(st.integers(0, len(LEAF_HASHES)), label="size")
    split = data.draw(st.integers(0, size), label="split")
    middle = data.draw(st.integers(split, size), label="middle")
    saved = CompactRange.from_leaf_hashes(LEAF_HASHES[:split])
    restored = CompactRange.restore(size=saved.size, hashes=saved.hashes)
    assert restored == saved and restored.root() == naive_root(split)
    restored.extend(LEAF_HASHES[split:middle])
    assert restored.root() == naive_root(middle)
    for leaf in LEAF_HASHES[middle:size]:
        restored.append(leaf)
    assert restored.size == size
    assert restored.root() == naive_root(size)
    assert restored == CompactRange.from_leaf_hashes(LEAF_HASHES[:size])


@settings(max_examples=100, deadline=None)
@given(size=st.integers(1, 300), data=st.data())
def test_restore_rejects_wrong_hash_counts(size: int, data: st.DataObject) -> None:
    hashes = CompactRange.from_leaf_hashes(LEAF_HASHES[:1] * size).hashes
    wrong_size = data.draw(st.integers(0, 1 << 12).filter(lambda n: n.bit_count() != len(hashes)))
    with pytest.raises(TreeInputError, match="popcount"):
        CompactRange.restore(size=wrong_size, hashes=hashes)


# --- inclusion -----------------------------------------------------------------


def test_inclusion_proofs_match_naive_and_verify_exhaustively() -> None:
    for size in range(1, MAX_SIZE + 1):
        root = naive_root(size)
        for index in range(size):
            expected = list(naive_inclusion(index, size))
            plan = inclusion_proof_ranges(index, size)
            assert inclusion_proof(index, size, LEAF_HASHES) == expected, (index, size)
            assert proof_from_ranges(plan, naive_subtree_hash) == expected
            covered = sorted([*plan, (index, index + 1)])
            assert [start for start, _ in covered] == [0, *[end for _, end in covered[:-1]]]
            assert covered[-1][1] == size  # disjoint, and with the leaf they tile [0, size)
            leaf = LEAF_HASHES[index]
            assert root_from_inclusion_proof(index, size, leaf, expected) == root
            verify_inclusion(leaf, index, size, expected, root)


def test_tampered_inclusion_proofs_are_rejected_exhaustively() -> None:
    for size in range(1, TAMPER_MAX_SIZE + 1):
        root = naive_root(size)
        for index in range(size):
            leaf = LEAF_HASHES[index]
            proof = list(naive_inclusion(index, size))
            for tampered, error in tampered_proofs(proof, index * 31, 7, root, root):
                assert_outcome(error, verify_inclusion, leaf, index, size, tampered, root)
            with pytest.raises(RootMismatchError):
                verify_inclusion(flip_bit(leaf, index % 256), index, size, proof, root)
            with pytest.raises(RootMismatchError):
                verify_inclusion(leaf, index, size, proof, flip_bit(root, 255 - index % 256))
            for other_index in range(size):
                # Same tree head, another index: a path names exactly one leaf.
                if other_index != index:
                    error = inclusion_claim_error(other_index, size, proof)
                    assert_outcome(error, verify_inclusion, leaf, other_index, size, proof, root)
            for other_size in range(index + 1, TAMPER_MAX_SIZE + 2):
                # Another authentic tree head: the proof is for a different tree.
                if other_size != size:
                    other_root = naive_root(other_size)
                    error = inclusion_claim_error(index, other_size, proof)
                    assert_outcome(
                        error, verify_inclusion, leaf, index, other_size, proof, other_root
                    )
            with pytest.raises(IndexOutOfRangeError):
                verify_inclusion(leaf, size, size, proof, root)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_flipped_bit_breaks_an_inclusion_proof(data: st.DataObject) -> None:
    size = data.draw(st.integers(2, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = list(naive_inclusion(index, size))
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    bit = data.draw(st.integers(0, 255), label="bit")
    proof[position] = flip_bit(proof[position], bit)
    with pytest.raises(RootMismatchError) as caught:
        verify_inclusion(LEAF_HASHES[index], index, size, proof, naive_root(size))
    assert caught.value.expected == naive_root(size)
    assert caught.value.calculated != naive_root(size)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_wrong_inclusion_claims_get_the_right_error_class(data: st.DataObject) -> None:
    size = data.draw(st.integers(1, MAX_SIZE), label="size")
    index = data.draw(st.integers(0, size - 1), label="index")
    proof = list(naive_inclusion(index, size))
    claimed_size = data.draw(st.integers(-2, MAX_SIZE + 2), label="claimed_size")
    claimed_index = data.draw(st.integers(-2, MAX_SIZE + 2), label="claimed_index")
    claimed_root = naive_root(max(claimed_size, 0))
    outcome = raised_class(
        verify_inclusion, LEAF_HASHES[index], claimed_index, claimed_size, proof, claimed_root
    )
    assert outcome is inclusion_claim_error(
        claimed_index, claimed_size, proof, authentic=(claimed_index, claimed_size) == (index, size)
    )


# --- consistency ---------------------------------------------------------------


def test_consistency_proofs_match_naive_and_verify_exhaustively() -> None:
    for new_size in range(MAX_SIZE + 1):
        new_root = naive_root(new_size)
        for old_size in range(new_size + 1):
            expected = list(naive_consistency(old_size, new_size))
            plan = consistency_proof_ranges(old_size, new_size)
            assert consistency_proof(old_size, new_size, LEAF_HASHES) == expected
            assert proof_from_ranges(plan, naive_subtree_hash) == expected
            old_root = naive_root(old_size)
            verify_consistency(old_size, new_size, expected, old_root, new_root)
            if old_size > 0 or new_size == 0:
                calculated = root_from_consistency_proof(old_size, new_size, expected, old_root)
                assert calculated == new_root


def test_tampered_consistency_proofs_are_rejected_exhaustively() -> None:
    for new_size in range(1, TAMPER_MAX_SIZE + 1):
        new_root = naive_root(new_size)
        for old_size in range(1, new_size + 1):
            old_root = naive_root(old_size)
            proof = list(naive_consistency(old_size, new_size))
            for tampered, error in tampered_proofs(proof, old_size * 13, 1, old_root, new_root):
                assert_outcome(
                    error, verify_consistency, old_size, new_size, tampered, old_root, new_root
                )
            with pytest.raises(RootMismatchError):
                verify_consistency(old_size, new_size, proof, flip_bit(old_root, 0), new_root)
            with pytest.raises(RootMismatchError):
                verify_consistency(old_size, new_size, proof, old_root, flip_bit(new_root, 9))
            for other_old in range(1, new_size + 1):
                # Another authentic old head against the same new head.
                if other_old != old_size:
                    other_root = naive_root(other_old)
                    error = consistency_claim_error(other_old, new_size, proof)
                    assert_outcome(
                        error, verify_consistency, other_old, new_size, proof, other_root, new_root
                    )
            for other_new in range(old_size, TAMPER_MAX_SIZE + 2):
                if other_new != new_size:
                    other_root = naive_root(other_new)
                    error = consistency_claim_error(old_size, other_new, proof)
                    assert_outcome(
                        error, verify_consistency, old_size, other_new, proof, old_root, other_root
                    )
            if old_size > 1:
                with pytest.raises(IndexOutOfRangeError):
                    verify_consistency(new_size, old_size - 1, proof, new_root, old_root)


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_any_flipped_bit_breaks_a_consistency_proof(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(2, MAX_SIZE), label="new_size")
    old_size = data.draw(st.integers(1, new_size - 1), label="old_size")
    proof = list(naive_consistency(old_size, new_size))
    position = data.draw(st.integers(0, len(proof) - 1), label="position")
    proof[position] = flip_bit(proof[position], data.draw(st.integers(0, 255), label="bit"))
    with pytest.raises(RootMismatchError):
        verify_consistency(old_size, new_size, proof, naive_root(old_size), naive_root(new_size))


@settings(max_examples=300, deadline=None)
@given(data=st.data())
def test_wrong_consistency_claims_get_the_right_error_class(data: st.DataObject) -> None:
    new_size = data.draw(st.integers(0, MAX_SIZE), label="new_size")
    old_size = data.draw(st.integers(0, new_size), label="old_size")
    proof = list(naive_consistency(old_size, new_size))
    claimed_old = data.draw(st.integers(-2, MAX_SIZE + 2), label="claimed_old")
    claimed_new = data.draw(st.integers(-2, MAX_SIZE + 2), label="claimed_new")
    old_root, new_root = naive_root(max(claimed_old, 0)), naive_root(max(claimed_new, 0))
    outcome = raised_class(verify_consistency, claimed_old, claimed_new, proof, old_root, new_root)
    in_range = 0 <= claimed_old <= claimed_new
    # e.g. every empty proof between equal sizes is authentic
    authentic = in_range and list(naive_consistency(claimed_old, claimed_new)) == proof
    assert outcome is consistency_claim_error(claimed_old, claimed_new, proof, authentic=authentic)


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_compact_range_roots_verify_consistency_between_batches(data: st.DataObject) -> None:
    old_size = data.draw(st.integers(0, len(LEAF_HASHES)), label="old_size")
    new_size = data.draw(st.integers(old_size, len(LEAF_HASHES)), label="new_size")
    frontier = CompactRange.from_leaf_hashes(LEAF_HASHES[:old_size])
    old_root = frontier.root()
    frontier.extend(LEAF_HASHES[old_size:new_size])
    proof = consistency_proof(old_size, new_size, LEAF_HASHES)
    verify_consistency(old_size, new_size, proof, old_root, frontier.root())
