"""What consortium nodes say to each other over the peer link, and how a node acts on it.

Kinds of message (bodies are JSON; bytes are 0x-hex):

- `block` {rlp, td}: a block its signer just sealed, with the sender's total difficulty
  at it. One-way. The receiver imports it if it extends or beats its chain, and syncs
  from the sender when its parent is unknown.
- `txs` {raw: [...]}: transactions an authority admitted over JSON-RPC, forwarded so every
  authority can include them whoever's turn it is. One-way; the receiver runs its own
  admission (members only) and does not forward them again (the peer list is a full mesh).
- `status` {} -> `status` {number, hash, td, genesis}: the sender's head.
- `hashes` {from, count} -> `hashes` {hashes: [...]}: canonical block hashes, to find
  where two chains part.
- `blocks` {from, count} -> `blocks` {rlp: [...]}: canonical blocks, at most
  MAX_BLOCKS_PER_ANSWER and about MAX_ANSWER_BYTES.

Everything a peer sends is checked here for shape and bounds before the node acts on
it; blocks are then verified in full by `LedgerChain.import_branch`, whoever sent them.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

from ledger_node.peer_messages import PeerMessage, PeerMessageError
from ledger_node.transactions import MAX_TX_SIZE

if TYPE_CHECKING:
    from ledger_node.node import LedgerNode

logger = logging.getLogger(__name__)

MAX_TXS_PER_MESSAGE = 2_000
MAX_HASHES_PER_ANSWER = 1_024
MAX_BLOCKS_PER_ANSWER = 64
MAX_ANSWER_BYTES = 8 * 1024 * 1024  # below the envelope's 16 MiB, hex doubling included
HEX_DIGITS = re.compile(r"[0-9a-fA-F]*")


def to_hex(data: bytes) -> str:
    return "0x" + data.hex()


def hex_bytes(value: Any, name: str, max_bytes: int) -> bytes:
    """0x-hex `value` as bytes, or PeerMessageError("format") naming `name`."""
    if not isinstance(value, str) or not value.startswith("0x"):
        raise PeerMessageError("format", f"{name} must be a 0x-hex string")
    if len(value) > 2 + 2 * max_bytes:
        raise PeerMessageError("format", f"{name} is longer than {max_bytes:,} bytes")
    if HEX_DIGITS.fullmatch(value, 2) is None or len(value) % 2:
        # bytes.fromhex would skip whitespace: only pairs of hex digits are bytes here.
        raise PeerMessageError("format", f"{name} is not an even number of hex digits")
    return bytes.fromhex(value[2:])


def natural(value: Any, name: str, maximum: int | None = None) -> int:
    """A non-negative JSON integer (at most `maximum`), or PeerMessageError("format")."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise PeerMessageError("format", f"{name} must be a non-negative integer")
    if maximum is not None and value > maximum:
        raise PeerMessageError("format", f"{name} must be at most {maximum:,}")
    return value


def members(body: Any, names: set[str]) -> dict[str, Any]:
    """`body` as an object with exactly `names`, or PeerMessageError("format")."""
    if not isinstance(body, dict) or set(body) != names:
        raise PeerMessageError("format", f"body must have exactly {sorted(names)}")
    return body


class PeerProtocol:
    """Answers and acts on peer messages for one node."""

    def __init__(self, node: LedgerNode) -> None:
        self.node = node

    async def handle(self, message: PeerMessage) -> tuple[str, Any] | None:
        """The reply to `message` (None for one-way kinds). Raises PeerMessageError."""
        handler = {
            "block": self._block, "txs": self._txs, "status": self._status,
            "hashes": self._hashes, "blocks": self._blocks,
        }.get(message.kind)
        if handler is None:
            raise PeerMessageError("format", f"unknown message kind {message.kind[:40]!r}")
        return handler(message)

    def _block(self, message: PeerMessage) -> None:
        body = members(message.body, {"rlp", "td"})
        block_rlp = hex_bytes(body["rlp"], "rlp", MAX_ANSWER_BYTES)
        self.node.receive_peer_block(message.sender, block_rlp, natural(body["td"], "td"))

    def _txs(self, message: PeerMessage) -> None:
        body = members(message.body, {"raw"})
        raws = body["raw"]
        if not isinstance(raws, list) or len(raws) > MAX_TXS_PER_MESSAGE:
            raise PeerMessageError("format", f"raw must be a list of at most "
                                             f"{MAX_TXS_PER_MESSAGE:,} transactions")
        self.node.receive_peer_txs(
            message.sender, [hex_bytes(r, "raw[]", MAX_TX_SIZE) for r in raws])

    def _status(self, message: PeerMessage) -> tuple[str, Any]:
        members(message.body, set())
        head = self.node.chain.head_header
        return "status", {
            "number": head.block_number, "hash": to_hex(head.hash),
            "td": self.node.chain.total_difficulty(head.hash),
            "genesis": to_hex(self.node.genesis_hash),
        }

    def _range(self, body: Any, maximum: int) -> range:
        body = members(body, {"from", "count"})
        first = natural(body["from"], "from")
        count = natural(body["count"], "count", maximum)
        head = self.node.chain.head_header.block_number
        return range(first, min(first + count, head + 1))

    def _hashes(self, message: PeerMessage) -> tuple[str, Any]:
        hashes = []
        for number in self._range(message.body, MAX_HASHES_PER_ANSWER):
            row = self.node.store.block_by_number(number)
            if row is None:  # a reorg shortened the chain meanwhile
                break
            hashes.append(to_hex(row.hash))
        return "hashes", {"hashes": hashes}

    def _blocks(self, message: PeerMessage) -> tuple[str, Any]:
        blocks: list[str] = []
        size = 0
        for number in self._range(message.body, MAX_BLOCKS_PER_ANSWER):
            encoded = self.node.store.block_rlp(number)
            if encoded is None:  # a reorg shortened the chain meanwhile
                break
            size += 2 * len(encoded)
            if blocks and size > MAX_ANSWER_BYTES:
                break  # the asker asks again from where this answer stops
            blocks.append(to_hex(encoded))
        return "blocks", {"rlp": blocks}
