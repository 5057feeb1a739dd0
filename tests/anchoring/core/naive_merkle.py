"""A deliberately naive RFC 9162 §2.1 Merkle tree: the definitions as written, recursively.

The fast code in `anchoring.core.merkle` is checked against this. Nothing here is clever
on purpose: MTH, PATH, PROOF and SUBPROOF transcribe RFC 9162 §2.1.1, §2.1.3.1 and
§2.1.4.1 over lists of leaf hashes, recomputing every subtree on every call: slow
(O(n log n) per proof), which is fine for the small trees the tests use.
"""

from __future__ import annotations

from hashlib import sha256


def naive_leaf_hash(entry: bytes) -> bytes:
    """MTH({d(0)}) = SHA-256(0x00 || d(0)), RFC 9162 §2.1.1."""
    return sha256(b"\x00" + entry).digest()


def _largest_power_of_two_below(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def naive_mth_of_leaf_hashes(leaf_hashes: list[bytes]) -> bytes:
    """MTH(D[n]) with the leaf level already hashed, RFC 9162 §2.1.1."""
    n = len(leaf_hashes)
    if n == 0:
        return sha256(b"").digest()
    if n == 1:
        return leaf_hashes[0]
    k = _largest_power_of_two_below(n)
    return sha256(
        b"\x01"
        + naive_mth_of_leaf_hashes(leaf_hashes[:k])
        + naive_mth_of_leaf_hashes(leaf_hashes[k:])
    ).digest()


def naive_mth(entries: list[bytes]) -> bytes:
    """MTH(D[n]) over raw entries, RFC 9162 §2.1.1."""
    return naive_mth_of_leaf_hashes([naive_leaf_hash(entry) for entry in entries])


def naive_path(m: int, leaf_hashes: list[bytes]) -> list[bytes]:
    """PATH(m, D[n]), RFC 9162 §2.1.3.1, with the leaf level already hashed."""
    n = len(leaf_hashes)
    if n == 1:
        return []
    k = _largest_power_of_two_below(n)
    if m < k:
        return naive_path(m, leaf_hashes[:k]) + [naive_mth_of_leaf_hashes(leaf_hashes[k:])]
    return naive_path(m - k, leaf_hashes[k:]) + [naive_mth_of_leaf_hashes(leaf_hashes[:k])]


def naive_proof(m: int, leaf_hashes: list[bytes]) -> list[bytes]:
    """PROOF(m, D[n]) = SUBPROOF(m, D[n], true), RFC 9162 §2.1.4.1 (0 < m < n; [] if m == n)."""
    return naive_subproof(m, leaf_hashes, True)


def naive_subproof(m: int, leaf_hashes: list[bytes], b: bool) -> list[bytes]:
    """SUBPROOF(m, D[n], b), RFC 9162 §2.1.4.1."""
    n = len(leaf_hashes)
    if m == n:
        return [] if b else [naive_mth_of_leaf_hashes(leaf_hashes)]
    k = _largest_power_of_two_below(n)
    if m <= k:
        return naive_subproof(m, leaf_hashes[:k], b) + [naive_mth_of_leaf_hashes(leaf_hashes[k:])]
    return naive_subproof(m - k, leaf_hashes[k:], False) + [
        naive_mth_of_leaf_hashes(leaf_hashes[:k])
    ]
