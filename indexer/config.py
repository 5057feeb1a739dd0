"""Settings of one indexer run, passed in (never read from globals)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from indexer.source.fetch import MAX_LOG_SPAN


@dataclass(frozen=True, kw_only=True)
class IndexerSettings:
    """What to mirror and how.

    `contracts` maps artifact name (MemberRegistry, TraceAnchor, RecallRegistry) to address.
    Rows become final once `confirmations` blocks are on top of them.
    """

    contracts: Mapping[str, str]
    start_block: int = 0
    confirmations: int = 12
    #: Blocks per transaction during backfill; also the batch of headers fetched at once.
    blocks_per_range: int = 2_000
    max_log_span: int = MAX_LOG_SPAN
    poll_interval_s: float = 1.0
    #: Consecutive retryable failures (node down, inconsistent answers, database
    #: unavailable) tolerated before the indexer stops.
    max_consecutive_failures: int = 5
    retry_pause_s: float = 1.0
    ws_url: str | None = None
