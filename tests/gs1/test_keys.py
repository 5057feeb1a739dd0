"""gs1.keys: EPC URIs (TDS 2.1 examples) and Digital Links meet on one key, for every caller.

Moved from tests/trace_api/provenance/test_identifiers.py (every assertion kept), with the
drift bugs the two identifier modules had (audit vs provenance) pinned here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from gs1.errors import IdentifierError
from gs1.keys import Identifier, identify, kind_of_key, parse_identifier
from tests.shared_data import shared_data


@pytest.mark.parametrize(("uri", "expected"), [
    # TDS 2.1 §6.3.1: urn:epc:id:sgtin:0614141.712345.32a%2Fb <-> (01) 70614141123451 (21) 32a/b
    ("urn:epc:id:sgtin:0614141.712345.32a%2Fb", Identifier("https://id.gs1.org/01/70614141123451/21/32a%2Fb", "item")),
    # the GS1 EPCIS examples name the same items both ways (Example_9.6.3 with Digital Link)
    ("urn:epc:id:sgtin:0614141.712345.2017", Identifier("https://id.gs1.org/01/70614141123451/21/2017", "item")),
    ("urn:epc:class:lgtin:4012345.012345.998877", Identifier("https://id.gs1.org/01/04012345123456/10/998877", "lot")),
    ("urn:epc:idpat:sgtin:4012345.066666.*", Identifier("https://id.gs1.org/01/04012345666663", "product")),
    # TDS 2.1 §7.2: urn:epc:id:sscc:0614141.1234567890 <-> (00) 106141412345678908
    ("urn:epc:id:sscc:0614141.1234567890", Identifier("https://id.gs1.org/00/106141412345678908", "logistic_unit")),
    # TDS 2.1 §7.3: urn:epc:id:sgln:0614141.12345.400 <-> (414) 0614141123452 (254) 400
    ("urn:epc:id:sgln:0614141.12345.400", Identifier("https://id.gs1.org/414/0614141123452/254/400", "location")),
    ("urn:epc:id:sgln:0614141.12345.0", Identifier("https://id.gs1.org/414/0614141123452", "location")),
    # TDS 2.1 §7.4: urn:epc:id:grai:0614141.12345.400 <-> (8003) 00614141123452400
    ("urn:epc:id:grai:0614141.12345.400", Identifier("https://id.gs1.org/8003/00614141123452400", "returnable_asset")),
    # TDS 2.1 §7.5: urn:epc:id:giai:0614141.12345400 <-> (8004) 061414112345400
    ("urn:epc:id:giai:0614141.12345400", Identifier("https://id.gs1.org/8004/061414112345400", "asset")),
    ("urn:epc:id:pgln:0614141.00000", Identifier("https://id.gs1.org/417/0614141000005", "party")),
    ("https://example.com/01/70614141123451/21/2017?17=270101&linkType=all",
     Identifier("https://id.gs1.org/01/70614141123451/21/2017", "item")),
    ("https://example.com/01/09506000134352/10/LOT1/21/123",
     Identifier("https://id.gs1.org/01/09506000134352/21/123", "item",
                "https://id.gs1.org/01/09506000134352/10/LOT1",
                "https://id.gs1.org/01/09506000134352/10/LOT1/21/123")),
    ("https://id.gs1.org/01/09506000134352/10/LOT1", Identifier("https://id.gs1.org/01/09506000134352/10/LOT1", "lot")),
    ("https://id.gs1.org/414/9520123456788/254/X", Identifier("https://id.gs1.org/414/9520123456788/254/X", "location")),
    ("urn:uuid:0b4ad1b4-32c3-4f1c-8e5a-5b1b2b2b6d11", Identifier("urn:uuid:0b4ad1b4-32c3-4f1c-8e5a-5b1b2b2b6d11", "other")),
    ("https://example.com/products/123", Identifier("https://example.com/products/123", "other")),
])
def test_parse_identifier(uri: str, expected: Identifier) -> None:
    assert parse_identifier(uri) == expected
    assert kind_of_key(expected.key) == expected.kind


@pytest.mark.parametrize(("uri", "reason"), [
    ("", "empty identifier"),
    ("not a uri", "not a URI"),
    ("urn:epc:id:sgtin:0614141.112345", "unsupported or malformed EPC URI scheme id:sgtin"),
    ("urn:epc:id:sgtin:06141.1123456.400", "company prefix (6-12 digits)"),
    ("urn:epc:id:sgtin:0614141.11234.400", "must have 13 digits together"),
    ("urn:epc:id:sscc:0614141.12345X7890", "digits"),
    ("urn:epc:id:gid:95100000.12345.400", "unsupported or malformed EPC URI scheme id:gid"),
    ("urn:epc:class:lgtin:4012345.012345.bad^lot", "AI (10)"),
    ("https://id.gs1.org/01/09506000134353", "check digit"),
    ("https://id.gs1.org/00/12345", "AI (00)"),
])
def test_malformed_identifiers_say_why(uri: str, reason: str) -> None:
    with pytest.raises(IdentifierError) as caught:
        parse_identifier(uri)
    assert reason in caught.value.reason


def test_identify_is_lenient() -> None:
    assert identify("urn:epc:id:sgtin:bad") == Identifier("urn:epc:id:sgtin:bad", "other")


@pytest.mark.parametrize(("uri", "expected"), [
    # EPC schemes keyed through the event hash's converter (TDS 2.0 §6), then the DL rules
    ("urn:epc:id:gsrn:0614141.1234567890", Identifier("https://id.gs1.org/8018/061414112345678902", "other")),
    ("urn:epc:id:gdti:0614141.12345.006847",
     Identifier("https://id.gs1.org/253/0614141123452006847", "other")),
    ("urn:epc:id:pgln:0614141.00000", Identifier("https://id.gs1.org/417/0614141000005", "party")),
    # the consumer product variant (AI 22) names a variant, not a thing
    ("https://id.gs1.org/01/09506000134352/22/V1/10/L1",
     Identifier("https://id.gs1.org/01/09506000134352/10/L1", "lot", None,
                "https://id.gs1.org/01/09506000134352/22/V1/10/L1")),
    # a third-party controlled serial (AI 235) identifies an instance, as AI 21 does
    ("https://id.gs1.org/01/09506000134352/235/TPX1", Identifier("https://id.gs1.org/01/09506000134352/235/TPX1", "item")),
])
def test_more_identifier_kinds(uri: str, expected: Identifier) -> None:
    assert parse_identifier(uri) == expected
    assert kind_of_key(expected.key) == expected.kind


# --- drift bugs between the old audit and provenance identifier modules ------------------------

GTIN_LOT_SERIAL = "https://example.com/01/09506000100012/10/TEA2026A/21/1"


def test_gtin_lot_serial_keys_to_the_sgtin_for_the_audit_as_for_provenance() -> None:
    """Drift: the audit keyed `…/10/TEA2026A/21/1`, provenance `…/21/1`. GS1 DL 1.2 allows the
    lot before the serial, but GTIN + serial identifies the item (an SGTIN's Digital Link is
    /01/{gtin}/21/{serial}); the audit must meet the same item named by its EPC URI."""
    from tests.trace_api.audit.builders import at, event
    from trace_api.audit.epcis_view import EventView

    sgtin = "urn:epc:id:sgtin:9506000.010001.1"
    body = event("ObjectEvent", at(1), action="OBSERVE", epcList=[GTIN_LOT_SERIAL, sgtin])
    keys = {ref.uri: ref.key for ref in EventView(body).objects}
    assert keys[GTIN_LOT_SERIAL] == keys[sgtin] == "https://id.gs1.org/01/09506000100012/21/1"


def test_pgln_and_grai_urns_key_as_their_digital_links_in_the_audit() -> None:
    """Drift: the audit left PGLN and GRAI EPC URIs verbatim; provenance converted them."""
    from tests.trace_api.audit.builders import at, event
    from trace_api.audit.epcis_view import EventView

    grai_urn, grai_link = "urn:epc:id:grai:0614141.12345.400", "https://id.gs1.org/8003/00614141123452400"
    body = event("ObjectEvent", at(1), action="OBSERVE", epcList=[grai_urn, grai_link],
                 parentID="urn:epc:id:pgln:0614141.00000")
    keys = {ref.uri: ref.key for ref in EventView(body).objects}
    assert keys[grai_urn] == keys[grai_link] == grai_link
    assert keys["urn:epc:id:pgln:0614141.00000"] == "https://id.gs1.org/417/0614141000005"


def test_recalled_input_fires_on_a_lot_recall_the_scan_page_shows() -> None:
    """Drift: the scan page counted a recall of GTIN + lot against an item named
    `/01/G/10/L/21/S`; the audit rule checked only the item and its GTIN and missed it."""
    from gs1 import parse_digital_link
    from gs1.keys import identifier_key, recall_subject
    from tests.trace_api.audit.builders import FARM, PLANT, at, event, ms, qty, record, transform
    from trace_api.audit.engine import run_rules
    from trace_api.audit.inputs import AuditInputs, RecallChange
    from trace_api.audit.rules import RULES_BY_NAME
    from trace_api.consumer.sources import recall_keys

    lot = "https://id.gs1.org/01/09506000100012/10/TEA2026A"
    blend = "urn:epc:class:lgtin:9506000.134352.BLEND1"
    events = [
        record(0, FARM, event("ObjectEvent", at(1), action="ADD", bizStep="commissioning",
                              epcList=[GTIN_LOT_SERIAL])),
        record(1, PLANT, transform(at(2), [], [qty(blend, 10)], inputEPCList=[GTIN_LOT_SERIAL])),
    ]
    assert lot in recall_keys(parse_digital_link(GTIN_LOT_SERIAL))  # what the scan page checks
    recalls = {recall_subject(lot): [RecallChange(ms(1, 12), "open", 1, 1)]}
    inputs = AuditInputs(events=events, now_ms=ms(30), recalls=recalls)
    found = [(f.rule, f.subject) for f in run_rules(inputs, [RULES_BY_NAME["recalled_input"]])]
    assert found == [("recalled_input", identifier_key(blend))]


# --- every caller keys every identifier of GS1's example documents the same --------------------

def _example_events() -> list[dict[str, Any]]:
    folder = shared_data("epcis") / "JSON"
    events: list[dict[str, Any]] = []
    for path in sorted(folder.rglob("*.jsonld")):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
        body = document.get("epcisBody", {}) if isinstance(document, dict) else {}
        events += [e for e in body.get("eventList", []) if isinstance(e, dict)]
        if isinstance(body.get("event"), dict):
            events.append(body["event"])
    return events


_OBJECT_MEMBERS = ("epcList", "childEPCs", "inputEPCList", "outputEPCList")
_CLASS_MEMBERS = ("quantityList", "childQuantityList", "inputQuantityList", "outputQuantityList")


def _object_identifiers(event: dict[str, Any]) -> list[str]:
    found = [event["parentID"]] if isinstance(event.get("parentID"), str) else []
    for member in _OBJECT_MEMBERS:
        found += [uri for uri in event.get(member) or () if isinstance(uri, str)]
    for member in _CLASS_MEMBERS:
        found += [q["epcClass"] for q in event.get(member) or ()
                  if isinstance(q, dict) and isinstance(q.get("epcClass"), str)]
    return found


def test_every_example_identifier_keys_the_same_from_every_caller() -> None:
    from gs1 import parse_digital_link
    from gs1.keys import identifier_key
    from trace_api.audit.epcis_view import EventView
    from trace_api.capture.authority import gs1_key
    from trace_api.consumer.sources import recall_keys
    from trace_api.provenance.ingest import event_graph_rows
    from trace_api.provenance.recalls import RECALLABLE_KINDS, recall_target
    from trace_api.resolver.known import graph_key

    events = _example_events()
    assert len(events) >= 20
    checked: set[str] = set()
    for event in events:
        identifiers = _object_identifiers(event)
        if not identifiers or "eventTime" not in event:
            continue
        row, _links, nodes = event_graph_rows(0, "ni:///sha-256;x", "0x", event)
        ingested = {node[2] for node in nodes} | {row[8], row[9]}  # capture writes these graph rows
        audited = {ref.uri: ref.key for ref in EventView(event).objects}
        places = [place["id"] for place in (event.get("readPoint"), event.get("bizLocation"))
                  if isinstance(place, dict) and isinstance(place.get("id"), str)]
        for uri in identifiers + places:
            key = identifier_key(uri)
            assert key in ingested, uri
            # capture's write authority judges the same GS1 key (through the event hash's converter)
            assert gs1_key(uri) == (parse_digital_link(key).primary_key
                                    if key.startswith("https://id.gs1.org/") else None), uri
            checked.add(uri)
        for uri in identifiers:
            key = identifier_key(uri)
            assert audited[uri] == key, uri
            parsed = identify(uri)
            if parsed.kind in RECALLABLE_KINDS:
                assert recall_target(uri).node_key == key, uri
            if key.startswith("https://id.gs1.org/"):
                link = parse_digital_link(key)  # the resolver and the scan page get Digital Links
                assert graph_key(link) == key, uri
                assert key in recall_keys(link), uri
                if uri.startswith("https://"):
                    assert graph_key(parse_digital_link(uri)) == key, uri
                    assert key in recall_keys(parse_digital_link(uri)), uri
            checked.add(uri)
    assert len(checked) >= 30
    # the examples name the same things as EPC URIs and as Digital Links: they meet
    assert len({identifier_key(uri) for uri in checked}) < len(checked)


def test_the_lot_key_of_a_serialised_item_named_by_its_commissioning() -> None:
    from gs1.keys import lot_key_of_item

    gtin = "https://id.gs1.org/01/09506000134352"
    assert lot_key_of_item(f"{gtin}/21/7", "L/1") == f"{gtin}/10/L%2F1"
    assert lot_key_of_item(f"{gtin}/235/TPX1", "L1") == f"{gtin}/10/L1"  # a TPX item has a lot too
    assert lot_key_of_item(f"{gtin}/10/L1", "L2") is None  # a lot is no item
    assert lot_key_of_item("https://id.gs1.org/00/106141412345678908", "L1") is None


def test_gln_of_a_location_or_party_key() -> None:
    from gs1.keys import gln_of

    assert gln_of(identify("urn:epc:id:sgln:0614141.12345.400").key) == "0614141123452"
    assert gln_of(identify("urn:epc:id:pgln:0614141.00000").key) == "0614141000005"
    assert gln_of("https://id.gs1.org/01/09506000134352") is None
    assert gln_of(None) is None
