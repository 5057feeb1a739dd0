"""Special equipment: `equipment_inspection_overdue`, `equipment_maintenance_overdue`,
`equipment_installed_without_manufacture`, `equipment_used_after_failed_inspection`.

The life cycle is read by `trace_api.audit.equipment_life_cycle` (the same reading the consumer view
shows); periods per equipment type are `AuditConfig.equipment_periods` (TSG basis in
the README). Overdue is judged at `AuditInputs.now_ms`; retired equipment is not judged.
"""

from __future__ import annotations

from collections.abc import Iterator

from trace_api.audit.epcis_view import AuditEvent
from trace_api.audit.equipment_life_cycle import DAY_MS, LifeCycle, life_cycles
from trace_api.audit.inputs import AuditInputs, finding_base
from trace_api.audit.model import Finding, Rule, Severity
from trace_api.records.columns import format_time_ms


def _last_event(life: LifeCycle) -> AuditEvent:
    candidates = [*life.installations, *(i.event for i in life.inspections), *life.maintenances,
                  *life.uses, *([life.manufacture] if life.manufacture else [])]
    return max(candidates, key=lambda event: (event.view.time_ms, event.leaf_index))


def check_inspection_overdue(inputs: AuditInputs) -> Iterator[Finding]:
    for life in life_cycles(inputs.by_key):
        if life.retired is not None or life.in_service_since_ms is None:
            continue
        due = life.next_inspection_due_ms(inputs.config)
        if due is None or inputs.now_ms <= due:
            continue
        last = life.inspections[-1] if life.inspections else None
        event = last.event if last else _last_event(life)
        basis = life.periods(inputs.config)
        yield Finding(
            rule="equipment_inspection_overdue", severity=Severity.HIGH, subject=life.key,
            message=(f"{life.equipment_type or 'equipment'} {life.giai}: periodic inspection "
                     f"due {format_time_ms(due)[:10]}, overdue by {(inputs.now_ms - due) // DAY_MS} days"),
            details={"due": format_time_ms(due),
                     "lastInspection": format_time_ms(last.event.view.time_ms) if last else None,
                     "lastResult": last.result if last else None,
                     "periodMonths": basis.inspection_months if basis else None,
                     "basis": basis.basis if basis else None},
            **finding_base(event),
        )


def check_maintenance_overdue(inputs: AuditInputs) -> Iterator[Finding]:
    """Each gap between maintenances longer than the interval, and the open gap to now."""
    for life in life_cycles(inputs.by_key):
        periods = life.periods(inputs.config)
        since = life.in_service_since_ms
        if periods is None or periods.maintenance_days is None or since is None:
            continue
        interval_ms = periods.maintenance_days * DAY_MS
        previous = since
        gaps: list[tuple[int, AuditEvent | None]] = [
            (m.view.time_ms, m) for m in life.maintenances if m.view.time_ms >= since]
        if life.retired is None:
            gaps.append((inputs.now_ms, None))
        for time_ms, event in gaps:
            if time_ms - previous > interval_ms:
                anchor_event = event or (life.maintenances[-1] if life.maintenances else life.installations[0]
                                         if life.installations else _last_event(life))
                yield Finding(
                    rule="equipment_maintenance_overdue", severity=Severity.MEDIUM, subject=life.key,
                    message=(f"{life.equipment_type} {life.giai}: "
                             f"{(time_ms - previous) // DAY_MS} days without maintenance "
                             f"(interval {periods.maintenance_days} days)"
                             + ("" if event else ", still open")),
                    details={"from": format_time_ms(previous), "to": format_time_ms(time_ms),
                             "intervalDays": periods.maintenance_days, "open": event is None,
                             "basis": periods.basis},
                    **finding_base(anchor_event),
                )
            previous = time_ms


def check_installed_without_manufacture(inputs: AuditInputs) -> Iterator[Finding]:
    for life in life_cycles(inputs.by_key):
        for installation in life.installations:
            made = life.manufacture
            if made is not None and made.view.time_ms <= installation.view.time_ms:
                continue
            yield Finding(
                rule="equipment_installed_without_manufacture", severity=Severity.HIGH,
                subject=life.key,
                message=f"{life.giai} installed with no earlier manufacturing (commissioning) record",
                details={"installedAt": format_time_ms(installation.view.time_ms),
                         "manufacturedAt": format_time_ms(made.view.time_ms) if made else None},
                **finding_base(installation),
            )


def check_used_after_failed_inspection(inputs: AuditInputs) -> Iterator[Finding]:
    for life in life_cycles(inputs.by_key):
        inspections = sorted(life.inspections, key=lambda i: (i.event.view.time_ms, i.event.leaf_index))
        for use in life.uses:
            used_at = (use.view.time_ms, use.leaf_index)
            earlier = [i for i in inspections if (i.event.view.time_ms, i.event.leaf_index) < used_at]
            judged = [i for i in earlier if i.result in ("pass", "fail")]
            if not judged or judged[-1].result != "fail":
                continue
            # the first failure since the last pass is the one that took it out of service
            failed = judged[-1]
            for inspection in reversed(judged):
                if inspection.result == "pass":
                    break
                failed = inspection
            failed_at = failed.event.view.time_ms
            yield Finding(
                rule="equipment_used_after_failed_inspection", severity=Severity.CRITICAL,
                subject=life.key,
                message=(f"{life.giai} in use at {format_time_ms(use.view.time_ms)} after failing "
                         f"inspection at {format_time_ms(failed_at)} with no passing one since"),
                details={"failedInspection": failed.event.event_hash_id,
                         "failedAt": format_time_ms(failed_at),
                         "usedAt": format_time_ms(use.view.time_ms)},
                **finding_base(use),
            )


RULES = (
    Rule(name="equipment_inspection_overdue", severity=Severity.HIGH, family="equipment",
         summary="special equipment in service past its periodic inspection due date",
         check=check_inspection_overdue),
    Rule(name="equipment_maintenance_overdue", severity=Severity.MEDIUM, family="equipment",
         summary="maintenance interval exceeded (lifts: 15 days)",
         check=check_maintenance_overdue),
    Rule(name="equipment_installed_without_manufacture", severity=Severity.HIGH, family="equipment",
         summary="equipment installed with no earlier manufacturing record",
         check=check_installed_without_manufacture),
    Rule(name="equipment_used_after_failed_inspection", severity=Severity.CRITICAL,
         family="equipment", summary="equipment used after a failed inspection, before a passing one",
         check=check_used_after_failed_inspection),
)
