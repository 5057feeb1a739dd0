"""Bad input to the Merkle code gets the named exception, with a message that says what is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from anchoring.core.errors import (
    CoreError,
    IndexOutOfRangeError,
    ProofShapeError,
    RootMismatchError,
    TreeInputError,
    VerificationError,
)
from anchoring.core.merkle import (
    EMPTY_ROOT,
    CompactRange,
    consistency_proof,
    consistency_proof_ranges,
    inclusion_proof,
    inclusion_proof_ranges,
    leaf_hash,
    root_from_consistency_proof,
    root_from_inclusion_proof,
    root_hash,
    verify_consistency,
    verify_inclusion,
)

LEAVES = [leaf_hash(bytes([index])) for index in range(8)]
ROOTS = [root_hash(LEAVES[:size]) for size in range(9)]


def _as_any(value: object) -> Any:
    """Pass a deliberately ill-typed value past mypy."""
    return value


# --- inclusion -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("leaf_index", "tree_size", "message"),
    [
        (8, 8, "leaf index 8 out of range: requires 0 <= leaf_index < tree_size = 8"),
        (9, 8, "leaf index 9 out of range"),
        (-1, 8, "leaf index -1 out of range"),
        (0, 0, "no leaf 0 in a tree of size 0"),
        (0, -3, "no leaf 0 in a tree of size -3"),
    ],
)
def test_inclusion_index_out_of_range(leaf_index: int, tree_size: int, message: str) -> None:
    with pytest.raises(IndexOutOfRangeError, match=message):
        verify_inclusion(LEAVES[0], leaf_index, tree_size, [], ROOTS[8])
    with pytest.raises(IndexOutOfRangeError, match=message):
        root_from_inclusion_proof(leaf_index, tree_size, LEAVES[0], [])
    with pytest.raises(IndexOutOfRangeError, match=message):
        inclusion_proof_ranges(leaf_index, tree_size)
    with pytest.raises(IndexOutOfRangeError, match=message):
        inclusion_proof(leaf_index, tree_size, LEAVES)


def test_inclusion_proof_of_wrong_length() -> None:
    proof = inclusion_proof(3, 8, LEAVES)
    with pytest.raises(ProofShapeError, match="needs 3 hashes, got 2") as caught:
        verify_inclusion(LEAVES[3], 3, 8, proof[:2], ROOTS[8])
    assert (caught.value.expected, caught.value.got) == (3, 2)
    with pytest.raises(ProofShapeError, match="needs 3 hashes, got 4"):
        verify_inclusion(LEAVES[3], 3, 8, [*proof, proof[0]], ROOTS[8])
    with pytest.raises(ProofShapeError, match="needs 0 hashes, got 1"):
        verify_inclusion(LEAVES[0], 0, 1, [LEAVES[1]], ROOTS[1])


@pytest.mark.parametrize(
    ("bad", "described"),
    [
        (b"", "0 bytes"),
        (b"\x00" * 31, "31 bytes"),
        (b"\x00" * 33, "33 bytes"),
        ("00" * 32, "str"),
        (bytearray(32), "bytearray"),
        (None, "NoneType"),
    ],
)
def test_inclusion_hashes_must_be_32_bytes(bad: object, described: str) -> None:
    proof = inclusion_proof(3, 8, LEAVES)
    with pytest.raises(ProofShapeError, match=f"leaf hash must be 32 bytes, got {described}"):
        verify_inclusion(_as_any(bad), 3, 8, proof, ROOTS[8])
    with pytest.raises(ProofShapeError, match=f"^root must be 32 bytes, got {described}"):
        verify_inclusion(LEAVES[3], 3, 8, proof, _as_any(bad))
    with pytest.raises(ProofShapeError, match=f"proof hash 1 must be 32 bytes, got {described}"):
        verify_inclusion(LEAVES[3], 3, 8, [proof[0], _as_any(bad), proof[2]], ROOTS[8])


def test_inclusion_root_mismatch_carries_both_roots() -> None:
    proof = inclusion_proof(3, 8, LEAVES)
    with pytest.raises(RootMismatchError, match="root mismatch: expected") as caught:
        verify_inclusion(LEAVES[4], 3, 8, proof, ROOTS[8])
    assert caught.value.expected == ROOTS[8]
    assert caught.value.calculated == root_from_inclusion_proof(3, 8, LEAVES[4], proof)
    assert ROOTS[8].hex() in str(caught.value)


# --- consistency ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("old_size", "new_size", "message"),
    [
        (5, 4, "old_size 5 > new_size 4: requires old_size <= new_size"),
        (-1, 4, "tree sizes must not be negative: old_size=-1, new_size=4"),
        (0, -1, "tree sizes must not be negative: old_size=0, new_size=-1"),
    ],
)
def test_consistency_sizes_out_of_range(old_size: int, new_size: int, message: str) -> None:
    with pytest.raises(IndexOutOfRangeError, match=message):
        verify_consistency(old_size, new_size, [], ROOTS[4], ROOTS[4])
    with pytest.raises(IndexOutOfRangeError, match=message):
        root_from_consistency_proof(old_size, new_size, [], ROOTS[4])
    with pytest.raises(IndexOutOfRangeError, match=message):
        consistency_proof_ranges(old_size, new_size)
    with pytest.raises(IndexOutOfRangeError, match=message):
        consistency_proof(old_size, new_size, LEAVES)


def test_consistency_proof_of_wrong_length() -> None:
    proof = consistency_proof(3, 7, LEAVES)
    with pytest.raises(ProofShapeError, match="from size 3 to 7 needs 4 hashes, got 3"):
        verify_consistency(3, 7, proof[1:], ROOTS[3], ROOTS[7])
    with pytest.raises(ProofShapeError, match="needs 4 hashes, got 0"):
        verify_consistency(3, 7, [], ROOTS[3], ROOTS[7])
    with pytest.raises(ProofShapeError, match="from size 4 to 4 needs 0 hashes, got 1"):
        verify_consistency(4, 4, [ROOTS[4]], ROOTS[4], ROOTS[4])


@pytest.mark.parametrize(("bad", "described"), [(b"\x01" * 12, "12 bytes"), ("x", "str")])
def test_consistency_hashes_must_be_32_bytes(bad: object, described: str) -> None:
    proof = consistency_proof(3, 7, LEAVES)
    with pytest.raises(ProofShapeError, match=f"old root must be 32 bytes, got {described}"):
        verify_consistency(3, 7, proof, _as_any(bad), ROOTS[7])
    with pytest.raises(ProofShapeError, match=f"new root must be 32 bytes, got {described}"):
        verify_consistency(3, 7, proof, ROOTS[3], _as_any(bad))
    with pytest.raises(ProofShapeError, match=f"proof hash 2 must be 32 bytes, got {described}"):
        verify_consistency(3, 7, [*proof[:2], _as_any(bad), proof[3]], ROOTS[3], ROOTS[7])
    # Equal sizes: the roots are still hashes and must have the right length.
    with pytest.raises(ProofShapeError, match="root must be 32 bytes"):
        verify_consistency(0, 0, [], _as_any(bad), _as_any(bad))


def test_equal_sizes_need_equal_roots() -> None:
    verify_consistency(5, 5, [], ROOTS[5], ROOTS[5])
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(5, 5, [], ROOTS[5], ROOTS[6])
    assert (caught.value.expected, caught.value.calculated) == (ROOTS[6], ROOTS[5])


def test_empty_old_tree() -> None:
    verify_consistency(0, 0, [], EMPTY_ROOT, EMPTY_ROOT)
    verify_consistency(0, 5, [], EMPTY_ROOT, ROOTS[5])  # every tree extends the empty tree
    assert root_from_consistency_proof(0, 0, [], EMPTY_ROOT) == EMPTY_ROOT
    with pytest.raises(ProofShapeError, match="from size 0 to 5 needs 0 hashes, got 1"):
        verify_consistency(0, 5, [ROOTS[5]], EMPTY_ROOT, ROOTS[5])
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(0, 5, [], ROOTS[1], ROOTS[5])  # size 0 has exactly one root
    assert caught.value.calculated == EMPTY_ROOT
    with pytest.raises(RootMismatchError):
        verify_consistency(0, 0, [], ROOTS[1], ROOTS[1])
    with pytest.raises(IndexOutOfRangeError, match="requires 0 < old_size"):
        root_from_consistency_proof(0, 5, [], EMPTY_ROOT)


def test_wrong_old_root_is_reported_against_the_old_root() -> None:
    proof = consistency_proof(3, 7, LEAVES)
    with pytest.raises(RootMismatchError) as caught:
        verify_consistency(3, 7, proof, ROOTS[4], ROOTS[7])
    assert caught.value.expected == ROOTS[4]
    assert caught.value.calculated == ROOTS[3]


# --- tree and compact range ------------------------------------------------------


def test_tree_rejects_malformed_leaf_hashes_and_short_lists() -> None:
    with pytest.raises(TreeInputError, match="leaf hash 1 must be 32 bytes, got 3 bytes"):
        root_hash([LEAVES[0], b"abc"])
    with pytest.raises(IndexOutOfRangeError, match="tree size 9 exceeds the 8 leaf hashes given"):
        inclusion_proof(0, 9, LEAVES)
    with pytest.raises(IndexOutOfRangeError, match="tree size 9 exceeds the 8 leaf hashes given"):
        consistency_proof(2, 9, LEAVES)


def test_compact_range_rejects_malformed_leaves_keeping_the_ones_before() -> None:
    frontier = CompactRange()
    with pytest.raises(TreeInputError, match="leaf hash 2 must be 32 bytes, got str"):
        frontier.extend([LEAVES[0], LEAVES[1], _as_any("not bytes"), LEAVES[3]])
    assert frontier.size == 2
    assert frontier.root() == ROOTS[2]
    with pytest.raises(TreeInputError, match="leaf hash 2 must be 32 bytes, got 31 bytes"):
        frontier.append(LEAVES[2][:31])


@pytest.mark.parametrize(
    ("size", "hashes", "message"),
    [
        (5, [LEAVES[0]], r"size 5 holds popcount\(5\) = 2 hashes, got 1"),
        (0, [LEAVES[0]], r"size 0 holds popcount\(0\) = 0 hashes, got 1"),
        (-1, [], "size must be an int >= 0, got -1"),
        (3, [LEAVES[0], b"short"], "compact range hash 1 must be 32 bytes, got 5 bytes"),
    ],
)
def test_compact_range_restore_validates_state(
    size: int, hashes: list[bytes], message: str
) -> None:
    with pytest.raises(TreeInputError, match=message):
        CompactRange.restore(size=size, hashes=hashes)


def test_error_classes_let_callers_catch_one_type() -> None:
    for error in (IndexOutOfRangeError, ProofShapeError, RootMismatchError):
        assert issubclass(error, VerificationError)
    assert issubclass(TreeInputError, CoreError) and issubclass(TreeInputError, ValueError)
    assert not issubclass(TreeInputError, VerificationError)
