"""Building signed EPCIS capture documents for tests and measurements."""

from __future__ import annotations

import random
from typing import Any

from anchoring.core.event_hash import event_hash_id
from anchoring.core.record_signature import RecordDomain, TraceRecord, sign_record

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld",
           {"tl": "https://traceledger.dev/ns/"}]

SHIPPING_GLN = "0614141073467"
"""The GLN of `shipping_event`'s readPoint and bizLocation (SGLN 0614141.07346.*): an
enterprise capturing those events registers it (capture's write rules, README)."""
EXAMPLE_GLNS = ("4012345000016", "4012345000023", "0012345111112", "0614141073467",
                "0614141007776", "0614141008889", "0037000007296", "4012345000054",
                "4012345000009", "9506000134307", "4012345000252")
"""Every GLN the GS1 EPCIS example documents use as readPoint or bizLocation: the
enterprise that captures them registers these as its locations."""
CREATED_UNDER_4012345 = frozenset({
    "Example_9.6.4-TransformationEvent.jsonld", "Example_9.6.4-TransformationEventWithDigitalLink.jsonld",
    "ErrorDeclarationAndCorrectiveEvent.jsonld", "SensorDataExample12.jsonld"})
"""GS1 examples whose transformation outputs are under 4012345, a prefix the dev genesis
`enterprise2` holds on chain: only it may capture them (capture's write rules)."""
NOBODY_SPEAKS_FOR = {
    "object_event_all_possible_fields.jsonld": (0, "/epcisBody/eventList/0/epcList/0"),
    "transformation_event_all_possible_fields.jsonld": (0, "/epcisBody/eventList/0/outputEPCList/0"),
    "SensorDataExample16.jsonld": (0, "/epcisBody/eventList/0"),
}
"""GS1 examples no one enterprise may record, with the refusal (event index, pointer) an
enterprise at `EXAMPLE_GLNS` gets: identifiers created under both 0614141 and 4012345 in
one event, or an event at a `geo:` location naming no party (nobody's place)."""


def shipping_event(serial: int, *, minute: int = 0, biz_step: str = "shipping",
                   company: str = "0614141", item: str = "107346") -> dict[str, Any]:
    """A typical ObjectEvent: one SGTIN observed at a location at 2026-11-20T08:<minute>Z."""
    return {
        "type": "ObjectEvent",
        "eventTime": f"2026-11-20T08:{minute:02d}:00.000Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": [f"urn:epc:id:sgtin:{company}.{item}.{serial}"],
        "action": "OBSERVE",
        "bizStep": biz_step,
        "disposition": "in_transit",
        "readPoint": {"id": "urn:epc:id:sgln:0614141.07346.1234"},
        "bizLocation": {"id": "urn:epc:id:sgln:0614141.07346.0"},
    }


def hash_digest(hash_id: str) -> bytes:
    """The 32-byte digest named by an Event Hash ID."""
    return bytes.fromhex(hash_id[len("ni:///sha-256;"):][:64])


def document(events: list[dict[str, Any]], *, signer_key: bytes | None = None,
             submitter: str | None = None, domain: RecordDomain | None = None,
             context: Any = None) -> dict[str, Any]:
    """An EPCISDocument of `events`, signed per event when `signer_key` is given."""
    doc: dict[str, Any] = {
        "@context": context if context is not None else CONTEXT,
        "type": "EPCISDocument", "schemaVersion": "2.0",
        "creationDate": "2026-11-20T09:00:00.000Z",
        "epcisBody": {"eventList": events},
    }
    if signer_key is not None:
        assert submitter is not None and domain is not None
        doc["tl:signatures"] = sign_all(doc, signer_key, submitter, domain)
    return doc


def sign_all(doc: dict[str, Any], signer_key: bytes, submitter: str,
             domain: RecordDomain) -> dict[str, str]:
    """`tl:signatures` for every event of `doc` (EIP-712 TraceRecord)."""
    signatures = {}
    for event in doc["epcisBody"]["eventList"]:
        hash_id = event_hash_id(event, context=doc["@context"])
        record = TraceRecord(hash_digest(hash_id), submitter)
        signatures[hash_id] = "0x" + sign_record(record, domain, signer_key).hex()
    return signatures


def random_serials(count: int, seed: int) -> list[int]:
    """`count` distinct serial numbers (reproducible)."""
    return random.Random(seed).sample(range(10**9), count)
