"""Recall impact over a known network: every downstream lot, item, unit, place, enterprise."""

from __future__ import annotations

from tests.trace_api.provenance.graphdb import ENTERPRISE_A, ENTERPRISE_B, GraphDb
from tests.trace_api.provenance.networks import FOOD, key
from trace_api.provenance.impact import ImpactEntry, compute_impact, format_impact_csv
from trace_api.provenance.recalls import company_prefix_for, recall_target, sha256_hex


def load_food(db: GraphDb) -> None:
    events = FOOD.events()
    for position, event in enumerate(events):
        db.load([event], enterprise_id=ENTERPRISE_A if position in FOOD.FARM_EVENTS else ENTERPRISE_B)


def test_impact_of_a_farm_lot(graph_db: GraphDb) -> None:
    load_food(graph_db)
    with graph_db.connect() as connection:
        impact = compute_impact(connection, key(FOOD.LOT_A))
    assert impact.entries == [
        ImpactEntry("lot", key(FOOD.LOT_P), 2),  # https://id.gs1.org/01/0061... sorts first
        ImpactEntry("lot", key(FOOD.LOT_A), 0),
        ImpactEntry("item", key(FOOD.ITEM_1), 1),
        ImpactEntry("item", key(FOOD.ITEM_2), 1),
        ImpactEntry("logistic_unit", key(FOOD.PALLET_X), 2),
        *sorted([ImpactEntry("location", key(uri), None) for uri in (FOOD.FARM, FOOD.PLANT, FOOD.SHOP)],
                key=lambda e: e.id),
        *sorted([ImpactEntry("party", key(uri), None)
                 for uri in (FOOD.FARM_PARTY, FOOD.PLANT_PARTY, FOOD.SHOP_PARTY)], key=lambda e: e.id),
        ImpactEntry("enterprise", ENTERPRISE_A, None),
        ImpactEntry("enterprise", ENTERPRISE_B, None),
    ]
    assert (impact.truncated, impact.truncation_reason) == (False, None)
    assert impact.counts() == {"lot": 2, "item": 2, "logistic_unit": 1, "asset": 0, "other": 0,
                               "location": 3, "party": 3, "enterprise": 2}
    csv_text = format_impact_csv(impact)
    assert csv_text.startswith("category,id,depth\r\nlot,https://id.gs1.org/01/00614141222223/10/P1,2\r\n"
                               "lot,https://id.gs1.org/01/04012345111118/10/FARMA,0\r\n")
    assert csv_text.count("\r\n") == 1 + len(impact.entries)


def test_impact_of_a_whole_gtin_starts_from_all_its_lots_and_items(graph_db: GraphDb) -> None:
    load_food(graph_db)
    gtin = key(FOOD.ITEM_1).split("/21/")[0]  # https://id.gs1.org/01/<gtin of lot P and items>
    with graph_db.connect() as connection:
        impact = compute_impact(connection, gtin)
    identifiers = [(e.category, e.id, e.depth) for e in impact.entries if e.category in ("lot", "item", "logistic_unit")]
    assert identifiers == [
        ("lot", gtin, 0), ("lot", key(FOOD.LOT_P), 0),
        ("item", key(FOOD.ITEM_1), 0), ("item", key(FOOD.ITEM_2), 0), ("item", key(FOOD.ITEM_3), 0),
        ("logistic_unit", key(FOOD.PALLET_X), 1), ("logistic_unit", key(FOOD.PALLET_Y), 1),
    ]


def test_recall_subject_is_sha256_of_the_canonical_digital_link() -> None:
    target = recall_target("https://example.com/01/09506000134352/10/LOT1/21/7?17=270101&linkType=all")
    assert target.uri == "https://id.gs1.org/01/09506000134352/10/LOT1/21/7"
    assert target.node_key == "https://id.gs1.org/01/09506000134352/21/7"
    assert target.subject == sha256_hex("https://id.gs1.org/01/09506000134352/10/LOT1/21/7")
    assert target.subject == "0x" + __import__("hashlib").sha256(target.uri.encode()).hexdigest()
    lot = recall_target("urn:epc:class:lgtin:4012345.012345.998877")
    assert (lot.uri, lot.kind) == ("https://id.gs1.org/01/04012345123456/10/998877", "lot")


def test_company_prefix_for() -> None:
    assert company_prefix_for("https://id.gs1.org/01/04012345123456/10/9", ["401234", "4012345", "61"]) == "4012345"
    assert company_prefix_for("https://id.gs1.org/00/106141412345678908", ["0614141"]) == "0614141"
    assert company_prefix_for("https://id.gs1.org/8004/0614141LIFT-1", ["0614141"]) == "0614141"
    assert company_prefix_for("https://id.gs1.org/01/04012345123456", ["0614141"]) is None
