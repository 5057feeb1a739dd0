"""The RLP of a block from its parts (the header's RLP and the raw transactions), as a
block file, a peer message and `eth_getBlock*`'s size need it: no re-encoding of the
transactions through py-evm's objects."""

from __future__ import annotations

from collections.abc import Sequence

from ledger_node.ordered_trie import rlp_bytes, rlp_list


def block_rlp_from_parts(header_rlp: bytes, raw_txs: Sequence[bytes]) -> bytes:
    """rlp([header, [txs], [], []]) (header, transactions, no uncles, no withdrawals). In a
    block body a legacy tx is its RLP list (first byte >= 0xc0), a typed tx the byte
    string of its envelope."""
    tx_items = [raw if raw[0] >= 0xC0 else rlp_bytes(raw) for raw in raw_txs]
    return rlp_list([header_rlp, rlp_list(tx_items), rlp_list([]), rlp_list([])])
