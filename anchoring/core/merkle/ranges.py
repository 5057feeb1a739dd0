"""Proof plans: which subtree hashes make up an RFC 9162 proof, as [start, end) leaf ranges.

A store that keeps subtree hashes (the tile-based log) turns a plan into a proof by
looking each range up; `tree.py` turns it into a proof by hashing leaves. Every range
in a plan is a subtree of the RFC 9162 §2.1.1 split (its MTH is well defined), and the
ranges of one plan are pairwise disjoint.

Changing the order or shape of a plan changes every proof ever served.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from anchoring.core.errors import IndexOutOfRangeError

LeafRange = tuple[int, int]
"""A half-open leaf range [start, end) whose subtree hash is MTH(D[start:end])."""


def largest_power_of_two_below(size: int) -> int:
    """Return k, the largest power of two with k < size (RFC 9162 §2.1.1). Requires size >= 2."""
    return 1 << ((size - 1).bit_length() - 1)


def check_leaf_index(leaf_index: int, tree_size: int) -> None:
    """Raise `IndexOutOfRangeError` unless 0 <= leaf_index < tree_size."""
    if not 0 <= leaf_index < tree_size:
        if tree_size <= 0:
            raise IndexOutOfRangeError(
                f"no leaf {leaf_index} in a tree of size {tree_size}: "
                "inclusion needs a tree of size >= 1"
            )
        raise IndexOutOfRangeError(
            f"leaf index {leaf_index} out of range: requires 0 <= leaf_index < tree_size "
            f"= {tree_size}"
        )


def check_tree_sizes(old_size: int, new_size: int) -> None:
    """Raise `IndexOutOfRangeError` unless 0 <= old_size <= new_size."""
    if old_size < 0 or new_size < 0:
        raise IndexOutOfRangeError(
            f"tree sizes must not be negative: old_size={old_size}, new_size={new_size}"
        )
    if old_size > new_size:
        raise IndexOutOfRangeError(
            f"old_size {old_size} > new_size {new_size}: requires old_size <= new_size"
        )


def inclusion_proof_ranges(leaf_index: int, tree_size: int) -> list[LeafRange]:
    """Return the ranges of PATH(leaf_index, D[tree_size]), RFC 9162 §2.1.3.1, leaf-side first.

    Requires 0 <= leaf_index < tree_size. The plan has exactly as many ranges as the proof
    has hashes; a tree of size 1 has the empty plan.
    """
    check_leaf_index(leaf_index, tree_size)
    plan: list[LeafRange] = []
    start, end = 0, tree_size
    # Walk from the root down; RFC 9162 §2.1.3.1 appends each sibling after the
    # deeper path, so the plan is reversed at the end.
    while end - start > 1:
        middle = start + largest_power_of_two_below(end - start)
        if leaf_index < middle:
            # m < k: PATH(m, D[0:k]) : MTH(D[k:n])
            plan.append((middle, end))
            end = middle
        else:
            # m >= k: PATH(m - k, D[k:n]) : MTH(D[0:k])
            plan.append((start, middle))
            start = middle
    plan.reverse()
    return plan


def consistency_proof_ranges(old_size: int, new_size: int) -> list[LeafRange]:
    """Return the ranges of PROOF(old_size, D[new_size]), RFC 9162 §2.1.4.1, in proof order.

    Requires 0 <= old_size <= new_size. The plan is empty when old_size == new_size (a tree
    is consistent with itself) and when old_size == 0 (every tree extends the empty tree;
    RFC 9162 defines PROOF only for 0 < m < n).
    """
    check_tree_sizes(old_size, new_size)
    if old_size == 0 or old_size == new_size:
        return []
    plan: list[LeafRange] = []
    start, end = 0, new_size
    remaining = old_size  # m, relative to `start`
    complete_subtree = True  # b in SUBPROOF(m, D[n], b)
    while True:
        size = end - start
        if remaining == size:
            # SUBPROOF(m, D[m], true) = {}; SUBPROOF(m, D[m], false) = {MTH(D[m])}
            if not complete_subtree:
                plan.append((start, end))
            break
        middle = start + largest_power_of_two_below(size)
        if remaining <= middle - start:
            # m <= k: SUBPROOF(m, D[0:k], b) : MTH(D[k:n])
            plan.append((middle, end))
            end = middle
        else:
            # m > k: SUBPROOF(m - k, D[k:n], false) : MTH(D[0:k])
            plan.append((start, middle))
            remaining -= middle - start
            start = middle
            complete_subtree = False
    plan.reverse()
    return plan


def proof_from_ranges(
    plan: Sequence[LeafRange], subtree_hash: Callable[[int, int], bytes]
) -> list[bytes]:
    """Return the proof for `plan`: subtree_hash(start, end) for each range, in plan order.

    `subtree_hash(start, end)` must return MTH(D[start:end]) of the tree the plan was made for.
    """
    return [subtree_hash(start, end) for start, end in plan]
