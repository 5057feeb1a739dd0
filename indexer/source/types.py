"""Plain values the source hands downstream: a block header and a raw log, as the node said."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BlockHeader:
    """The header fields the mirror keeps. Hashes are lowercase 0x-hex; miner is EIP-55."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int
    miner: str
    #: The Clique (EIP-225) signer recovered from extraData, else None (anvil, PoW, PoS).
    sealer: str | None
    logs_bloom: bytes


@dataclass(frozen=True, slots=True)
class RawLog:
    """One log entry as returned by eth_getLogs. `data` and topics are lowercase 0x-hex."""

    block_number: int
    block_hash: str
    log_index: int
    transaction_hash: str
    transaction_index: int
    address: str  # EIP-55
    topics: tuple[str, ...]
    data: str


@dataclass(frozen=True, slots=True)
class BlockRange:
    """Blocks first..last (inclusive) with all their project-contract logs, in chain order."""

    first: int
    last: int
    headers: tuple[BlockHeader, ...]
    logs: tuple[RawLog, ...]
