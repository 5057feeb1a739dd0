"""The API's own `TraceRecordVerifier`: `ctx.shared(api_record_verifier)`.

It trusts the deployment (chain id, TraceAnchor), the log key file and the configured
witness keys; it takes bundles from the API's records and block guesses from the mirror.
Neither decides a verdict: a bundle is checked step by step like any caller's, and a
block guess is used only after the chain confirms it (`ChainReader.block_at_time`).
"""

from __future__ import annotations

from sqlmodel import Session, func, select

from indexer.sink.models import ChainBlock
from trace_api.context import ApiContext
from trace_api.proofs.bundle import ProofBundle
from trace_api.proofs.service import build_bundle, log_verifier_key, select_leaf
from trace_api.verification.chain_reader import ChainReader
from trace_api.verification.service import BundleSource, TraceRecordVerifier
from trace_api.verification.steps import BlockHint


def api_bundle_source(ctx: ApiContext) -> BundleSource:
    """Public bundles (no event body) of the API's records, by Event Hash ID and leaf."""

    def bundle_for(event_hash_id: str, leaf_index: int | None) -> ProofBundle | None:
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


def api_record_verifier(ctx: ApiContext) -> TraceRecordVerifier:
    """The app's verifier (use as `ctx.shared(api_record_verifier)`). Raises `Unavailable`
    when the log key is not configured: without it no checkpoint can be trusted."""
    return TraceRecordVerifier(
        chain=ChainReader(ctx.settings.rpc_url),
        chain_id=ctx.deployment.chain_id,
        trace_anchor=ctx.deployment.trace_anchor,
        log_verifier_key=log_verifier_key(ctx),
        witness_keys=tuple(ctx.settings.witness_keys),
        bundle_source=api_bundle_source(ctx),
        block_hint=api_block_hint(ctx),
    )
