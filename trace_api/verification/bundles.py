"""Where the API's verifier gets bundles and block guesses: its own records and the mirror.

Neither decides a verdict. A bundle is checked step by step like any caller's; a block
guess from the mirror is used only after the chain confirms it (`ChainReader.block_at_time`).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, func, select

from indexer.sink.models import ChainBlock
from trace_api.context import ApiContext
from trace_api.verification.service import BlockHint, BundleSource


def api_bundle_source(ctx: ApiContext) -> BundleSource:
    """Public bundles (no event body) of the API's records, by Event Hash ID and leaf."""
    from trace_api.proofs.service import build_bundle, select_leaf

    def bundle_for(event_hash_id: str, leaf_index: int | None) -> dict[str, Any] | None:
        leaf = select_leaf(ctx, event_hash_id, leaf_index=leaf_index)
        return None if leaf is None else build_bundle(ctx, leaf, include_event=False)

    return bundle_for


def api_block_hint(ctx: ApiContext) -> BlockHint:
    """The mirror's last block at or before a unix time (a guess the chain confirms)."""

    def last_block_at(timestamp: int) -> int | None:
        with Session(ctx.mirror_engine) as session:
            number = session.exec(
                select(func.max(ChainBlock.number)).where(ChainBlock.timestamp <= timestamp)
            ).first()
        return None if number is None else int(number)

    return last_block_at
