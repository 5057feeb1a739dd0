"""Verification state of the events on a trace: signature, anchor, inclusion.

For each event the verification core (`trace_api.verification.steps`) re-checks what the
API stored: (1) the log entry commits to the record's Event Hash ID and its EIP-712
signature recovers to the submitter (entry-matches, signature); (2) a tree head covering
its leaf is anchored (`trace_api.anchors.anchors_for`, the indexer mirror); (3) the
inclusion proof from the log's tiles leads to the anchored root (inclusion,
anchored-on-chain against the mirror's root).

Steps 1 and 3 cost ~0.1-1 ms an event, so on large answers they run for the first
`RECHECK_LIMIT` events (in event-time order) and the rest report what capture and the
anchor already established ("checked-at-capture", inclusion "anchored"). The full
re-derivation from the chain stays with `/v1/verify` and the scan page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, text

from anchoring.core import RecordDomain
from trace_api.anchors import AnchorInfo, anchors_for
from trace_api.context import ApiContext
from trace_api.proofs.cache import inclusion_proofs
from trace_api.provenance.reader import EventFacts
from trace_api.verification.steps import MirrorRoots, failed_steps_of_stored_record

RECHECK_LIMIT = 200
"""Events per answer whose signature and inclusion proof are recomputed (~0.1 ms each,
once the few tiles of an anchored head are read)."""

_ENTRIES = text("SELECT leaf_index, submitter, entry FROM api_events WHERE leaf_index IN :keys") \
    .bindparams(bindparam("keys", expanding=True))


@dataclass(frozen=True)
class EventVerification:
    """How far one event's record verifies.

    `signature`: "valid" (re-checked here against the stored entry), "checked-at-capture"
    (not re-checked in this answer; capture admits only valid signatures) or "invalid";
    `anchored`: a tree head covering its leaf is on chain (and, when re-checked, its
    inclusion proof verified); `inclusion`: "verified" (an RFC 9162 proof from the log's
    tiles matched the anchored root), "failed", "anchored" (not re-checked in this answer:
    proof at /v1/events/{id}/proof) or "pending" (no anchored head covers it yet).
    """

    signature: str
    anchored: bool
    inclusion: str
    anchor: dict[str, Any] | None = None

    @property
    def verified(self) -> bool:
        return self.signature != "invalid" and self.anchored


UNCHECKED = EventVerification(signature="checked-at-capture", anchored=False, inclusion="pending")


def _anchor_json(anchor: AnchorInfo) -> dict[str, object]:
    return {"headIndex": anchor.head_index, "treeSize": anchor.tree_size, "rootHash": anchor.root_hash,
            "transactionHash": anchor.transaction_hash, "blockNumber": anchor.block_number,
            "final": anchor.final}


def event_states(ctx: ApiContext, events: list[EventFacts]) -> dict[int, EventVerification]:
    """The verification state of each event (by leaf index); see the module docstring."""
    anchors = anchors_for(ctx, [e.leaf_index for e in events])
    rechecked = events[:RECHECK_LIMIT]
    entries: dict[int, tuple[str, bytes]] = {}
    if rechecked:
        with ctx.engine.connect() as connection:
            for leaf_index, submitter, entry in connection.execute(
                    _ENTRIES, {"keys": [e.leaf_index for e in rechecked]}):
                entries[leaf_index] = (submitter, bytes(entry))
    domain = RecordDomain(ctx.deployment.chain_id, ctx.deployment.trace_anchor)
    proofs = ctx.shared(inclusion_proofs)
    roots = MirrorRoots.of_heads(anchor.anchored_head for anchor in anchors.values()
                                 if anchor is not None)
    rechecked_leaves = {e.leaf_index for e in rechecked}
    states: dict[int, EventVerification] = {}
    for event in events:
        anchor = anchors.get(event.leaf_index)
        anchor_shown = _anchor_json(anchor) if anchor is not None else None
        if event.leaf_index not in rechecked_leaves:
            states[event.leaf_index] = EventVerification(
                signature="checked-at-capture", anchored=anchor is not None,
                inclusion="anchored" if anchor is not None else "pending", anchor=anchor_shown)
            continue
        stored = entries.get(event.leaf_index)
        if stored is None:
            states[event.leaf_index] = EventVerification(
                signature="invalid", anchored=False, inclusion="pending", anchor=anchor_shown)
            continue
        failed = failed_steps_of_stored_record(
            event_hash_id=event.event_hash_id, entry_bytes=stored[1], submitter=stored[0],
            domain=domain, leaf_index=event.leaf_index,
            tree_size=None if anchor is None else anchor.tree_size, proofs=proofs, roots=roots)
        signature = "invalid" if failed.keys() & {"entry-matches", "signature"} else "valid"
        inclusion = "pending" if anchor is None else (
            "failed" if failed.keys() & {"inclusion", "anchored-on-chain"} else "verified")
        states[event.leaf_index] = EventVerification(
            signature=signature, anchored=anchor is not None and inclusion == "verified",
            inclusion=inclusion, anchor=anchor_shown)
    return states
