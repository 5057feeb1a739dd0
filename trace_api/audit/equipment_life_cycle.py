"""Special equipment life cycle from EPCIS events: `equipment_status(ctx, giai)`.

Shared by the consumer view (lookup page: "when was this lift last inspected") and the
audit's equipment rules, so both read the same events the same way. It lives in the
audit package because it reads events through the audit's view (`epcis_view`,
`sources`, `config`); the consumer view and the label routes depend on it downward. The CBV 2.0
vocabulary mapped (documented in trace_api/audit/README.md, "Equipment vocabulary"):

| life-cycle step | EPCIS event on the GIAI | who | TraceLedger members |
|---|---|---|---|
| manufacture | ObjectEvent ADD, bizStep `commissioning` | maker | ILMD `tl:equipmentType`, `tl:registrationCode` |
| installation | ObjectEvent OBSERVE, bizStep `installing` | installer | `tl:registrationCode`, `tl:emergencyCode` |
| inspection | ObjectEvent OBSERVE, bizStep `inspecting`; disposition `conformant` = pass, `non_conformant` / `needs_replacement` = fail | inspection body | `tl:inspectionResult` (`pass`/`fail`, wins over disposition), `tl:nextInspectionDue` (date) |
| maintenance | ObjectEvent OBSERVE, bizStep `repairing` | maintainer | `tl:maintenanceType` (free text) |
| use | any other event on it with bizStep in USE_STEPS, or disposition `active` / `in_progress` | operator | |
| retirement | bizStep `decommissioning` or `destroying`, or ObjectEvent DELETE | owner | |
"""

from __future__ import annotations

import calendar
import datetime as dt
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gs1.keys import giai_of, identifier_key
from gs1.percent import escape_path_component
from trace_api.audit.config import AuditConfig, EquipmentPeriods, load_audit_config
from trace_api.audit.epcis_view import AuditEvent, parse_time_ms
from trace_api.audit.sources import EventFilter, iter_events
from trace_api.enterprises.store import get_enterprise
from trace_api.provenance.access import SERVICE_STEPS, custody_leaves
from trace_api.records.columns import format_time_ms

if TYPE_CHECKING:
    from trace_api.context import ApiContext

MANUFACTURE_STEPS = frozenset({"commissioning"})
INSTALL_STEPS = frozenset({"installing"})
INSPECT_STEPS = frozenset({"inspecting"})
MAINTAIN_STEPS = frozenset({"repairing"})
RETIRE_STEPS = frozenset({"decommissioning", "destroying"})
USE_STEPS = frozenset({"sensor_reporting", "entering_exiting", "dispensing", "loading",
                       "unloading", "transporting"})
USE_DISPOSITIONS = frozenset({"active", "in_progress"})
PASS_DISPOSITIONS = frozenset({"conformant"})
FAIL_DISPOSITIONS = frozenset({"non_conformant", "needs_replacement"})
DAY_MS = 86_400_000


@dataclass(frozen=True)
class Inspection:
    event: AuditEvent
    result: str  # "pass" | "fail" | "unknown"
    next_due_ms: int | None  # as the inspection states it, if it does


@dataclass(frozen=True, kw_only=True)
class LifeCycle:
    """The events of one piece of equipment, sorted into life-cycle steps (time order)."""

    key: str
    giai: str
    equipment_type: str | None
    registration_code: str | None
    emergency_code: str | None
    manufacture: AuditEvent | None
    installations: tuple[AuditEvent, ...]
    inspections: tuple[Inspection, ...]
    maintenances: tuple[AuditEvent, ...]
    uses: tuple[AuditEvent, ...]
    retired: AuditEvent | None

    @property
    def in_service_since_ms(self) -> int | None:
        """First installation, else first use (cylinders are not installed), else None."""
        if self.installations:
            return self.installations[0].view.time_ms
        if self.uses:
            return self.uses[0].view.time_ms
        return None

    def periods(self, config: AuditConfig) -> EquipmentPeriods | None:
        return config.equipment_periods.get(self.equipment_type or "")

    def next_inspection_due_ms(self, config: AuditConfig) -> int | None:
        """When the next periodic inspection falls due (see README for the basis)."""
        if self.inspections:
            last = self.inspections[-1]
            if last.result == "fail":
                return last.event.view.time_ms  # no valid certificate: re-inspection is due now
            if last.next_due_ms is not None:
                return last.next_due_ms
            base = last.event.view.time_ms
        else:
            since = self.in_service_since_ms
            if since is None:
                return None
            base = since
        periods = self.periods(config)
        if periods is None:
            return None
        return add_months(base, periods.inspection_months)

    def next_maintenance_due_ms(self, config: AuditConfig) -> int | None:
        periods = self.periods(config)
        if periods is None or periods.maintenance_days is None:
            return None
        base = (self.maintenances[-1].view.time_ms if self.maintenances else self.in_service_since_ms)
        return None if base is None else base + periods.maintenance_days * DAY_MS


def add_months(time_ms: int, months: int) -> int:
    """`time_ms` plus calendar months (UTC), the day clamped to the month's length."""
    moment = dt.datetime.fromtimestamp(time_ms / 1000, tz=dt.UTC)
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return int(moment.replace(year=year, month=month, day=day).timestamp() * 1000)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _inspection_result(event: AuditEvent) -> str:
    declared = _text(event.view.extension("inspectionResult"))
    if declared in ("pass", "fail"):
        return declared
    if event.view.disposition in PASS_DISPOSITIONS:
        return "pass"
    if event.view.disposition in FAIL_DISPOSITIONS:
        return "fail"
    return "unknown"


def _due_date_ms(value: Any) -> int | None:
    """`tl:nextInspectionDue` as a date (`2027-11-20`, end of that day UTC) or date-time."""
    text = _text(value)
    if text is None:
        return None
    if len(text) == 10:
        try:
            day = dt.date.fromisoformat(text)
        except ValueError:
            return None
        return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp() * 1000) + DAY_MS - 1
    return parse_time_ms(text)


def interpret_life_cycle(key: str, events: Sequence[AuditEvent]) -> LifeCycle:
    """Sort the events naming equipment `key` into its life cycle (module docstring)."""
    ordered = sorted(events, key=lambda event: (event.view.time_ms, event.leaf_index))
    manufacture = None
    installations: list[AuditEvent] = []
    inspections: list[Inspection] = []
    maintenances: list[AuditEvent] = []
    uses: list[AuditEvent] = []
    retired = None
    equipment_type = registration_code = emergency_code = None
    for event in ordered:
        view = event.view
        step = view.biz_step
        equipment_type = _text(view.extension("equipmentType", in_ilmd=True)) or _text(
            view.extension("equipmentType")) or equipment_type
        registration_code = _text(view.extension("registrationCode", in_ilmd=True)) or _text(
            view.extension("registrationCode")) or registration_code
        emergency_code = _text(view.extension("emergencyCode")) or _text(
            view.extension("emergencyCode", in_ilmd=True)) or emergency_code
        if view.event_type == "ObjectEvent" and view.action == "ADD" and (
                step in MANUFACTURE_STEPS or step is None):
            manufacture = manufacture or event
        elif step in INSTALL_STEPS:
            installations.append(event)
        elif step in INSPECT_STEPS:
            inspections.append(Inspection(event, _inspection_result(event),
                                          _due_date_ms(view.extension("nextInspectionDue"))))
        elif step in MAINTAIN_STEPS:
            maintenances.append(event)
        elif step in RETIRE_STEPS or view.action == "DELETE":
            retired = retired or event
        elif step in USE_STEPS or view.disposition in USE_DISPOSITIONS:
            uses.append(event)
    return LifeCycle(
        key=key, giai=giai_of(key) or key, equipment_type=equipment_type,
        registration_code=registration_code, emergency_code=emergency_code,
        manufacture=manufacture, installations=tuple(installations),
        inspections=tuple(inspections), maintenances=tuple(maintenances), uses=tuple(uses),
        retired=retired,
    )


@dataclass(frozen=True, kw_only=True)
class EquipmentStatus:
    """What the consumer view shows about a piece of equipment (all public fields)."""

    giai: str
    equipment_type: str | None
    registration_code: str | None
    maker: str | None
    installer: str | None
    last_inspection_date: str | None
    last_inspection_result: str | None
    last_inspector: str | None
    next_inspection_due: str | None
    inspection_overdue: bool
    last_maintenance_date: str | None
    last_maintainer: str | None
    maintenance_overdue: bool
    emergency_code: str | None
    retired: bool

    def to_public_json(self) -> dict[str, Any]:
        """The `equipment` member of `/v1/public/lookup` (trace_api/README.md)."""
        return {
            "registrationCode": self.registration_code,
            "equipmentType": self.equipment_type,
            "maker": self.maker,
            "installer": self.installer,
            "lastInspection": None if self.last_inspection_date is None else {
                "date": self.last_inspection_date, "result": self.last_inspection_result,
                "inspector": self.last_inspector},
            "nextInspectionDue": self.next_inspection_due,
            "inspectionOverdue": self.inspection_overdue,
            "lastMaintenance": None if self.last_maintenance_date is None else {
                "date": self.last_maintenance_date, "by": self.last_maintainer},
            "maintenanceOverdue": self.maintenance_overdue,
            "emergencyCode": self.emergency_code,
            "retired": self.retired,
        }


def status_of(life: LifeCycle, *, now_ms: int, config: AuditConfig,
              name_of: Callable[[str], str | None] = lambda _id: None) -> EquipmentStatus:
    """The status of `life` at `now_ms`; enterprises are named by `name_of(enterprise_id)`
    (falling back to the id)."""

    def who(event: AuditEvent | None) -> str | None:
        return None if event is None else (name_of(event.enterprise_id) or event.enterprise_id)

    last_inspection = life.inspections[-1] if life.inspections else None
    last_maintenance = life.maintenances[-1] if life.maintenances else None
    inspection_due = life.next_inspection_due_ms(config)
    maintenance_due = life.next_maintenance_due_ms(config)
    active = life.retired is None
    return EquipmentStatus(
        giai=life.giai, equipment_type=life.equipment_type,
        registration_code=life.registration_code, maker=who(life.manufacture),
        installer=who(life.installations[-1] if life.installations else None),
        last_inspection_date=_date(last_inspection.event.view.time_ms) if last_inspection else None,
        last_inspection_result=last_inspection.result if last_inspection else None,
        last_inspector=who(last_inspection.event) if last_inspection else None,
        next_inspection_due=_date(inspection_due) if inspection_due is not None else None,
        inspection_overdue=active and inspection_due is not None and now_ms > inspection_due,
        last_maintenance_date=_date(last_maintenance.view.time_ms) if last_maintenance else None,
        last_maintainer=who(last_maintenance),
        maintenance_overdue=active and maintenance_due is not None and now_ms > maintenance_due,
        emergency_code=life.emergency_code, retired=not active,
    )


def _date(time_ms: int) -> str:
    return format_time_ms(time_ms)[:10]


def equipment_key(giai: str) -> str:
    """The audit key of a GIAI, whether given bare, as an EPC URN or as a Digital Link."""
    if giai.startswith(("urn:", "http://", "https://")):
        return identifier_key(giai)
    return identifier_key("https://id.gs1.org/8004/" + giai)


def _epc_spellings(giai: str) -> list[str]:
    """Ways an event may have written the GIAI: Digital Link, and EPC URNs for every
    possible company prefix length (TDS 2.0: the URN splits prefix and asset reference)."""
    spellings = ["https://id.gs1.org/8004/" + escape_path_component(giai)]
    for prefix_length in range(6, 13):
        if len(giai) > prefix_length and giai[:prefix_length].isdigit():
            spellings.append(f"urn:epc:id:giai:{giai[:prefix_length]}.{giai[prefix_length:]}")
    return spellings


def load_life_cycle(ctx: ApiContext, giai: str, *, custody_only: bool = False) -> LifeCycle | None:
    """The life cycle of `giai` from the records, or None when no record names it.

    `custody_only` (public pages): only events by the equipment's documented custody chain
    and the inspectors and maintainers it engaged count (`trace_api.provenance.access`,
    README "Who may read what"), so nobody else's event changes what the public sees."""
    key = equipment_key(giai)
    bare = giai_of(key)
    if bare is None:
        return None
    where = EventFilter(epcs=_epc_spellings(bare), epc_suffix="/8004/" + escape_path_component(bare))
    events = [event for event in iter_events(ctx.engine, where)
              if any(ref.key == key for ref in event.view.objects)]
    if custody_only and events:
        counted = custody_leaves(ctx.engine, "8004", bare, [event.leaf_index for event in events],
                                 service_steps=SERVICE_STEPS)
        events = [event for event in events if event.leaf_index in counted]
    return interpret_life_cycle(key, events) if events else None


def equipment_status(ctx: ApiContext, giai: str, *, now_ms: int | None = None,
                     custody_only: bool = False) -> EquipmentStatus | None:
    """The equipment's current status from its records, or None if none names it
    (`custody_only`: see `load_life_cycle`).

    `giai` may be bare (`0614141LIFT001`), an EPC URN or a Digital Link URI. Enterprises
    are named by their registered name (`api_enterprises`), else by their id.
    """
    life = load_life_cycle(ctx, giai, custody_only=custody_only)
    if life is None:
        return None
    now = now_ms if now_ms is not None else int(time.time() * 1000)
    return status_of(life, now_ms=now, config=ctx.shared(load_audit_config),
                     name_of=_registered_names(ctx))


def _registered_names(ctx: ApiContext) -> Callable[[str], str | None]:
    cache: dict[str, str | None] = {}

    def name_of(enterprise_id: str) -> str | None:
        if enterprise_id not in cache:
            row = get_enterprise(ctx.engine, enterprise_id)
            cache[enterprise_id] = row.name if row is not None else None
        return cache[enterprise_id]

    return name_of


def life_cycles(by_key: Mapping[str, Sequence[tuple[AuditEvent, Any]]]) -> list[LifeCycle]:
    """The life cycle of every GIAI among `by_key` (an `AuditInputs.by_key` index)."""
    return [
        interpret_life_cycle(key, [event for event, _ref in items])
        for key, items in sorted(by_key.items()) if giai_of(key) is not None
    ]
