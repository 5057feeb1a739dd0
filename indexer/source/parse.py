"""Turning JSON-RPC answers into `BlockHeader` and `RawLog`, rejecting malformed ones."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from anchoring.core.eip712 import format_address
from indexer.errors import MalformedNodeDataError
from indexer.source.clique import recover_clique_sealer
from indexer.source.types import BlockHeader, RawLog

_HASH_HEX_LENGTH = 66  # "0x" + 32 bytes
_ADDRESS_HEX_LENGTH = 42
_BLOOM_HEX_LENGTH = 2 + 512


def parse_block(answer: Any, *, expected_number: int) -> BlockHeader:
    """Parse an eth_getBlockByNumber answer (without transactions).

    Raises `MalformedNodeDataError` if a field is missing or not well-formed, or if the
    block's number is not `expected_number`.
    """
    if not isinstance(answer, dict):
        raise MalformedNodeDataError(f"block {expected_number}: answer is {answer!r:.100}")
    try:
        number = parse_quantity(answer["number"])
        header = BlockHeader(
            number=number,
            hash=parse_hash(answer["hash"]),
            parent_hash=parse_hash(answer["parentHash"]),
            timestamp=parse_quantity(answer["timestamp"]),
            miner=parse_address(answer["miner"]),
            sealer=recover_clique_sealer(answer),
            logs_bloom=bytes.fromhex(_checked_hex(answer["logsBloom"], _BLOOM_HEX_LENGTH)[2:]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise MalformedNodeDataError(f"block {expected_number}: malformed header: {exc!r}") from exc
    if number != expected_number:
        raise MalformedNodeDataError(f"asked for block {expected_number}, node returned {number}")
    return header


def parse_log(answer: Any) -> RawLog:
    """Parse one eth_getLogs entry. Raises `MalformedNodeDataError` if it is not
    well-formed, is pending (no block hash) or is flagged `removed`."""
    if not isinstance(answer, dict):
        raise MalformedNodeDataError(f"log entry is {answer!r:.100}")
    try:
        if answer.get("removed"):
            raise ValueError("log flagged removed")
        topics = answer["topics"]
        if not isinstance(topics, list) or len(topics) > 4:
            raise ValueError(f"bad topics {topics!r:.100}")
        return RawLog(
            block_number=parse_quantity(answer["blockNumber"]),
            block_hash=parse_hash(answer["blockHash"]),
            log_index=parse_quantity(answer["logIndex"]),
            transaction_hash=parse_hash(answer["transactionHash"]),
            transaction_index=parse_quantity(answer["transactionIndex"]),
            address=parse_address(answer["address"]),
            topics=tuple(parse_hash(topic) for topic in topics),
            data=_checked_hex(answer["data"], None),
        )
    except (KeyError, TypeError, ValueError) as exc:
        where = (
            f"block {_decimal(answer.get('blockNumber'))} ({answer.get('blockHash')}) "
            f"log {_decimal(answer.get('logIndex'))}"
        )
        raise MalformedNodeDataError(f"{where}: malformed log: {exc!r}") from exc


def _decimal(value: Any) -> str:
    try:
        return str(parse_quantity(value))
    except ValueError:
        return repr(value)


def parse_quantity(value: Any) -> int:
    """A JSON-RPC QUANTITY ("0x1a"); raises ValueError otherwise."""
    if not isinstance(value, str) or not value.startswith("0x") or len(value) < 3:
        raise ValueError(f"not a quantity: {value!r:.80}")
    return int(value, 16)


def parse_hash(value: Any) -> str:
    """A 32-byte hash as lowercase 0x-hex; raises ValueError otherwise."""
    return _checked_hex(value, _HASH_HEX_LENGTH)


def parse_address(value: Any) -> str:
    """A 20-byte address in EIP-55 form; raises ValueError otherwise."""
    return checksum(_checked_hex(value, _ADDRESS_HEX_LENGTH))


@lru_cache(maxsize=65536)
def checksum(address: str) -> str:
    """EIP-55 form of a 0x-hex address (cached: a chain has few distinct addresses), by
    the project's one EIP-55 function, `anchoring.core.eip712.format_address`."""
    return format_address(bytes.fromhex(address[2:]))


def _checked_hex(value: Any, length: int | None) -> str:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) % 2:
        raise ValueError(f"not 0x-hex: {value!r:.80}")
    if length is not None and len(value) != length:
        raise ValueError(f"{value!r:.80} is not {(length - 2) // 2} bytes")
    lowered = value.lower()
    int(lowered[2:] or "0", 16)  # raises ValueError on non-hex digits
    return lowered
