"""Reading TraceAnchor over standard JSON-RPC (web3.py): anchored heads, connections.

Used by the anchorer, the witness and `log verify`; works against our node, anvil or
any EVM node, since it uses only eth_call / eth_getTransactionCount / eth_sendRawTransaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.middleware import ExtraDataToPOAMiddleware

from contracts.artifacts import load_artifact

RPC_TIMEOUT_S = 10.0
"""Per JSON-RPC request; a node that takes longer is treated as down and retried."""

# Role enum values, contracts/src/Roles.sol (part of the ABI).
ROLE_ANCHORER = 3
ROLE_WITNESS = 4


@dataclass(frozen=True)
class AnchoredHead:
    """One `TraceAnchor.headAt(i)`: the tree head and the block that anchored it."""

    head_index: int
    tree_size: int
    root_hash: bytes
    block_number: int
    timestamp: int


def connect(rpc_url: str, *, timeout_s: float = RPC_TIMEOUT_S) -> Web3:
    """A web3 client for `rpc_url` (HTTP) with a bounded request timeout (`timeout_s`).

    Clique (our node) and QBFT (Besu) put seals in a header's extraData (97+ bytes);
    web3.py rejects such blocks unless the proof-of-authority middleware is installed.
    It is harmless on other chains, so it is always installed.
    """
    w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": timeout_s}))
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def trace_anchor(w3: Web3, address: str) -> Contract:
    """The TraceAnchor contract at `address`."""
    return w3.eth.contract(
        address=Web3.to_checksum_address(address), abi=load_artifact("TraceAnchor").abi
    )


def head_count(contract: Contract, block: Any = "latest") -> int:
    """Number of anchored heads."""
    return int(contract.functions.headCount().call(block_identifier=block))


def head_at(contract: Contract, head_index: int, block: Any = "latest") -> AnchoredHead:
    """Anchored head number `head_index`."""
    tree_size, block_number, timestamp, root = contract.functions.headAt(head_index).call(
        block_identifier=block
    )
    return AnchoredHead(head_index, int(tree_size), bytes(root), int(block_number), int(timestamp))


def fee_params(w3: Web3, *, bump: float = 1.0) -> dict[str, int]:
    """Gas price fields for a transaction on this chain.

    With a base fee (London+): EIP-1559 fields, max fee = 2 x base fee + tip, tip = the
    node's suggestion. Paying a multiple of `eth_gasPrice` instead would feed back into the
    node's tip oracle (anvil suggests recent tips) and grow the price every block. Without
    a base fee: a legacy `gasPrice`. `bump` > 1 raises both for a replacement transaction.
    A zero-base-fee chain (our node) gets max fee = tip, typically 0.
    """
    base_fee = w3.eth.get_block("latest").get("baseFeePerGas")
    if base_fee is None:
        return {"gasPrice": int(w3.eth.gas_price * bump)}
    try:
        tip = int(w3.eth.max_priority_fee)
    except ValueError:  # node without eth_maxPriorityFeePerGas: no tip
        tip = 0
    tip = int(tip * bump)
    return {"maxFeePerGas": int(2 * base_fee * bump) + tip, "maxPriorityFeePerGas": tip}


def read_heads(contract: Contract, start: int = 0) -> list[AnchoredHead]:
    """Every anchored head from index `start`, read at one block so the list is coherent."""
    block = contract.w3.eth.block_number
    count = head_count(contract, block)
    return [head_at(contract, index, block) for index in range(start, count)]
