"""Throughput of EPCIS 2.0 validation (``trace_api.epcis``) on one core, with the schema
validators for context.

Three inputs: the GS1 example documents as they are (sensor-heavy, many "all possible fields"
events), one 1,000-event capture document made of those same example events, and one
1,000-event document of typical shipping ObjectEvents (5 EPCs, CBV step and disposition, read
point, location, a purchase order, one extension member). Ours decodes the bytes and validates
(the work the capture path does); the schema validators are timed on already-decoded JSON, so
the comparison flatters them. fastjsonschema appears here only as a yardstick. Figures are
best-of-three and reported, never asserted.

Run: ``python -m bench.epcis_bench`` (prints JSON).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from trace_api.epcis import parse_epcis_document, parse_epcis_json

SHARED_EPCIS = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "epcis"
TARGET_CAPTURE_EVENTS_PER_S = 20_000  # issue 7: end-to-end capture, so validation needs far more


def _best_rate(operation: Callable[[], int], seconds: float = 1.0, repeats: int = 3) -> float:
    best = 0.0
    for _ in range(repeats):
        done, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds:
            done += operation()
        best = max(best, done / elapsed)
    return best


def _events_of(document: dict[str, Any]) -> list[Any]:
    body = document["epcisBody"]
    if document["type"] == "EPCISQueryDocument":
        body = body["queryResults"]["resultsBody"]
    return list(body["eventList"])


def _typical_event(serial: int) -> dict[str, Any]:
    return {
        "type": "ObjectEvent", "eventTime": "2026-11-26T08:00:00.000+08:00",
        "eventTimeZoneOffset": "+08:00", "action": "OBSERVE", "bizStep": "shipping",
        "disposition": "in_transit",
        "epcList": [f"https://id.gs1.org/01/09506000134352/21/{serial * 5 + k}" for k in range(5)],
        "readPoint": {"id": "urn:epc:id:sgln:9506000.13435.0"},
        "bizLocation": {"id": "urn:epc:id:sgln:9506000.13435.0"},
        "bizTransactionList": [{"type": "po",
                                "bizTransaction": "urn:epc:id:gdti:0614141.00001.1618034"}],
        "example:lot": "L2026-11",
    }


def _capture_document(events: list[Any]) -> dict[str, Any]:
    return {"@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
                         {"example": "https://example.org/epcis/"}],
            "type": "EPCISDocument", "schemaVersion": "2.0",
            "creationDate": "2026-11-26T08:00:00Z", "epcisBody": {"eventList": events}}


def run_epcis_bench(seconds: float = 1.0) -> dict[str, Any]:
    """Validated events per second: ours on three inputs, jsonschema and fastjsonschema on the
    GS1 examples and on the typical capture document."""
    import fastjsonschema
    from jsonschema import Draft7Validator, FormatChecker

    paths = sorted((SHARED_EPCIS / "JSON").glob("**/*.jsonld"))
    bodies = [path.read_bytes() for path in paths]
    documents = [json.loads(body) for body in bodies]
    example_events = sum(len(_events_of(document)) for document in documents)
    pooled = [event for document in documents if document["type"] == "EPCISDocument"
              for event in _events_of(document)]
    examples_1000 = json.dumps(_capture_document((pooled * (1000 // len(pooled) + 1))[:1000]))
    typical = _capture_document([_typical_event(serial) for serial in range(1000)])
    typical_body = json.dumps(typical).encode()

    def ours_examples() -> int:
        for body in bodies:
            parse_epcis_json(body)
        return example_events

    def ours_document(body: bytes) -> Callable[[], int]:
        return lambda: len(parse_epcis_document(body).events)

    schema = json.loads((SHARED_EPCIS / "EPCIS-JSON-Schema.json").read_text(encoding="utf-8"))
    draft7 = Draft7Validator(schema, format_checker=FormatChecker())
    compiled = fastjsonschema.compile(schema)

    def per_document(validate: Callable[[Any], object], inputs: list[Any], events: int
                     ) -> Callable[[], int]:
        def run() -> int:
            for document in inputs:
                validate(document)
            return events
        return run

    return {
        "example_documents": len(paths),
        "example_events": example_events,
        "ours_examples_events_per_s": round(_best_rate(ours_examples, seconds)),
        "ours_1000_example_events_document_events_per_s": round(
            _best_rate(ours_document(examples_1000.encode()), seconds)),
        "ours_1000_typical_events_document_events_per_s": round(
            _best_rate(ours_document(typical_body), seconds)),
        "jsonschema_examples_events_per_s": round(_best_rate(
            per_document(draft7.validate, documents, example_events), seconds)),
        "jsonschema_typical_events_per_s": round(_best_rate(
            per_document(draft7.validate, [typical], 1000), seconds)),
        "fastjsonschema_examples_events_per_s": round(_best_rate(
            per_document(compiled, documents, example_events), seconds)),
        "fastjsonschema_typical_events_per_s": round(_best_rate(
            per_document(compiled, [typical], 1000), seconds)),
        "target_capture_events_per_s": TARGET_CAPTURE_EVENTS_PER_S,
    }


if __name__ == "__main__":
    print(json.dumps(run_epcis_bench(), indent=2))
