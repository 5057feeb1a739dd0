"""Follower verification: rebuild block 0 from genesis.json, then fetch every block from a
node over standard JSON-RPC and import it into a py-evm chain with py-evm's *unmodified*
Clique and Cancun execution rules (plus the header rules of ledger_node/vm.py): seal and
signer, difficulty, gas,
transactions root, re-executed state root and receipts root must all match. Trusts
nothing the node says except the bytes it serves.

`traceledger node verify --genesis DIR/genesis.json --upstream http://127.0.0.1:8545`
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth.abc import BlockHeaderAPI, SignedTransactionAPI
from eth.chains.base import Chain
from eth.db.atomic import AtomicDB
from eth.db.backends.memory import MemoryDB
from eth.exceptions import HeaderNotFound
from eth.vm.forks.cancun.blocks import CancunBlock, CancunBlockHeader
from eth_utils import to_canonical_address

from contracts.rpc_client import JsonRpcClient, RpcClientError
from ledger_node.chain import ChainConfig, genesis_header_params, genesis_state
from ledger_node.clique_votes import CliqueError, SnapshotCache, apply_header
from ledger_node.errors import BlockRejectedError, LedgerNodeError
from ledger_node.transactions import TRANSACTION_BUILDER
from ledger_node.vm import chain_class, clique_vm_class

logger = logging.getLogger(__name__)


UPSTREAM_TIMEOUT_S = 60.0
"""Per request to the upstream node: a block with full transactions can be large."""


@dataclass(frozen=True)
class VerifiedRange:
    """Blocks [first, last] verified; `head_hash` and `state_root` of the last one."""

    first: int
    last: int
    head_hash: str
    state_root: str


def _int(value: str) -> int:
    return int(value, 16)


def _bytes(value: str) -> bytes:
    return bytes.fromhex(value[2:])


def header_from_json(block: dict[str, Any]) -> BlockHeaderAPI:
    """The header of an eth_getBlockBy* result (its hash is recomputed, not trusted)."""
    return CancunBlockHeader(
        parent_hash=_bytes(block["parentHash"]),
        uncles_hash=_bytes(block["sha3Uncles"]),
        coinbase=to_canonical_address(block["miner"]),
        state_root=_bytes(block["stateRoot"]),
        transaction_root=_bytes(block["transactionsRoot"]),
        receipt_root=_bytes(block["receiptsRoot"]),
        bloom=int.from_bytes(_bytes(block["logsBloom"]), "big"),
        difficulty=_int(block["difficulty"]),
        block_number=_int(block["number"]),
        gas_limit=_int(block["gasLimit"]),
        gas_used=_int(block["gasUsed"]),
        timestamp=_int(block["timestamp"]),
        extra_data=_bytes(block["extraData"]),
        mix_hash=_bytes(block["mixHash"]),
        nonce=_bytes(block["nonce"]),
        base_fee_per_gas=_int(block["baseFeePerGas"]),
        withdrawals_root=_bytes(block["withdrawalsRoot"]),
        blob_gas_used=_int(block["blobGasUsed"]),
        excess_blob_gas=_int(block["excessBlobGas"]),
        parent_beacon_block_root=_bytes(block["parentBeaconBlockRoot"]),
    )


def transaction_from_json(tx: dict[str, Any]) -> SignedTransactionAPI:
    """A signed py-evm transaction from an eth_getTransactionBy* result (types 0, 1, 2)."""
    builder = TRANSACTION_BUILDER
    to = to_canonical_address(tx["to"]) if tx.get("to") else b""
    common = {"nonce": _int(tx["nonce"]), "gas": _int(tx["gas"]), "to": to,
              "value": _int(tx["value"]), "data": _bytes(tx["input"])}
    type_id = _int(tx.get("type", "0x0"))
    if type_id == 0:
        return builder.new_transaction(gas_price=_int(tx["gasPrice"]), v=_int(tx["v"]),
                                       r=_int(tx["r"]), s=_int(tx["s"]), **common)
    access_list = [
        (to_canonical_address(entry["address"]), [_int(k) for k in entry["storageKeys"]])
        for entry in tx.get("accessList", [])
    ]
    signature = {"y_parity": _int(tx.get("yParity", tx["v"])), "r": _int(tx["r"]),
                 "s": _int(tx["s"])}
    if type_id == 1:
        return builder.new_access_list_transaction(
            chain_id=_int(tx["chainId"]), gas_price=_int(tx["gasPrice"]),
            access_list=access_list, **common, **signature)
    if type_id == 2:
        return builder.new_dynamic_fee_transaction(
            chain_id=_int(tx["chainId"]), max_priority_fee_per_gas=_int(tx["maxPriorityFeePerGas"]),
            max_fee_per_gas=_int(tx["maxFeePerGas"]), access_list=access_list,
            **common, **signature)
    raise ValueError(f"unsupported transaction type {type_id}")


def block_from_json(number: int, answer: Any) -> CancunBlock:
    """The block in an eth_getBlockByNumber(number, true) answer, its header hash recomputed
    from its fields; BlockRejectedError if it is missing, malformed, another block, does not
    hash to its claimed hash, or carries withdrawals."""
    if not isinstance(answer, dict):
        raise BlockRejectedError(number, "the upstream has no such block")
    try:
        header = header_from_json(answer)
        if header.block_number != number:
            raise BlockRejectedError(number, f"answer is block {header.block_number}")
        if "0x" + header.hash.hex() != answer.get("hash"):
            raise BlockRejectedError(number, "header fields do not hash to the block hash")
        if answer.get("withdrawals"):
            raise BlockRejectedError(number, "this chain has no withdrawals")
        txs = [transaction_from_json(tx) for tx in answer["transactions"]]
    except BlockRejectedError:
        raise
    except (KeyError, TypeError, ValueError) as exc:  # a field missing or malformed
        raise BlockRejectedError(number, f"malformed block: {exc!r}") from exc
    return CancunBlock(header, txs, [], [])


class Follower:
    """A py-evm chain (in memory) that imports and re-executes blocks from their JSON."""

    def __init__(self, genesis_path: Path) -> None:
        document = json.loads(genesis_path.read_text())
        config = ChainConfig.from_json(json.dumps(document["config"]))
        alloc = {to_canonical_address(a): int(b, 16) for a, b in document["alloc"].items()}
        klass = chain_class(config.chain_id, config.epoch, clique_vm_class())
        self.chain: Chain = klass.from_genesis(
            AtomicDB(MemoryDB()), genesis_header_params(config, document["timestamp"]),
            genesis_state(alloc),
        )
        self.genesis_hash = "0x" + self.chain.get_canonical_head().hash.hex()
        self.epoch = config.epoch
        # Our EIP-225 snapshot: py-evm's Clique does not enforce the recent-signers rule.
        self.snapshots = SnapshotCache(self._header_by_number, config.epoch)

    def _header_by_number(self, number: int) -> BlockHeaderAPI | None:
        try:
            return self.chain.get_canonical_block_header_by_number(number)
        except HeaderNotFound:
            return None

    def verify_block(self, block: dict[str, Any]) -> None:
        """Import `block` (JSON with full transactions); raise BlockRejectedError if its
        hash, seal, transactions or re-executed roots do not match."""
        number = _int(block["number"])
        parsed = block_from_json(number, block)
        try:
            apply_header(self.snapshots.at(number - 1), parsed.header, self.epoch)
        except (CliqueError, ValueError) as exc:
            reason = str(exc).removeprefix(f"block {number}: ")  # the error says the block
            raise BlockRejectedError(number, f"Clique: {reason}") from exc
        try:
            self.chain.import_block(parsed)
        except Exception as exc:  # py-evm raises ValidationError and others
            raise BlockRejectedError(number, f"{exc.__class__.__name__}: {exc}") from exc


def verify_upstream(
    genesis_path: Path,
    upstream: str,
    to_block: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> VerifiedRange:
    """Verify blocks 0..to_block (default: the upstream head) served by `upstream`.

    Raises `BlockRejectedError` for a block that does not verify and `LedgerNodeError`
    when the upstream node cannot be asked.
    """
    follower = Follower(genesis_path)
    client = JsonRpcClient(upstream, timeout_s=UPSTREAM_TIMEOUT_S)

    def call(method: str, params: list[Any]) -> Any:
        try:
            return client.call(method, params)
        except RpcClientError as exc:
            raise LedgerNodeError(f"{method}: {exc}") from exc

    try:
        return _verify_blocks(follower, call, to_block, progress)
    finally:
        client.close()


def _verify_blocks(
    follower: Follower,
    call: Callable[[str, list[Any]], Any],
    to_block: int | None,
    progress: Callable[[int], None] | None,
) -> VerifiedRange:
    genesis = call("eth_getBlockByNumber", ["0x0", False])
    if genesis["hash"] != follower.genesis_hash:
        raise BlockRejectedError(0, f"genesis {genesis['hash']} != {follower.genesis_hash}")
    last = to_block if to_block is not None else _int(call("eth_blockNumber", []))
    head = genesis
    for number in range(1, last + 1):
        head = call("eth_getBlockByNumber", [hex(number), True])
        follower.verify_block(head)
        if progress:
            progress(number)
    logger.info("verified blocks 0..%d, head %s", last, head["hash"])
    return VerifiedRange(0, last, head["hash"], head["stateRoot"])
