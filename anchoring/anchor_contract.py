"""The TraceAnchor contract over standard JSON-RPC (web3.py): connections, anchored heads,
fee fields for the transactions the anchorer and witness send.

web3.py stays here because these callers sign and send transactions (estimate, sign,
nonce, receipt) and that is web3's strength; plain reads elsewhere use the small client
in `contracts.rpc_client`. Works against our node, anvil or any EVM node, since it uses
only eth_call / eth_getTransactionCount / eth_sendRawTransaction.
"""

from __future__ import annotations

from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.middleware import ExtraDataToPOAMiddleware

from anchoring.errors import ChainError
from contracts.abi import Contract as ContractName
from contracts.anchored_head import AnchoredHead
from contracts.artifacts import load_artifact

RPC_TIMEOUT_S = 10.0
"""Per JSON-RPC request; a node that takes longer is treated as down and retried."""
COHERENT_READ_ATTEMPTS = 20
"""Reads of (block, head count, latest head) before giving up; a retry is needed only
while the node mines a block, so a few suffice."""

__all__ = ["AnchoredHead", "connect", "fee_params", "head_at", "head_count", "latest_at_one_block",
           "read_heads", "trace_anchor"]


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
        address=Web3.to_checksum_address(address), abi=load_artifact(ContractName.TRACE_ANCHOR).abi
    )


def head_count(contract: Contract, block: Any = "latest") -> int:
    """Number of anchored heads."""
    return int(contract.functions.headCount().call(block_identifier=block))


def head_at(contract: Contract, head_index: int, block: Any = "latest") -> AnchoredHead:
    """Anchored head number `head_index`."""
    tree_head = contract.functions.headAt(head_index).call(block_identifier=block)
    return AnchoredHead.from_tree_head(head_index, tree_head)


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


def latest_at_one_block(contract: Contract) -> tuple[int, int, AnchoredHead | None]:
    """(block, head count, latest head or None) as of one block number, all three agreeing.

    Naming the block is not enough on anvil: a call at its newest block number may be
    answered from the state it is mining the next block into. Under load `headCount` at N
    then counted a head anchored in N + 1, and `headAt(count - 1)` at N, answered a moment
    later from N's own state, reverted `UnknownHeadIndex` (a reader racing an anchorer on
    anvil 1.7 saw it in 2-3 % of reads; tests/anchoring/test_head_reads.py). So the latest head
    is checked against the block: it must exist at N and have been anchored at or before
    N; otherwise the three are read again at the new newest block.
    """
    for _ in range(COHERENT_READ_ATTEMPTS):
        block = contract.w3.eth.block_number
        count = head_count(contract, block)
        if count == 0:
            return block, 0, None
        try:
            latest = head_at(contract, count - 1, block)
        except ContractLogicError:  # UnknownHeadIndex: the count was read ahead of `block`
            continue
        if latest.block_number <= block:
            return block, count, latest
    raise ChainError(f"head count and latest head disagreed in {COHERENT_READ_ATTEMPTS} reads")


def read_heads(contract: Contract, start: int = 0) -> list[AnchoredHead]:
    """Every anchored head from index `start`, read at one block so the list is coherent."""
    block, count, latest = latest_at_one_block(contract)
    earlier = [head_at(contract, index, block) for index in range(start, count - 1)]
    return earlier + ([latest] if latest is not None and latest.head_index >= start else [])
