// A special-equipment unit's life cycle and public status from its event bodies, as
// trace_api/audit/equipment_life_cycle.py derives them (periods: audit/config.py defaults).
// Pure; held to the Python side by tests/scanner_app/test_view_model_js.py.

import { auditTimeMs, daysInMonth, epochDays, formatTimeMs } from "./epcis_time.js";
import { cbvWord, extension } from "./event_body.js";

const DAY_MS = 86_400_000;

export const DEFAULT_EQUIPMENT_PERIODS = Object.freeze({
  lift: { inspectionMonths: 12, maintenanceDays: 15 },
  escalator: { inspectionMonths: 12, maintenanceDays: 15 },
  boiler: { inspectionMonths: 12, maintenanceDays: null },
  pressure_vessel: { inspectionMonths: 36, maintenanceDays: null },
  gas_cylinder: { inspectionMonths: 36, maintenanceDays: null },
  crane: { inspectionMonths: 24, maintenanceDays: null },
});
const USE_STEPS = new Set(["sensor_reporting", "entering_exiting", "dispensing", "loading", "unloading", "transporting"]);

const text = (value) => (typeof value === "string" && value ? value : null);

/** `time_ms` plus calendar months (UTC), the day clamped to the month's length (add_months). */
export function addMonths(timeMs, months) {
  const moment = new Date(timeMs);
  const monthIndex = moment.getUTCMonth() + months;
  const year = moment.getUTCFullYear() + Math.floor(monthIndex / 12);
  const month = ((monthIndex % 12) + 12) % 12 + 1;
  const day = Math.min(moment.getUTCDate(), daysInMonth(year, month));
  const shifted = new Date(timeMs);
  shifted.setUTCFullYear(year, month - 1, day);
  // Python: int(datetime.timestamp() * 1000), float seconds then truncated ms.
  return Math.trunc(((shifted.getTime() * 1000) / 1e6) * 1000);
}

function dueDateMs(value) {
  const due = text(value);
  if (due === null) return null;
  if (due.length === 10) {
    const day = /^(\d{4})-(\d{2})-(\d{2})$/.exec(due);
    if (!day) return null;
    const [year, month, date] = day.slice(1).map(Number);
    if (year < 1 || month < 1 || month > 12 || date < 1 || date > daysInMonth(year, month)) return null;
    return epochDays(year, month, date) * DAY_MS + DAY_MS - 1;
  }
  return auditTimeMs(due);
}

function inspectionResult(body) {
  const declared = text(extension(body, "inspectionResult"));
  if (declared === "pass" || declared === "fail") return declared;
  const disposition = cbvWord(body.disposition);
  if (disposition === "conformant") return "pass";
  if (disposition === "non_conformant" || disposition === "needs_replacement") return "fail";
  return "unknown";
}

/**
 * Sort events naming equipment `key` into its life cycle (interpret_life_cycle). `events` are
 * {body, enterpriseId, order} with `order` the tie-break after time (the log's leaf order).
 */
export function lifeCycleOf(key, events) {
  const ordered = events.map((event) => ({ ...event, timeMs: auditTimeMs(event.body.eventTime) || 0 }))
    .sort((a, b) => a.timeMs - b.timeMs || a.order - b.order);
  const life = { key, equipmentType: null, registrationCode: null, emergencyCode: null, manufacture: null,
    installations: [], inspections: [], maintenances: [], uses: [], retired: null };
  for (const event of ordered) {
    const { body } = event;
    const step = cbvWord(body.bizStep);
    const action = typeof body.action === "string" ? body.action : null;
    life.equipmentType = text(extension(body, "equipmentType", true)) || text(extension(body, "equipmentType")) || life.equipmentType;
    life.registrationCode = text(extension(body, "registrationCode", true)) || text(extension(body, "registrationCode")) || life.registrationCode;
    life.emergencyCode = text(extension(body, "emergencyCode")) || text(extension(body, "emergencyCode", true)) || life.emergencyCode;
    if (body.type === "ObjectEvent" && action === "ADD" && (step === "commissioning" || step === null)) life.manufacture ||= event;
    else if (step === "installing") life.installations.push(event);
    else if (step === "inspecting") life.inspections.push({ event, result: inspectionResult(body), nextDueMs: dueDateMs(extension(body, "nextInspectionDue")) });
    else if (step === "repairing") life.maintenances.push(event);
    else if (step === "decommissioning" || step === "destroying" || action === "DELETE") life.retired ||= event;
    else if (USE_STEPS.has(step) || ["active", "in_progress"].includes(cbvWord(body.disposition))) life.uses.push(event);
  }
  return life;
}

function inServiceSinceMs(life) {
  if (life.installations.length) return life.installations[0].timeMs;
  return life.uses.length ? life.uses[0].timeMs : null;
}

function nextInspectionDueMs(life, periods) {
  let base = inServiceSinceMs(life);
  if (life.inspections.length) {
    const last = life.inspections.at(-1);
    if (last.result === "fail") return last.event.timeMs; // no valid certificate: due now
    if (last.nextDueMs !== null) return last.nextDueMs;
    base = last.event.timeMs;
  }
  const period = periods[life.equipmentType || ""];
  return base === null || !period ? null : addMonths(base, period.inspectionMonths);
}

function nextMaintenanceDueMs(life, periods) {
  const period = periods[life.equipmentType || ""];
  if (!period || period.maintenanceDays === null) return null;
  const base = life.maintenances.length ? life.maintenances.at(-1).timeMs : inServiceSinceMs(life);
  return base === null ? null : base + period.maintenanceDays * DAY_MS;
}

/**
 * The public status of a life cycle at `nowMs` (status_of + to_public_json); parties are named
 * by `nameOf(enterpriseId)`, else by their id (the id is what the chain says signed it).
 */
export function equipmentStatus(life, { nowMs, nameOf = () => null, periods = DEFAULT_EQUIPMENT_PERIODS }) {
  const who = (event) => (event ? nameOf(event.enterpriseId) || event.enterpriseId : null);
  const date = (ms) => formatTimeMs(ms).slice(0, 10);
  const inspection = life.inspections.at(-1) || null;
  const maintenance = life.maintenances.at(-1) || null;
  const inspectionDue = nextInspectionDueMs(life, periods);
  const maintenanceDue = nextMaintenanceDueMs(life, periods);
  const active = life.retired === null;
  return {
    registrationCode: life.registrationCode,
    equipmentType: life.equipmentType,
    maker: who(life.manufacture),
    installer: who(life.installations.at(-1)),
    lastInspection: inspection && { date: date(inspection.event.timeMs), result: inspection.result, inspector: who(inspection.event) },
    nextInspectionDue: inspectionDue === null ? null : date(inspectionDue),
    inspectionOverdue: active && inspectionDue !== null && nowMs > inspectionDue,
    lastMaintenance: maintenance && { date: date(maintenance.timeMs), by: who(maintenance) },
    maintenanceOverdue: active && maintenanceDue !== null && nowMs > maintenanceDue,
    emergencyCode: life.emergencyCode,
    retired: !active,
  };
}
