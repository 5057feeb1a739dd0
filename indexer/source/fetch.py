"""Reading a block range: headers in JSON-RPC batches, logs with adaptive eth_getLogs.

`ChainSource.fetch_range` promises a `BlockRange` whose headers form an unbroken parent
chain and whose logs all belong to those very headers (block hash checked, address and
topics present in the block's logs bloom), in (block, log index) order. Anything else
raises; nothing partial is ever returned.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache

from eth_utils import keccak

from indexer.errors import (
    InconsistentChainDataError,
    MalformedNodeDataError,
    NodeUnavailableError,
    RangeTooLargeError,
    ReorgDetectedError,
    RpcRequestError,
)
from indexer.source.parse import parse_block, parse_log, parse_quantity
from indexer.source.rpc import RetryingRpcClient
from indexer.source.types import BlockHeader, BlockRange, RawLog

logger = logging.getLogger(__name__)

#: Widest eth_getLogs range we ask for; nodes commonly cap at 10,000 blocks or results.
MAX_LOG_SPAN = 10_000
#: After this many successful eth_getLogs calls at a reduced span, try doubling it again.
_GROW_AFTER_SUCCESSES = 4


class ChainSource:
    """Blocks and project-contract logs from one node."""

    def __init__(
        self,
        client: RetryingRpcClient,
        addresses: Sequence[str],
        *,
        max_log_span: int = MAX_LOG_SPAN,
    ) -> None:
        self.client = client
        self.addresses = tuple(addresses)
        self._address_set = frozenset(address.lower() for address in addresses)
        self.max_log_span = max_log_span
        #: Current eth_getLogs span; halves when the node refuses, grows back on success.
        self.log_span = max_log_span
        self._successes = 0

    # ------------------------------------------------------------------ simple reads

    def chain_id(self) -> int:
        """The node's eth_chainId."""
        return parse_quantity(self.client.call("eth_chainId"))

    def head_number(self) -> int:
        """The node's latest block number."""
        return parse_quantity(self.client.call("eth_blockNumber"))

    def block_hashes(self, numbers: Sequence[int]) -> dict[int, str | None]:
        """Hash of each block number on the node's canonical chain (None if it has none)."""
        answers = self.client.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        return {
            number: (None if answer is None else parse_block(answer, expected_number=number).hash)
            for number, answer in zip(numbers, answers, strict=True)
        }

    # ------------------------------------------------------------------ ranges

    def fetch_headers(self, first: int, last: int) -> list[BlockHeader]:
        """Headers first..last, checked to form one parent chain.

        Raises `InconsistentChainDataError` on a missing block (a gap) or a broken link.
        """
        numbers = range(first, last + 1)
        answers = self.client.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        headers: list[BlockHeader] = []
        for number, answer in zip(numbers, answers, strict=True):
            if answer is None:
                raise InconsistentChainDataError(
                    f"node has no block {number} (gap in blocks {first}..{last})",
                    block_number=number,
                )
            header = parse_block(answer, expected_number=number)
            if headers and header.parent_hash != headers[-1].hash:
                raise InconsistentChainDataError(
                    f"block {number} ({header.hash}) has parent {header.parent_hash}, "
                    f"but block {number - 1} is {headers[-1].hash}",
                    block_number=number,
                )
            headers.append(header)
        return headers

    def fetch_logs(self, first: int, last: int) -> list[RawLog]:
        """All logs of the project contracts in blocks first..last, splitting the range
        whenever the node refuses it as too large (down to single blocks)."""
        logs: list[RawLog] = []
        start = first
        while start <= last:
            end = min(last, start + self.log_span - 1)
            try:
                answer = self.client.call(
                    "eth_getLogs",
                    [
                        {
                            "fromBlock": hex(start),
                            "toBlock": hex(end),
                            "address": list(self.addresses),
                        }
                    ],
                )
            except RangeTooLargeError as exc:
                if end == start and exc.code == 0:  # even one block timed out: node trouble
                    raise NodeUnavailableError(f"eth_getLogs of block {start} timed out") from exc
                if end == start:
                    raise RpcRequestError(
                        exc.method,
                        exc.code,
                        f"refused even for the single block {start}: {exc.message}",
                    ) from exc
                self.log_span = max(1, (end - start + 1) // 2)
                self._successes = 0
                logger.info(
                    "eth_getLogs %d..%d refused (%s); splitting to %d blocks",
                    start,
                    end,
                    exc.message,
                    self.log_span,
                )
                continue
            if not isinstance(answer, list):
                raise MalformedNodeDataError(
                    f"eth_getLogs {start}..{end}: answer is {answer!r:.100}"
                )
            logs.extend(parse_log(entry) for entry in answer)
            start = end + 1
            self._grow_span()
        return logs

    def fetch_range(self, first: int, last: int, *, expected_parent: str | None) -> BlockRange:
        """Headers and logs of blocks first..last, checked against each other.

        `expected_parent` is the stored hash of block first-1 (None: do not check, e.g.
        genesis). Raises `ReorgDetectedError` if block `first` does not build on it,
        `InconsistentChainDataError` if headers and logs disagree.
        """
        headers = self.fetch_headers(first, last)
        if expected_parent is not None and headers[0].parent_hash != expected_parent:
            raise ReorgDetectedError(first, expected_parent, headers[0].parent_hash)
        logs = self.fetch_logs(first, last)
        check_logs_match_headers(headers, logs, self._address_set)
        return BlockRange(first=first, last=last, headers=tuple(headers), logs=tuple(logs))

    def _grow_span(self) -> None:
        if self.log_span >= self.max_log_span:
            return
        self._successes += 1
        if self._successes >= _GROW_AFTER_SUCCESSES:
            self.log_span = min(self.max_log_span, self.log_span * 2)
            self._successes = 0


def check_logs_match_headers(
    headers: Sequence[BlockHeader], logs: Sequence[RawLog], addresses: frozenset[str]
) -> None:
    """Raise `InconsistentChainDataError` unless every log lies in one of `headers` (same
    number and hash), comes from one of `addresses`, is in that block's logs bloom, and
    the logs are in strictly increasing (block number, log index) order."""
    by_number = {header.number: header for header in headers}
    previous: tuple[int, int] = (-1, -1)
    for log in logs:
        header = by_number.get(log.block_number)
        where = f"log {log.log_index} of block {log.block_number} ({log.block_hash})"
        if header is None:
            raise InconsistentChainDataError(
                f"{where} lies outside the requested blocks", block_number=log.block_number
            )
        if log.block_hash != header.hash:
            raise InconsistentChainDataError(
                f"{where}: block {header.number} is {header.hash}", block_number=log.block_number
            )
        if log.address.lower() not in addresses:
            raise InconsistentChainDataError(f"{where} is from unrequested {log.address}")
        if (log.block_number, log.log_index) <= previous:
            raise InconsistentChainDataError(
                f"{where} is out of order or repeated", block_number=log.block_number
            )
        previous = (log.block_number, log.log_index)
        for item in (log.address, *log.topics):
            if not _in_bloom(header.logs_bloom, item):
                raise InconsistentChainDataError(
                    f"{where}: {item} is not in block {header.number}'s logs bloom",
                    block_number=log.block_number,
                )


@lru_cache(maxsize=4096)
def _bloom_bits(item: str) -> tuple[tuple[int, int], ...]:
    # Yellow Paper §4.3.1 M3:2048: three 11-bit indexes from the first six bytes of keccak.
    digest = keccak(bytes.fromhex(item[2:]))
    bits = []
    for i in (0, 2, 4):
        bit = ((digest[i] << 8) | digest[i + 1]) & 2047
        bits.append((255 - bit // 8, 1 << (bit % 8)))
    return tuple(bits)


def _in_bloom(bloom: bytes, item: str) -> bool:
    return all(bloom[index] & mask for index, mask in _bloom_bits(item.lower()))
