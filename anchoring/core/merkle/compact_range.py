"""The right frontier of an append-only RFC 9162 tree: its root in O(log n) memory.

A tree of n leaves splits into complete subtrees, one per set bit of n, largest (leftmost)
first; their hashes are the frontier. Appending a leaf merges equal-sized subtrees on
the right like a binary counter carries, so k appends to a tree of size n cost at most
k + log2(n + k) node hashes. The root folds the frontier right to left: the same tree
as RFC 9162 §2.1.1, whose split at the largest power of two below n makes every left
part a complete subtree.

The persisted form is (size, hashes). Changing it, or the fold order, breaks every
stored frontier.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from hashlib import sha256

from anchoring.core.errors import TreeInputError
from anchoring.core.merkle.hashing import EMPTY_ROOT, HASH_SIZE

_NODE_PREFIX = b"\x01"


class CompactRange:
    """The frontier of the tree of leaves [0, size): append leaf hashes, read the root.

    Start empty with `CompactRange()` or restore persisted state with
    `CompactRange.restore(size=..., hashes=...)`. Not thread-safe.
    """

    __slots__ = ("_hashes", "_root", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._hashes: list[bytes] = []
        self._root: bytes | None = EMPTY_ROOT

    @classmethod
    def restore(cls, *, size: int, hashes: Sequence[bytes]) -> CompactRange:
        """Return the frontier persisted as (size, hashes), after checking it is well formed.

        Requires size >= 0, len(hashes) == popcount(size) and every hash HASH_SIZE bytes;
        raises `TreeInputError` otherwise. Whether the hashes belong to the log is for the
        caller to check, e.g. against a signed tree head via `root()`.
        """
        if type(size) is not int or size < 0:
            raise TreeInputError(f"compact range size must be an int >= 0, got {size!r}")
        expected = size.bit_count()
        if len(hashes) != expected:
            raise TreeInputError(
                f"a compact range of size {size} holds popcount({size}) = {expected} "
                f"hashes, got {len(hashes)}"
            )
        for position, value in enumerate(hashes):
            if type(value) is not bytes or len(value) != HASH_SIZE:
                raise TreeInputError(
                    f"compact range hash {position} must be {HASH_SIZE} bytes, "
                    f"got {_describe(value)}"
                )
        restored = cls()
        restored._size = size
        restored._hashes = list(hashes)
        restored._root = None
        return restored

    @classmethod
    def from_leaf_hashes(cls, leaf_hashes: Iterable[bytes]) -> CompactRange:
        """Return the frontier of the tree of exactly these leaf hashes."""
        built = cls()
        built.extend(leaf_hashes)
        return built

    @property
    def size(self) -> int:
        """The number of leaves appended so far (the tree size)."""
        return self._size

    @property
    def hashes(self) -> tuple[bytes, ...]:
        """The frontier to persist with `size`: complete-subtree hashes, leftmost first."""
        return tuple(self._hashes)

    def append(self, leaf_hash: bytes) -> None:
        """Append one leaf hash (HASH_SIZE bytes, else `TreeInputError`). O(log n) worst case."""
        self.extend((leaf_hash,))

    def extend(self, leaf_hashes: Iterable[bytes]) -> None:
        """Append leaf hashes in order. k leaves cost at most k + log2(n + k) node hashes.

        Every leaf hash must be HASH_SIZE bytes; on the first one that is not, raises
        `TreeInputError` with the leaves before it appended and the rest not.
        """
        hashes = self._hashes
        size = self._size
        hash_function = sha256
        prefix = _NODE_PREFIX
        pop = hashes.pop
        push = hashes.append
        try:
            for node in leaf_hashes:
                if type(node) is not bytes or len(node) != HASH_SIZE:
                    raise TreeInputError(
                        f"leaf hash {size} must be {HASH_SIZE} bytes, got {_describe(node)}"
                    )
                # Each trailing set bit of size is a complete subtree the same height as
                # the new node: merge, SHA-256(0x01 || left || right), RFC 9162 §2.1.1.
                carry = size
                while carry & 1:
                    node = hash_function(prefix + pop() + node).digest()
                    carry >>= 1
                push(node)
                size += 1
        finally:
            if size != self._size:
                self._size = size
                self._root = None

    def root(self) -> bytes:
        """Return MTH(D[size]), RFC 9162 §2.1.1; O(log n) after appends, cached until the next."""
        if self._root is None:
            hashes = self._hashes
            if not hashes:
                self._root = EMPTY_ROOT  # MTH({}) = SHA-256(), RFC 9162 §2.1.1
                return EMPTY_ROOT
            hash_function = sha256
            prefix = _NODE_PREFIX
            # Fold right to left: each left complete subtree is the k-part of the split.
            node = hashes[-1]
            for left in reversed(hashes[:-1]):
                node = hash_function(prefix + left + node).digest()
            self._root = node
        return self._root

    def copy(self) -> CompactRange:
        """Return an independent frontier with the same state."""
        duplicate = CompactRange()
        duplicate._size = self._size
        duplicate._hashes = list(self._hashes)
        duplicate._root = self._root
        return duplicate

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CompactRange):
            return NotImplemented
        return self._size == other._size and self._hashes == other._hashes

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"CompactRange(size={self._size}, hashes={len(self._hashes)})"


def _describe(value: object) -> str:
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    return type(value).__name__
