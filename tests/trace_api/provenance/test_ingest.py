"""`graph_rows` / `write_graph`: the exact rows each EPCIS construct becomes."""

from __future__ import annotations

import json

from sqlmodel import Session, select

from tests.shared_data import shared_data
from tests.trace_api.provenance.graphdb import ENTERPRISE_A, GraphDb
from tests.trace_api.provenance.networks import event, place
from trace_api.provenance.ingest import event_time_ms, graph_rows, short_vocabulary
from trace_api.provenance.models import ProvEvent, ProvLink, ProvNodeEvent
from trace_api.records.models import CapturedEvent


def captured(leaf: int, body: dict) -> CapturedEvent:
    return CapturedEvent(leaf, f"ni:///sha-256;{leaf:064x}?ver=CBV2.0", ENTERPRISE_A, "0x" + "1" * 40, 0, body)


def test_gs1_association_example_becomes_a_contains_link() -> None:
    document = json.loads(shared_data("epcis/JSON/AssociationEvent/AssociationEvent-a.jsonld").read_text())
    events, links, nodes = graph_rows([captured(7, document["epcisBody"]["eventList"][0])])
    grai, giai = "https://id.gs1.org/8003/04012345555554987", "https://id.gs1.org/8004/400000112345"
    time_ms = event_time_ms("2019-11-01T14:00:00.000+01:00")
    assert events == [(7, f"ni:///sha-256;{7:064x}?ver=CBV2.0", ENTERPRISE_A, "AssociationEvent", "ADD",
                       "assembling", None, time_ms, "https://id.gs1.org/414/4012345000016", None, "[]")]
    assert links == [(7, 0, "contains", giai, grai, time_ms, None, None)]
    assert nodes == [(7, 0, grai, "parent", time_ms, None, None), (7, 1, giai, "child", time_ms, None, None)]


def test_transformation_id_joins_inputs_and_outputs_of_separate_events() -> None:
    inputs = event("TransformationEvent", "2026-03-01T00:00:00Z", transformationID="urn:uuid:run-1",
                   inputEPCList=["urn:epc:id:sgtin:0614141.712345.1"])
    outputs = event("TransformationEvent", "2026-03-01T01:00:00Z", transformationID="urn:uuid:run-1",
                    outputQuantityList=[{"epcClass": "urn:epc:class:lgtin:0614141.712345.L9", "quantity": 5,
                                         "uom": "KGM"}])
    _, links, _ = graph_rows([captured(0, inputs), captured(1, outputs)])
    hub = "urn:traceledger:transformation:urn:uuid:run-1"
    assert [(leaf, relation, src, dst, quantity, uom) for leaf, _, relation, src, dst, _, quantity, uom in links] == [
        (0, "input", "https://id.gs1.org/01/70614141123451/21/1", hub, None, None),
        (1, "output", hub, "https://id.gs1.org/01/70614141123451/10/L9", 5.0, "KGM"),
    ]


def test_commissioning_with_lot_links_items_to_their_lot_and_refs_are_kept() -> None:
    body = event("ObjectEvent", "2026-03-01T00:00:00+08:00", action="ADD",
                 bizStep="urn:epcglobal:cbv:bizstep:commissioning", disposition="https://ref.gs1.org/cbv/Disp-active",
                 epcList=["urn:epc:id:sgtin:0614141.712345.1"], ilmd={"cbvmda:lotNumber": "L9"},
                 readPoint=place("urn:epc:id:sgln:0614141.00001.0"),
                 bizTransactionList=[{"type": "https://ref.gs1.org/cbv/BTT-po", "bizTransaction": "urn:x:po:1"}],
                 sourceList=[{"type": "owning_party", "source": "urn:epc:id:pgln:0614141.00001"}])
    events, links, _ = graph_rows([captured(3, body)])
    assert events[0][5:7] == ("commissioning", "active")
    assert json.loads(events[0][10]) == [["source:owning_party", "https://id.gs1.org/417/0614141000012"],
                                         ["transaction:po", "urn:x:po:1"]]
    assert [(relation, src, dst) for _, _, relation, src, dst, *_ in links] == [
        ("member", "https://id.gs1.org/01/70614141123451/21/1", "https://id.gs1.org/01/70614141123451/10/L9")]


def test_write_graph_stores_the_rows(graph_db: GraphDb) -> None:
    graph_db.load([event("AggregationEvent", "2026-03-01T00:00:00Z", action="DELETE",
                         parentID="urn:epc:id:sscc:0614141.1234567890",
                         childEPCs=["urn:epc:id:sgtin:0614141.712345.1"])])
    with Session(graph_db.engine) as session:
        assert [(e.leaf_index, e.event_type, e.action) for e in session.exec(select(ProvEvent))] == [
            (0, "AggregationEvent", "DELETE")]
        assert [(link.relation, link.src, link.dst) for link in session.exec(select(ProvLink))] == [
            ("contains", "https://id.gs1.org/01/70614141123451/21/1", "https://id.gs1.org/00/106141412345678908")]
        assert sorted((n.role, n.node) for n in session.exec(select(ProvNodeEvent))) == [
            ("child", "https://id.gs1.org/01/70614141123451/21/1"),
            ("parent", "https://id.gs1.org/00/106141412345678908")]


def test_short_vocabulary() -> None:
    assert short_vocabulary("urn:epcglobal:cbv:bizstep:shipping") == "shipping"
    assert short_vocabulary("https://ref.gs1.org/cbv/BizStep-receiving") == "receiving"
    assert short_vocabulary("https://example.com/steps/x") == "https://example.com/steps/x"
