"""Log filters (eth_getLogs criteria) and installed filters (eth_newFilter and friends).

Logs are read from the `logs` index table, never by re-reading blocks. Installed filters
live in memory, expire after FILTER_TIMEOUT seconds without a poll (geth: 5 minutes), and
do not survive a restart (as in geth). The chain may be reorganised under them (a peer's
heavier branch): `FilterManager` checks the block hashes it keeps against the store before
each use and moves the filters' cursors back to the fork point (see its docstring).
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from ledger_node.errors import LIMIT_EXCEEDED, SERVER_ERROR, RpcError, invalid_params
from ledger_node.rpc import format as fmt
from ledger_node.store import LedgerStore, LogRow

logger = logging.getLogger(__name__)

FILTER_TIMEOUT = 300.0
MAX_FILTERS = 1_000
MAX_FILTER_ADDRESSES = 1_000
# Canonical block hashes kept to pair with logs and to find where a reorganisation parts
# from what filters were told: far deeper than a Clique fork of a few signers gets.
HASH_WINDOW = 4_096
SYNC_ATTEMPTS = 3  # reads of a chain that keeps reorganising before the RPC says retry

_T = TypeVar("_T")


@dataclass(frozen=True)
class LogFilter:
    """Resolved eth_getLogs criteria: inclusive block range, addresses, topic alternatives."""

    from_block: int
    to_block: int
    addresses: tuple[bytes, ...] = ()
    topics: tuple[tuple[bytes, ...] | None, ...] = ()

    def with_range(self, from_block: int, to_block: int) -> LogFilter:
        return replace(self, from_block=from_block, to_block=to_block)

    def matches(self, log: LogRow) -> bool:
        """True if `log` satisfies the address and topic criteria (not the range)."""
        if self.addresses and log.address not in self.addresses:
            return False
        for position, alternatives in enumerate(self.topics):
            if alternatives is None:
                continue
            if position >= len(log.topics) or log.topics[position] not in alternatives:
                return False
        return True


def parse_log_filter(
    obj: Any,
    resolve_number: Callable[[Any], int],
    resolve_hash: Callable[[Any], int],
) -> LogFilter:
    """Parse a filter object; raises RpcError -32602 on malformed criteria."""
    if obj is None:
        obj = {}
    if not isinstance(obj, dict):
        raise invalid_params("invalid argument 0: filter must be an object")
    if obj.get("blockHash") is not None:
        if obj.get("fromBlock") is not None or obj.get("toBlock") is not None:
            raise invalid_params("cannot specify both blockHash and fromBlock/toBlock")
        number = resolve_hash(obj["blockHash"])
        from_block = to_block = number
    else:
        from_block = resolve_number(obj.get("fromBlock"))
        to_block = resolve_number(obj.get("toBlock"))
    if from_block > to_block:
        raise invalid_params("invalid block range: fromBlock is after toBlock")
    raw_addresses = obj.get("address")
    if raw_addresses is None:
        addresses: tuple[bytes, ...] = ()
    elif isinstance(raw_addresses, str):
        addresses = (fmt.parse_address(raw_addresses),)
    elif isinstance(raw_addresses, list) and len(raw_addresses) <= MAX_FILTER_ADDRESSES:
        addresses = tuple(fmt.parse_address(a) for a in raw_addresses)
    else:
        raise invalid_params("invalid argument: address must be an address or a list")
    raw_topics = obj.get("topics") or []
    if not isinstance(raw_topics, list) or len(raw_topics) > 4:
        raise invalid_params("invalid argument: topics must be a list of at most 4 entries")
    topics: list[tuple[bytes, ...] | None] = []
    for entry in raw_topics:
        if entry is None:
            topics.append(None)
        elif isinstance(entry, str):
            topics.append((fmt.parse_hash(entry, "topic"),))
        elif isinstance(entry, list):
            parsed = tuple(fmt.parse_hash(t, "topic") for t in entry if t is not None)
            topics.append(parsed if parsed and None not in entry else None)
        else:
            raise invalid_params("invalid argument: topic must be a hash, list or null")
    return LogFilter(from_block, to_block, addresses, tuple(topics))


@dataclass
class _Installed:
    kind: str  # "logs" or "blocks"
    criteria: Any  # the original filter object, re-resolved at each poll
    cursor: int  # last block already reported; lowered by a reorganisation below it
    last_poll: float = field(default_factory=time.monotonic)


class FilterManager:
    """Installed filters and log queries over the store's index.

    Block hashes are not in the `logs` table: they are read from `blocks` and kept, but the
    chain can be reorganised under the RPC (a peer's heavier branch, committed by the
    sealer while the event loop serves requests), so what is kept is checked against the
    store before every use (`_sync`). A reorganisation seen there lowers the cursor of
    every installed filter to the last block kept, so block filters report the new
    canonical blocks at the replaced heights, as geth's do, and log filters the logs of
    those blocks (without geth's `removed: true` entries for the logs that left the chain:
    they are no longer in the store).
    """

    def __init__(self, store: LedgerStore, head_number: Callable[[], int]) -> None:
        self._store = store
        self._head_number = head_number
        self._filters: dict[str, _Installed] = {}
        # Canonical hashes of consecutive blocks up to the head, by ascending number, as
        # last read; checked against the store by _sync, so no replaced block's hash is
        # served from it.
        self._recent: dict[int, bytes] = {}
        # Hashes of blocks below `_recent` that served a query; dropped by a
        # reorganisation whose depth `_recent` cannot tell (it parts below the window).
        self._older: dict[int, bytes] = {}
        self.reorgs_seen = 0  # reorganisations `_sync` has found, for /health and tests

    # ------------------------------------------------------------------ the chain as read
    def _sync(self) -> int:
        """Bring `_recent` up to the store's head, handling a reorganisation since the
        last look; the head number. Raises RpcError -32000 if the chain keeps changing
        while it is read (each attempt reads nothing above the head it starts from and
        checks that head is unchanged at the end, so what it keeps is one chain)."""
        for _attempt in range(SYNC_ATTEMPTS):
            number = self._head_number()
            head = self._store.block_by_number(number)
            if head is None:
                continue  # shortened by a reorganisation meanwhile
            fork, known = self._fork_point(number, head.hash)
            # From the fork on (from genesis at first), at most a window's worth: a filter
            # installed now must see a later reorg that replaces blocks below its cursor.
            first = min(number, max(0 if fork is None else fork + 1, number - HASH_WINDOW + 1))
            fresh: dict[int, bytes] = {}
            for block_number in range(first, number):
                row = self._store.block_by_number(block_number)
                if row is None:
                    break
                fresh[block_number] = row.hash
            fresh[number] = head.hash
            again = self._store.block_by_number(number)
            if len(fresh) != number - first + 1 or again is None or again.hash != head.hash:
                continue
            self._adopt(fork, known, fresh)
            return number
        raise RpcError(SERVER_ERROR, "the chain kept reorganising while it was read; retry")

    def _fork_point(self, number: int, head_hash: bytes) -> tuple[int | None, bool]:
        """The last block of `_recent` still canonical (None if nothing was read yet) and
        whether it is known: False if every block of `_recent` was replaced, so the chains
        part lower, somewhere below the window."""
        recent = self._recent
        if not recent:
            return None, True
        low, high = next(iter(recent)), next(reversed(recent))
        top = min(high, number)
        if top < low:
            return number, False
        if self._read_hash(top, number, head_hash) == recent[top]:
            return top, True
        # Blocks are canonical up to the fork and replaced above it: binary search.
        lowest, highest, fork = low, top - 1, low - 1
        while lowest <= highest:
            middle = (lowest + highest) // 2
            if self._read_hash(middle, number, head_hash) == recent[middle]:
                fork, lowest = middle, middle + 1
            else:
                highest = middle - 1
        return fork, fork >= low

    def _read_hash(self, block_number: int, head_number: int, head_hash: bytes) -> bytes | None:
        if block_number == head_number:
            return head_hash
        row = self._store.block_by_number(block_number)
        return None if row is None else row.hash

    def _adopt(self, fork: int | None, known: bool, fresh: dict[int, bytes]) -> None:
        recent = self._recent
        if fork is not None and recent and fork < next(reversed(recent)):
            self.reorgs_seen += 1
            for installed in self._filters.values():
                installed.cursor = min(installed.cursor, fork)
            if not known:
                self._older.clear()
            logger.info("filters: blocks above %d replaced%s; filters report from there",
                        fork, "" if known else " (or below)")
        kept = {n: h for n, h in recent.items() if fork is not None and n <= fork}
        if kept and next(iter(fresh)) > next(reversed(kept)) + 1:
            kept = {}  # a gap wider than the window: keep the window consecutive
        kept.update(fresh)
        for block_number in list(kept)[: max(0, len(kept) - HASH_WINDOW)]:
            del kept[block_number]
        self._recent = kept

    def _block_hash(self, number: int) -> bytes | None:
        """The canonical hash at `number` as of the last `_sync` (None if there is none)."""
        found = self._recent.get(number)
        if found is not None:
            return found
        found = self._older.get(number)
        if found is None:
            row = self._store.block_by_number(number)
            if row is None:
                return None
            found = row.hash
            if number < next(iter(self._recent), 0):  # below the window (above: not kept)
                if len(self._older) >= HASH_WINDOW:
                    self._older.clear()
                self._older[number] = found
        return found

    def _consistent(self, read: Callable[[int], _T]) -> _T:
        """`read(head)` between two `_sync`s that see no reorganisation, so that the rows
        it read and the hashes it paired them with come from one chain."""
        for _attempt in range(SYNC_ATTEMPTS):
            head = self._sync()
            reorgs = self.reorgs_seen
            try:
                result = read(head)
            except _Replaced:
                result = None
            self._sync()
            if result is not None and self.reorgs_seen == reorgs:
                return result
        raise RpcError(SERVER_ERROR, "the chain kept reorganising while it was read; retry")

    # ------------------------------------------------------------------ queries
    def logs_json(self, log_filter: LogFilter, limit: int) -> list[dict[str, Any]]:
        """The logs matching `log_filter` as JSON; RpcError -32005 beyond `limit` results.
        Each log's blockHash is the hash of the canonical block it was read from."""
        return self._consistent(lambda head: self._logs(log_filter, head, limit))

    def _logs(self, log_filter: LogFilter, head: int, limit: int) -> list[dict[str, Any]]:
        last = min(log_filter.to_block, head)
        if log_filter.from_block > last:
            return []
        rows = self._store.find_logs(
            log_filter.from_block,
            last,
            log_filter.addresses,
            log_filter.topics,
            limit=limit + 1,
        )
        rows = [row for row in rows if log_filter.matches(row)]
        if len(rows) > limit:
            raise RpcError(LIMIT_EXCEEDED, f"query returned more than {limit} results")
        return [fmt.log_json(row, self._known_hash(row.block_number)) for row in rows]

    def _known_hash(self, number: int) -> bytes:
        found = self._block_hash(number)
        if found is None:
            raise _Replaced(number)
        return found

    def _install(self, kind: str, criteria: Any) -> str:
        self._expire()
        if len(self._filters) >= MAX_FILTERS:
            raise RpcError(LIMIT_EXCEEDED, "too many installed filters")
        filter_id = fmt.quantity(secrets.randbits(128))
        self._filters[filter_id] = _Installed(kind, criteria, self._sync())
        return filter_id

    def new_log_filter(self, _resolved: LogFilter, criteria: Any) -> str:
        """Install a log filter; returns its id. Changes start after the current head."""
        return self._install("logs", criteria)

    def new_block_filter(self) -> str:
        """Install a new-block filter; returns its id."""
        return self._install("blocks", None)

    def _get(self, filter_id: Any) -> _Installed:
        if not isinstance(filter_id, str):
            raise invalid_params("invalid argument: filter id must be a string")
        installed = self._filters.get(filter_id)
        if installed is None:
            raise RpcError(SERVER_ERROR, "filter not found")
        installed.last_poll = time.monotonic()
        return installed

    def changes(
        self, filter_id: Any, resolve: Callable[[Any], LogFilter]
    ) -> list[Any]:
        """What happened since the last poll: the hashes of the blocks that became
        canonical (after a reorganisation, those at the replaced heights too), or the
        logs of those blocks that match."""
        installed = self._get(filter_id)
        log_filter = None if installed.kind == "blocks" else resolve(installed.criteria)

        def read(head: int) -> tuple[list[Any], int]:
            start = installed.cursor + 1
            if log_filter is None:
                return [fmt.data(self._known_hash(n)) for n in range(start, head + 1)], head
            first = max(start, log_filter.from_block)
            last = min(head, log_filter.to_block)
            return self._logs(log_filter.with_range(first, last), head, 10_000), head

        result, head = self._consistent(read)
        installed.cursor = max(installed.cursor, head)
        return result

    def all_logs(
        self, filter_id: Any, resolve: Callable[[Any], LogFilter], limit: int
    ) -> list[Any]:
        """eth_getFilterLogs: every log matching a log filter's criteria."""
        installed = self._get(filter_id)
        if installed.kind != "logs":
            raise RpcError(SERVER_ERROR, "filter not found")
        return self.logs_json(resolve(installed.criteria), limit)

    def uninstall(self, filter_id: Any) -> bool:
        """Remove a filter; False if there was none with that id."""
        if not isinstance(filter_id, str):
            raise invalid_params("invalid argument: filter id must be a string")
        return self._filters.pop(filter_id, None) is not None

    def _expire(self) -> None:
        now = time.monotonic()
        for filter_id in [k for k, f in self._filters.items() if now - f.last_poll > FILTER_TIMEOUT]:
            del self._filters[filter_id]


class _Replaced(Exception):
    """A block read a moment ago is gone: the chain was reorganised meanwhile."""
