"""Proof bundles, format `traceledger.proof/v1` (trace_api/README.md, "Proof bundle").

A bundle carries everything a third party needs to check one record without us: the
158-byte log entry, its leaf index, an inclusion proof into a tree of `treeSize` leaves,
the log's signed checkpoint of that size (with any witness cosignature lines), the log's
verifier key and, once anchored, where on chain that tree head is. The event body is
added only for callers allowed to see it; the rest reveals nothing about the record's
content or its neighbours (leaves are salted).

`treeSize` is the anchored head's size when anchored, so the root can be checked with
`TraceAnchor.rootAtSize(treeSize)`; while pending it is the latest checkpoint's size.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from anchoring.core.eip712 import format_address
from anchoring.core.entry import decode_entry
from anchoring.core.merkle import leaf_hash
from anchoring.errors import KeyFileError
from anchoring.keys import read_verifier_key
from trace_api.anchors import AnchorInfo, anchors_for
from trace_api.context import ApiContext
from trace_api.errors import NotFound, Unavailable
from trace_api.proofs.bundle import (
    BUNDLE_FORMAT,
    EntryFields,
    LogInfo,
    ProofBundle,
    WitnessInfo,
    parse_anchor_claim,
)
from trace_api.proofs.cache import inclusion_proofs
from trace_api.records.models import StoredRecord
from trace_api.records.repository import records_where
from trace_api.records.status import anchor_json

__all__ = ["build_bundle", "bundle_for_entry", "bundles_for_entries", "format_received_at",
           "load_record", "log_verifier_key", "select_leaf"]


MAX_RECORDS_PER_EVENT = 1_000
"""Records of one Event Hash ID considered (one per enterprise; far more than ever seen)."""


def select_leaf(
    ctx: ApiContext, event_hash_id: str, *, enterprise_id: str | None = None,
    leaf_index: int | None = None,
) -> int | None:
    """The leaf of `event_hash_id` a caller means: `leaf_index` if it records that event,
    else the record of `enterprise_id` (the caller's own), else the oldest; None if none.

    Several enterprises may record the same event (e.g. a shipment both parties report);
    each enterprise records it once.
    """
    records = records_where(ctx.log_store.db, "e.event_hash_id = ?", [event_hash_id],
                            MAX_RECORDS_PER_EVENT)  # oldest first
    if leaf_index is not None:
        return leaf_index if any(record.leaf_index == leaf_index for record in records) else None
    if enterprise_id is not None:
        own = [record.leaf_index for record in records
               if record.enterprise_id.lower() == enterprise_id.lower()]
        if own:
            return own[0]
    return records[0].leaf_index if records else None


def load_record(ctx: ApiContext, leaf_index: int) -> StoredRecord:
    """The record at `leaf_index`; `NotFound` if there is none."""
    found = records_where(ctx.log_store.db, "e.leaf_index = ?", [leaf_index], 1)
    if not found:
        raise NotFound("not-found", "No such record", f"no record at leaf index {leaf_index}")
    return found[0]


def read_log_verifier_key(ctx: ApiContext) -> str:
    """The public half of `settings.log_key_file`; `Unavailable` if there is none or it is
    unreadable. Read once per app through `log_verifier_key`."""
    if ctx.settings.log_key_file is None:
        raise Unavailable("log-key-unavailable", "Log key not configured",
                          "the API has no log key file, so it cannot name the log's key")
    try:
        return str(read_verifier_key(ctx.settings.log_key_file))
    except KeyFileError as exc:
        raise Unavailable("log-key-unavailable", "Log key unreadable", str(exc)) from exc


def log_verifier_key(ctx: ApiContext) -> str:
    """The log's note verifier key, read once (a failed read is retried next time)."""
    return ctx.shared(read_log_verifier_key)


def format_received_at(received_at_ms: int) -> str:
    """RFC 3339 UTC with milliseconds, e.g. `2026-11-26T12:00:00.000Z`."""
    moment = datetime.fromtimestamp(received_at_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{received_at_ms % 1000:03d}Z"


def _checkpoint_note(ctx: ApiContext, tree_size: int) -> str | None:
    """The log's signed note for `tree_size` with every stored witness cosignature line."""
    database = ctx.log_store.db
    with database.transaction(write=False) as cursor:
        row = cursor.execute(
            f"SELECT note FROM {database.table('checkpoints')} WHERE tree_size = ?", (tree_size,)
        ).fetchone()
        if row is None:
            return None
        lines = cursor.execute(
            f"SELECT line FROM {database.table('cosignatures')} WHERE tree_size = ? "
            "ORDER BY witness",
            (tree_size,),
        ).fetchall()
    return str(row[0]) + "".join(str(line) for (line,) in lines)


def _latest_checkpoint_size(ctx: ApiContext) -> int | None:
    database = ctx.log_store.db
    with database.transaction(write=False) as cursor:
        row = cursor.execute(
            f"SELECT MAX(tree_size) FROM {database.table('checkpoints')}"
        ).fetchone()
    return None if row is None or row[0] is None else int(row[0])


def build_bundle(ctx: ApiContext, leaf_index: int, *, include_event: bool) -> ProofBundle:
    """The `traceledger.proof/v1` bundle of the record at `leaf_index`.

    Anchored: proof into the first anchored head covering the leaf. Pending: proof into
    the latest checkpoint if the leaf is already integrated, else `inclusion_proof` and
    `root_hash` are None (the leaf waits for the sequencer). Raises `NotFound` for an
    unknown leaf, `Unavailable` when the log key is not configured.
    """
    record = load_record(ctx, leaf_index)
    return bundle_for_entry(ctx, leaf_index, record.event_hash_id, record.entry,
                            event=json.loads(record.body) if include_event else None)


def bundles_for_entries(ctx: ApiContext,
                        records: Sequence[tuple[int, str, bytes]]) -> list[ProofBundle]:
    """Public bundles (no body) of many `(leaf_index, hash_id, entry)` records, as
    `bundle_for_entry` makes them one by one, with the anchors read in one batch and each
    tree size's checkpoint read once (the consumer view proves a whole timeline)."""
    anchors = anchors_for(ctx, [leaf for leaf, _, _ in records])
    latest: list[int | None] = []
    notes: dict[int, str | None] = {}

    def pending_size() -> int | None:
        if not latest:
            latest.append(_latest_checkpoint_size(ctx))
        return latest[0]

    def note(tree_size: int) -> str | None:
        if tree_size not in notes:
            notes[tree_size] = _checkpoint_note(ctx, tree_size)
        return notes[tree_size]

    return [_bundle(ctx, leaf, hash_id, entry, anchors[leaf], pending_size, note, event=None)
            for leaf, hash_id, entry in records]


def bundle_for_entry(ctx: ApiContext, leaf_index: int, hash_id: str, entry_bytes: bytes, *,
                     event: dict[str, Any] | None = None) -> ProofBundle:
    """The `traceledger.proof/v1` bundle of the log entry `entry_bytes` at `leaf_index`,
    naming the record `hash_id` (an Event Hash ID, or a master-data record hash ID: both
    kinds of record share the log and the bundle); `event` is the body to include, if any.
    Same anchored / pending rules and errors as `build_bundle`."""
    anchor = anchors_for(ctx, [leaf_index])[leaf_index]
    return _bundle(ctx, leaf_index, hash_id, entry_bytes, anchor,
                   lambda: _latest_checkpoint_size(ctx),
                   lambda tree_size: _checkpoint_note(ctx, tree_size), event=event)


def _bundle(ctx: ApiContext, leaf_index: int, hash_id: str, entry_bytes: bytes,
            anchor: AnchorInfo | None, pending_size: Callable[[], int | None],
            note: Callable[[int], str | None], *, event: dict[str, Any] | None) -> ProofBundle:
    entry = decode_entry(entry_bytes)
    tree_size = anchor.tree_size if anchor is not None else pending_size()
    checkpoint = note(tree_size) if tree_size is not None else None
    proof: tuple[bytes, ...] | None = None
    root_hash: bytes | None = None
    if tree_size is not None and leaf_index < tree_size:
        proofs = ctx.shared(inclusion_proofs)
        proof = tuple(proofs(leaf_index, tree_size))
        root_hash = proofs.root(tree_size)
    return ProofBundle(
        format=BUNDLE_FORMAT,
        event_hash_id=hash_id,
        status="anchored" if anchor is not None else "pending",
        entry=entry_bytes,
        entry_fields=EntryFields(
            event_hash="0x" + entry.event_hash.hex(),
            submitter=format_address(entry.submitter),
            signature="0x" + entry.signature.hex(),
            received_at=format_received_at(entry.received_at_ms),
            salt="0x" + entry.salt.hex(),
        ),
        leaf_index=leaf_index,
        tree_size=tree_size,
        leaf_hash=leaf_hash(entry_bytes),  # SHA-256(0x00 || entry), RFC 9162 §2.1.1
        root_hash=root_hash,
        inclusion_proof=proof,
        checkpoint=checkpoint,
        log=LogInfo(ctx.settings.log_origin, log_verifier_key(ctx)),
        # The witnesses the operator configured (`up --dev`: its dev witness).
        witnesses=tuple(WitnessInfo(key.split("+", 1)[0], key) for key in ctx.settings.witness_keys),
        anchor=parse_anchor_claim(anchor_json(ctx, anchor)),
        event=event,
    )
