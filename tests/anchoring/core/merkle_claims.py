"""What a Merkle verifier must answer to a claim, shared by the vector and property tests.

The order is the one `anchoring.core.merkle.verify` checks in: the claimed index or sizes
first (`IndexOutOfRangeError`), then the proof's shape, its length and 32-byte hashes
(`ProofShapeError`), then the recomputed root (`RootMismatchError`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

import pytest

from anchoring.core.errors import (
    IndexOutOfRangeError,
    ProofShapeError,
    RootMismatchError,
    VerificationError,
)
from anchoring.core.merkle import HASH_SIZE, consistency_proof_ranges, inclusion_proof_ranges


def _expected_error(
    in_range: bool,
    proof_length: int,
    wanted_length: int,
    hashes: Sequence[bytes],
    authentic: bool,
) -> type[VerificationError] | None:
    if not in_range:
        return IndexOutOfRangeError
    if proof_length != wanted_length or any(len(value) != HASH_SIZE for value in hashes):
        return ProofShapeError
    return None if authentic else RootMismatchError


def inclusion_claim_error(
    leaf_index: int,
    tree_size: int,
    proof: Sequence[bytes],
    *,
    hashes: Sequence[bytes] = (),
    authentic: bool = False,
) -> type[VerificationError] | None:
    """The error class `verify_inclusion` must raise when `proof` is offered for leaf
    `leaf_index` of a tree of `tree_size`, or None if the claim is `authentic`. `hashes`
    are the claim's hashes whose 32-byte length is checked (leaf, root, proof)."""
    in_range = 0 <= leaf_index < tree_size
    wanted = len(inclusion_proof_ranges(leaf_index, tree_size)) if in_range else 0
    return _expected_error(in_range, len(proof), wanted, hashes, authentic)


def consistency_claim_error(
    old_size: int,
    new_size: int,
    proof: Sequence[bytes],
    *,
    hashes: Sequence[bytes] = (),
    authentic: bool = False,
) -> type[VerificationError] | None:
    """The error class `verify_consistency` must raise when `proof` is offered between trees
    of `old_size` and `new_size`, or None if the claim is `authentic`; `hashes` as above
    (old root, new root, proof)."""
    in_range = 0 <= old_size <= new_size
    wanted = len(consistency_proof_ranges(old_size, new_size)) if in_range else 0
    return _expected_error(in_range, len(proof), wanted, hashes, authentic)


def raised_class(verify: Callable[..., object], *claim: object) -> type[VerificationError] | None:
    """The class of the `VerificationError` that `verify(*claim)` raises, or None."""
    try:
        verify(*claim)
    except VerificationError as error:
        return type(error)
    return None


def assert_outcome(
    expected: type[VerificationError] | None, verify: Callable[..., object], *claim: object
) -> None:
    """`verify(*claim)` returns (expected None) or raises exactly `expected`."""
    if expected is None:
        verify(*claim)
        return
    with pytest.raises(expected) as caught:
        verify(*claim)
    assert type(caught.value) is expected


def flip_bit(value: bytes, bit: int) -> bytes:
    """`value` with bit `bit` (0 = lowest bit of the first byte) inverted."""
    flipped = bytearray(value)
    flipped[bit // 8] ^= 1 << (bit % 8)
    return bytes(flipped)


def tampered_proofs(
    proof: Sequence[bytes], first_bit: int, bit_stride: int, front: bytes, back: bytes
) -> Iterator[tuple[list[bytes], type[VerificationError]]]:
    """Each way of spoiling an authentic `proof`, with the error it must get: every hash with
    one bit flipped (`first_bit + position * bit_stride`, mod 256; `RootMismatchError`), the
    proof less its first or last hash, and with `front` put before it or `back` after it
    (`ProofShapeError`)."""
    for position in range(len(proof)):
        tampered = [*proof]
        tampered[position] = flip_bit(proof[position], (first_bit + position * bit_stride) % 256)
        yield tampered, RootMismatchError
    for shortened in (proof[1:], proof[:-1]) if proof else ():
        yield list(shortened), ProofShapeError
    for lengthened in ([front, *proof], [*proof, back]):
        yield lengthened, ProofShapeError
