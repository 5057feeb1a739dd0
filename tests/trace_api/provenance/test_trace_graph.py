"""Backward / forward / both traces over small known networks: exact node and edge sets,
depth and size limits, cycles, `at`, and bad identifiers. Runs on SQLite and PostgreSQL."""

from __future__ import annotations

import json

import pytest

from gs1.errors import IdentifierError
from gs1.keys import TRANSFORMATION_PREFIX, enterprise_key
from tests.shared_data import shared_data
from tests.trace_api.provenance.graphdb import ENTERPRISE_A, ENTERPRISE_B, GraphDb
from tests.trace_api.provenance.networks import (
    BUILDING,
    CERT,
    CONTROLLER,
    FOOD,
    INSTALLER,
    LIFT,
    MAKER,
    MAKER_SITE,
    event,
    food_chain,
    key,
    lift_life_cycle,
)
from trace_api.provenance.graph import Link, find_cycles
from trace_api.provenance.trace import TraceResult, UnknownIdentifierError, trace_graph

T3 = TRANSFORMATION_PREFIX + f"ni:///sha-256;{3:064x}?ver=CBV2.0"  # the food chain's transformation


def run(db: GraphDb, identifier: str, direction: str, depth: int = 10, **kwargs: object) -> TraceResult:
    with db.connect() as connection:
        return trace_graph(connection, identifier, direction, depth, **kwargs)  # type: ignore[arg-type]


def identifier_depths(result: TraceResult) -> dict[str, dict[str, int]]:
    return {node.id: node.depth for node in result.identifier_nodes}


def edge_set(result: TraceResult) -> set[tuple[str, str, str, int]]:
    return {(e.source, e.target, e.relation, e.leaf_index) for e in result.edges}


def leaf(position: int) -> int:
    return position  # networks loaded alone: position n is leaf n


def test_backward_from_a_sold_item_reaches_its_lots_and_pallet_not_its_pallet_mates(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    result = run(graph_db, FOOD.ITEM_1, "backward")
    assert identifier_depths(result) == {
        key(FOOD.ITEM_1): {"backward": 0}, T3: {"backward": 0}, key(FOOD.LOT_P): {"backward": 1},
        key(FOOD.PALLET_X): {"backward": 1}, key(FOOD.LOT_A): {"backward": 1}, key(FOOD.LOT_B): {"backward": 1},
    }
    assert edge_set(result) == FOOD.backward_from_item_1(leaf, T3)
    assert [e.facts.leaf_index for e in result.events] == [0, 1, 2, 3, 5, 7, 8, 9, 10]
    assert {n.id for n in result.nodes if n.kind == "location"} == {key(FOOD.FARM), key(FOOD.FARM2), key(FOOD.PLANT), key(FOOD.SHOP)}
    assert {n.id for n in result.nodes if n.kind == "party"} == {key(FOOD.FARM_PARTY), key(FOOD.PLANT_PARTY), key(FOOD.SHOP_PARTY)}
    assert {n.id for n in result.nodes if n.kind == "transaction"} == {FOOD.PO}
    assert {n.id for n in result.nodes if n.kind == "enterprise"} == {enterprise_key(ENTERPRISE_A)}
    assert (result.truncated, result.truncation_reason, result.cycles) == (False, None, [])
    assert result.verdict == "unverified"  # no verifier: nothing was checked, so nothing is verified
    assert result.events[3].facts.biz_step == "commissioning"
    assert result.events[3].facts.event_type == "TransformationEvent"


def test_forward_from_a_farm_lot_reaches_products_and_pallet_not_the_other_lot(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    result = run(graph_db, FOOD.LOT_A, "forward")
    assert identifier_depths(result) == {
        key(FOOD.LOT_A): {"forward": 0}, T3: {"forward": 0}, key(FOOD.ITEM_1): {"forward": 1},
        key(FOOD.ITEM_2): {"forward": 1}, key(FOOD.LOT_P): {"forward": 2}, key(FOOD.PALLET_X): {"forward": 2},
    }
    links = {
        (key(FOOD.LOT_A), T3, "input", 3), (T3, key(FOOD.ITEM_1), "output", 3), (T3, key(FOOD.ITEM_2), "output", 3),
        (key(FOOD.ITEM_1), key(FOOD.LOT_P), "member", 3), (key(FOOD.ITEM_2), key(FOOD.LOT_P), "member", 3),
        (key(FOOD.ITEM_1), key(FOOD.PALLET_X), "contains", 5), (key(FOOD.ITEM_1), key(FOOD.PALLET_X), "contains", 9),
        (key(FOOD.ITEM_2), key(FOOD.PALLET_X), "contains", 5), (key(FOOD.ITEM_2), key(FOOD.PALLET_X), "contains", 9),
    }
    assert edge_set(result) == (links | FOOD.lot_a_places(leaf) | FOOD.item_1_places(leaf)
                                | FOOD.item_2_places(leaf) | FOOD.pallet_x_places(leaf))
    assert [e.facts.leaf_index for e in result.events] == [0, 2, 3, 5, 7, 8, 9, 10]


def test_forward_from_a_pallet_reaches_its_contents(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    result = run(graph_db, FOOD.PALLET_X, "forward")
    assert identifier_depths(result) == {
        key(FOOD.PALLET_X): {"forward": 0}, key(FOOD.ITEM_1): {"forward": 1}, key(FOOD.ITEM_2): {"forward": 1},
        key(FOOD.LOT_P): {"forward": 2},
    }


def test_both_directions_merge_depths(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    result = run(graph_db, FOOD.ITEM_2, "both")
    assert identifier_depths(result) == {
        key(FOOD.ITEM_2): {"backward": 0, "forward": 0}, T3: {"backward": 0},
        key(FOOD.LOT_A): {"backward": 1}, key(FOOD.LOT_B): {"backward": 1},
        key(FOOD.LOT_P): {"backward": 1, "forward": 1}, key(FOOD.PALLET_X): {"backward": 1, "forward": 1},
    }


def test_depth_limit_cuts_and_says_so(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    cut = run(graph_db, FOOD.LOT_A, "forward", depth=1)
    assert set(identifier_depths(cut)) == {key(FOOD.LOT_A), T3, key(FOOD.ITEM_1), key(FOOD.ITEM_2)}
    assert (cut.truncated, cut.truncation_reason) == (True, "depth")
    zero = run(graph_db, FOOD.ITEM_1, "backward", depth=0)
    assert set(identifier_depths(zero)) == {key(FOOD.ITEM_1)}
    assert (zero.truncated, zero.truncation_reason) == (True, "depth")
    exact = run(graph_db, FOOD.ITEM_1, "backward", depth=1)  # everything is within one hop
    assert (exact.truncated, exact.truncation_reason) == (False, None)


def test_size_limit_cuts_and_says_so(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    result = run(graph_db, FOOD.LOT_A, "forward", max_nodes=3)
    assert len(identifier_depths(result)) == 3
    assert (result.truncated, result.truncation_reason) == (True, "size")


def test_at_shows_the_graph_as_it_was(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    at_packing = run(graph_db, FOOD.ITEM_1, "backward", at_ms=1767513600000)  # 2026-01-04T08:00:00Z
    assert set(identifier_depths(at_packing)) == {key(FOOD.ITEM_1), T3, key(FOOD.LOT_P), key(FOOD.PALLET_X),
                                                  key(FOOD.LOT_A), key(FOOD.LOT_B)}
    assert [e.facts.leaf_index for e in at_packing.events] == [0, 1, 2, 3, 5]
    before = run(graph_db, FOOD.ITEM_1, "backward", at_ms=1767427200000 - 1)  # just before 2026-01-03
    assert set(identifier_depths(before)) == {key(FOOD.ITEM_1)}
    assert before.events == [] and before.verdict == "unverified"


def test_cycles_are_reported_and_never_loop(graph_db: GraphDb) -> None:
    lot_c, lot_d = "urn:epc:class:lgtin:4012345.011111.C", "urn:epc:class:lgtin:4012345.011111.D"
    graph_db.load([
        event("TransformationEvent", "2026-02-01T00:00:00Z", transformationID="urn:uuid:t1",
              inputQuantityList=[{"epcClass": lot_c, "quantity": 1}],
              outputQuantityList=[{"epcClass": lot_d, "quantity": 1}]),
        event("TransformationEvent", "2026-02-02T00:00:00Z", transformationID="urn:uuid:t2",
              inputQuantityList=[{"epcClass": lot_d, "quantity": 1}],
              outputQuantityList=[{"epcClass": lot_c, "quantity": 1}]),
    ])
    t1, t2 = TRANSFORMATION_PREFIX + "urn:uuid:t1", TRANSFORMATION_PREFIX + "urn:uuid:t2"
    for direction in ("forward", "backward", "both"):
        result = run(graph_db, lot_c, direction, depth=25)
        assert set(identifier_depths(result)) == {key(lot_c), key(lot_d), t1, t2}
        assert result.cycles == [sorted([key(lot_c), key(lot_d), t1, t2])]
        assert result.truncated is False


def test_find_cycles_self_loop_and_acyclic() -> None:
    assert find_cycles([Link("a", "a", "input", 1, 0)]) == [["a"]]
    assert find_cycles([Link("a", "b", "input", 1, 0), Link("b", "c", "output", 1, 0)]) == []
    assert find_cycles([Link("a", "b", "contains", 1, 0), Link("b", "a", "contains", 2, 0),
                        Link("c", "d", "input", 3, 0), Link("d", "c", "output", 3, 0)]) == [["a", "b"], ["c", "d"]]


def test_lift_life_cycle(graph_db: GraphDb) -> None:
    graph_db.load(lift_life_cycle()[:2], enterprise_id=ENTERPRISE_A)  # the maker
    graph_db.load(lift_life_cycle()[2:], enterprise_id=ENTERPRISE_B)  # the installer / maintainer
    result = run(graph_db, "https://id.gs1.org/8004/0614141LIFT-0001", "backward")
    lift, controller = key(LIFT), key(CONTROLLER)
    assert lift == "https://id.gs1.org/8004/0614141LIFT-0001"
    assert identifier_depths(result) == {lift: {"backward": 0}, controller: {"backward": 1}}
    assert edge_set(result) == {
        (controller, lift, "contains", 3),
        (lift, key(MAKER_SITE), "biz_location", 0), (lift, key(MAKER_SITE), "read_point", 1),
        (lift, key(MAKER), "source:owning_party", 1), (lift, key(INSTALLER), "destination:owning_party", 1),
        (lift, key(BUILDING), "biz_location", 2), (lift, CERT, "transaction:desadv", 2),
        (lift, key(BUILDING), "biz_location", 3), (controller, key(BUILDING), "biz_location", 3),
        (lift, key(BUILDING), "biz_location", 4), (lift, key(BUILDING), "biz_location", 5),
        (lift, key(BUILDING), "biz_location", 6),
    }
    assert [(e.facts.leaf_index, e.facts.biz_step) for e in result.events] == [
        (0, "commissioning"), (1, "shipping"), (2, "installing"), (3, "assembling"),
        (4, "inspecting"), (5, "repairing"), (6, "inspecting")]
    assert {n.id for n in result.nodes if n.kind == "enterprise"} == {
        enterprise_key(ENTERPRISE_A), enterprise_key(ENTERPRISE_B)}
    forward = run(graph_db, CONTROLLER, "forward")
    assert identifier_depths(forward) == {controller: {"forward": 0}, lift: {"forward": 1}}


def _document_events(relative: str) -> list[dict]:
    document = json.loads(shared_data(relative).read_text(encoding="utf-8"))
    return document["epcisBody"]["eventList"]


def test_gs1_transformation_example(graph_db: GraphDb) -> None:
    events = _document_events("epcis/JSON/Example_9.6.4-TransformationEvent.jsonld")
    graph_db.load(events)
    hub = TRANSFORMATION_PREFIX + f"ni:///sha-256;{0:064x}?ver=CBV2.0"
    outputs = {f"https://id.gs1.org/01/04012345778892/21/{serial}" for serial in (25, 26, 27, 28)}
    forward = run(graph_db, "urn:epc:class:lgtin:4012345.011111.4444", "forward")
    assert set(identifier_depths(forward)) == {"https://id.gs1.org/01/04012345111118/10/4444", hub} | outputs
    backward = run(graph_db, "https://id.gs1.org/01/04012345778892/21/27", "backward")
    assert set(identifier_depths(backward)) == {
        "https://id.gs1.org/01/04012345778892/21/27", hub,
        "https://id.gs1.org/01/04012345111224/21/25", "https://id.gs1.org/01/04000001654321/21/99886655",
        "https://id.gs1.org/01/04012345111118/10/4444", "https://id.gs1.org/01/00614141777778/10/987",
        "https://id.gs1.org/01/04012345666663",
    }
    assert {(e.source, e.target) for e in backward.edges if e.relation == "read_point"} == {
        (node, "https://id.gs1.org/414/4012345000016") for node in set(identifier_depths(backward)) - {hub}}


def test_gs1_digital_link_aggregation_example(graph_db: GraphDb) -> None:
    graph_db.load(_document_events("epcis/JSON/WithDigitalLinkID/Example_9.6.3-AggregationEventWithDigitalLink.jsonld"))
    sscc = "https://id.gs1.org/00/106141412345678908"
    result = run(graph_db, "urn:epc:id:sscc:0614141.1234567890", "backward")
    children = {"https://id.gs1.org/01/70614141123451/21/2017", "https://id.gs1.org/01/70614141123451/21/2018",
                "https://id.gs1.org/01/04012345987652", "https://id.gs1.org/01/04012345123456/10/998877"}
    assert set(identifier_depths(result)) == {sscc} | children
    assert {(e.source, e.target, e.relation) for e in result.edges if e.relation == "contains"} == {
        (child, sscc, "contains") for child in children}
    assert {e.facts.event_type for e in result.events} == {"AggregationEvent"}


def test_bad_identifiers(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    with pytest.raises(IdentifierError, match="company prefix"):
        run(graph_db, "urn:epc:id:sgtin:06141.1.1", "backward")
    with pytest.raises(IdentifierError):
        run(graph_db, "https://id.gs1.org/01/09506000134353/10/X", "backward")  # bad check digit
    with pytest.raises(IdentifierError, match="not a URI"):
        run(graph_db, "hello world", "backward")
    with pytest.raises(IdentifierError, match="direction"):
        run(graph_db, FOOD.ITEM_1, "sideways")
    with pytest.raises(IdentifierError, match="depth"):
        run(graph_db, FOOD.ITEM_1, "backward", depth=26)
    with pytest.raises(UnknownIdentifierError):
        run(graph_db, "urn:epc:id:sgtin:0614141.022222.404", "backward")


def test_class_level_edges_carry_quantities(graph_db: GraphDb) -> None:
    graph_db.load(food_chain())
    result = run(graph_db, FOOD.LOT_B, "forward", depth=0)
    assert sorted((e.relation, e.leaf_index, e.quantity, e.uom) for e in result.edges) == [
        ("biz_location", 1, 500.0, "KGM"), ("biz_location", 3, 400.0, "KGM")]
    backward = run(graph_db, FOOD.ITEM_1, "backward")
    assert {(e.source, e.quantity, e.uom) for e in backward.edges if e.relation == "input"} == {
        (key(FOOD.LOT_A), 600.0, "KGM"), (key(FOOD.LOT_B), 400.0, "KGM")}
