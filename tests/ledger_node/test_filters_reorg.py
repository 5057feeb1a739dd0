"""RPC filters across reorganisations (ledger_node/rpc/filters.py): the FilterManager over a
store whose blocks above a fork point get replaced, as `import_branch` does under the RPC.

Held to a naive reference: eth_getLogs (and filter logs) pair every log with the hash of
the canonical block it was read from, never a replaced block's hash; a block filter reports
the blocks that became canonical since its last poll, the new blocks at replaced heights
included (as geth's do), and a log filter the logs of those blocks. The synthetic store's
logs carry their block's hash as data, so a pairing of a log with another block's hash
shows. Also: a real reorg (forks sealed and verified in process), a reorganisation that
lands between reading the logs and reading their block hashes, and one deeper than the
hashes the manager keeps.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_node.chain import LedgerChain
from ledger_node.rpc import filters as filters_module
from ledger_node.rpc.filters import FilterManager, LogFilter
from ledger_node.store import BlockRow, LedgerStore, LogRow
from tests.ledger_node.fork_helpers import HEAVY, LIGHT, log_emitting_creation, three_authorities

ADDRESS = b"\xaa" * 20
TOPIC = b"\x01" * 32
EVERYTHING = 10**9


class SyntheticChain:
    """Blocks in a real store, one log each whose data is its block's hash; `hashes` is the
    canonical chain, by number."""

    def __init__(self, path: Path) -> None:
        self.store = LedgerStore(path)
        self.hashes: list[bytes] = []
        self._minted = 0
        self.replace(None, 1)  # genesis

    @property
    def head(self) -> int:
        return len(self.hashes) - 1

    def replace(self, fork: int | None, count: int) -> None:
        """Append `count` new blocks after block `fork` (after the head if None), replacing
        the blocks above it in one store transaction, as a reorg does."""
        start = len(self.hashes) if fork is None else fork + 1
        new = []
        for _ in range(count):
            self._minted += 1
            new.append(keccak(self._minted.to_bytes(8, "big")))
        rows = [(BlockRow(number, block_hash, b"\xc0", 1, 0), [],
                 [LogRow(number, 0, 0, keccak(block_hash), ADDRESS, (TOPIC,), block_hash)])
                for number, block_hash in enumerate(new, start=start)]
        self.store.commit_blocks(rows, replace_after=fork)
        self.hashes[start:] = new

    def manager(self) -> FilterManager:
        return FilterManager(self.store, lambda: self.store.head().number)  # type: ignore[union-attr]


@dataclass
class NaiveFilters:
    """The reference: the chain the manager last saw (all of it: these chains are far
    shorter than the HASH_WINDOW it keeps) and each filter's cursor; at each call, the
    highest block it saw that is still canonical is the fork point, and cursors above it
    come down to it."""

    seen: list[bytes] = field(default_factory=list)
    cursors: dict[str, int] = field(default_factory=dict)

    def look(self, chain: list[bytes]) -> int:
        assert len(chain) < filters_module.HASH_WINDOW
        fork = max((n for n, h in enumerate(self.seen) if n < len(chain) and chain[n] == h),
                   default=-1)
        if self.seen and fork < len(self.seen) - 1:
            self.cursors = {k: min(c, fork) for k, c in self.cursors.items()}
        self.seen = list(chain)
        return len(chain) - 1


def _pairs(logs: list[dict[str, Any]]) -> list[tuple[int, str]]:
    """(block number, block hash) of each log; and each log's data is its block's hash."""
    for log in logs:
        assert log["data"] == log["blockHash"], "a log paired with another block's hash"
    return [(int(log["blockNumber"], 16), log["blockHash"]) for log in logs]


def _canonical(chain: list[bytes], numbers: range) -> list[tuple[int, str]]:
    return [(n, "0x" + chain[n].hex()) for n in numbers]


operations = st.lists(st.one_of(
    st.tuples(st.just("extend"), st.integers(1, 3)),
    st.tuples(st.just("reorg"), st.integers(1, 6), st.integers(1, 4)),  # depth, new blocks
    st.tuples(st.just("install"), st.sampled_from(["blocks", "logs"]), st.integers(0, 8)),
    st.tuples(st.just("poll"), st.integers(0, 7)),
    st.tuples(st.just("getLogs"), st.integers(0, 14), st.integers(0, 14)),
), max_size=30)


@given(operations)
@settings(max_examples=120, deadline=None)
def test_filters_across_reorganisations_match_the_naive_reference(
    steps: list[tuple[Any, ...]]
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        chain = SyntheticChain(Path(directory) / "chain.sqlite")
        manager, naive = chain.manager(), NaiveFilters()
        installed: list[tuple[str, str, int]] = []  # id, kind, fromBlock
        resolve: Callable[[Any], LogFilter] = lambda start: LogFilter(start, EVERYTHING)
        for step in steps:
            if step[0] == "extend":
                chain.replace(None, step[1])
            elif step[0] == "reorg":
                chain.replace(max(0, chain.head - step[1]), step[2])
            elif step[0] == "install":
                kind, start = step[1], step[2]
                filter_id = (manager.new_block_filter() if kind == "blocks"
                             else manager.new_log_filter(resolve(start), start))
                installed.append((filter_id, kind, start))
                naive.cursors[filter_id] = naive.look(chain.hashes)
            elif step[0] == "poll" and installed:
                filter_id, kind, start = installed[step[1] % len(installed)]
                changes = manager.changes(filter_id, resolve)
                head = naive.look(chain.hashes)
                numbers = range(naive.cursors[filter_id] + 1, head + 1)
                naive.cursors[filter_id] = head
                if kind == "blocks":
                    assert changes == ["0x" + chain.hashes[n].hex() for n in numbers]
                else:
                    expected = range(max(numbers.start, start), numbers.stop)
                    assert _pairs(changes) == _canonical(chain.hashes, expected)
            elif step[0] == "getLogs":
                first, last = step[1], step[2]
                logs = manager.logs_json(LogFilter(first, last), 10_000)
                head = naive.look(chain.hashes)
                assert _pairs(logs) == _canonical(chain.hashes, range(first, min(last, head) + 1))
        chain.store.close()


def test_a_reorg_between_reading_logs_and_their_hashes_is_read_again(tmp_path: Path) -> None:
    """The sealer commits a reorg right after the logs were read: the logs are read again
    rather than paired with the new blocks' hashes."""
    chain = SyntheticChain(tmp_path / "chain.sqlite")
    chain.replace(None, 6)
    manager = chain.manager()
    assert len(manager.logs_json(LogFilter(0, 6), 100)) == 7  # hashes of 0..6 now known
    find_logs = chain.store.find_logs
    reorgs = []

    def read_then_reorg(*args: Any, **kwargs: Any) -> list[LogRow]:
        rows = find_logs(*args, **kwargs)
        if not reorgs:
            chain.replace(3, 4)
            reorgs.append(1)
        return rows

    chain.store.find_logs = read_then_reorg  # type: ignore[method-assign]
    logs = manager.logs_json(LogFilter(0, EVERYTHING), 100)
    assert reorgs and _pairs(logs) == _canonical(chain.hashes, range(8))


def test_a_reorg_deeper_than_the_kept_hashes_serves_no_replaced_hash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(filters_module, "HASH_WINDOW", 4)
    chain = SyntheticChain(tmp_path / "chain.sqlite")
    chain.replace(None, 12)
    manager = chain.manager()
    blocks = manager.new_block_filter()
    chain.replace(None, 8)  # head 20
    assert len(manager.changes(blocks, lambda _: LogFilter(0, 0))) == 8
    _pairs(manager.logs_json(LogFilter(0, EVERYTHING), 100))  # old hashes of 0..16 kept aside
    chain.replace(5, 17)  # parts at 5, below the 4 hashes kept (17..20); head 22
    logs = manager.logs_json(LogFilter(0, EVERYTHING), 100)
    assert _pairs(logs) == _canonical(chain.hashes, range(23))
    # The block filter cannot tell how deep the reorg went: it reports every new block
    # from the lowest height it kept on, never an old one.
    changes = manager.changes(blocks, lambda _: LogFilter(0, 0))
    assert changes == ["0x" + chain.hashes[n].hex() for n in range(17, 23)]


# ---------------------------------------------------------------------- a real reorg

LIGHT_TOPIC, HEAVY_TOPIC = b"\x11" * 32, b"\x22" * 32


def test_filters_follow_a_real_reorg_to_a_heavier_fork(tmp_path: Path) -> None:
    """LIGHT (blocks 3, 4) and HEAVY (3, 4, 5) both emit a log in block 3; the node's
    filters were polled on LIGHT when HEAVY's branch is imported."""
    forks = three_authorities(tmp_path)
    user0, user1 = forks.users
    light_tx, heavy_tx = (log_emitting_creation(user0, 1, LIGHT_TOPIC),
                          log_emitting_creation(user1, 0, HEAVY_TOPIC))
    ours, _ = forks.fork(tmp_path / "ours.sqlite", LIGHT, {3: [light_tx]})
    heavy, heavy_blocks = forks.fork(tmp_path / "heavy.sqlite", HEAVY, {3: [heavy_tx]})
    manager = FilterManager(ours.store, lambda: ours.store.head().number)  # type: ignore[union-attr]
    blocks_filter = manager.new_block_filter()
    logs_filter = manager.new_log_filter(LogFilter(0, EVERYTHING), None)
    everything: Callable[[Any], LogFilter] = lambda _: LogFilter(0, EVERYTHING)
    [before] = manager.logs_json(LogFilter(0, EVERYTHING), 100)
    assert before["blockHash"] == _hex_hash(ours, 3) and before["topics"] == ["0x" + "11" * 32]

    assert ours.import_branch(heavy_blocks) is not None

    [after] = manager.logs_json(LogFilter(0, EVERYTHING), 100)
    assert after["topics"] == ["0x" + "22" * 32]
    assert after["blockHash"] == _hex_hash(heavy, 3) != before["blockHash"]
    assert manager.changes(blocks_filter, everything) == [_hex_hash(heavy, n) for n in (3, 4, 5)]
    [changed] = manager.changes(logs_filter, everything)
    assert changed == after
    assert manager.changes(blocks_filter, everything) == []
    assert manager.reorgs_seen == 1


def _hex_hash(chain: LedgerChain, number: int) -> str:
    row = chain.store.block_by_number(number)
    assert row is not None
    return "0x" + row.hash.hex()
