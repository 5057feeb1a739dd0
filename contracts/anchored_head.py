"""`AnchoredHead`: a Merkle tree head as TraceAnchor recorded it, the one type for it.

The anchorer and witness (reading `headAt`), verification (`headIndexBySize` + `headAt`),
the health probe and the audit (from the indexer's mirror row `ChainTreeHead`) all
speak of the same thing with these field names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, kw_only=True)
class AnchoredHead:
    """Head number `head_index` of TraceAnchor: tree size and RFC 9162 root, and the block
    that anchored it.

    `block_time` is that block's timestamp in seconds (None where the source lacks it,
    e.g. the mirror before it has the block row); `transaction_hash` is known to readers
    of the `TreeHeadAnchored` log (the mirror), not to `headAt`, so it may be None.
    """

    head_index: int
    tree_size: int
    root_hash: bytes
    block_number: int
    block_time: int | None
    transaction_hash: bytes | None = None

    @classmethod
    def from_tree_head(cls, head_index: int, tree_head: Sequence[Any]) -> AnchoredHead:
        """From the decoded `TraceAnchor.TreeHead` struct `(treeSize, blockNumber,
        timestamp, rootHash)` that `headAt(head_index)` returns."""
        tree_size, block_number, timestamp, root_hash = tree_head
        return cls(head_index=int(head_index), tree_size=int(tree_size),
                   root_hash=bytes(root_hash), block_number=int(block_number),
                   block_time=int(timestamp))

    @property
    def root_hex(self) -> str:
        """The root as lowercase 0x-hex (how the mirror and the API write it)."""
        return "0x" + self.root_hash.hex()

    @property
    def transaction_hex(self) -> str | None:
        """The anchoring transaction's hash as lowercase 0x-hex, None if unknown."""
        return None if self.transaction_hash is None else "0x" + self.transaction_hash.hex()

    @property
    def block_time_ms(self) -> int | None:
        """`block_time` in milliseconds (the audit's clock), None if unknown."""
        return None if self.block_time is None else self.block_time * 1000
