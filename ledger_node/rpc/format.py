"""JSON shapes of the Ethereum JSON-RPC (execution-apis): quantities, data, blocks, txs,
receipts, logs; and strict parsing of request parameters (errors are -32602)."""

from __future__ import annotations

import re
from typing import Any

from eth.abc import BlockHeaderAPI
from eth_utils import to_checksum_address

from ledger_node.errors import invalid_params
from ledger_node.store import BlockRow, LogRow, TxRow
from ledger_node.transactions import tx_type

# ---------------------------------------------------------------------- encoding


def quantity(value: int) -> str:
    """A QUANTITY: 0x-prefixed hex without leading zeros."""
    return hex(value)


def data(value: bytes) -> str:
    """DATA: 0x-prefixed hex of the bytes."""
    return "0x" + value.hex()


def address(value: bytes) -> str:
    """A 20-byte address, EIP-55 checksummed."""
    return to_checksum_address(value)


def header_json(header: BlockHeaderAPI, row: BlockRow) -> dict[str, Any]:
    """The header fields of an eth_getBlockBy* result."""
    return {
        "number": quantity(header.block_number),
        "hash": data(header.hash),
        "parentHash": data(header.parent_hash),
        "nonce": data(header.nonce),
        "mixHash": data(header.mix_hash),
        "sha3Uncles": data(header.uncles_hash),
        "logsBloom": data(header.bloom.to_bytes(256, "big")),
        "transactionsRoot": data(header.transaction_root),
        "stateRoot": data(header.state_root),
        "receiptsRoot": data(header.receipt_root),
        "miner": address(header.coinbase),
        "difficulty": quantity(header.difficulty),
        "totalDifficulty": quantity(0),  # filled by the caller when known
        "extraData": data(header.extra_data),
        "size": quantity(row.size),
        "gasLimit": quantity(header.gas_limit),
        "gasUsed": quantity(header.gas_used),
        "timestamp": quantity(header.timestamp),
        "baseFeePerGas": quantity(header.base_fee_per_gas),
        "withdrawalsRoot": data(header.withdrawals_root),
        "withdrawals": [],
        "blobGasUsed": quantity(header.blob_gas_used),
        "excessBlobGas": quantity(header.excess_blob_gas),
        "parentBeaconBlockRoot": data(header.parent_beacon_block_root),
        "uncles": [],
    }


def tx_json(row: TxRow, tx: Any, block_hash: bytes | None) -> dict[str, Any]:
    """An eth_getTransactionByHash result for an included (or, without row, pending) tx."""
    type_id = tx_type(tx)
    result: dict[str, Any] = {
        "hash": data(row.hash),
        "type": quantity(type_id),
        "nonce": quantity(tx.nonce),
        "from": address(row.sender),
        "to": address(tx.to) if tx.to else None,
        "value": quantity(tx.value),
        "gas": quantity(tx.gas),
        "input": data(tx.data),
        "r": quantity(tx.r),
        "s": quantity(tx.s),
        "blockHash": data(block_hash) if block_hash is not None else None,
        "blockNumber": quantity(row.block_number) if block_hash is not None else None,
        "transactionIndex": quantity(row.tx_index) if block_hash is not None else None,
    }
    if type_id == 0:
        result["gasPrice"] = quantity(tx.gas_price)
        result["v"] = quantity(tx.v)
        if tx.chain_id is not None:
            result["chainId"] = quantity(tx.chain_id)
    else:
        result["chainId"] = quantity(tx.chain_id)
        result["v"] = quantity(tx.y_parity)
        result["yParity"] = quantity(tx.y_parity)
        result["accessList"] = [
            {"address": address(entry[0]), "storageKeys": [data(k.to_bytes(32, "big"))
                                                          for k in entry[1]]}
            for entry in tx.access_list
        ]
        if type_id == 1:
            result["gasPrice"] = quantity(tx.gas_price)
        else:
            result["maxFeePerGas"] = quantity(tx.max_fee_per_gas)
            result["maxPriorityFeePerGas"] = quantity(tx.max_priority_fee_per_gas)
            # Effective price at base fee 0 (included) or the fee cap (pending).
            result["gasPrice"] = quantity(
                min(tx.max_fee_per_gas, tx.max_priority_fee_per_gas)
                if block_hash is not None else tx.max_fee_per_gas
            )
    return result


def log_json(log: LogRow, block_hash: bytes) -> dict[str, Any]:
    """An eth_getLogs / receipt log entry."""
    return {
        "address": address(log.address),
        "topics": [data(t) for t in log.topics],
        "data": data(log.data),
        "blockNumber": quantity(log.block_number),
        "blockHash": data(block_hash),
        "transactionHash": data(log.tx_hash),
        "transactionIndex": quantity(log.tx_index),
        "logIndex": quantity(log.log_index),
        "removed": False,
    }


def receipt_json(
    row: TxRow, tx: Any, block_hash: bytes, logs: list[LogRow]
) -> dict[str, Any]:
    """An eth_getTransactionReceipt result."""
    return {
        "transactionHash": data(row.hash),
        "transactionIndex": quantity(row.tx_index),
        "blockHash": data(block_hash),
        "blockNumber": quantity(row.block_number),
        "from": address(row.sender),
        "to": address(tx.to) if tx.to else None,
        "cumulativeGasUsed": quantity(row.cumulative_gas_used),
        "gasUsed": quantity(row.gas_used),
        "effectiveGasPrice": quantity(row.effective_gas_price),
        "contractAddress": address(row.contract_address) if row.contract_address else None,
        "logs": [log_json(log, block_hash) for log in logs],
        "logsBloom": data(row.logs_bloom),
        "type": quantity(tx_type(tx)),
        "status": quantity(row.status),
    }


# ---------------------------------------------------------------------- parsing

_QUANTITY = re.compile(r"0[xX][0-9a-fA-F]+")
_HEX = re.compile(r"[0-9a-fA-F]*")


def parse_quantity(value: Any, name: str = "quantity") -> int:
    """Parse a QUANTITY ("0x" hex, no leading zeros tolerated as geth does)."""
    if not isinstance(value, str) or not _QUANTITY.fullmatch(value):
        raise invalid_params(f"invalid argument: {name} must be a hex quantity")
    parsed = int(value, 16)
    if len(value) > 66:
        raise invalid_params(f"invalid argument: {name} exceeds 256 bits")
    return parsed


def parse_data(value: Any, name: str = "data", length: int | None = None) -> bytes:
    """Parse DATA ("0x" + even-length hex), optionally of an exact byte length."""
    if not isinstance(value, str) or not value.startswith(("0x", "0X")):
        raise invalid_params(f"invalid argument: {name} must be 0x-prefixed hex")
    body = value[2:]
    if not _HEX.fullmatch(body):
        raise invalid_params(f"invalid argument: {name} is not hex")
    if len(body) % 2:
        raise invalid_params(f"invalid argument: {name} has odd length")
    try:
        parsed = bytes.fromhex(body)
    except ValueError as exc:
        raise invalid_params(f"invalid argument: {name} is not hex") from exc
    if length is not None and len(parsed) != length:
        raise invalid_params(f"invalid argument: {name} must be {length} bytes")
    return parsed


def parse_address(value: Any, name: str = "address") -> bytes:
    """Parse a 20-byte address (any case; checksums are not enforced, as geth)."""
    return parse_data(value, name, 20)


def parse_hash(value: Any, name: str = "hash") -> bytes:
    """Parse a 32-byte hash."""
    return parse_data(value, name, 32)
