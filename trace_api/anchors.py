"""Anchor status of log leaves, read from the indexer's SQL mirror of the chain.

A leaf is anchored once a tree head whose size exceeds its index is on chain; its
anchor is the *first* such head (the smallest anchored tree that contains it), so the
anchor of a leaf never changes once it exists. Until then the leaf is pending.

This is a status for display and for building proof bundles. Verdicts never rest on it:
`trace_api.verification` re-reads the anchored root from the chain with `eth_call`.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlmodel import Session, col, select

from contracts.anchored_head import AnchoredHead
from indexer.sink.models import ChainBlock, ChainHeadWitness, ChainTreeHead
from trace_api.context import ApiContext

__all__ = ["AnchorInfo", "anchors_for", "anchors_from_mirror"]


@dataclass(frozen=True, kw_only=True)
class AnchorInfo:
    """The anchored tree head that first covers a leaf, and where it is on chain.

    Hashes are lowercase 0x-hex, addresses EIP-55, as the mirror stores them. `block_time`
    is None while the mirror lacks the head's block row; `final` is the mirror's
    finality flag for the head's block.
    """

    head_index: int
    tree_size: int
    root_hash: str
    transaction_hash: str
    block_number: int
    block_hash: str
    block_time: int | None
    witnessed_by: tuple[str, ...]
    final: bool

    @property
    def anchored_head(self) -> AnchoredHead:
        """The head itself as the one `AnchoredHead` type (the mirror row mapped back)."""
        return AnchoredHead(
            head_index=self.head_index, tree_size=self.tree_size,
            root_hash=bytes.fromhex(self.root_hash.removeprefix("0x")),
            block_number=self.block_number, block_time=self.block_time,
            transaction_hash=bytes.fromhex(self.transaction_hash.removeprefix("0x")))


def anchors_for(ctx: ApiContext, leaf_indexes: Iterable[int]) -> dict[int, AnchorInfo | None]:
    """Map each leaf index to its anchor (None: pending), with a bounded number of queries.

    Three queries whatever the number of leaves: the heads between the smallest and the
    largest leaf, their blocks, their witnesses.
    """
    return anchors_from_mirror(ctx.mirror_engine, leaf_indexes)


def anchors_from_mirror(
    mirror_engine: Engine, leaf_indexes: Iterable[int]
) -> dict[int, AnchorInfo | None]:
    """`anchors_for` on an explicit mirror engine (tests, benches, tools)."""
    wanted = sorted(set(leaf_indexes))
    if not wanted:
        return {}
    lowest, highest = wanted[0], wanted[-1]
    with Session(mirror_engine) as session:
        # The head that covers the highest leaf bounds the scan from above; heads between
        # the lowest and that one are all candidates for some leaf in the batch.
        upper = session.exec(
            select(ChainTreeHead.tree_size)
            .where(ChainTreeHead.tree_size > highest)
            .order_by(col(ChainTreeHead.tree_size))
            .limit(1)
        ).first()
        heads_query = select(ChainTreeHead).where(ChainTreeHead.tree_size > lowest)
        if upper is not None:
            heads_query = heads_query.where(ChainTreeHead.tree_size <= upper)
        heads = list(session.exec(heads_query.order_by(col(ChainTreeHead.tree_size))).all())
        if not heads:
            return {leaf_index: None for leaf_index in wanted}
        sizes = [head.tree_size for head in heads]
        first_head = {
            leaf_index: heads[position]
            for leaf_index in wanted
            if (position := bisect.bisect_right(sizes, leaf_index)) < len(heads)
        }
        used = {head.head_index: head for head in first_head.values()}
        blocks = {
            block.number: block
            for block in session.exec(
                select(ChainBlock).where(
                    col(ChainBlock.number).in_({head.block_number for head in used.values()})
                )
            ).all()
        }
        witnesses: dict[int, list[str]] = {}
        for witness in session.exec(
            select(ChainHeadWitness)
            .where(col(ChainHeadWitness.head_index).in_(used.keys()))
            .order_by(col(ChainHeadWitness.block_number), col(ChainHeadWitness.log_index))
        ).all():
            witnesses.setdefault(witness.head_index, []).append(witness.witness)
    infos = {
        head_index: _info(head, blocks.get(head.block_number), witnesses.get(head_index, []))
        for head_index, head in used.items()
    }
    return {
        leaf_index: infos[first_head[leaf_index].head_index] if leaf_index in first_head else None
        for leaf_index in wanted
    }


def _info(head: ChainTreeHead, block: ChainBlock | None, witnesses: list[str]) -> AnchorInfo:
    # A block row whose hash differs from the head's belongs to a reorganised-away block
    # the indexer has not reconciled yet: show no time rather than the wrong one.
    same_block = block is not None and block.hash == head.block_hash
    return AnchorInfo(
        head_index=head.head_index,
        tree_size=head.tree_size,
        root_hash=head.root_hash,
        transaction_hash=head.transaction_hash,
        block_number=head.block_number,
        block_hash=head.block_hash,
        block_time=block.timestamp if same_block and block is not None else None,
        witnessed_by=tuple(witnesses),
        final=head.final,
    )
