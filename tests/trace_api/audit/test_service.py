"""The findings service on a real database (SQLite and PostgreSQL) with a real log."""

from __future__ import annotations

from gs1.keys import identifier_key, recall_subject
from tests.trace_api.audit.builders import (
    FARM,
    JUICE,
    LOT_A,
    LOT_B,
    PLANT,
    SHOP,
    at,
    harvest,
    ms,
    qty,
    receive,
    ship,
    transform,
)
from tests.trace_api.audit.harness import AuditWorld
from trace_api.audit.model import Severity
from trace_api.audit.rules import RULES_BY_NAME
from trace_api.audit.service import FindingsQuery, find

NOW = ms(20)


def record_and_anchor(world: AuditWorld, enterprise: str, bodies, received, **kwargs) -> None:  # type: ignore[no-untyped-def]
    """Record each event, integrate, and anchor 5 s after its receipt (within the SLA)."""
    for body, received_ms in zip(bodies, received, strict=True):
        world.add(enterprise, [body], [received_ms], **kwargs)
        world.anchor(world.integrate(), received_ms // 1000 + 5)


def build_network(world: AuditWorld) -> None:
    """farm -> plant (juice) -> shop, with one receipt of an unshipped lot, a record taken
    while the plant was suspended, a forged signature, a juicing that creates mass, a
    record left unanchored, and a recall of lot A."""
    for enterprise in (FARM, PLANT, SHOP):
        world.enterprise_status(enterprise, "active", ms(1, 0) // 1000)
    record_and_anchor(world, FARM, [harvest(at(1)), ship(at(2))], [ms(1, 9), ms(2, 9)])   # 0, 1
    record_and_anchor(world, PLANT, [receive(at(3)),                                      # 2
                                     transform(at(4), [qty(LOT_A, 100)], [qty(JUICE, 110)])],  # 3
                      [ms(3, 9), ms(4, 9)])
    record_and_anchor(world, SHOP, [receive(at(5), lot=LOT_B)], [ms(5, 9)])              # 4
    world.enterprise_status(PLANT, "suspended", ms(6) // 1000)
    record_and_anchor(world, PLANT, [ship(at(6, 12), lot=JUICE, kg=110)], [ms(6, 12)])   # 5
    record_and_anchor(world, FARM, [harvest(at(7), lot=LOT_B)], [ms(7, 9)], bad_signature=True)  # 6
    world.add(FARM, [harvest(at(8), lot="urn:epc:class:lgtin:9506000.134352.LOTC")], [ms(8, 9)])  # 7
    world.integrate()  # leaf 7 is in the log but never anchored: pending past the SLA
    world.recall(recall_subject(identifier_key(LOT_A)), "open", ms(10) // 1000)


def summary(report):  # type: ignore[no-untyped-def]
    return [(f.rule, f.leaf_index, f.subject) for f in report.findings]


def test_all_rules_on_a_small_network(world: AuditWorld) -> None:
    build_network(world)
    report = find(world.ctx, FindingsQuery(), at_ms=NOW)
    assert report.scanned == 8 and report.truncated is False
    assert summary(report) == [
        ("suspended_enterprise_event", 5, PLANT),
        ("integrity_failure", 6, None),
        ("recalled_input", 3, identifier_key(JUICE)),
        ("broken_chain", 4, identifier_key(LOT_B)),
        ("time_inversion", 4, identifier_key(LOT_B)),
        ("quantity_imbalance", 3, identifier_key(JUICE)),
        ("anchor_sla_missed", 7, None),
    ]
    forged = report.findings[1]
    assert [step.split(":", 1)[0] for step in forged.details["failedSteps"]] == ["signature"]
    assert report.findings[-1].message == (
        "record still not anchored 11 d 23 h after receipt (SLA 5 min)")


def test_filters_rule_severity_time_and_enterprise(world: AuditWorld) -> None:
    build_network(world)
    critical = find(world.ctx, FindingsQuery(min_severity=Severity.CRITICAL), at_ms=NOW)
    assert [f.rule for f in critical.findings] == [
        "suspended_enterprise_event", "integrity_failure", "recalled_input"]
    only_chain = find(world.ctx, FindingsQuery(rules=[RULES_BY_NAME["broken_chain"]]), at_ms=NOW)
    assert summary(only_chain) == [("broken_chain", 4, identifier_key(LOT_B))]
    # The plant sees its own records only; the farm's shipment is context, so its receipt
    # of lot A is no broken chain.
    plant = find(world.ctx, FindingsQuery(enterprise_id=PLANT), at_ms=NOW)
    assert plant.scanned == 3
    assert summary(plant) == [("suspended_enterprise_event", 5, PLANT),
                              ("recalled_input", 3, identifier_key(JUICE)),
                              ("quantity_imbalance", 3, identifier_key(JUICE))]
    window = find(world.ctx, FindingsQuery(from_ms=ms(5), to_ms=ms(6)), at_ms=NOW)
    assert summary(window) == [("broken_chain", 4, identifier_key(LOT_B)),
                               ("time_inversion", 4, identifier_key(LOT_B))]


def test_findings_on_one_trace(world: AuditWorld) -> None:
    from trace_api.audit.service import findings_for_trace, trace_leaf_indexes

    build_network(world)
    leaves = trace_leaf_indexes(world.ctx, "urn:epc:class:lgtin:9506000.134353.J1")
    assert leaves == [0, 1, 2, 3, 5]  # harvest, ship, receive, juicing, juice shipment
    assert [(f.rule, f.leaf_index) for f in findings_for_trace(world.ctx, leaves, at_ms=NOW)] == [
        ("suspended_enterprise_event", 5), ("recalled_input", 3), ("quantity_imbalance", 3)]


def test_cached_inclusion_proofs_equal_the_log_stores(world: AuditWorld) -> None:
    from trace_api.proofs.cache import InclusionProofCache

    world.add(FARM, [harvest(at(1), lot=f"urn:epc:class:lgtin:9506000.134352.P{n}") for n in range(300)],
              [ms(1, 9)] * 300)
    size = world.integrate()
    cached = InclusionProofCache(world.ctx.log_store)
    for tree_size in (1, 2, 7, 256, 257, size):
        for leaf in sorted({0, tree_size // 2, tree_size - 1}):
            assert cached(leaf, tree_size) == world.ctx.log_store.inclusion_proof(leaf, tree_size)
