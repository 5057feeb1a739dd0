"""Records written into the live system for the proof and verification tests.

The system is `live_system` (tests/trace_api/conftest.py: the real `traceledger up --dev`
on SQLite and on PostgreSQL). `record_events` writes signed records exactly as capture
does (the log entry and its `api_events` row in one transaction), signed by the dev
network's enterprise 1, so these tests depend on neither the capture nor the enterprise
code; the system's own sequencer, anchorer and indexer then take them to the chain.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from anchoring.core import (
    RecordDomain,
    TraceRecord,
    encode_entry,
    event_hash_digest,
    event_hash_id,
    sign_record,
)
from anchoring.core.entry import LogEntry
from trace_api.context import ApiContext
from trace_api.records.columns import event_epcs, record_columns
from trace_api.records.repository import RecordRow, insert_records

# ---------------------------------------------------------------------- records


def digest_of(hash_id: str) -> bytes:
    return event_hash_digest(hash_id)


def standalone(event: Mapping[str, Any], context: Any) -> dict[str, Any]:
    """The event as one JSON-LD object with its document's @context (as records store it)."""
    body = dict(event)
    if context is not None and "@context" not in body:
        body = {"@context": context, **body}
    return body


def record_events(
    ctx: ApiContext,
    events: Sequence[Mapping[str, Any]],
    *,
    private_key: bytes,
    submitter: str,
    enterprise_id: str,
    signature_for: Any = None,
    with_graph: bool = False,
) -> list[int]:
    """Write each event as capture does (entry + `api_events` row in one transaction);
    return their leaf indexes. `signature_for(event_hash) -> bytes` overrides signing;
    `with_graph` also writes the provenance graph rows, as capture does (traces and the
    read rules need them), bypassing capture's own admission rules."""
    domain = RecordDomain(ctx.deployment.chain_id, ctx.deployment.trace_anchor)
    received_at_ms = int(time.time() * 1000)
    entries, rows = [], []
    for event in events:
        hash_id = event_hash_id(event)
        event_hash = digest_of(hash_id)
        signature = (signature_for(event_hash) if signature_for is not None
                     else sign_record(TraceRecord(event_hash, submitter), domain, private_key))
        entry = encode_entry(LogEntry(
            event_hash=event_hash, submitter=bytes.fromhex(submitter[2:]), signature=signature,
            received_at_ms=received_at_ms, salt=secrets.token_bytes(32),
        ))
        entries.append(entry)
        rows.append((hash_id, entry, event))

    def write_records(cursor: Any, receipts: Sequence[Any]) -> None:
        insert_records(cursor, [
            RecordRow(
                values=(receipt.leaf_index, hash_id, enterprise_id, submitter, entry,
                        received_at_ms, "test-capture", *record_columns(event),
                        json.dumps(event)),
                epcs=event_epcs(event),
            )
            for receipt, (hash_id, entry, event) in zip(receipts, rows, strict=True)
        ])
        if with_graph:
            from trace_api.provenance.ingest import write_graph
            from trace_api.records.models import CapturedEvent

            write_graph(cursor, [
                CapturedEvent(receipt.leaf_index, hash_id, enterprise_id, submitter, received_at_ms, event)
                for receipt, (hash_id, _entry, event) in zip(receipts, rows, strict=True)])

    receipts = ctx.log_store.submit_encoded(entries, within=write_records)
    return [receipt.leaf_index for receipt in receipts]


def wait_anchored(ctx: ApiContext, leaf_indexes: Sequence[int], timeout_s: float = 60.0) -> None:
    """Return once the mirror shows every leaf anchored; fail the test on timeout."""
    from trace_api.anchors import anchors_for

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        anchors = anchors_for(ctx, leaf_indexes)
        if all(anchor is not None and anchor.block_time is not None for anchor in anchors.values()):
            return
        time.sleep(0.2)
    pytest.fail(f"leaves {list(leaf_indexes)} not anchored within {timeout_s} s")


def example_events() -> list[tuple[str, dict[str, Any]]]:
    """(file name, standalone event) of every GS1 example event our EPCIS parser accepts."""
    from tests.shared_data import shared_data

    events = []
    folder = shared_data("epcis/JSON")
    for path in sorted(folder.rglob("*.json*")):
        document = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(document, dict) or document.get("type") != "EPCISDocument":
            continue
        context = document.get("@context")
        for event in document.get("epcisBody", {}).get("eventList", []):
            events.append((path.name, standalone(event, context)))
    return events


def rpc(url: str, method: str, params: list[Any]) -> Any:
    body = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params},
                      timeout=10).json()
    if "error" in body:
        raise RuntimeError(body["error"])
    return body["result"]


def object_event(serial: int, *, minute: int = 0) -> dict[str, Any]:
    """A realistic ObjectEvent (shipping one SGTIN) with its own EPC and time."""
    return {
        "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
        "type": "ObjectEvent",
        "eventTime": f"2026-11-20T08:{minute % 60:02d}:{serial % 60:02d}.000+08:00",
        "eventTimeZoneOffset": "+08:00",
        "epcList": [f"urn:epc:id:sgtin:0614141.107346.{serial}"],
        "action": "OBSERVE",
        "bizStep": "shipping",
        "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"},
    }


@dataclass
class World:
    """The live system, an in-process API context on its databases, and the dev
    enterprise that signs the records written into it."""

    system: Any  # testing.system.LiveSystem
    ctx: ApiContext
    private_key: bytes
    submitter: str
    enterprise_id: str

    @property
    def trace_anchor(self) -> str:
        return self.ctx.deployment.trace_anchor

    @property
    def chain_id(self) -> int:
        return self.ctx.deployment.chain_id

    def record(self, events: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[int]:
        options = {"private_key": self.private_key, "submitter": self.submitter,
                   "enterprise_id": self.enterprise_id, **kwargs}
        return record_events(self.ctx, events, **options)

    def record_anchored(self, events: Sequence[Mapping[str, Any]], **kwargs: Any) -> list[int]:
        """`record`, then wait until the system has anchored the records; their leaf indexes."""
        leaves = self.record(events, **kwargs)
        wait_anchored(self.ctx, leaves)
        return leaves


@pytest.fixture(scope="module")
def world(live_system: Any) -> Iterator[World]:
    """An in-process `ApiContext` on the live system and its dev enterprise 1 key (the
    proofs and verification tests' conftest.py offer it)."""
    import trace_api.app  # noqa: F401  (registers every api_* table before the context opens)
    from trace_api.verification.chain_reader import ChainReader

    system = live_system
    ctx = ApiContext.open(system.settings())
    account = system.dev_keys["enterprise1"]
    reader = ChainReader(system.rpc_url)
    try:
        registry = reader.registry(ctx.deployment.trace_anchor)
        enterprise_id = reader.enterprise_of(registry, account["address"])
    finally:
        reader.close()
    try:
        yield World(system, ctx, bytes.fromhex(account["privateKey"].removeprefix("0x")),
                    account["address"], enterprise_id)
    finally:
        ctx.close()
