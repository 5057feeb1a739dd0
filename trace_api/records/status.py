"""A record's status (`pending` / `anchored`) and anchor, as the API shows them.

Not stored: derived from the anchored tree heads (`trace_api.anchors.anchors_for`), so a
record becomes `anchored` the moment the indexer mirrors a covering head.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from trace_api.anchors import AnchorInfo, anchors_for
from trace_api.context import ApiContext


def record_status(ctx: ApiContext, leaf_indexes: Iterable[int]) -> dict[int, str]:
    """`anchored` or `pending` per leaf index."""
    return {leaf: "pending" if anchor is None else "anchored"
            for leaf, anchor in anchors_for(ctx, leaf_indexes).items()}


def anchor_json(ctx: ApiContext, anchor: AnchorInfo | None) -> dict[str, Any] | None:
    """The anchor as the API shows it (the proof bundle's `anchor` member, same names)."""
    if anchor is None:
        return None
    return {
        "chainId": ctx.deployment.chain_id,
        "contract": ctx.deployment.trace_anchor,
        "headIndex": anchor.head_index,
        "treeSize": anchor.tree_size,
        "rootHash": anchor.root_hash,
        "transactionHash": anchor.transaction_hash,
        "blockNumber": anchor.block_number,
        "blockHash": anchor.block_hash,
        "blockTime": anchor.block_time,
        "witnessedBy": list(anchor.witnessed_by),
    }
