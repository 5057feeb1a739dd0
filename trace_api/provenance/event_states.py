"""Verification state of the events on a trace: signature, anchor, inclusion.

For each event: (1) the stored log entry's event hash equals the record's Event Hash ID
and its EIP-712 signature recovers to the submitter (re-checked here, `anchoring.core`);
(2) a tree head covering its leaf is anchored (`trace_api.anchors.anchors_for`, the
indexer mirror); (3) the anchored root commits to the leaf: an RFC 9162 inclusion proof
from the log's tiles verifies against the anchored root hash.

Steps 1 and 3 cost ~0.1-1 ms an event, so on large answers they run for the first
`RECHECK_LIMIT` events (in event-time order) and the rest report what capture and the
anchor already established ("checked-at-capture", inclusion "anchored"). The full
re-derivation from the chain stays with `/v1/verify` and the scan page.
"""

from __future__ import annotations

from sqlalchemy import bindparam, text

from anchoring.core import decode_entry, entry_leaf_hash
from anchoring.core.errors import CoreError
from anchoring.core.merkle import inclusion_proof_ranges, verify_inclusion
from anchoring.core.record_signature import RecordDomain, TraceRecord, verify_record_signature
from anchoring.errors import TileUnavailableError
from anchoring.tiles import TileHashes
from trace_api.anchors import AnchorInfo, anchors_for
from trace_api.context import ApiContext
from trace_api.provenance.reader import EventFacts
from trace_api.provenance.trace import EventVerification

RECHECK_LIMIT = 200
"""Events per answer whose signature and inclusion proof are recomputed (~0.1 ms each,
once the few tiles of an anchored head are read)."""

_ENTRIES = text("SELECT leaf_index, submitter, entry FROM api_events WHERE leaf_index IN :keys") \
    .bindparams(bindparam("keys", expanding=True))


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
    rechecked_leaves = {e.leaf_index for e in rechecked}
    states: dict[int, EventVerification] = {}
    tiles: dict[int, TileHashes] = {}
    for event in events:
        anchor = anchors.get(event.leaf_index)
        if event.leaf_index not in rechecked_leaves:
            states[event.leaf_index] = EventVerification(
                signature="checked-at-capture", anchored=anchor is not None,
                inclusion="anchored" if anchor is not None else "pending",
                anchor=_anchor_json(anchor) if anchor is not None else None)
            continue
        stored = entries.get(event.leaf_index)
        signature = "invalid"
        inclusion = "pending"
        if stored is not None:
            signature = _signature_state(event, stored[0], stored[1], domain)
            if anchor is not None:
                inclusion = _inclusion_state(ctx, event.leaf_index, stored[1], anchor, tiles)
        states[event.leaf_index] = EventVerification(
            signature=signature, anchored=anchor is not None and inclusion == "verified",
            inclusion=inclusion, anchor=_anchor_json(anchor) if anchor is not None else None)
    return states


def _signature_state(event: EventFacts, submitter: str, entry_bytes: bytes, domain: RecordDomain) -> str:
    try:
        entry = decode_entry(entry_bytes)
        if f"ni:///sha-256;{entry.event_hash.hex()}?ver=CBV2.0" != event.event_hash_id:
            return "invalid"
        verify_record_signature(TraceRecord(entry.event_hash, submitter), domain, entry.signature, submitter)
    except (CoreError, ValueError):
        return "invalid"
    return "valid"


def _inclusion_state(ctx: ApiContext, leaf_index: int, entry_bytes: bytes, anchor: AnchorInfo,
                     tiles: dict[int, TileHashes]) -> str:
    try:
        # One TileHashes per anchored size: events of one answer share a few heads, and
        # it caches the tiles it reads, so proofs after the first cost no queries.
        hashes = tiles.get(anchor.tree_size)
        if hashes is None:
            hashes = tiles.setdefault(anchor.tree_size, ctx.log_store.tile_hashes(anchor.tree_size))
        proof = [hashes.subtree_hash(a, b) for a, b in inclusion_proof_ranges(leaf_index, anchor.tree_size)]
        verify_inclusion(entry_leaf_hash(decode_entry(entry_bytes)), leaf_index, anchor.tree_size, proof,
                         bytes.fromhex(anchor.root_hash.removeprefix("0x")))
    except (CoreError, ValueError, TileUnavailableError):
        return "failed"
    return "verified"
