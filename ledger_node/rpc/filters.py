"""Log filters (eth_getLogs criteria) and installed filters (eth_newFilter and friends).

Logs are read from the `logs` index table, never by re-reading blocks. Installed filters
live in memory, expire after FILTER_TIMEOUT seconds without a poll (geth: 5 minutes), and
do not survive a restart (as in geth).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ledger_node.errors import LIMIT_EXCEEDED, SERVER_ERROR, RpcError, invalid_params
from ledger_node.rpc import format as fmt
from ledger_node.store import LedgerStore, LogRow

FILTER_TIMEOUT = 300.0
MAX_FILTERS = 1_000
MAX_FILTER_ADDRESSES = 1_000


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
    cursor: int  # last block already reported
    last_poll: float = field(default_factory=time.monotonic)


class FilterManager:
    """Installed filters and log queries over the store's index."""

    def __init__(self, store: LedgerStore, head_number: Callable[[], int]) -> None:
        self._store = store
        self._head_number = head_number
        self._filters: dict[str, _Installed] = {}
        self._block_hashes: dict[int, bytes] = {}

    def _block_hash(self, number: int) -> bytes:
        cached = self._block_hashes.get(number)
        if cached is None:
            row = self._store.block_by_number(number)
            assert row is not None
            cached = row.hash
            if len(self._block_hashes) > 4096:
                self._block_hashes.clear()
            self._block_hashes[number] = cached
        return cached

    def logs_json(self, log_filter: LogFilter, limit: int) -> list[dict[str, Any]]:
        """The logs matching `log_filter` as JSON; RpcError -32005 beyond `limit` results."""
        if log_filter.from_block > log_filter.to_block:
            return []
        rows = self._store.find_logs(
            log_filter.from_block,
            log_filter.to_block,
            log_filter.addresses,
            log_filter.topics,
            limit=limit + 1,
        )
        rows = [row for row in rows if log_filter.matches(row)]
        if len(rows) > limit:
            raise RpcError(LIMIT_EXCEEDED, f"query returned more than {limit} results")
        return [fmt.log_json(row, self._block_hash(row.block_number)) for row in rows]

    def _install(self, kind: str, criteria: Any) -> str:
        self._expire()
        if len(self._filters) >= MAX_FILTERS:
            raise RpcError(LIMIT_EXCEEDED, "too many installed filters")
        filter_id = fmt.quantity(secrets.randbits(128))
        self._filters[filter_id] = _Installed(kind, criteria, self._head_number())
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
        """What happened since the last poll: block hashes or matching logs."""
        installed = self._get(filter_id)
        head = self._head_number()
        start = installed.cursor + 1
        installed.cursor = max(installed.cursor, head)
        if installed.kind == "blocks":
            return [fmt.data(self._block_hash(n)) for n in range(start, head + 1)]
        log_filter = resolve(installed.criteria)
        first = max(start, log_filter.from_block)
        last = min(head, log_filter.to_block)
        return self.logs_json(log_filter.with_range(first, last), 10_000)

    def all_logs(
        self, filter_id: Any, resolve: Callable[[Any], LogFilter], limit: int
    ) -> list[Any]:
        """eth_getFilterLogs: every log matching a log filter's criteria."""
        installed = self._get(filter_id)
        if installed.kind != "logs":
            raise RpcError(SERVER_ERROR, "filter not found")
        log_filter = resolve(installed.criteria)
        head = self._head_number()
        return self.logs_json(log_filter.with_range(log_filter.from_block,
                                                    min(log_filter.to_block, head)), limit)

    def uninstall(self, filter_id: Any) -> bool:
        """Remove a filter; False if there was none with that id."""
        if not isinstance(filter_id, str):
            raise invalid_params("invalid argument: filter id must be a string")
        return self._filters.pop(filter_id, None) is not None

    def _expire(self) -> None:
        now = time.monotonic()
        for filter_id in [k for k, f in self._filters.items() if now - f.last_poll > FILTER_TIMEOUT]:
            del self._filters[filter_id]
