"""Special equipment: the life-cycle reading (consumer view) and the four equipment rules."""

from __future__ import annotations

from gs1.keys import identifier_key
from tests.trace_api.audit.builders import (
    INSPECTOR,
    INSTALLER,
    LIFT,
    MAINTAINER,
    MAKER,
    at,
    equipment_event,
    ms,
    record,
)
from tests.trace_api.audit.harness import AuditWorld
from trace_api.audit.config import AuditConfig
from trace_api.audit.engine import run_rules
from trace_api.audit.equipment_life_cycle import (
    add_months,
    equipment_status,
    interpret_life_cycle,
    status_of,
)
from trace_api.audit.inputs import AuditInputs
from trace_api.audit.rules import RULES_BY_NAME

KEY = identifier_key(LIFT)
EQUIPMENT_RULES = [RULES_BY_NAME[name] for name in (
    "equipment_inspection_overdue", "equipment_maintenance_overdue",
    "equipment_installed_without_manufacture", "equipment_used_after_failed_inspection")]


def made(day: int = 1, month: int = 1):  # type: ignore[no-untyped-def]
    return equipment_event(at(day, month=month), "commissioning", action="ADD", ilmd={
        "tl:equipmentType": "lift", "tl:registrationCode": "31103301002019120001"})


def installed(day: int = 10, month: int = 1):  # type: ignore[no-untyped-def]
    return equipment_event(at(day, month=month), "installing", **{"tl:emergencyCode": "31058"})


def inspected(day: int, month: int, result: str | None = None, disposition: str | None = None):  # type: ignore[no-untyped-def]
    members = {"tl:inspectionResult": result} if result else {}
    if disposition:
        members["disposition"] = disposition
    return equipment_event(at(day, month=month), "inspecting", **members)


def maintained(day: int, month: int):  # type: ignore[no-untyped-def]
    return equipment_event(at(day, month=month), "repairing")


def used(day: int, month: int):  # type: ignore[no-untyped-def]
    return equipment_event(at(day, month=month), "sensor_reporting", disposition="active")


def healthy_life() -> list:  # type: ignore[type-arg]
    """Made, installed, inspected (pass), maintained every 14 days (last 2026-11-14)."""
    events = [record(0, MAKER, made()), record(1, INSTALLER, installed()),
              record(2, INSPECTOR, inspected(20, 3, disposition="conformant"))]
    leaf = 3
    day_ms = ms(10, month=1)
    while day_ms + 14 * 86_400_000 <= ms(25, month=11):
        day_ms += 14 * 86_400_000
        import datetime as dt
        when = dt.datetime.fromtimestamp(day_ms / 1000, tz=dt.UTC)
        events.append(record(leaf, MAINTAINER, maintained(when.day, when.month)))
        leaf += 1
    return events


def rule_findings(events, now_ms):  # type: ignore[no-untyped-def]
    return [(f.rule, f.leaf_index, f.message) for f in
            run_rules(AuditInputs(events=events, now_ms=now_ms), EQUIPMENT_RULES)]


def test_vocabulary_reading_and_status() -> None:
    events = healthy_life()
    life = interpret_life_cycle(KEY, events)
    assert (life.equipment_type, life.registration_code, life.emergency_code) == (
        "lift", "31103301002019120001", "31058")
    assert [i.result for i in life.inspections] == ["pass"]
    status = status_of(life, now_ms=ms(26, month=11), config=AuditConfig(),
                       name_of={MAKER: "Shanghai Lift Works"}.get)
    assert status.to_public_json() == {
        "registrationCode": "31103301002019120001", "equipmentType": "lift",
        "maker": "Shanghai Lift Works", "installer": INSTALLER,
        "lastInspection": {"date": "2026-03-20", "result": "pass", "inspector": INSPECTOR},
        "nextInspectionDue": "2027-03-20", "inspectionOverdue": False,
        "lastMaintenance": {"date": "2026-11-14", "by": MAINTAINER}, "maintenanceOverdue": False,
        "emergencyCode": "31058", "retired": False,
    }
    assert add_months(ms(31, month=1), 1) == ms(28, month=2)


def test_healthy_lift_has_no_findings() -> None:
    assert rule_findings(healthy_life(), ms(26, month=11)) == []


def test_inspection_overdue_and_maintenance_gap() -> None:
    events = [record(0, MAKER, made()), record(1, INSTALLER, installed()),
              record(2, INSPECTOR, inspected(20, 1, result="pass")),
              record(3, MAINTAINER, maintained(20, 1)), record(4, MAINTAINER, maintained(25, 2))]
    now = ms(26, month=2, year=2027)
    assert rule_findings(events, now) == [
        ("equipment_inspection_overdue", 2, ("lift 9506000LIFT001: periodic inspection due "
         "2027-01-20, overdue by 37 days")),
        ("equipment_maintenance_overdue", 4, ("lift 9506000LIFT001: 36 days without maintenance "
         "(interval 15 days)")),
        ("equipment_maintenance_overdue", 4, ("lift 9506000LIFT001: 366 days without maintenance "
         "(interval 15 days), still open")),
    ]


def test_installation_without_manufacture_and_use_after_failed_inspection() -> None:
    events = [record(1, INSTALLER, installed(10, 1)), record(0, MAKER, made(15, 1)),
              record(2, INSPECTOR, inspected(20, 1, disposition="non_conformant")),
              record(3, "0x" + "ee" * 32, used(21, 1)),
              record(4, MAINTAINER, maintained(22, 1)),
              record(5, INSPECTOR, inspected(23, 1, result="pass")),
              record(6, "0x" + "ee" * 32, used(24, 1))]
    got = [item for item in rule_findings(events, ms(25, month=1))
           if item[0] in ("equipment_installed_without_manufacture",
                          "equipment_used_after_failed_inspection")]
    assert got == [
        ("equipment_installed_without_manufacture", 1,
         "9506000LIFT001 installed with no earlier manufacturing (commissioning) record"),
        ("equipment_used_after_failed_inspection", 3,
         ("9506000LIFT001 in use at 2026-01-21T08:00:00.000Z after failing inspection at "
         "2026-01-20T08:00:00.000Z with no passing one since")),
    ]


def test_equipment_status_from_the_database(world: AuditWorld) -> None:
    world.add(MAKER, [made()], [ms(1, 9, month=1)])
    world.add(INSTALLER, [installed()], [ms(10, 9, month=1)])
    world.add(INSPECTOR, [inspected(20, 1, result="fail")], [ms(20, 9, month=1)])
    status = equipment_status(world.ctx, "9506000LIFT001", now_ms=ms(1, month=2))
    assert status is not None
    assert (status.last_inspection_result, status.next_inspection_due, status.inspection_overdue,
            status.maintenance_overdue, status.maker) == ("fail", "2026-01-20", True, True, MAKER)
    assert equipment_status(world.ctx, "https://id.gs1.org/8004/9506000LIFT001",
                            now_ms=ms(1, month=2)) == status
    assert equipment_status(world.ctx, "9506000LIFT999", now_ms=ms(1, month=2)) is None
