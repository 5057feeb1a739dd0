"""RFC 9162 Merkle tree hashing: the two hash functions every proof rests on.

Changing anything here breaks every proof and every anchored head ever made.
"""

from __future__ import annotations

from hashlib import sha256

HASH_SIZE = 32
"""SHA-256 output length; every node and leaf hash in the log has exactly this many bytes."""

EMPTY_ROOT = sha256(b"").digest()
"""MTH({}) = SHA-256() for the empty tree, RFC 9162 §2.1.1."""

_LEAF_PREFIX = b"\x00"
_NODE_PREFIX = b"\x01"


def leaf_hash(entry: bytes) -> bytes:
    """Return MTH({d(0)}) = SHA-256(0x00 || entry), RFC 9162 §2.1.1."""
    return sha256(_LEAF_PREFIX + entry).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return SHA-256(0x01 || left || right), RFC 9162 §2.1.1."""
    return sha256(_NODE_PREFIX + left + right).digest()
