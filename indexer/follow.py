"""The indexer loop: backfill to the head, then follow it, one transaction per range.

Order of work for each range first..last (first = checkpoint + 1):
1. fetch headers and logs and check them against each other (source.fetch);
2. if block `first` does not build on the checkpoint's hash: walk back (reorg.reconcile);
3. decode the logs into typed rows (decode);
4. store rows, final flags and the new checkpoint in one transaction (sink.store).
A crash anywhere leaves the mirror at the previous checkpoint; the next run resumes there.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from indexer.config import IndexerSettings
from indexer.decode.abi import EventDecoder
from indexer.decode.batch import decode_range
from indexer.errors import PermanentError, ReorgDetectedError, RetryableError
from indexer.reorg import reconcile
from indexer.sink.store import MirrorCheckpoint, MirrorStore
from indexer.source.fetch import ChainSource
from indexer.source.heads import HeadWaiter
from indexer.source.types import BlockRange

logger = logging.getLogger(__name__)

#: Events per transaction the range size adapts to: big enough to amortise a commit,
#: small enough to keep a range's rows comfortably in memory.
MAX_EVENTS_PER_RANGE = 20_000
INITIAL_RANGE_BLOCKS = 100


@dataclass
class RunStats:
    """What one `run` did."""

    blocks: int = 0
    events: int = 0
    ranges: int = 0
    reorgs: int = 0


class Indexer:
    """Mirrors the configured contracts of the chain behind `source` into `store`."""

    def __init__(
        self,
        source: ChainSource,
        store: MirrorStore,
        settings: IndexerSettings,
        decoder: EventDecoder | None = None,
    ) -> None:
        self.source = source
        self.store = store
        self.settings = settings
        self.decoder = decoder or EventDecoder.from_artifacts()
        self.contracts_by_address = {
            address.lower(): name for name, address in settings.contracts.items()
        }
        self.stats = RunStats()
        self._checkpoint: MirrorCheckpoint | None = None
        #: Blocks per range now: `blocks_per_range`, less while ranges are event-dense.
        #: Starts small so a dense chain cannot make the first range huge; doubles while sparse.
        self._range_blocks = min(settings.blocks_per_range, INITIAL_RANGE_BLOCKS)

    # ------------------------------------------------------------------ public

    def open(self) -> MirrorCheckpoint:
        """Create or check the mirror's checkpoint for this chain and these contracts."""
        start = self.settings.start_block
        parent_hash = None
        if start > 0:
            parent_hash = self.source.block_hashes([start - 1])[start - 1]
        self._checkpoint = self.store.initialise(
            chain_id=self.source.chain_id(),
            start_block=start,
            contracts=dict(self.settings.contracts),
            start_parent_hash=parent_hash,
        )
        logger.info(
            "mirror checkpoint: block %s (%s)",
            self._checkpoint.block_number,
            self._checkpoint.block_hash,
        )
        return self._checkpoint

    def run(
        self,
        *,
        follow: bool = True,
        until_block: int | None = None,
        should_stop: Callable[[], bool] = lambda: False,
    ) -> RunStats:
        """Stats of this call. Backfill to the head (or `until_block`), then, if `follow`, keep following.

        Retryable failures are retried after a pause, up to `max_consecutive_failures`
        in a row; then, and on any permanent failure, the error is raised. Returns when
        caught up (not following), when `until_block` is stored, or when `should_stop()`.
        """
        self.stats = RunStats()
        waiter = HeadWaiter(self.settings.ws_url) if follow else None
        failures = 0
        try:
            while not should_stop():
                try:
                    if self._checkpoint is None:
                        self.open()
                    caught_up = self._sync_once(until_block)
                    failures = 0
                except PermanentError as exc:
                    logger.error("stopping at block %d: %s", self._next_block(), exc)
                    raise
                except RetryableError as exc:
                    failures += 1
                    if failures >= self.settings.max_consecutive_failures:
                        logger.error(
                            "giving up after %d consecutive failures at block %d: %s",
                            failures,
                            self._next_block(),
                            exc,
                        )
                        raise
                    pause = self.settings.retry_pause_s * 2 ** (failures - 1)
                    logger.warning(
                        "at block %d: %s; retrying in %.1fs (%d/%d)",
                        self._next_block(),
                        exc,
                        pause,
                        failures,
                        self.settings.max_consecutive_failures,
                    )
                    time.sleep(pause)
                    continue
                if (
                    until_block is not None
                    and self._checkpoint
                    and (self._checkpoint.block_number or -1) >= until_block
                ):
                    break
                if caught_up:
                    if not follow:
                        break
                    assert waiter is not None
                    waiter.wait(self.settings.poll_interval_s)
        finally:
            if waiter is not None:
                waiter.close()
        return self.stats

    # ------------------------------------------------------------------ internals

    def _next_block(self) -> int:
        return self._checkpoint.next_block if self._checkpoint else self.settings.start_block

    def _sync_once(self, until_block: int | None) -> bool:
        """Store ranges up to the current head; True once nothing is left to do."""
        assert self._checkpoint is not None
        head = self.source.head_number()
        target = head if until_block is None else min(head, until_block)
        checkpoint = self._checkpoint
        if checkpoint.next_block > target:
            return not self._tip_reorged(head)
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="indexer-fetch") as prefetcher:
            first = checkpoint.next_block
            pending: Future[BlockRange] | None = self._submit(
                prefetcher, first, target, checkpoint.block_hash
            )
            while pending is not None:
                try:
                    block_range = pending.result()
                    self._adapt_range(block_range)
                except ReorgDetectedError as exc:
                    logger.warning("%s", exc)
                    self._checkpoint = reconcile(self.source, self.store, self._checkpoint)
                    self.stats.reorgs += 1
                    return False
                # Fetch the next range while this one is decoded and written.
                next_first = block_range.last + 1
                pending = (
                    self._submit(prefetcher, next_first, target, block_range.headers[-1].hash)
                    if next_first <= target
                    else None
                )
                try:
                    self._store(block_range, head)
                except BaseException:
                    if pending is not None:
                        pending.cancel()
                    raise
        return self._checkpoint.next_block > head

    def _submit(
        self, pool: ThreadPoolExecutor, first: int, target: int, parent: str | None
    ) -> Future[BlockRange]:
        last = min(target, first + self._range_blocks - 1)
        return pool.submit(self.source.fetch_range, first, last, expected_parent=parent)

    def _adapt_range(self, block_range: BlockRange) -> None:
        """Keep transactions near `MAX_EVENTS_PER_RANGE` rows on event-dense chains."""
        blocks = block_range.last - block_range.first + 1
        events = len(block_range.logs)
        if events > MAX_EVENTS_PER_RANGE and blocks > 1:
            self._range_blocks = max(1, blocks * MAX_EVENTS_PER_RANGE // events)
        elif (
            events < MAX_EVENTS_PER_RANGE // 4
            and self._range_blocks < self.settings.blocks_per_range
        ):
            self._range_blocks = min(self.settings.blocks_per_range, self._range_blocks * 2)

    def _store(self, block_range: BlockRange, head: int) -> None:
        assert self._checkpoint is not None
        decoded = decode_range(block_range, self.contracts_by_address, self.decoder)
        finalized = head - self.settings.confirmations
        finalized_number = finalized if finalized >= self.settings.start_block else None
        self._checkpoint = self.store.write_range(decoded, self._checkpoint, finalized_number)
        self.stats.blocks += block_range.last - block_range.first + 1
        self.stats.events += decoded.event_count
        self.stats.ranges += 1
        logger.info(
            "stored blocks %d..%d (tip %s): %d events; head %d, final <= %s",
            block_range.first,
            block_range.last,
            decoded.last_hash,
            decoded.event_count,
            head,
            self._checkpoint.finalized_number,
        )

    def _tip_reorged(self, head: int) -> bool:
        """Caught up: check the stored tip is still canonical (a reorg to an equal or
        shorter chain brings no new block whose parent link would reveal it); if not,
        rewind to the common ancestor and return True."""
        assert self._checkpoint is not None
        tip = self._checkpoint.block_number
        if tip is None or tip < self._checkpoint.start_block:
            return False
        canonical = self.source.block_hashes([tip])[tip]
        if canonical != self._checkpoint.block_hash:
            logger.warning(
                "stored tip %d (%s) is no longer canonical (node: %s; head %d)",
                tip,
                self._checkpoint.block_hash,
                canonical,
                head,
            )
            self._checkpoint = reconcile(self.source, self.store, self._checkpoint)
            self.stats.reorgs += 1
            return True
        return False
