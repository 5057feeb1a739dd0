"""Reconciling a reorg: walk back from the checkpoint to the last block the mirror and the
node agree on (the common ancestor), then rewind the mirror to it."""

from __future__ import annotations

import logging

from indexer.errors import PermanentError
from indexer.sink.store import MirrorCheckpoint, MirrorStore
from indexer.source.fetch import ChainSource

logger = logging.getLogger(__name__)

#: Blocks compared per JSON-RPC batch while walking back.
WALK_BACK_WINDOW = 64


def find_common_ancestor(
    source: ChainSource, store: MirrorStore, checkpoint: MirrorCheckpoint
) -> tuple[int, str | None]:
    """The highest stored block whose hash the node's canonical chain also has, as
    (number, hash); (start_block - 1, its hash) if the fork is just above the first
    indexed block. Raises `PermanentError` if the fork lies below the first indexed block.
    """
    if checkpoint.block_number is None:
        return -1, None
    top = checkpoint.block_number
    if top < checkpoint.start_block:  # nothing stored yet: re-read the start's parent
        return top, source.block_hashes([top])[top]
    while top >= checkpoint.start_block:
        bottom = max(checkpoint.start_block, top - WALK_BACK_WINDOW + 1)
        numbers = list(range(top, bottom - 1, -1))
        stored = store.stored_hashes(numbers)
        canonical = source.block_hashes(numbers)
        for number in numbers:
            if stored.get(number) is not None and stored[number] == canonical[number]:
                return number, stored[number]
            logger.info(
                "block %d: mirror has %s, node has %s",
                number,
                stored.get(number),
                canonical[number],
            )
        top = bottom - 1
    if checkpoint.start_block == 0:
        raise PermanentError("the node's genesis block differs from the mirror's: another chain?")
    # Fork right above the start: block start-1 is not stored, but block start's parent is.
    first_parent = _stored_parent(store, checkpoint.start_block)
    parent_number = checkpoint.start_block - 1
    if (
        first_parent is not None
        and source.block_hashes([parent_number])[parent_number] == first_parent
    ):
        return parent_number, first_parent
    raise PermanentError(f"reorg reaches below the first indexed block {checkpoint.start_block}")


def reconcile(
    source: ChainSource, store: MirrorStore, checkpoint: MirrorCheckpoint
) -> MirrorCheckpoint:
    """Walk back to the common ancestor and rewind the mirror to it (one transaction).
    Raises `FinalityViolationError` if that would remove a final block."""
    ancestor_number, ancestor_hash = find_common_ancestor(source, store, checkpoint)
    logger.warning(
        "reorg: mirror tip %s (%s), common ancestor %d (%s); removing %d orphaned blocks",
        checkpoint.block_number,
        checkpoint.block_hash,
        ancestor_number,
        ancestor_hash,
        (checkpoint.block_number or 0) - ancestor_number,
    )
    return store.rewind(ancestor_number, ancestor_hash, checkpoint)


def _stored_parent(store: MirrorStore, number: int) -> str | None:
    from sqlalchemy import select

    from indexer.sink.models import ChainBlock

    table = ChainBlock.__table__  # type: ignore[attr-defined]
    with store.engine.connect() as connection:
        return connection.execute(
            select(table.c.parent_hash).where(table.c.number == number)
        ).scalar()
