"""Reading the anchored heads at one block stays coherent while the node mines.

anvil may answer an `eth_call` at its newest block number from the state it is mining the
next block into: `headCount` at N then counts a head anchored in N + 1, and `headAt` of
that index at N, answered a moment later from N's own state, reverts `UnknownHeadIndex`.
(The kill -9 anchorer test failed that way once under load; a reader racing an anchorer
on a real anvil saw it in 2-3 % of reads.) `MiningNode` replays exactly that
interleaving, deterministically, for `read_heads` and the anchorer's reconcile read.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from web3.exceptions import ContractCustomError

from anchoring.anchor_contract import latest_at_one_block, read_heads

# (tree size, block that anchored it) of heads 0, 1, 2; head 2 is being mined into block 12.
HEADS = [(10, 5), (20, 9), (30, 12)]
ROOT = b"\x11" * 32


class MiningNode:
    """TraceAnchor on a node whose newest block is 11 while block 12 (anchoring head 2)
    is being mined: the first call at block 11 sees block 12's state, later calls don't;
    once the reader asks for the newest block again, block 12 is done."""

    def __init__(self) -> None:
        self.calls_at_newest = 0
        self.newest = 11
        self.w3 = SimpleNamespace(eth=self)
        self.functions = SimpleNamespace(headCount=self._head_count, headAt=self._head_at)

    @property
    def block_number(self) -> int:
        if self.calls_at_newest:  # asked again after reading: the mining has finished
            self.newest = 12
        return self.newest

    def _heads_at(self, block: int) -> int:
        if block == self.newest == 11:
            self.calls_at_newest += 1
            if self.calls_at_newest == 1:  # answered from the block being mined
                return sum(1 for _, anchored_in in HEADS if anchored_in <= 12)
        return sum(1 for _, anchored_in in HEADS if anchored_in <= block)

    def _head_count(self) -> Any:
        return SimpleNamespace(call=lambda block_identifier: self._heads_at(block_identifier))

    def _head_at(self, index: int) -> Any:
        def call(block_identifier: int) -> tuple[int, int, int, bytes]:
            if index >= self._heads_at(block_identifier):
                raise ContractCustomError("0xe1ebe410", data="0xe1ebe410")  # UnknownHeadIndex
            tree_size, anchored_in = HEADS[index]
            return (tree_size, anchored_in, 1_700_000_000 + anchored_in, ROOT)

        return SimpleNamespace(call=call)


def test_read_heads_while_a_head_is_being_mined_is_coherent() -> None:
    heads = read_heads(MiningNode())  # type: ignore[arg-type]
    assert [(h.head_index, h.tree_size) for h in heads] == [(0, 10), (1, 20), (2, 30)]
    assert all(h.block_number <= 12 for h in heads)


def test_the_latest_head_was_anchored_at_or_before_the_block_read() -> None:
    block, count, latest = latest_at_one_block(MiningNode())  # type: ignore[arg-type]
    assert latest is not None and count == latest.head_index + 1
    assert latest.block_number <= block
    assert (block, count, latest.tree_size) == (12, 3, 30)
