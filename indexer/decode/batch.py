"""Decoding a whole `BlockRange` into the rows of every table, ready for one transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from indexer.decode.abi import EventDecoder
from indexer.decode.rows import raw_log_row, rows_for_event
from indexer.source.types import BlockRange

logger = logging.getLogger(__name__)

BLOCKS = "chain_blocks"
RAW_LOGS = "chain_logs"


@dataclass
class DecodedRange:
    """Rows for blocks first..last, by table name (`chain_blocks`, `chain_logs`, typed
    tables). Tables without rows in the range may be absent."""

    first: int
    last: int
    last_hash: str
    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, values: dict[str, Any]) -> None:
        """Append one row to `table`."""
        self.rows.setdefault(table, []).append(values)

    @property
    def event_count(self) -> int:
        """Number of contract logs in the range."""
        return len(self.rows.get(RAW_LOGS, ()))


def decode_range(
    block_range: BlockRange, contracts: Mapping[str, str], decoder: EventDecoder
) -> DecodedRange:
    """Rows for every header and log of `block_range`. `contracts` maps lowercase
    address -> contract name. Logs of events unknown to the ABI are kept raw only (with a
    warning); logs that do not decode as their event raise `MalformedNodeDataError`."""
    decoded = DecodedRange(block_range.first, block_range.last, block_range.headers[-1].hash)
    for header in block_range.headers:
        decoded.add(
            BLOCKS,
            {
                "number": header.number,
                "hash": header.hash,
                "parent_hash": header.parent_hash,
                "timestamp": header.timestamp,
                "miner": header.miner,
                "sealer": header.sealer,
            },
        )
    for log in block_range.logs:
        contract = contracts[log.address.lower()]
        event = decoder.decode(contract, log)
        if event is None:
            logger.warning(
                "block %d (%s) log %d: %s event %s is not in the ABI; kept raw only",
                log.block_number,
                log.block_hash,
                log.log_index,
                contract,
                log.topics[0] if log.topics else "(anonymous)",
            )
        decoded.add(RAW_LOGS, raw_log_row(log, contract, event.name if event else None))
        if event is not None:
            for row in rows_for_event(event):
                decoded.add(row.table, row.values)
    return decoded
