// EPCIS times as the Python side reads and writes them (trace_api/records/columns.py
// parse_time_ms / format_time_ms, audit/epcis_view.parse_time_ms, consumer/sources._utc) and
// GS1 label dates (gs1.linters.parse_gs1_date). Pure; held to the Python side by
// tests/scanner_app/test_view_model_js.py.

const DAY_MS = 86_400_000;

const DATE_EXTENDED = /^(\d{4})-(\d{2})-(\d{2})/;
const DATE_BASIC = /^(\d{4})(\d{2})(\d{2})/;
const TZ = "(Z|[+-]\\d{2}(?::\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?)?|[+-]\\d{2}(?:\\d{2}(?:\\d{2}(?:[.,]\\d+)?)?)?)?";
const TIME_EXTENDED = new RegExp(`^(\\d{2})(?::(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?)?${TZ}$`);
const TIME_BASIC = new RegExp(`^(\\d{2})(?:(\\d{2})(?:(\\d{2})(?:[.,](\\d+))?)?)?${TZ}$`);

export function daysInMonth(year, month) {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function isLeap(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function micros(fraction) {
  return fraction ? BigInt((fraction + "00000").slice(0, 6)) : 0n; // digits past 6 are cut, as CPython
}

/** Days from 1970-01-01 to a proleptic Gregorian date (any year 1..9999). */
export function epochDays(year, month, day) {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  return Math.round(date.getTime() / DAY_MS);
}

/**
 * Parse a date-time as CPython 3.11 `datetime.fromisoformat` does for the forms EPCIS and
 * sensors write: YYYY-MM-DD or YYYYMMDD, optionally any one separator and HH[:MM[:SS[.f]]]
 * (or basic HHMMSS), with Z or +-HH[:MM[:SS[.f]]]. Returns {micros (BigInt, since the epoch,
 * the offset applied), naive} or null. Week dates and CPython's odder forms are not read.
 */
export function parseIsoDateTime(text) {
  if (typeof text !== "string") return null;
  const extended = text[4] === "-";
  const date = (extended ? DATE_EXTENDED : DATE_BASIC).exec(text);
  if (!date) return null;
  const [year, month, day] = date.slice(1, 4).map(Number);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  let seconds = 0;
  let fraction = 0n;
  let offsetMicros = 0n;
  let naive = true;
  const rest = text.slice(date[0].length);
  if (rest.length > 0) {
    // Any one character separates date and time; CPython reads either time form after either date form.
    const time = TIME_EXTENDED.exec(rest.slice(1)) || TIME_BASIC.exec(rest.slice(1));
    if (!time) return null;
    const [hour, minute, second] = [time[1], time[2] || "0", time[3] || "0"].map(Number);
    if (hour > 23 || minute > 59 || second > 59) return null;
    seconds = hour * 3600 + minute * 60 + second;
    fraction = micros(time[4]);
    if (time[5]) {
      naive = false;
      offsetMicros = parseOffsetMicros(time[5]);
      if (offsetMicros === null) return null;
    }
  }
  const whole = BigInt(epochDays(year, month, day)) * 86_400n + BigInt(seconds);
  return { micros: whole * 1_000_000n + fraction - offsetMicros, naive };
}

function parseOffsetMicros(tz) {
  if (tz === "Z") return 0n;
  const sign = tz[0] === "-" ? -1n : 1n;
  const [hh, mm, ss, ff] = /^[+-](\d{2}):?(\d{2})?:?(\d{2})?(?:[.,](\d+))?$/.exec(tz).slice(1);
  if (Number(mm || 0) > 59 || Number(ss || 0) > 59) return null;
  const total = (BigInt(Number(hh) * 3600 + Number(mm || 0) * 60 + Number(ss || 0))) * 1_000_000n + micros(ff);
  if (total >= 86_400_000_000n) return null; // CPython: strictly within a day
  return sign * total;
}

function floorDiv(value, divisor) {
  const quotient = value / divisor;
  return value % divisor !== 0n && (value < 0n) !== (divisor < 0n) ? quotient - 1n : quotient;
}

/** Ms since the epoch, sub-ms floored (columns.parse_time_ms); null where Python raises. */
export function parseTimeMs(text, { bareIsUtc = false } = {}) {
  const parsed = parseIsoDateTime(text);
  if (!parsed || (parsed.naive && !bareIsUtc)) return null;
  return Number(floorDiv(parsed.micros, 1000n));
}

export const pad = (value, width = 2) => String(value).padStart(width, "0");

/** RFC 3339 UTC with milliseconds (columns.format_time_ms), e.g. `2026-11-26T12:00:00.000Z`. */
export function formatTimeMs(milliseconds) {
  const moment = new Date(milliseconds);
  // CPython's strftime("%Y") leaves years before 1000 unpadded (glibc); kept for equality.
  return `${moment.getUTCFullYear()}-${pad(moment.getUTCMonth() + 1)}-${pad(moment.getUTCDate())}`
    + `T${pad(moment.getUTCHours())}:${pad(moment.getUTCMinutes())}:${pad(moment.getUTCSeconds())}`
    + `.${pad(moment.getUTCMilliseconds(), 3)}Z`;
}

/** The same instant at an EPCIS eventTimeZoneOffset (`+08:00`): `2026-12-06T18:00:00.000+08:00`. */
export function formatLocalTime(milliseconds, offset) {
  const match = /^([+-])(\d{2}):(\d{2})$/.exec(offset || "");
  if (!match || milliseconds === null) return null;
  const minutes = (match[1] === "-" ? -1 : 1) * (Number(match[2]) * 60 + Number(match[3]));
  if (Math.abs(minutes) >= 24 * 60) return null;
  const shifted = formatTimeMs(milliseconds + minutes * 60_000);
  return shifted.slice(0, -1) + offset;
}

function roundHalfEven(value) {
  const floor = Math.floor(value);
  const rest = value - floor;
  if (rest !== 0.5) return rest > 0.5 ? floor + 1 : floor;
  return floor % 2 === 0 ? floor : floor + 1;
}

/** A sensor time as UTC text (sources._utc): unparsable text is kept as it is. */
export function sensorTimeUtc(text) {
  const parsed = parseIsoDateTime(text);
  if (!parsed) return text;
  // Python: round(datetime.timestamp() * 1000), float seconds then half-even ms.
  return formatTimeMs(roundHalfEven((Number(parsed.micros) / 1e6) * 1000));
}

/** Audit time (epcis_view.parse_time_ms): `z` read as `Z`, a bare time as UTC, else null. */
export function auditTimeMs(value) {
  return typeof value === "string" ? parseTimeMs(value.replaceAll("z", "Z"), { bareIsUtc: true }) : null;
}

/** A YYMMDD label date as ISO (gs1.linters.parse_gs1_date: sliding century, DD 00 = last day). */
export function gs1Date(value, today = new Date()) {
  if (!/^[0-9]{6}$/.test(value || "")) return null;
  const current = today.getUTCFullYear();
  const yy = Number(value.slice(0, 2));
  const difference = yy - (current % 100);
  const century = current - (current % 100) + (difference >= 51 ? -100 : difference <= -50 ? 100 : 0);
  const [year, month, day] = [century + yy, Number(value.slice(2, 4)), Number(value.slice(4, 6))];
  if (month < 1 || month > 12 || day > daysInMonth(year, month)) return null;
  return `${pad(year, 4)}-${pad(month)}-${pad(day || daysInMonth(year, month))}`;
}
