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

import base64
import json
from datetime import UTC, datetime
from typing import Any

from anchoring.core.eip712 import format_address
from anchoring.core.entry import decode_entry
from anchoring.core.merkle import leaf_hash
from anchoring.errors import KeyFileError
from anchoring.keys import read_verifier_key
from trace_api.anchors import anchors_for
from trace_api.context import ApiContext
from trace_api.problems import Problem
from trace_api.records.models import StoredRecord
from trace_api.records.repository import records_where
from trace_api.records.status import anchor_json

__all__ = [
    "BUNDLE_FORMAT",
    "build_bundle",
    "format_received_at",
    "leaf_indexes_for",
    "load_record",
    "log_verifier_key",
    "select_leaf",
    "witness_verifier_keys",
]

BUNDLE_FORMAT = "traceledger.proof/v1"
_VERIFIER_KEY_SERVICE = "proofs.log_verifier_key"


MAX_RECORDS_PER_EVENT = 1_000
"""Records of one Event Hash ID considered (one per enterprise; far more than ever seen)."""


def leaf_indexes_for(ctx: ApiContext, event_hash_id: str) -> list[tuple[int, str]]:
    """(leaf_index, enterprise_id) of every record of `event_hash_id`, oldest first.

    Several enterprises may record the same event (e.g. a shipment both parties report);
    each enterprise records it once.
    """
    records = records_where(ctx.log_store.db, "e.event_hash_id = ?", [event_hash_id],
                            MAX_RECORDS_PER_EVENT)
    return [(record.leaf_index, record.enterprise_id) for record in records]


def select_leaf(
    ctx: ApiContext, event_hash_id: str, *, enterprise_id: str | None = None,
    leaf_index: int | None = None,
) -> int | None:
    """The leaf of `event_hash_id` a caller means: `leaf_index` if it records that event,
    else the record of `enterprise_id` (the caller's own), else the oldest; None if none."""
    records = leaf_indexes_for(ctx, event_hash_id)
    if leaf_index is not None:
        return leaf_index if any(leaf == leaf_index for leaf, _ in records) else None
    if enterprise_id is not None:
        own = [leaf for leaf, owner in records if owner.lower() == enterprise_id.lower()]
        if own:
            return own[0]
    return records[0][0] if records else None


def load_record(ctx: ApiContext, leaf_index: int) -> StoredRecord:
    """The record at `leaf_index`; Problem 404 if there is none."""
    found = records_where(ctx.log_store.db, "e.leaf_index = ?", [leaf_index], 1)
    if not found:
        raise Problem(404, "not-found", "No such record", f"no record at leaf index {leaf_index}")
    return found[0]


def log_verifier_key(ctx: ApiContext) -> str:
    """The log's note verifier key (public half of `settings.log_key_file`), read once."""
    key = ctx.services.get(_VERIFIER_KEY_SERVICE)
    if key is None:
        if ctx.settings.log_key_file is None:
            raise Problem(503, "log-key-unavailable", "Log key not configured",
                          "the API has no log key file, so it cannot name the log's key")
        try:
            key = read_verifier_key(ctx.settings.log_key_file)
        except KeyFileError as exc:
            raise Problem(503, "log-key-unavailable", "Log key unreadable", str(exc)) from exc
        ctx.services[_VERIFIER_KEY_SERVICE] = key
    return str(key)


def witness_verifier_keys(ctx: ApiContext) -> list[str]:
    """Verifier keys of the witnesses the operator configured (`ApiSettings.witness_keys`,
    may be none: an embedded dev system has no witnesses, and a bundle then lists none)."""
    return list(ctx.settings.witness_keys)


def format_received_at(received_at_ms: int) -> str:
    """RFC 3339 UTC with milliseconds, e.g. `2026-11-26T12:00:00.000Z`."""
    moment = datetime.fromtimestamp(received_at_ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{received_at_ms % 1000:03d}Z"


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


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


def build_bundle(ctx: ApiContext, leaf_index: int, *, include_event: bool) -> dict[str, Any]:
    """The `traceledger.proof/v1` bundle of the record at `leaf_index`.

    Anchored: proof into the first anchored head covering the leaf. Pending: proof into
    the latest checkpoint if the leaf is already integrated, else `inclusionProof` and
    `rootHash` are null (the leaf waits for the sequencer). Raises Problem 404 for an
    unknown leaf, 503 when the log key is not configured.
    """
    record = load_record(ctx, leaf_index)
    entry = decode_entry(record.entry)
    entry_leaf_hash = leaf_hash(record.entry)  # SHA-256(0x00 || entry), RFC 9162 §2.1.1
    anchor = anchors_for(ctx, [leaf_index])[leaf_index]
    tree_size = anchor.tree_size if anchor is not None else _latest_checkpoint_size(ctx)
    checkpoint = _checkpoint_note(ctx, tree_size) if tree_size is not None else None
    proof: list[str] | None = None
    root_hash: str | None = None
    if tree_size is not None and leaf_index < tree_size:
        proof = [_hex(node) for node in ctx.log_store.inclusion_proof(leaf_index, tree_size)]
        root_hash = _hex(ctx.log_store.root_at(tree_size))
    bundle: dict[str, Any] = {
        "format": BUNDLE_FORMAT,
        "eventHashId": record.event_hash_id,
        "status": "anchored" if anchor is not None else "pending",
        "entry": base64.b64encode(record.entry).decode("ascii"),
        "entryFields": {
            "eventHash": _hex(entry.event_hash),
            "submitter": format_address(entry.submitter),
            "signature": _hex(entry.signature),
            "receivedAt": format_received_at(entry.received_at_ms),
            "salt": _hex(entry.salt),
        },
        "leafIndex": leaf_index,
        "treeSize": tree_size,
        "leafHash": _hex(entry_leaf_hash),
        "rootHash": root_hash,
        "inclusionProof": proof,
        "checkpoint": checkpoint,
        "log": {"origin": ctx.settings.log_origin, "verifierKey": log_verifier_key(ctx)},
        "witnesses": [
            {"name": key.split("+", 1)[0], "verifierKey": key}
            for key in witness_verifier_keys(ctx)
        ],
        "anchor": anchor_json(ctx, anchor),
    }
    if include_event:
        bundle["event"] = json.loads(record.body)
    return bundle
