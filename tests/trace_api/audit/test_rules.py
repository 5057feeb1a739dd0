"""Each audit rule firing and not firing on small hand-built event sets (exact findings)."""

from __future__ import annotations

from contracts.anchored_head import AnchoredHead
from gs1.keys import identifier_key, recall_subject
from tests.trace_api.audit.builders import (
    FARM,
    JUICE,
    LOT_A,
    LOT_B,
    PALLET,
    PLANT,
    SHOP,
    at,
    event,
    harvest,
    ms,
    qty,
    receive,
    record,
    ship,
    temperature,
    transform,
)
from trace_api.audit.config import AuditConfig
from trace_api.audit.engine import run_rules
from trace_api.audit.inputs import AuditInputs, RecallChange, StatusChange
from trace_api.audit.model import Severity
from trace_api.audit.rules import RULES_BY_NAME

KEY_A = identifier_key(LOT_A)
KEY_B = identifier_key(LOT_B)
KEY_JUICE = identifier_key(JUICE)
KEY_PALLET = identifier_key(PALLET)
NOW = ms(30)


def findings(rule: str, events, **kwargs):  # type: ignore[no-untyped-def]
    inputs = AuditInputs(events=events, now_ms=kwargs.pop("now_ms", NOW), **kwargs)
    return [(f.rule, f.leaf_index, f.subject, f.message) for f in run_rules(inputs, [RULES_BY_NAME[rule]])]


def test_identifier_keys_are_canonical_digital_links() -> None:
    assert KEY_A == "https://id.gs1.org/01/19506000343522/10/LOTA"
    assert KEY_PALLET == "https://id.gs1.org/00/095060000000000015"
    assert identifier_key("urn:epc:id:sgtin:0614141.107346.2017") == (
        "https://id.gs1.org/01/10614141073464/21/2017")
    assert identifier_key("https://example.com/01/19506000343522/10/LOTA?17=270131") == KEY_A
    assert identifier_key("urn:example:private:1") == "urn:example:private:1"


# broken_chain ---------------------------------------------------------------------------

def test_broken_chain_fires_for_receipt_without_shipment() -> None:
    events = [record(0, FARM, harvest(at(1))), record(1, PLANT, receive(at(2)))]
    assert findings("broken_chain", events) == [
        ("broken_chain", 1, KEY_A,
         "urn:epc:class:lgtin:9506000.134352.LOTA received with no earlier shipment recorded by a member"),
    ]


def test_broken_chain_quiet_when_shipped_directly_or_inside_a_pallet() -> None:
    direct = [record(0, FARM, harvest(at(1))), record(1, FARM, ship(at(2))),
              record(2, PLANT, receive(at(3)))]
    assert findings("broken_chain", direct) == []
    pallet = [
        record(0, FARM, harvest(at(1))),
        record(1, FARM, event("AggregationEvent", at(1, 10), action="ADD", bizStep="packing",
                              parentID=PALLET, childQuantityList=[qty(LOT_A, 100)])),
        record(2, FARM, event("ObjectEvent", at(2), action="OBSERVE", bizStep="shipping",
                              epcList=[PALLET])),
        record(3, PLANT, receive(at(3))),
    ]
    assert findings("broken_chain", pallet) == []


def test_broken_chain_sale_needs_shipment_unless_seller_made_it() -> None:
    sold = event("ObjectEvent", at(3), action="OBSERVE", bizStep="retail_selling",
                 quantityList=[qty(LOT_A, 1)])
    assert findings("broken_chain", [record(0, FARM, harvest(at(1))), record(1, FARM, sold)]) == []
    assert findings("broken_chain", [record(0, FARM, harvest(at(1))), record(1, SHOP, sold)]) == [
        ("broken_chain", 1, KEY_A,
         "urn:epc:class:lgtin:9506000.134352.LOTA sold with no earlier shipment recorded by a member"),
    ]


# time_inversion -------------------------------------------------------------------------

def test_time_inversion_fires_for_shipment_before_production_and_early_transformation() -> None:
    events = [
        record(0, FARM, harvest(at(5))),
        record(1, FARM, ship(at(4))),
        record(2, PLANT, transform(at(3), [qty(LOT_A, 100)], [qty(JUICE, 60, "LTR")])),
    ]
    assert findings("time_inversion", events) == [
        ("time_inversion", 1, KEY_A, ("urn:epc:class:lgtin:9506000.134352.LOTA shipping at "
         "2026-11-04T08:00:00.000Z, before it was made at 2026-11-05T08:00:00.000Z")),
        ("time_inversion", 2, KEY_A, ("urn:epc:class:lgtin:9506000.134352.LOTA commissioning at "
         "2026-11-03T08:00:00.000Z, before it was made at 2026-11-05T08:00:00.000Z")),
    ]


def test_time_inversion_quiet_in_order() -> None:
    events = [record(0, FARM, harvest(at(1))), record(1, FARM, ship(at(2))),
              record(2, PLANT, transform(at(3), [qty(LOT_A, 100)], [qty(JUICE, 60, "LTR")]))]
    assert findings("time_inversion", events) == []


# quantity_imbalance ---------------------------------------------------------------------

def test_quantity_imbalance_transformation_gain_and_loss() -> None:
    gain = record(0, PLANT, transform(at(3), [qty(LOT_A, 100)], [qty(JUICE, 103)]))
    loss = record(1, PLANT, transform(at(4), [qty(LOT_A, 100), qty(LOT_B, 100, "GRM")],
                                      [qty(JUICE, 40)]))
    within = record(2, PLANT, transform(at(5), [qty(LOT_A, 1, "TNE")], [qty(JUICE, 1020)]))
    mixed = record(3, PLANT, transform(at(6), [qty(LOT_A, 100)], [qty(JUICE, 500, "LTR")]))
    assert findings("quantity_imbalance", [gain, loss, within, mixed]) == [
        ("quantity_imbalance", 0, KEY_JUICE,
         "transformation outputs 103 KGM from 100 KGM of inputs (+3.0 %, tolerance 2 %)"),
        ("quantity_imbalance", 1, KEY_JUICE,
         "transformation outputs 40 KGM from 100.1 KGM of inputs (-60.0 %, tolerance 50 %)"),
    ]
    lenient = AuditConfig(transformation_gain_tolerance=0.05, transformation_loss_tolerance=0.7)
    assert findings("quantity_imbalance", [gain, loss], config=lenient) == []


def test_quantity_imbalance_disaggregating_more_than_packed() -> None:
    pack = record(0, FARM, event("AggregationEvent", at(1), action="ADD", bizStep="packing",
                                 parentID=PALLET, childQuantityList=[qty(LOT_A, 50)]))
    unpack_ok = record(1, PLANT, event("AggregationEvent", at(2), action="DELETE",
                                       bizStep="unpacking", parentID=PALLET,
                                       childQuantityList=[qty(LOT_A, 50)]))
    unpack_bad = record(1, PLANT, event("AggregationEvent", at(2), action="DELETE",
                                        bizStep="unpacking", parentID=PALLET,
                                        childQuantityList=[qty(LOT_A, 80)]))
    assert findings("quantity_imbalance", [pack, unpack_ok]) == []
    assert findings("quantity_imbalance", [pack, unpack_bad]) == [
        ("quantity_imbalance", 1, KEY_A, ("80 KGM of urn:epc:class:lgtin:9506000.134352.LOTA taken "
         "out of urn:epc:id:sscc:9506000.0000000001, which held 50 KGM")),
    ]


# transformation_cycle -------------------------------------------------------------------

def test_transformation_cycle_reported_and_terminates() -> None:
    events = [
        record(0, PLANT, transform(at(2), [qty(LOT_A, 10)], [qty(LOT_B, 10)])),
        record(1, PLANT, transform(at(3), [qty(LOT_B, 10)], [qty(JUICE, 10)])),
        record(2, PLANT, transform(at(4), [qty(JUICE, 10)], [qty(LOT_A, 10)])),
    ]
    got = run_rules(AuditInputs(events=events, now_ms=NOW), [RULES_BY_NAME["transformation_cycle"]])
    cycle = sorted([KEY_A, KEY_B, KEY_JUICE])
    assert [(f.leaf_index, f.subject, f.details["cycle"]) for f in got] == [
        (0, cycle[0], cycle), (1, cycle[0], cycle), (2, cycle[0], cycle)]
    self_loop = [record(5, PLANT, transform(at(2), [qty(LOT_A, 10)], [qty(LOT_A, 10)]))]
    assert findings("transformation_cycle", self_loop) == [
        ("transformation_cycle", 5, KEY_A, (f"transformation makes {KEY_A} from {KEY_A}, closing a "
         "cycle of 1 product(s) that are their own input")),
    ]
    assert findings("transformation_cycle", events[:2]) == []


# suspended_enterprise_event -------------------------------------------------------------

def test_suspended_enterprise_event_per_chain_history_at_receive_time() -> None:
    history = {PLANT: [StatusChange(ms(1), "active", "0x01"), StatusChange(ms(3), "suspended", "0x02"),
                       StatusChange(ms(5), "active", "0x03")]}
    before = record(0, PLANT, harvest(at(2)), received_ms=ms(2))
    during = record(1, PLANT, harvest(at(3, 9), lot=LOT_B), received_ms=ms(4))
    after = record(2, PLANT, harvest(at(6), lot=JUICE), received_ms=ms(6))
    assert findings("suspended_enterprise_event", [before, during, after],
                    enterprise_history=history) == [
        ("suspended_enterprise_event", 1, PLANT, ("record received at 2026-11-04T08:00:00.000Z while "
         "its enterprise was suspended (since 2026-11-03T08:00:00.000Z)")),
    ]


# anchor_sla_missed and integrity_failure ------------------------------------------------

def test_anchor_sla_pending_and_late_anchor() -> None:
    on_time = record(0, FARM, harvest(at(1)), received_ms=ms(1))
    late = record(1, FARM, harvest(at(1), lot=LOT_B), received_ms=ms(1))
    pending = record(2, FARM, harvest(at(1), lot=JUICE), received_ms=NOW - 600_000)
    fresh = record(3, FARM, harvest(at(1), lot=LOT_A, kg=5), received_ms=NOW - 10_000)
    head1 = AnchoredHead(head_index=0, tree_size=1, root_hash=bytes(32), block_number=5,
                         block_time=(ms(1) + 4_000) // 1000, transaction_hash=b"\xaa")
    head2 = AnchoredHead(head_index=1, tree_size=2, root_hash=b"\x11" * 32, block_number=9,
                         block_time=(ms(1) + 3_600_000) // 1000, transaction_hash=b"\xbb")
    anchors = {0: head1, 1: head2, 2: None, 3: None}
    assert findings("anchor_sla_missed", [on_time, late, pending, fresh], anchors=anchors) == [
        ("anchor_sla_missed", 1, None, "record anchored 1 h 0 min after receipt (SLA 5 min)"),
        ("anchor_sla_missed", 2, None, "record still not anchored 10 min after receipt (SLA 5 min)"),
    ]


def test_integrity_failure_reports_failed_steps() -> None:
    good = record(0, FARM, harvest(at(1)))
    bad = record(1, FARM, harvest(at(2), lot=LOT_B))

    def check(event, _head):  # type: ignore[no-untyped-def]
        return ["signature: recovers to another address"] if event.leaf_index == 1 else []

    assert findings("integrity_failure", [good, bad], integrity=check) == [
        ("integrity_failure", 1, None, "record fails verification: signature: recovers to another address"),
    ]
    assert findings("integrity_failure", [good, bad]) == []  # no checker: rule not applied


# recalled_input -------------------------------------------------------------------------

def test_recalled_input_reaches_downstream_products_transitively() -> None:
    events = [
        record(0, FARM, harvest(at(1))),
        record(1, PLANT, transform(at(2), [qty(LOT_A, 100)], [qty(LOT_B, 90)])),
        record(2, PLANT, event("AggregationEvent", at(3), action="ADD", bizStep="packing",
                               parentID=PALLET, childQuantityList=[qty(LOT_B, 90)])),
        record(3, PLANT, transform(at(4), [qty(JUICE, 10)], [qty(LOT_A, 9)])),
    ]
    recalls = {recall_subject(KEY_A): [RecallChange(ms(10), "open", 1, 1)]}
    assert findings("recalled_input", events, recalls=recalls) == [
        ("recalled_input", 1, KEY_B, (f"{KEY_B} contains {KEY_A}, recalled (class 1) since "
         "2026-11-10T08:00:00.000Z")),
        ("recalled_input", 2, KEY_PALLET, (f"{KEY_PALLET} contains {KEY_A}, recalled (class 1) "
         "since 2026-11-10T08:00:00.000Z")),
    ]
    gtin_recall = {recall_subject("https://id.gs1.org/01/19506000343522"):
                   [RecallChange(ms(10), "open", 2, 1)]}
    # the GTIN recall covers both lots (same GTIN): only the pallet is downstream of them
    assert [f[1:3] for f in findings("recalled_input", events, recalls=gtin_recall)] == [
        (2, KEY_PALLET)]
    closed = {recall_subject(KEY_A): [RecallChange(ms(10), "open", 1, 1),
                                      RecallChange(ms(12), "closed", None, 1)]}
    assert findings("recalled_input", events, recalls=closed) == []


# cold_chain_excursion -------------------------------------------------------------------

def test_cold_chain_excursion_by_product_class() -> None:
    chilled = harvest(at(1), ilmd={"tl:coldChainClass": "chilled"})
    warm_ship = ship(at(2), sensorElementList=[temperature(4.0, at(2)), temperature(7.5, at(2, 9))])
    cool_ship = ship(at(2), sensorElementList=[temperature(1.0, at(2)), temperature(41.0, at(2, 9), "FAH")])
    store = event("ObjectEvent", at(3), action="OBSERVE", bizStep="storing",
                  quantityList=[qty(LOT_A, 100)], sensorElementList=[temperature(9.0, at(3))])
    got = run_rules(AuditInputs(events=[record(0, FARM, chilled), record(1, FARM, warm_ship),
                                        record(2, FARM, store)], now_ms=NOW),
                    [RULES_BY_NAME["cold_chain_excursion"]])
    assert [(f.leaf_index, f.message, f.details["celsius"]) for f in got] == [
        (1, "chilled product at 7.5 °C in transit (above 5 °C)", 7.5),
    ]
    assert findings("cold_chain_excursion", [record(0, FARM, chilled), record(1, FARM, cool_ship)]) == []
    frozen_by_gtin = AuditConfig(product_classes={"19506000343522": "frozen"})
    frosty = ship(at(2), sensorElementList=[temperature(-20.0, at(2)), temperature(-12.0, at(2, 9))])
    assert findings("cold_chain_excursion", [record(0, FARM, harvest(at(1))), record(1, FARM, frosty)],
                    config=frozen_by_gtin) == [
        ("cold_chain_excursion", 1, KEY_A, "frozen product at -12 °C in transit (above -18 °C)"),
    ]


def test_severities_are_the_documented_ones() -> None:
    assert {name: rule.severity for name, rule in RULES_BY_NAME.items()} == {
        "broken_chain": Severity.HIGH, "time_inversion": Severity.HIGH,
        "transformation_cycle": Severity.HIGH, "quantity_imbalance": Severity.MEDIUM,
        "suspended_enterprise_event": Severity.CRITICAL, "anchor_sla_missed": Severity.MEDIUM,
        "integrity_failure": Severity.CRITICAL, "recalled_input": Severity.CRITICAL,
        "cold_chain_excursion": Severity.HIGH, "equipment_inspection_overdue": Severity.HIGH,
        "equipment_maintenance_overdue": Severity.MEDIUM,
        "equipment_installed_without_manufacture": Severity.HIGH,
        "equipment_used_after_failed_inspection": Severity.CRITICAL,
    }


def test_error_declarations_retract_the_declared_event() -> None:
    wrong = receive(at(2), eventID="urn:uuid:6f1c2a3e-0000-4000-8000-000000000001")
    declared = {**wrong, "errorDeclaration": {"declarationTime": at(3), "reason": "incorrect_data"}}
    events = [record(0, FARM, harvest(at(1))), record(1, PLANT, wrong)]
    assert [f[1] for f in findings("broken_chain", events)] == [1]
    assert findings("broken_chain", [*events, record(2, PLANT, declared)]) == []
