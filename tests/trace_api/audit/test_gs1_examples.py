"""Every rule runs over the GS1 EPCIS 2.0 example documents (sensor data, transformations,
aggregations, Digital Link identifiers) without error, deterministically, and reports
only on records it was given; the examples' cold-chain readings are judged as documented."""

from __future__ import annotations

import json

from anchoring.core import event_hash_id
from tests.shared_data import shared_data
from trace_api.audit.config import AuditConfig
from trace_api.audit.engine import run_rules
from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.inputs import AuditInputs
from trace_api.audit.rules import ALL_RULES, RULES_BY_NAME


def example_records() -> list[AuditEvent]:
    records = []
    for path in sorted(shared_data("epcis/JSON").rglob("*.jsonld")):
        document = json.loads(path.read_bytes())
        if document.get("type") != "EPCISDocument":
            continue
        context = document.get("@context")
        for event in document["epcisBody"]["eventList"]:
            body = {"@context": context, **event} if "@context" not in event else dict(event)
            records.append(AuditEvent(
                leaf_index=len(records), event_hash_id=event_hash_id(body), enterprise_id="0x" + "ab" * 32,
                submitter="0x" + "11" * 20, received_at_ms=1_800_000_000_000, body=body))
    return records


def test_all_rules_run_on_the_gs1_examples() -> None:
    records = example_records()
    assert len(records) >= 10
    inputs = AuditInputs(events=records, now_ms=1_800_000_000_000)
    first = run_rules(inputs, ALL_RULES)
    again = run_rules(AuditInputs(events=records, now_ms=1_800_000_000_000), ALL_RULES)
    assert first == again
    leaves = {record.leaf_index for record in records}
    assert all(f.leaf_index in leaves and f.rule in RULES_BY_NAME for f in first)


def test_example_sensor_readings_against_a_chilled_class() -> None:
    """Reading the examples' temperature reports: with every product chilled (0-5 °C),
    exactly the in-transit events with a reading outside 0-5 °C fire. (The examples'
    error declarations are dropped here so their sensor events count as ordinary ones.)"""
    records = [AuditEvent(leaf_index=r.leaf_index, event_hash_id=r.event_hash_id, enterprise_id=r.enterprise_id,
                          submitter=r.submitter, received_at_ms=r.received_at_ms,
                          body={k: v for k, v in r.body.items() if k != "errorDeclaration"})
               for r in example_records()]
    chilled_everything = AuditConfig(product_classes={})
    expected = set()
    for record in records:
        view = record.view
        in_transit = view.biz_step in {"shipping", "departing", "transporting", "arriving", "receiving",
                                       "loading", "unloading", "staging_outbound"} or view.disposition == "in_transit"
        temps = [r for r in view.sensor_readings() if r.type == "Temperature" and r.uom in (None, "CEL")]
        if in_transit and view.objects and any(r.low < 0 or r.high > 5 for r in temps):
            expected.add(record.leaf_index)
    marked = [AuditEvent(leaf_index=r.leaf_index, event_hash_id=r.event_hash_id, enterprise_id=r.enterprise_id,
                         submitter=r.submitter, received_at_ms=r.received_at_ms,
                         body={**r.body, "tl:coldChainClass": "chilled"}) for r in records]
    found = run_rules(AuditInputs(events=marked, now_ms=1_800_000_000_000, config=chilled_everything),
                      [RULES_BY_NAME["cold_chain_excursion"]])
    assert expected == {23, 24, 25}  # receiving, receiving, shipping at 13.2-26.2 °C
    assert {f.leaf_index for f in found} == expected
