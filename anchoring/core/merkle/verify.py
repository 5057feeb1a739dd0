"""Checking RFC 9162 inclusion and consistency proofs against tree heads.

`root_from_*` compute the root a proof leads to; `verify_*` compare it and raise.
Every hash (leaf hash, roots, proof items) must be `bytes` of exactly HASH_SIZE; a
proof must have exactly the number of hashes its sizes call for. Errors:

- `IndexOutOfRangeError`: index or sizes violate the stated preconditions;
- `ProofShapeError`: wrong number of proof hashes, or a hash that is not 32 bytes;
- `RootMismatchError`: the proof is well formed but leads to a different root.

The bit arithmetic follows transparency-dev/merkle: a proof for leaf m of tree n splits
into an "inner" part, below the node where the paths to m and n - 1 diverge, and a
"border" part, left siblings along the right edge of the tree. It computes exactly what
the step-by-step algorithms of RFC 9162 §2.1.3.2 and §2.1.4.2 compute, without their
inner shifting loops.

A proof is only as good as the (tree_size, root) pair it is checked against: the same
hashes can lead to the same root under another (index, size) with the same left/right
pattern, so both must come from one authentic tree head (a signed checkpoint).

Changing anything here can make valid proofs fail or invalid proofs pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from hashlib import sha256

from anchoring.core.errors import IndexOutOfRangeError, ProofShapeError, RootMismatchError
from anchoring.core.merkle.hashing import EMPTY_ROOT, HASH_SIZE
from anchoring.core.merkle.ranges import check_leaf_index, check_tree_sizes

_NODE_PREFIX = b"\x01"


def inclusion_proof_size(leaf_index: int, tree_size: int) -> tuple[int, int]:
    """Return (inner, border): the two parts of PATH(leaf_index, D[tree_size]).

    Requires 0 <= leaf_index < tree_size. `inner` hashes lie below the node where the paths
    to leaf_index and tree_size - 1 diverge, `border` hashes are left siblings above it; the
    proof has inner + border hashes.
    """
    inner = (leaf_index ^ (tree_size - 1)).bit_length()
    border = (leaf_index >> inner).bit_count()
    return inner, border


def root_from_inclusion_proof(
    leaf_index: int, tree_size: int, leaf_hash: bytes, proof: Sequence[bytes]
) -> bytes:
    """Return the root that `proof` leads to for `leaf_hash` at `leaf_index`, RFC 9162 §2.1.3.2.

    Requires 0 <= leaf_index < tree_size (raises `IndexOutOfRangeError`), a HASH_SIZE-byte
    leaf hash and a proof of exactly the PATH length with HASH_SIZE-byte items (raises
    `ProofShapeError`).
    """
    check_leaf_index(leaf_index, tree_size)  # RFC 9162 §2.1.3.2 step 1
    _check_hash("leaf hash", leaf_hash)
    inner, border = inclusion_proof_size(leaf_index, tree_size)
    expected = inner + border
    if len(proof) != expected:
        raise ProofShapeError(
            f"inclusion proof for leaf {leaf_index} of tree size {tree_size} needs "
            f"{expected} hashes, got {len(proof)}",
            expected=expected,
            got=len(proof),
        )
    _check_proof_hashes(proof)
    # Hot loops: bound names, one concatenation and one digest per level.
    hash_function = sha256
    prefix = _NODE_PREFIX
    node = leaf_hash  # RFC 9162 §2.1.3.2 steps 2-3: fn = leaf_index, r = hash
    index = leaf_index
    # Step 4 below the divergence point: LSB(fn) tells which side the sibling is on.
    for sibling in proof[:inner]:
        if index & 1:
            node = hash_function(prefix + sibling + node).digest()  # HASH(0x01 || p || r)
        else:
            node = hash_function(prefix + node + sibling).digest()  # HASH(0x01 || r || p)
        index >>= 1
    # Step 4 on the right border (fn == sn): every sibling is on the left.
    for sibling in proof[inner:]:
        node = hash_function(prefix + sibling + node).digest()  # HASH(0x01 || p || r)
    return node


def verify_inclusion(
    leaf_hash: bytes, leaf_index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Return None if `proof` shows `leaf_hash` at `leaf_index` in the tree with head
    (tree_size, root), RFC 9162 §2.1.3.2; raise otherwise.

    Requires 0 <= leaf_index < tree_size. Raises `IndexOutOfRangeError`, `ProofShapeError`
    or `RootMismatchError(expected=root, calculated=...)`.
    """
    calculated = root_from_inclusion_proof(leaf_index, tree_size, leaf_hash, proof)
    _check_hash("root", root)
    # RFC 9162 §2.1.3.2 step 5: compare r with root_hash (sn == 0 holds by the length check).
    if calculated != root:
        raise RootMismatchError(root, calculated)


def root_from_consistency_proof(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes
) -> bytes:
    """Return the new root that `proof` leads to from head (old_size, old_root), RFC 9162 §2.1.4.2.

    Requires 0 < old_size <= new_size, or old_size == new_size == 0 (raises
    `IndexOutOfRangeError`; from the empty tree there is nothing to compute, see
    `verify_consistency`). When the sizes are equal the proof must be empty and the result
    is old_root. Raises `ProofShapeError` for a wrong count or malformed hash, and
    `RootMismatchError(expected=old_root, calculated=...)` if the proof does not lead to
    old_root.
    """
    check_tree_sizes(old_size, new_size)
    _check_hash("old root", old_root)
    if old_size == new_size:
        _check_proof_count(old_size, new_size, proof, 0)
        if old_size == 0 and old_root != EMPTY_ROOT:
            raise RootMismatchError(old_root, EMPTY_ROOT)  # MTH({}), RFC 9162 §2.1.1
        return old_root
    if old_size == 0:
        raise IndexOutOfRangeError(
            f"no root can be computed from the empty tree to size {new_size}: "
            "requires 0 < old_size (verify_consistency accepts old_size == 0)"
        )

    last_old = old_size - 1
    inner, border = inclusion_proof_size(last_old, new_size)
    # The old tree's last leaf sits in a complete subtree of 2^shift leaves that the
    # proof treats as one node; below it nothing needs proving.
    shift = (old_size & -old_size).bit_length() - 1
    inner -= shift
    # RFC 9162 §2.1.4.2 step 2: if old_size is an exact power of 2, first_hash is that
    # node and the proof omits it; otherwise the proof starts with it.
    seeded = old_size == 1 << shift
    _check_proof_count(old_size, new_size, proof, inner + border + (0 if seeded else 1))
    _check_proof_hashes(proof)

    seed = old_root if seeded else proof[0]
    path = proof if seeded else proof[1:]
    hash_function = sha256
    prefix = _NODE_PREFIX
    old_node = new_node = seed  # step 5: fr and sr
    index = last_old >> shift  # step 4: shift out the complete subtree
    for sibling in path[:inner]:
        if index & 1:
            # Step 6, LSB(fn) set: a left sibling, part of both trees.
            old_node = hash_function(prefix + sibling + old_node).digest()
            new_node = hash_function(prefix + sibling + new_node).digest()
        else:
            # Step 6 otherwise: a right sibling, only in the new tree.
            new_node = hash_function(prefix + new_node + sibling).digest()
        index >>= 1
    for sibling in path[inner:]:
        # Step 6, fn == sn on the old tree's right border: a left sibling in both trees.
        old_node = hash_function(prefix + sibling + old_node).digest()
        new_node = hash_function(prefix + sibling + new_node).digest()
    # Step 7: fr must equal first_hash (sn == 0 holds by the length check above).
    if old_node != old_root:
        raise RootMismatchError(old_root, old_node)
    return new_node


def verify_consistency(
    old_size: int, new_size: int, proof: Sequence[bytes], old_root: bytes, new_root: bytes
) -> None:
    """Return None if `proof` shows head (new_size, new_root) extends (old_size, old_root),
    RFC 9162 §2.1.4.2; raise otherwise.

    Requires 0 <= old_size <= new_size. Equal sizes need an empty proof and equal roots.
    old_size == 0 needs an empty proof and old_root == EMPTY_ROOT: every tree extends the
    empty tree (RFC 9162 §2.1.4.1 defines proofs only for 0 < m < n). Raises
    `IndexOutOfRangeError`, `ProofShapeError` or `RootMismatchError`.
    """
    check_tree_sizes(old_size, new_size)
    _check_hash("new root", new_root)
    if old_size == 0 and new_size > 0:
        _check_hash("old root", old_root)
        _check_proof_count(old_size, new_size, proof, 0)
        if old_root != EMPTY_ROOT:
            raise RootMismatchError(old_root, EMPTY_ROOT)  # MTH({}), RFC 9162 §2.1.1
        return
    calculated = root_from_consistency_proof(old_size, new_size, proof, old_root)
    # RFC 9162 §2.1.4.2 step 7: sr must equal second_hash.
    if calculated != new_root:
        raise RootMismatchError(new_root, calculated)


def _check_hash(name: str, value: bytes) -> None:
    if type(value) is not bytes or len(value) != HASH_SIZE:
        raise ProofShapeError(f"{name} must be {HASH_SIZE} bytes, got {_describe(value)}")


def _check_proof_hashes(proof: Sequence[bytes]) -> None:
    for position, item in enumerate(proof):
        if type(item) is not bytes or len(item) != HASH_SIZE:
            raise _bad_proof_hash(position, item)


def _check_proof_count(old_size: int, new_size: int, proof: Sequence[bytes], expected: int) -> None:
    if len(proof) != expected:
        raise ProofShapeError(
            f"consistency proof from size {old_size} to {new_size} needs {expected} "
            f"hashes, got {len(proof)}",
            expected=expected,
            got=len(proof),
        )


def _bad_proof_hash(position: int, value: object) -> ProofShapeError:
    return ProofShapeError(
        f"proof hash {position} must be {HASH_SIZE} bytes, got {_describe(value)}"
    )


def _describe(value: object) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return type(value).__name__
