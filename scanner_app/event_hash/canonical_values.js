// Canonical pre-hash values: numbers, identifiers, timestamps
// (anchoring/core/event_hash/canonical_values.py).

import { EventHashError } from "./errors.js";
import { asciiDigits, jsonType } from "./python_text.js";
import { LEGACY_CBV_URN_PREFIXES } from "./terms.js";
import { canonicalIdentifier } from "./digital_link.js";

// --- canonical_values: numbers, identifiers, timestamps (canonical_values.py) ------------------

const NUMBER_START = new Set("0123456789+-.");

/**
 * Canonical pre-hash form of a stripped non-time value (CBV 2.0 §8.9.2): CBV 1.x URNs become
 * Web URIs, numbers lose "+" and needless zeros, GS1 keys become canonical Digital Links.
 */
export function canonicalValue(text) {
  if (text.includes("urn:epcglobal:cbv:")) {
    for (const [urnPrefix, webPrefix] of LEGACY_CBV_URN_PREFIXES) {
      text = text.replaceAll(urnPrefix, webPrefix);
    }
  }
  if (text && NUMBER_START.has(text[0])) {
    const number = canonicalNumber(text);
    if (number !== null) return number;
  }
  const identifier = canonicalIdentifier(text);
  return identifier === null ? text : identifier;
}

// Python float() syntax once digits are ASCII and underscores are gone (inf/nan are not finite
// and so give null either way).
const DECIMAL = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** The core's canonical_number: shortest text of the double `float(text)`, or null. */
function canonicalNumber(text) {
  let ascii = asciiDigits(text);
  if (ascii.includes("_")) ascii = withoutDigitSeparators(ascii);
  if (ascii === null || !DECIMAL.test(ascii)) return null;
  const number = Number(ascii);
  return Number.isFinite(number) ? formatNumber(number) : null;
}

// float() accepts "_" only between two digits (CPython _Py_string_to_number_with_underscores).
function withoutDigitSeparators(text) {
  const isDigit = (char) => char >= "0" && char <= "9";
  for (let index = 0; index < text.length; index += 1) {
    if (text[index] === "_" && !(index > 0 && isDigit(text[index - 1])
        && index + 1 < text.length && isDigit(text[index + 1]))) {
      return null;
    }
  }
  return text.replaceAll("_", "");
}

/** A finite double as the core writes it: whole numbers as `str(int(x))`, others as `repr(x)`. */
function formatNumber(number) {
  if (Number.isInteger(number)) return BigInt(number).toString(); // -0 -> "0", 1e21 in full
  return pythonFloatRepr(number);
}

// Python repr(float): the same shortest round-trip digits as JavaScript's String(x), laid out
// with an exponent when the decimal point lies before -4 or after 16 (CPython float_repr_style).
function pythonFloatRepr(number) {
  const [mantissa, exponent = "0"] = String(Math.abs(number)).split("e");
  const [whole, fraction = ""] = mantissa.split(".");
  let digits = whole + fraction;
  let pointPosition = whole.length + Number(exponent);
  const leadingZeros = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(leadingZeros).replace(/0+$/, "");
  pointPosition -= leadingZeros;
  const sign = number < 0 ? "-" : "";
  if (pointPosition <= -4 || pointPosition > 16) {
    const power = pointPosition - 1;
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : "";
    return `${sign}${digits[0]}${rest}e${power < 0 ? "-" : "+"}${String(Math.abs(power)).padStart(2, "0")}`;
  }
  if (pointPosition <= 0) return `${sign}0.${"0".repeat(-pointPosition)}${digits}`;
  if (pointPosition >= digits.length) return `${sign}${digits}${"0".repeat(pointPosition - digits.length)}.0`;
  return `${sign}${digits.slice(0, pointPosition)}.${digits.slice(pointPosition)}`;
}

/** Text of a JSON scalar as it enters the pre-hash string (before canonicalisation). */
export function formatJsonScalar(value, field) {
  if (typeof value === "string") return value;
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new EventHashError("number is not finite", field);
    return formatNumber(value);
  }
  throw new EventHashError(`expected a string, number or boolean, got ${jsonType(value)}`, field);
}

const ASCII_DIGIT = /^[0-9]$/;
const allDigits = (text, positions) => positions.every((position) => ASCII_DIGIT.test(text[position]));
const MAX_OFFSET_MINUTES = 14 * 60; // XML Schema: offsets lie within ±14:00
const DAY_MS = 86_400_000;
// Python's datetime range, 0001-01-01 .. 9999-12-31, in days since 1970-01-01.
const FIRST_DAY = daysFromCivil(1, 1, 1);
const LAST_DAY = daysFromCivil(9999, 12, 31);

/**
 * `YYYY-MM-DDThh:mm:ss.sssZ` in UTC for an xsd:dateTimeStamp (CBV 2.0 §8.9.2): offset applied,
 * exactly three fractional digits, a fourth digit of 5-9 rounding the third up (with carries).
 */
export function canonicalTimestamp(text, field) {
  const bad = (why) => new EventHashError(
    `${JSON.stringify(text)} is not an xsd:dateTimeStamp (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm))${why}`,
    field);
  const { fields, fraction, offsetMinutes } = parseTimestamp(text, bad);
  const [year, month, day, hour, minute, second] = fields;
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)
      || hour > 23 || minute > 59 || second > 59) {
    throw bad("");
  }
  const localMs = daysFromCivil(year, month, day) * DAY_MS + ((hour * 60 + minute) * 60 + second) * 1000;
  const utcMs = localMs - offsetMinutes * 60_000;
  let millis = Number(fraction.slice(0, 3).padEnd(3, "0"));
  if (fraction.length > 3 && fraction[3] >= "5") millis += 1;
  const instantMs = utcMs + millis;
  if (utcMs < FIRST_DAY * DAY_MS || instantMs >= (LAST_DAY + 1) * DAY_MS) {
    throw bad(": in UTC it falls outside the years 0001..9999");
  }
  return formatUtc(instantMs);
}

// Fixed layout YYYY-MM-DDThh:mm:ss[.f+](Z|±hh:mm), checked by position as the core does.
function parseTimestamp(text, bad) {
  if (text.length < 20 || text[4] !== "-" || text[7] !== "-" || text[10] !== "T"
      || text[13] !== ":" || text[16] !== ":"
      || !allDigits(text, [0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18])) {
    throw bad("");
  }
  let position = 19;
  let fraction = "";
  if (text[position] === ".") {
    let end = position + 1;
    while (end < text.length && ASCII_DIGIT.test(text[end])) end += 1;
    fraction = text.slice(position + 1, end);
    if (!fraction) throw bad("");
    position = end;
  }
  const zone = text.slice(position);
  let offsetMinutes = 0;
  if (zone !== "Z") {
    offsetMinutes = parseOffsetMinutes(zone);
    if (offsetMinutes === null) throw bad("");
  }
  const number = (start, end) => Number(text.slice(start, end));
  const fields = [number(0, 4), number(5, 7), number(8, 10), number(11, 13), number(14, 16), number(17, 19)];
  return { fields, fraction, offsetMinutes };
}

// ±hh:mm as signed minutes (the core reads hh*60+mm, so "+10:99" is 699), or null.
function parseOffsetMinutes(zone) {
  if (zone.length !== 6 || (zone[0] !== "+" && zone[0] !== "-") || zone[3] !== ":"
      || !allDigits(zone, [1, 2, 4, 5])) {
    return null;
  }
  const minutes = Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6));
  if (minutes > MAX_OFFSET_MINUTES) return null;
  return zone[0] === "-" ? -minutes : minutes;
}

/** Return `text` if it is an EPCIS eventTimeZoneOffset (±hh:mm), else throw. */
export function checkTimeZoneOffset(text) {
  if (parseOffsetMinutes(text) === null) {
    throw new EventHashError(`${JSON.stringify(text)} is not a time zone offset ±hh:mm`,
      "eventTimeZoneOffset");
  }
  return text;
}

const isLeapYear = (year) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const daysInMonth = (year, month) =>
  [31, isLeapYear(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];

// Proleptic Gregorian calendar by integer arithmetic (H. Hinnant's days_from_civil): Date.UTC
// would read the years 0-99 as 1900-1999.
function daysFromCivil(year, month, day) {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yearOfEra = y - era * 400;
  const dayOfYear = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1;
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear;
  return era * 146097 + dayOfEra - 719468;
}

function civilFromDays(days) {
  const shifted = days + 719468;
  const era = Math.floor(shifted / 146097);
  const dayOfEra = shifted - era * 146097;
  const yearOfEra = Math.floor((dayOfEra - Math.floor(dayOfEra / 1460)
    + Math.floor(dayOfEra / 36524) - Math.floor(dayOfEra / 146096)) / 365);
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const monthIndex = Math.floor((5 * dayOfYear + 2) / 153);
  const day = dayOfYear - Math.floor((153 * monthIndex + 2) / 5) + 1;
  const month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9;
  return [yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day];
}

function formatUtc(instantMs) {
  const days = Math.floor(instantMs / DAY_MS);
  const [year, month, day] = civilFromDays(days);
  let rest = instantMs - days * DAY_MS;
  const pad = (value, width = 2) => String(value).padStart(width, "0");
  const millis = rest % 1000;
  rest = (rest - millis) / 1000;
  const [hour, minute, second] = [Math.floor(rest / 3600), Math.floor(rest / 60) % 60, rest % 60];
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}:${pad(second)}.${pad(millis, 3)}Z`;
}
