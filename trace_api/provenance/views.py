"""JSON shapes of traces, recalls and impact (camelCase, times as RFC 3339 UTC).

The `*Json` pydantic models document the shapes in `/openapi.json`; the `*_json`
functions build them as plain dicts. The trace and impact routes return those dicts as
`JSONResponse` (a 10,000-node trace would spend tens of milliseconds in pydantic), so the
models forbid unknown members and the tests validate real answers against them: a shape
change that forgets the model fails there.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from trace_api.audit.routes import FindingJson
from trace_api.provenance.impact import Impact
from trace_api.provenance.recalls import RecallReceipt, RecallView
from trace_api.provenance.trace import TraceEvent, TraceResult
from trace_api.records.columns import format_time_ms
from trace_api.records.event_hash_id_path import proof_url

CLASS_NAMES = {1: "I", 2: "II", 3: "III"}


class _Shape(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class TracedAnchorJson(_Shape):
    """Where a traced event's tree head is on chain, and whether that block is final."""

    headIndex: int
    treeSize: int
    rootHash: str
    transactionHash: str
    blockNumber: int
    final: bool


class VerificationJson(_Shape):
    signature: str = Field(description="valid | invalid | checked-at-capture (past the first 200 events)")
    anchored: bool
    inclusion: str = Field(description="verified | failed | pending | anchored (not rechecked)")
    verified: bool
    anchor: TracedAnchorJson | None


class TraceEventJson(_Shape):
    eventHashId: str
    leafIndex: int
    eventType: str
    action: str | None
    bizStep: str | None
    disposition: str | None
    eventTime: str | None
    readPoint: str | None
    bizLocation: str | None
    enterpriseId: str
    verification: VerificationJson
    proofUrl: str


class TraceNodeJson(_Shape):
    id: str
    kind: str
    depth: dict[str, int] = Field(description="hops from the start, per direction it was reached in")


class TraceEdgeJson(_Shape):
    source: str
    target: str
    relation: str
    eventHashId: str | None
    leafIndex: int
    quantity: float | None = Field(default=None, description="present for quantity-list links")
    uom: str | None = None


class TraceCountsJson(_Shape):
    nodes: int
    edges: int
    events: int
    verifiedEvents: int


class TraceJson(_Shape):
    id: str = Field(description="the traced identifier, as a graph key")
    kind: str
    direction: str
    depth: int
    at: str | None
    verdict: str = Field(description="verified only if every event verifies; else unverified")
    truncated: bool
    truncationReason: str | None = Field(description="depth | size")
    counts: TraceCountsJson
    nodes: list[TraceNodeJson]
    edges: list[TraceEdgeJson]
    events: list[TraceEventJson]
    cycles: list[list[str]]
    findings: list[FindingJson] = Field(
        description="audit findings on the traced events (an enterprise sees those on its own events)")
    scope: str = Field(default="all", description=(
        "all (regulators, admins) | own-and-adjacent (an enterprise: its own events and the"
        " hop adjacent to them; nothing else is shown or counted)"))


class RecallReceiptJson(_Shape):
    id: str
    subject: str
    uri: str | None
    status: str
    recall_class: str | None = Field(alias="class")
    reason: str
    reasonHash: str
    transactionHash: str
    blockNumber: int


class RecallChangeJson(_Shape):
    change: str
    status: str
    recall_class: str | None = Field(alias="class")
    reasonHash: str
    reason: str | None
    issuer: str
    enterpriseId: str | None
    companyPrefix: str | None
    blockNumber: int
    time: str | None
    transactionHash: str


class RecallJson(_Shape):
    id: str
    subject: str
    uri: str | None
    status: str
    recall_class: str | None = Field(alias="class")
    sequence: int
    reason: str | None
    openedByEnterprise: str | None
    history: list[RecallChangeJson]


class RecallListJson(_Shape):
    recalls: list[RecallJson]


class ImpactEntryJson(_Shape):
    id: str
    depth: int | None


class ImpactJson(_Shape):
    recall: RecallJson
    start: str | None
    truncated: bool
    truncationReason: str | None
    counts: dict[str, int]
    lots: list[ImpactEntryJson] = []
    items: list[ImpactEntryJson] = []
    logisticUnits: list[ImpactEntryJson] = []
    assets: list[ImpactEntryJson] = []
    otherIdentifiers: list[ImpactEntryJson] = []
    locations: list[ImpactEntryJson] = []
    parties: list[ImpactEntryJson] = []
    enterprises: list[ImpactEntryJson] = []


def iso_ms(ms: int | None) -> str | None:
    return None if ms is None else format_time_ms(ms)


def _event_json(event: TraceEvent) -> dict[str, Any]:
    facts, state = event.facts, event.verification
    return {
        "eventHashId": facts.event_hash_id, "leafIndex": facts.leaf_index, "eventType": facts.event_type,
        "action": facts.action, "bizStep": facts.biz_step, "disposition": facts.disposition,
        "eventTime": iso_ms(facts.event_time_ms), "readPoint": facts.read_point,
        "bizLocation": facts.biz_location, "enterpriseId": facts.enterprise_id,
        "verification": {"signature": state.signature, "anchored": state.anchored,
                         "inclusion": state.inclusion, "verified": state.verified, "anchor": state.anchor},
        "proofUrl": proof_url(facts.event_hash_id),
    }


def trace_json(result: TraceResult, findings: list[dict[str, Any]] | None = None, *,
               scope: str = "all") -> dict[str, Any]:
    hash_of = {e.facts.leaf_index: e.facts.event_hash_id for e in result.events}
    verified = sum(1 for e in result.events if e.verification.verified)
    return {
        "id": result.root, "kind": result.root_kind, "direction": result.direction, "depth": result.depth,
        "at": iso_ms(result.at_ms), "verdict": result.verdict,
        "truncated": result.truncated, "truncationReason": result.truncation_reason,
        "counts": {"nodes": len(result.nodes), "edges": len(result.edges), "events": len(result.events),
                   "verifiedEvents": verified},
        "nodes": [{"id": n.id, "kind": n.kind, "depth": n.depth} for n in result.nodes],
        "edges": [{"source": e.source, "target": e.target, "relation": e.relation,
                   "eventHashId": hash_of.get(e.leaf_index), "leafIndex": e.leaf_index,
                   **({"quantity": e.quantity, "uom": e.uom} if e.quantity is not None else {})}
                  for e in result.edges],
        "events": [_event_json(e) for e in result.events],
        "cycles": result.cycles,
        "findings": findings or [],
        "scope": scope,
    }


def receipt_json(receipt: RecallReceipt, status: str) -> dict[str, Any]:
    return {"id": receipt.subject, "subject": receipt.subject, "uri": receipt.uri, "status": status,
            "class": CLASS_NAMES.get(receipt.recall_class) if receipt.recall_class else None,
            "reason": receipt.reason, "reasonHash": receipt.reason_hash,
            "transactionHash": receipt.transaction_hash, "blockNumber": receipt.block_number}


def recall_json(view: RecallView) -> dict[str, Any]:
    return {
        "id": view.subject, "subject": view.subject, "uri": view.uri, "status": view.status,
        "class": CLASS_NAMES.get(view.recall_class) if view.recall_class else None,
        "sequence": view.sequence, "reason": view.reason, "openedByEnterprise": view.opened_by_enterprise,
        "history": [{
            "change": c.change, "status": c.status,
            "class": CLASS_NAMES.get(c.recall_class) if c.recall_class else None,
            "reasonHash": c.reason_hash, "reason": c.reason, "issuer": c.issuer, "enterpriseId": c.enterprise_id,
            "companyPrefix": c.company_prefix, "blockNumber": c.block_number,
            "time": iso_ms(c.block_time_ms), "transactionHash": c.transaction_hash,
        } for c in view.history],
    }


def impact_json(view: RecallView, impact: Impact | None) -> dict[str, Any]:
    grouped = impact.by_category() if impact is not None else {}
    return {
        "recall": recall_json(view),
        "start": impact.start if impact is not None else view.node_key,
        "truncated": impact.truncated if impact is not None else False,
        "truncationReason": impact.truncation_reason if impact is not None else None,
        "counts": impact.counts() if impact is not None else {},
        **{_plural(category): [{"id": e.id, "depth": e.depth} for e in entries]
           for category, entries in grouped.items()},
    }


def _plural(category: str) -> str:
    return {"lot": "lots", "item": "items", "logistic_unit": "logisticUnits", "asset": "assets",
            "other": "otherIdentifiers", "location": "locations", "party": "parties",
            "enterprise": "enterprises"}[category]
