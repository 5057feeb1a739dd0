"""The CPU-bound part of capture, per chunk of raw events: validate, hash, recover signer,
and derive every row the event will be stored as (query columns, identifiers, graph rows).

Runs in the signature worker processes (`trace_api.capture.pool`), so it takes and
returns only plain picklable values: raw event JSON bytes in, small tuples out. Each
event is decoded once, here; the request thread only assigns leaf indexes and inserts.
Per event on this 2-core EPYC: ~6 µs validation, ~10 µs CBV 2.0 hashing, ~34 µs
secp256k1 recovery (coincurve), ~8 µs graph rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import msgspec

from anchoring.core.errors import CoreError
from anchoring.core.event_hash import event_hash_digest, event_hash_id
from anchoring.core.record_signature import RecordDomain, TraceRecord, recover_record_signer
from trace_api.capture.authority import WriteAuthority, find_refusal
from trace_api.epcis import EPCISValidationError, validate_event
from trace_api.provenance.ingest import event_graph_rows
from trace_api.records.columns import event_epcs, record_columns

EVENT_LIST_POINTER = "/epcisBody/eventList"

_decoder = msgspec.json.Decoder()
_encoder = msgspec.json.Encoder()


@dataclass(frozen=True)
class ChunkTask:
    """A run of events of one document and what is needed to check them.

    `expected_submitter` is set for self-custody enterprises (signatures are recovered
    and compared by the caller); None for custodial ones (the server signs later).
    `signatures` is the document's `tl:signatures` map (Event Hash ID -> 0x hex).
    `enterprise_id` is the capturing enterprise (it is a column of the graph's event rows).
    `authority` is what it speaks for (`trace_api.capture.authority`): every event is
    judged against it here, where the event is decoded anyway.
    """

    enterprise_id: str
    context: Any
    ignore_fields: tuple[str, ...]
    chain_id: int
    trace_anchor: str
    expected_submitter: str | None
    signatures: dict[str, str]
    events: list[tuple[int, bytes]]
    authority: WriteAuthority


# One analysed event. Invalid: ("invalid", index, [(pointer, message), ...]).
# Not the enterprise's to record: ("refused", index, event_hash_id, pointer, reason).
# Valid: ("ok", index, event_hash_id, signer, columns, epcs, body, graph) where signer is
# ("none", "") when no signature was looked at or found, ("address", "0x..") when one
# recovered, ("error", reason) when the signature is malformed; graph is
# `event_graph_rows(GRAPH_LEAF_PLACEHOLDER, ...)`: (event row, link rows, node-event rows).
Analysed = tuple[Any, ...]

GRAPH_LEAF_PLACEHOLDER = -1
"""Leaf index in graph rows made before the leaf is known (replaced at commit)."""


@lru_cache(maxsize=8)
def _domain(chain_id: int, trace_anchor: str) -> RecordDomain:
    return RecordDomain(chain_id, trace_anchor)


def analyse_chunk(task: ChunkTask) -> list[Analysed]:
    """Analyse every event of `task`, in order; never raises for bad input."""
    domain = _domain(task.chain_id, task.trace_anchor)
    context_json = _encoder.encode(task.context) if task.context is not None else None
    return [
        _analyse(index, raw, task, domain, context_json) for index, raw in task.events
    ]


def _analyse(index: int, raw: bytes, task: ChunkTask, domain: RecordDomain,
             context_json: bytes | None) -> Analysed:
    base = f"{EVENT_LIST_POINTER}/{index}"
    try:
        decoded = _decoder.decode(raw)
        parsed = validate_event(decoded, index=index, base=base)
    except EPCISValidationError as exc:
        return ("invalid", index, [(issue.pointer, issue.message) for issue in exc.issues])
    except msgspec.DecodeError as exc:  # the document decoded, so this cannot happen; be safe
        return ("invalid", index, [(base, f"malformed JSON: {exc}")])
    event = parsed.raw
    try:
        hash_id = event_hash_id(event, context=task.context, ignore_fields=task.ignore_fields)
    except CoreError as exc:
        return ("invalid", index, [(base, f"cannot compute the Event Hash ID: {exc}")])
    refusal = find_refusal(event, task.authority)
    if refusal is not None:
        # Judged before the signature: no point recovering a signer for a refused event.
        return ("refused", index, hash_id, base + refusal.pointer, refusal.reason)
    signer: tuple[str, str] = ("none", "")
    if task.expected_submitter is not None:
        signature_hex = task.signatures.get(hash_id)
        if signature_hex is not None:
            signer = _recover(hash_id, signature_hex, task.expected_submitter, domain)
    return ("ok", index, hash_id, signer, record_columns(event), event_epcs(event),
            _standalone_body(raw, event, task.context, context_json),
            event_graph_rows(GRAPH_LEAF_PLACEHOLDER, hash_id, task.enterprise_id, event))


def _recover(hash_id: str, signature_hex: str, submitter: str,
             domain: RecordDomain) -> tuple[str, str]:
    try:
        signature = bytes.fromhex(signature_hex.removeprefix("0x"))
    except ValueError:
        return ("error", "the signature is not hex")
    record = TraceRecord(event_hash_digest(hash_id), submitter)
    try:
        return ("address", recover_record_signer(record, domain, signature))
    except CoreError as exc:
        return ("error", str(exc))


def _standalone_body(raw: bytes, event: Any, context: Any, context_json: bytes | None) -> bytes:
    """The event as a standalone JSON-LD object carrying its document's `@context`.

    The common case splices the context into the submitted bytes (no re-encoding); an
    event with its own `@context` gets both, document first, as JSON-LD scoping applies.
    """
    if context_json is None:
        return raw
    if "@context" not in event:
        opening = raw.index(b"{")
        rest = raw[opening + 1:].lstrip()
        separator = b"" if rest.startswith(b"}") else b","
        return b'{"@context":' + context_json + separator + rest
    own = event["@context"]
    merged = [*(context if isinstance(context, list) else [context]),
              *(own if isinstance(own, list) else [own])]
    return _encoder.encode({"@context": merged, **{k: v for k, v in event.items()
                                                   if k != "@context"}})
