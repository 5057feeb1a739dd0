// What the scan page shows, built from verified inputs only (issue 15: everything shown comes
// from event bodies whose hash the page recomputed, or from verified master data).
//
// Pure: no DOM, no network; the page and Node (tests/scanner_app/test_view_model_js.py) run
// the same code. `buildView` takes the records verify.js checked (each with its body, status,
// submitter and enterprise id), the verified product master data, the enterprise records
// verified against MemberRegistry, the on-chain recall and the platform's unverifiable extras,
// and returns a plain object. Anything not derived from a verified input is absent or carries
// `verified: false` (and `source`), never mixed silently with what is.
//
// Small parts of the Python side are ported here and held to it by differential tests:
// time parsing/formatting (trace_api/records/columns), identifier keys and GLNs (gs1/keys),
// sensor readings (trace_api/consumer/sources._readings_of) and the equipment life cycle
// (trace_api/audit/equipment_life_cycle, epcis_view, config defaults).

import {
  CANONICAL_STEM, DigitalLinkError, escapePathComponent, gtinKey, identify as identifyDigitalLink,
  parseDigitalLink, unescapePathComponent,
} from "./digital_link.js";

export const SENSOR_MAX_READINGS = 2_000; // as consumer/sources.SENSOR_MAX_READINGS: the chart needs no more
export const LINK_MAX_ROUNDS = 16; // the server traces 10 hops (TIMELINE_DEPTH); a fixpoint rarely needs half
export const LINK_MAX_KEYS = 2_000; // as TIMELINE_MAX_NODES: a page needs the chain, not every sibling
export const TL_NAMESPACE = "https://traceledger.dev/ns/";
const DAY_MS = 86_400_000;
const STEM = CANONICAL_STEM;

// --- time (trace_api/records/columns.py) --------------------------------------------------

const DATE_EXTENDED = /^(\d{4})-(\d{2})-(\d{2})/;
const DATE_BASIC = /^(\d{4})(\d{2})(\d{2})/;
const TZ = "(Z|[+-]\\d{2}(?::\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?)?|[+-]\\d{2}(?:\\d{2}(?:\\d{2}(?:[.,]\\d+)?)?)?)?";
const TIME_EXTENDED = new RegExp(`^(\\d{2})(?::(\\d{2})(?::(\\d{2})(?:[.,](\\d+))?)?)?${TZ}$`);
const TIME_BASIC = new RegExp(`^(\\d{2})(?:(\\d{2})(?:(\\d{2})(?:[.,](\\d+))?)?)?${TZ}$`);

function daysInMonth(year, month) {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1];
}

function isLeap(year) {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function micros(fraction) {
  return fraction ? BigInt((fraction + "00000").slice(0, 6)) : 0n; // digits past 6 are cut, as CPython
}

/** Days from 1970-01-01 to a proleptic Gregorian date (any year 1..9999). */
function epochDays(year, month, day) {
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

const pad = (value, width = 2) => String(value).padStart(width, "0");

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
function auditTimeMs(value) {
  return typeof value === "string" ? parseTimeMs(value.replaceAll("z", "Z"), { bareIsUtc: true }) : null;
}

// --- CBV words ------------------------------------------------------------------------------

const VOCABULARY_PREFIXES = [
  "urn:epcglobal:cbv:bizstep:", "https://ref.gs1.org/cbv/BizStep-", "https://gs1.org/voc/BizStep-", "cbv:BizStep-",
  "urn:epcglobal:cbv:disp:", "https://ref.gs1.org/cbv/Disp-", "https://gs1.org/voc/Disp-", "cbv:Disp-",
  "urn:epcglobal:cbv:btt:", "https://ref.gs1.org/cbv/BTT-", "cbv:BTT-",
  "urn:epcglobal:cbv:sdt:", "https://ref.gs1.org/cbv/SDT-", "cbv:SDT-",
];

/** `shipping` for any CBV spelling of it (provenance.ingest.short_vocabulary); other text kept. */
export function cbvWord(value) {
  if (typeof value !== "string") return null;
  const prefix = VOCABULARY_PREFIXES.find((p) => value.startsWith(p));
  return prefix ? value.slice(prefix.length) : value;
}

// --- identifiers (gs1/keys.py: EPC URIs here, Digital Links in digital_link.js) ---------------

const TRANSFORMATION_PREFIX = "urn:traceledger:transformation:";
const LOT_NUMBER_KEYS = ["cbvmda:lotNumber", "lotNumber", "https://ref.gs1.org/cbv/cbvmda#lotNumber"];

/** GS1 mod-10 check digit of the digits before it. */
function checkDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

/** identify() of a Digital Link (digital_link.js validates it as gs1.digital_link does), or null. */
function identifyLink(uri) {
  try {
    const { key, kind, lotKey } = identifyDigitalLink(uri);
    return { key, kind, lotKey };
  } catch (error) {
    if (error instanceof DigitalLinkError) return null;
    throw error;
  }
}

/** The key of AI pairs as a canonical link, each value checked by the Digital Link parser. */
function identifyPairs(pairs) {
  if (!pairs.every(([, value]) => value)) return null;
  return identifyLink(STEM + pairs.map(([ai, value]) => `/${ai}/${escapePathComponent(value)}`).join(""));
}

function gs1Digits(prefix, reference, total, indicatorFirst) {
  if (!/^[0-9]+$/.test(prefix) || !/^[0-9]+$/.test(reference)) return null;
  if (prefix.length < 6 || prefix.length > 12 || prefix.length + reference.length !== total) return null;
  const body = indicatorFirst ? reference[0] + prefix + reference.slice(1) : prefix + reference;
  return body + checkDigit(body);
}

const urnValue = (escaped) => (escaped.includes("%") ? unescapePathComponent(escaped) : escaped); // TDS 2.1 §6.3

/** gs1.keys._from_epc_urn: the schemes that name trade items, logistic units, places, assets. */
function identifierOfEpcUrn(uri) {
  const match = /^urn:epc:(id|class|idpat):([a-z]+):(.+)$/.exec(uri);
  if (!match) return null;
  const [, family, scheme, body] = match;
  const parts = body.split(".");
  const gtin = () => gs1Digits(parts[0], parts[1], 13, true);
  if (family === "id" && scheme === "sgtin" && parts.length === 3) return identifyPairs([["01", gtin()], ["21", urnValue(parts[2])]]);
  if (family === "class" && scheme === "lgtin" && parts.length === 3) return identifyPairs([["01", gtin()], ["10", urnValue(parts[2])]]);
  if (family === "idpat" && scheme === "sgtin" && parts.length === 3 && parts[2] === "*") return identifyPairs([["01", gtin()]]);
  if (family === "id" && scheme === "sscc" && parts.length === 2) return identifyPairs([["00", gs1Digits(parts[0], parts[1], 17, true)]]);
  if (family === "id" && scheme === "sgln" && parts.length === 3) {
    const extension = parts[2] === "0" || parts[2] === "" ? [] : [["254", urnValue(parts[2])]];
    return identifyPairs([["414", gs1Digits(parts[0], parts[1], 12, false)], ...extension]);
  }
  if (family === "id" && scheme === "pgln" && parts.length === 2) return identifyPairs([["417", gs1Digits(parts[0], parts[1], 12, false)]]);
  if (family === "id" && scheme === "grai" && parts.length === 3) {
    const grai = gs1Digits(parts[0], parts[1], 12, false);
    return identifyPairs([["8003", grai && urnValue("0" + grai + parts[2])]]);
  }
  if (family === "id" && scheme === "giai" && parts.length === 2) {
    return /^[0-9]{6,12}$/.test(parts[0]) ? identifyPairs([["8004", urnValue(parts[0] + parts[1])]]) : null;
  }
  // Other shapes (a serial or lot with dots): the event hash's URN converter, then the link.
  const converted = digitalLinkFromEpcUrn(uri);
  return converted && identifyLink(converted);
}

// EPC TDS 2.0 §6 URN -> Digital Link (anchoring/core/event_hash/digital_link.py), for the
// schemes above; other schemes (GDTI, GSRN, CPI, ...) stay opaque keys here, which only means
// the page links them by their exact text.
const URN_CHAR = "(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_-])";
const CP = "(\\d{6,12})";
const urnEncode = (text) => text.replace(/[!()*+,:]/g, (char) => "%" + char.charCodeAt(0).toString(16).toUpperCase());
const urnUnits = (text) => text.length - 2 * (text.split("%").length - 1);
const gtinOf = (prefix, reference) => withCheck(reference[0] + prefix + reference.slice(1));
const withCheck = (body) => body + checkDigit(body);
const URN_RULES = {
  "urn:epc:id:sgtin:": [`${CP}\\.(\\d+)\\.(${URN_CHAR}{1,20})`, (m) => (m[1].length + m[2].length === 13 ? `/01/${gtinOf(m[1], m[2])}/21/${urnEncode(m[3])}` : null)],
  "urn:epc:id:sscc:": [`${CP}\\.(\\d+)`, (m) => (m[1].length + m[2].length === 17 ? `/00/${withCheck(m[2][0] + m[1] + m[2].slice(1))}` : null)],
  "urn:epc:id:sgln:": [`${CP}\\.(\\d*)\\.(${URN_CHAR}{1,20})`, (m) => (m[1].length + m[2].length === 12
    ? `/414/${withCheck(m[1] + m[2])}${m[3] === "0" ? "" : "/254/" + urnEncode(m[3])}` : null)],
  "urn:epc:id:grai:": [`${CP}\\.(\\d*)\\.(${URN_CHAR}{1,16})`, (m) => (m[1].length + m[2].length === 12 ? `/8003/${withCheck("0" + m[1] + m[2])}${urnEncode(m[3])}` : null)],
  "urn:epc:id:giai:": [`${CP}\\.(${URN_CHAR}+)`, (m) => (m[1].length + urnUnits(m[2]) <= 30 ? `/8004/${m[1]}${urnEncode(m[2])}` : null)],
  "urn:epc:id:pgln:": [`${CP}\\.(\\d*)`, (m) => (m[1].length + m[2].length === 12 ? `/417/${withCheck(m[1] + m[2])}` : null)],
  "urn:epc:class:lgtin:": [`${CP}\\.(\\d+)\\.(${URN_CHAR}{1,20})`, (m) => (m[1].length + m[2].length === 13 ? `/01/${gtinOf(m[1], m[2])}/10/${urnEncode(m[3])}` : null)],
  "urn:epc:idpat:sgtin:": [`${CP}\\.(\\d+)\\.\\*`, (m) => (m[1].length + m[2].length === 13 ? `/01/${gtinOf(m[1], m[2])}` : null)],
};

function digitalLinkFromEpcUrn(urn) {
  const schemeEnd = urn.indexOf(":", urn.indexOf(":", 8) + 1) + 1;
  const rule = URN_RULES[urn.slice(0, schemeEnd)];
  const match = rule && new RegExp(`^${rule[0]}$`).exec(urn.slice(schemeEnd));
  const path = match && rule[1](match);
  return path ? STEM + path : null;
}

/**
 * {key, kind, lotKey} of an EPC URI, EPC class URI or Digital Link (gs1.keys.identify): the
 * canonical id.gs1.org Digital Link; anything not read here is its own opaque key (lenient).
 */
export function identify(uri) {
  let known = identified.get(uri);
  if (known === undefined) {
    if (identified.size >= IDENTIFIED_MAX) identified.clear(); // bounded, as gs1.keys.identify's cache
    known = Object.freeze(identifyUncached(uri));
    identified.set(uri, known);
  }
  return known;
}

const IDENTIFIED_MAX = 1 << 14; // a page names a few hundred identifiers; re-renders reuse them
const identified = new Map();

function identifyUncached(uri) {
  const opaque = (key) => ({ key, kind: "other", lotKey: null });
  const text = typeof uri === "string" ? uri.trim() : "";
  if (!text) return opaque(uri);
  if (text.startsWith("urn:epc:")) return identifierOfEpcUrn(text) || opaque(uri);
  if (/^https?:\/\//.test(text)) return identifyLink(text) || (looksLikeDigitalLink(text) ? opaque(uri) : opaque(text));
  if (text.startsWith(TRANSFORMATION_PREFIX)) return { key: text, kind: "transformation", lotKey: null };
  return /^[a-zA-Z][a-zA-Z0-9+.-]*:\S+$/.test(text) ? opaque(text) : opaque(uri);
}

function looksLikeDigitalLink(uri) {
  const path = uri.split("://")[1].split("?")[0].split("#")[0];
  const segments = path.split("/").slice(1);
  return segments.slice(0, -1).some((s) => ["01", "00", "8004", "8003", "414", "417"].includes(s));
}

export const identifierKey = (uri) => identify(uri).key;

/** The GLN of a location or party key (gs1.keys.gln_of), else null. */
export function glnOf(key) {
  if (typeof key !== "string") return null;
  for (const prefix of [`${STEM}/414/`, `${STEM}/417/`]) {
    if (key.startsWith(prefix)) {
      const gln = key.slice(prefix.length, prefix.length + 13);
      return /^[0-9]{13}$/.test(gln) ? gln : null;
    }
  }
  return null;
}

const gtinKeyOf = (key) => (typeof key === "string" ? gtinKey(key) : null);

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

// --- reading one event body (audit/epcis_view.py) ------------------------------------------------

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const asList = (value) => (Array.isArray(value) ? value : []);
const idOf = (value) => (isObject(value) && typeof value.id === "string" ? value.id : null);
const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

function refsOf(epcs, quantities, role) {
  const refs = asList(epcs).filter((epc) => typeof epc === "string").map((epc) => ({ ...identify(epc), uri: epc, role }));
  for (const element of asList(quantities)) {
    if (!isObject(element) || typeof element.epcClass !== "string") continue;
    refs.push({ ...identify(element.epcClass), uri: element.epcClass, role, isClass: true,
      quantity: isNumber(element.quantity) ? element.quantity : null, uom: typeof element.uom === "string" ? element.uom : null });
  }
  return refs;
}

/** Every object an event names with its role: object, parent, child, input, output (EPCIS 2.0 §7.4). */
export function objectsOf(body) {
  const refs = typeof body.parentID === "string" ? [{ ...identify(body.parentID), uri: body.parentID, role: "parent" }] : [];
  if (body.type === "TransformationEvent") {
    return [...refs, ...refsOf(body.inputEPCList, body.inputQuantityList, "input"),
      ...refsOf(body.outputEPCList, body.outputQuantityList, "output")];
  }
  if (body.type === "AggregationEvent" || body.type === "AssociationEvent") {
    return [...refs, ...refsOf(body.childEPCs, body.childQuantityList, "child")];
  }
  return [...refs, ...refsOf(body.epcList, body.quantityList, "object")];
}

function tlPrefixes(context) {
  const prefixes = ["tl:"];
  for (const item of Array.isArray(context) ? context : [context]) {
    if (!isObject(item)) continue;
    for (const [prefix, namespace] of Object.entries(item)) if (namespace === TL_NAMESPACE && prefix !== "tl") prefixes.push(prefix + ":");
  }
  return prefixes;
}

/** A TraceLedger extension member (`tl:name`, any prefix the context maps to the namespace). */
function extension(body, name, inIlmd = false) {
  const container = inIlmd ? (isObject(body.ilmd) ? body.ilmd : {}) : body;
  for (const candidate of [...tlPrefixes(body["@context"]).map((p) => p + name), TL_NAMESPACE + name]) {
    if (Object.hasOwn(container, candidate)) return container[candidate];
  }
  return undefined;
}

/** The event's place: bizLocation, else readPoint (as the timeline's location column). */
export function locationOf(body) {
  return idOf(body.bizLocation) || idOf(body.readPoint);
}

// --- summary columns against the signed body (event-hash step) -------------------------------------

/**
 * The API timeline columns that differ from what the body says: [{field, claimed, signed}].
 * `summary` is a lookup `timeline[i]` ({time, eventType, bizStep, location: {id}}); times are
 * compared as records/columns.format_time_ms writes them, steps as bare CBV words, locations
 * as identifier keys (the API keys them; the raw id is accepted too).
 */
export function summaryMismatches(summary, body) {
  const mismatches = [];
  const timeMs = parseTimeMs(body.eventTime, { bareIsUtc: true });
  const signedTime = timeMs === null ? null : formatTimeMs(timeMs);
  if ((summary.time ?? null) !== signedTime) mismatches.push({ field: "time", claimed: summary.time ?? null, signed: signedTime });
  const signedType = typeof body.type === "string" ? body.type : null;
  if ((summary.eventType ?? null) !== signedType) mismatches.push({ field: "eventType", claimed: summary.eventType ?? null, signed: signedType });
  const claimedStep = cbvWord(summary.bizStep);
  const signedStep = cbvWord(body.bizStep);
  if (claimedStep !== signedStep) mismatches.push({ field: "bizStep", claimed: summary.bizStep ?? null, signed: signedStep });
  const claimedPlace = (summary.location && summary.location.id) ?? null;
  const rawPlace = locationOf(body);
  const signedPlace = rawPlace === null ? null : identifierKey(rawPlace);
  if (claimedPlace !== signedPlace && !(claimedPlace !== null && claimedPlace === rawPlace)) {
    mismatches.push({ field: "location", claimed: claimedPlace, signed: signedPlace });
  }
  return mismatches;
}

// --- sensor readings (consumer/sources._readings_of) -------------------------------------------------

function measurement(type) {
  for (const separator of [":", "/", "#"]) type = type.slice(type.lastIndexOf(separator) + 1);
  return type;
}

function pythonTruthy(value) {
  if (Array.isArray(value)) return value.length > 0;
  if (isObject(value)) return Object.keys(value).length > 0;
  return Boolean(value);
}

/** Numeric readings of one body: [{time, type, value, uom}]; `eventTime` is the UTC fallback. */
export function readingsOf(body, eventTime) {
  const readings = [];
  for (const element of asList(body.sensorElementList)) {
    if (!isObject(element)) continue;
    const metadata = isObject(element.sensorMetadata) ? element.sensorMetadata : {};
    for (const report of asList(element.sensorReport)) {
      if (!isObject(report) || !isNumber(report.value) || typeof report.type !== "string") continue;
      const time = [report.time, metadata.time].find(pythonTruthy) || eventTime;
      readings.push({ time: sensorTimeUtc(String(time)), type: measurement(report.type), value: report.value, uom: report.uom ?? null });
    }
  }
  return readings;
}

/** Readings of many bodies, oldest first (stable), at most SENSOR_MAX_READINGS. */
export function sensorReadings(events) {
  const readings = [];
  for (const { body, eventHashId, timeMs } of events) {
    for (const reading of readingsOf(body, formatTimeMs(timeMs ?? 0))) readings.push({ ...reading, eventHashId });
  }
  readings.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
  return { readings: readings.slice(0, SENSOR_MAX_READINGS), truncated: readings.length > SENSOR_MAX_READINGS };
}

// --- equipment (audit/equipment_life_cycle.py, audit/config.py defaults) -------------------------------

export const DEFAULT_EQUIPMENT_PERIODS = Object.freeze({
  lift: { inspectionMonths: 12, maintenanceDays: 15 },
  escalator: { inspectionMonths: 12, maintenanceDays: 15 },
  boiler: { inspectionMonths: 12, maintenanceDays: null },
  pressure_vessel: { inspectionMonths: 36, maintenanceDays: null },
  gas_cylinder: { inspectionMonths: 36, maintenanceDays: null },
  crane: { inspectionMonths: 24, maintenanceDays: null },
});
export const DEFAULT_COLD_CHAIN_CLASSES = Object.freeze({
  chilled: { min: 0.0, max: 5.0 }, frozen: { min: null, max: -18.0 }, deep_frozen: { min: null, max: -25.0 }, ambient: { min: null, max: null },
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

// --- which events are about the scanned code --------------------------------------------------------

function lotNumberOf(body) {
  if (!isObject(body.ilmd)) return null;
  const key = LOT_NUMBER_KEYS.find((name) => typeof body.ilmd[name] === "string");
  return key ? body.ilmd[key] : null;
}

/**
 * Keys connected to `start` ({key: "full"|"up"}) through `events` ([{body, refs}]), walked as
 * provenance/graph.py walks backward: an event naming a key as child (or as an object next to a
 * parentID) adds its parent, reached going up; a parent reached "full" adds its children; an
 * output adds the transformation's inputs (lineage, "full"); an item commissioned with an ILMD
 * lot adds that lot; a GTIN reached "full" covers its lots and items. Nothing is added from an input (that is the way forward) or from other
 * objects of one ObjectEvent (siblings), so a pallet-mate's history stays out.
 * Returns {modes: Map key -> mode, truncated}.
 */
export function linkedKeys(start, events) {
  const modes = new Map(Object.entries(start).filter(([key]) => key));
  let truncated = false;
  const add = (key, mode) => {
    if (!key || modes.get(key) === "full" || (mode === "up" && modes.has(key))) return false;
    if (!modes.has(key) && modes.size >= LINK_MAX_KEYS) {
      truncated = true;
      return false;
    }
    modes.set(key, mode);
    return true;
  };
  for (let round = 0; round < LINK_MAX_ROUNDS; round += 1) {
    let changed = false;
    for (const { body, refs } of events) {
      // A GTIN reached "full" (a scanned GTIN-only code) covers its lots and items.
      for (const ref of refs) if (!modes.has(ref.key) && modes.get(gtinKeyOf(ref.key)) === "full") changed = add(ref.key, "full") || changed;
      const named = refs.filter((ref) => modes.has(ref.key));
      if (named.length === 0) continue;
      const parents = refs.filter((ref) => ref.role === "parent");
      for (const ref of named) {
        if (ref.role === "child" || ref.role === "object") for (const parent of parents) changed = add(parent.key, "up") || changed;
        if (ref.role === "parent" && modes.get(ref.key) === "full") {
          for (const child of refs.filter((r) => r.role === "child" || r.role === "object")) changed = add(child.key, "full") || changed;
        }
        if (ref.role === "output") for (const input of refs.filter((r) => r.role === "input")) changed = add(input.key, "full") || changed;
        const lot = (ref.role === "object" || ref.role === "output") && ref.kind === "item" ? lotNumberOf(body) : null;
        if (lot !== null) changed = add(identifierKey(`${gtinKeyOf(ref.key)}/10/${escapePathComponent(lot)}`), "up") || changed;
      }
    }
    if (!changed) return { modes, truncated };
  }
  return { modes, truncated: true };
}

/** Is an event about the code? It names a linked key, other than only as an input of a
 * transformation whose outputs are not linked (that is where a linked lot went, not came from),
 * unless the input is one of the scanned code's own keys. */
function isLinked(refs, modes, own) {
  return refs.some((ref) => modes.has(ref.key) && (ref.role !== "input" || own.has(ref.key)));
}

// --- the view -----------------------------------------------------------------------------------------

function scannedIdentifier(uri) {
  let link;
  try {
    link = parseDigitalLink(uri);
  } catch (error) {
    if (error instanceof DigitalLinkError) return null;
    throw error;
  }
  const id = identifyLink(uri);
  if (!id) return null;
  const all = new Map([link.primaryKey, ...link.qualifiers, ...link.attributes]);
  const dateOf = (ai) => (all.has(ai) ? gs1Date(all.get(ai)) : null);
  return {
    ...id, gtinKey: gtinKeyOf(id.key), gtin: all.get("01") ?? null, lot: all.get("10") ?? null, serial: all.get("21") ?? null,
    sscc: all.get("00") ?? null, giai: all.get("8004") ?? null, gln: all.get("414") ?? null,
    productionDate: dateOf("11"), expiry: dateOf("17"), bestBefore: dateOf("15"),
  };
}

const lower = (value) => (typeof value === "string" ? value.toLowerCase() : value);

function verifiedEnterprises(enterprises) {
  const byId = new Map();
  for (const [id, entry] of Object.entries(enterprises || {})) {
    if (entry && entry.verified === true && isObject(entry.record)) byId.set(lower(id), entry.record);
  }
  return byId;
}

function placeOf(body, enterprises) {
  const id = locationOf(body);
  if (id === null) return null;
  const gln = glnOf(identifierKey(id));
  const owner = gln && [...enterprises.values()].find((record) => asList(record.glns).includes(gln));
  return { id, gln, name: owner ? owner.name : null, verified: Boolean(owner) };
}

function partyOf(record, enterprises) {
  const found = enterprises.get(lower(record.enterpriseId));
  return { enterpriseId: record.enterpriseId ?? null, submitter: record.submitter ?? null, name: found ? found.name : null, verified: Boolean(found) };
}

function quantitiesOf(body) {
  const lists = [["quantityList", "object"], ["childQuantityList", "child"], ["inputQuantityList", "input"], ["outputQuantityList", "output"]];
  return lists.flatMap(([member, role]) => asList(body[member]).filter((q) => isObject(q) && typeof q.epcClass === "string")
    .map((q) => ({ role, epcClass: q.epcClass, quantity: isNumber(q.quantity) ? q.quantity : null, uom: typeof q.uom === "string" ? q.uom : null })));
}

function timelineEntry(record, timeMs, enterprises) {
  const { body } = record;
  const offset = typeof body.eventTimeZoneOffset === "string" ? body.eventTimeZoneOffset : null;
  const certifications = body.certificationInfo;
  return {
    eventHashId: record.eventHashId, status: record.status, verified: record.status === "verified",
    time: timeMs === null ? null : formatTimeMs(timeMs), timeMs, timeZoneOffset: offset, localTime: formatLocalTime(timeMs, offset),
    eventType: typeof body.type === "string" ? body.type : null, bizStep: cbvWord(body.bizStep),
    action: typeof body.action === "string" ? body.action : null, disposition: cbvWord(body.disposition),
    place: placeOf(body, enterprises), party: partyOf(record, enterprises), quantities: quantitiesOf(body),
    certificationInfo: (Array.isArray(certifications) ? certifications : [certifications]).filter((c) => typeof c === "string"),
    anchor: record.anchor ?? null,
  };
}

function masterDataDocument(masterData) {
  if (!isObject(masterData)) return { document: null, enterpriseId: null };
  if (isObject(masterData.record)) return { document: masterData.record, enterpriseId: masterData.enterpriseId ?? null };
  return { document: masterData, enterpriseId: masterData.enterpriseId ?? null };
}

function productView(identifier, masterData, owners, production) {
  const { document } = masterDataDocument(masterData);
  const matches = document && document.format === "traceledger.masterdata/v1" && document.kind === "product"
    && identifier && identifier.gtinKey !== null && document.subject === identifier.gtinKey && isObject(document.product);
  const signed = (value) => (value === undefined || value === null ? null : { value, verified: true, source: "masterData" });
  const product = matches ? document.product : {};
  const producer = owners.length ? { enterpriseId: owners[0].enterpriseId, name: owners[0].record.name, verified: true } : null;
  const fromCode = (value) => (value ? { value, verified: false, source: "code" } : null);
  return {
    masterData: !document ? "absent" : matches ? "verified" : "other-product",
    masterDataVersion: matches ? document.version ?? null : null,
    name: signed(product.name), description: signed(product.description), origin: signed(product.origin),
    productClass: signed(product.productClass), certifications: signed(Array.isArray(product.certifications) ? product.certifications : null),
    producer,
    dates: {
      production: production ? { value: production.date, verified: true, source: "event", eventHashId: production.eventHashId }
        : fromCode(identifier && identifier.productionDate),
      expiry: fromCode(identifier && identifier.expiry),
      bestBefore: fromCode(identifier && identifier.bestBefore),
    },
  };
}

function ownersOf(identifier, masterData, enterprises) {
  const { enterpriseId } = masterDataDocument(masterData);
  const digits = identifier && identifier.gtin ? identifier.gtin.slice(1) : null;
  const owners = [];
  for (const [id, record] of enterprises) {
    const holdsPrefix = digits && asList(record.companyPrefixes).some((p) => typeof p === "string" && p && digits.startsWith(p));
    const signer = Boolean(enterpriseId) && lower(enterpriseId) === id;
    if (holdsPrefix || signer) owners[signer ? "unshift" : "push"]({ enterpriseId: id, record });
  }
  return owners; // the master data's signer first: it is the producer shown
}

function thresholdsOf(product, platform) {
  const productClass = product.productClass && product.productClass.value;
  const limits = DEFAULT_COLD_CHAIN_CLASSES[productClass];
  if (limits) {
    return limits.min === null && limits.max === null ? {}
      : { Temperature: { min: limits.min, max: limits.max, uom: "CEL", verified: true, source: "productClass" } };
  }
  const claimed = platform && isObject(platform.thresholds) ? platform.thresholds : {};
  return Object.fromEntries(Object.entries(claimed).map(([type, limit]) => [type, { ...limit, verified: false, source: "platform" }]));
}

/**
 * Everything the scan page shows, from verified inputs (module comment). Inputs:
 * `uri` the scanned Digital Link; `records` [{eventHashId, body, status, submitter,
 * enterpriseId, anchor}] as verify.js returned them; `masterData` the verified product record
 * (document, or {record, enterpriseId}) or null; `enterprises` {enterpriseId: {record,
 * verified}}; `recall` the on-chain recall or null; `platform` {authenticity, thresholds} (never
 * verifiable); `now` ms or Date. Failed records appear as entries without content; records not
 * connected to the code are listed in `notAboutThisCode` and not shown.
 */
export function buildView({ uri, records = [], masterData = null, enterprises = {}, recall = null, platform = null, now = Date.now() }) {
  const nowMs = now instanceof Date ? now.getTime() : Number(now);
  const identifier = scannedIdentifier(uri);
  const verifiedIds = verifiedEnterprises(enterprises);
  const trusted = records.map((record, order) => ({ record, order }))
    .filter(({ record }) => (record.status === "verified" || record.status === "pending") && isObject(record.body))
    .map(({ record, order }) => ({ record, order, body: record.body, refs: objectsOf(record.body), timeMs: parseTimeMs(record.body.eventTime, { bareIsUtc: true }) }));

  const start = identifier ? { [identifier.lotKey || ""]: "up", [identifier.gtinKey || ""]: "up", [identifier.key]: "full" } : {};
  delete start[""];
  const own = new Set(Object.keys(start));
  const { modes, truncated } = linkedKeys(start, trusted);
  const linked = trusted.filter((event) => isLinked(event.refs, modes, own));
  const linkedSet = new Set(linked);
  const counted = linked.filter((event) => event.record.status === "verified");

  const owners = ownersOf(identifier, masterData, verifiedIds);
  const ownerIds = new Set(owners.map((owner) => owner.enterpriseId));
  const commissioning = counted.filter((event) => cbvWord(event.body.bizStep) === "commissioning" && ownerIds.has(lower(event.record.enterpriseId))
    && event.refs.some((ref) => own.has(ref.key) && (ref.role === "object" || ref.role === "output")) && event.timeMs !== null)
    .sort((a, b) => a.timeMs - b.timeMs || a.order - b.order)[0];
  const production = commissioning && {
    eventHashId: commissioning.record.eventHashId,
    date: (formatLocalTime(commissioning.timeMs, commissioning.body.eventTimeZoneOffset) || formatTimeMs(commissioning.timeMs)).slice(0, 10),
  };
  const product = identifier && identifier.gtin ? productView(identifier, masterData, owners, production) : null;

  const entries = [
    ...linked.map((event) => ({ order: event.order, entry: timelineEntry(event.record, event.timeMs, verifiedIds) })),
    ...records.map((record, order) => ({ record, order })).filter(({ record }) => !(record.status === "verified" || record.status === "pending") || !isObject(record.body))
      .map(({ record, order }) => ({ order, entry: { eventHashId: record.eventHashId, status: record.status, verified: false, timeMs: null } })),
  ].sort((a, b) => (a.entry.timeMs ?? Infinity) - (b.entry.timeMs ?? Infinity) || a.order - b.order).map(({ entry }) => entry);

  const sensors = sensorReadings(counted.map((event) => ({ body: event.body, eventHashId: event.record.eventHashId, timeMs: event.timeMs })));

  let equipment = null;
  if (identifier && identifier.kind === "asset") {
    const naming = counted.filter((event) => event.refs.some((ref) => ref.key === identifier.key))
      .map((event) => ({ body: event.body, enterpriseId: event.record.enterpriseId, order: event.order }));
    if (naming.length) {
      const nameOf = (id) => (verifiedIds.get(lower(id)) || {}).name || null;
      equipment = { ...equipmentStatus(lifeCycleOf(identifier.key, naming), { nowMs, nameOf }), verified: true, events: naming.length };
    }
  }

  return {
    uri,
    identifier,
    kind: identifier && identifier.kind === "asset" ? "equipment" : "food",
    product,
    recall: recall ? { ...recall, verified: true, source: "chain" } : null,
    timeline: entries,
    notAboutThisCode: trusted.filter((event) => !linkedSet.has(event)).map((event) => ({ eventHashId: event.record.eventHashId, status: event.record.status })),
    linkage: { keys: [...modes.keys()], truncated },
    sensors: sensors.readings,
    sensorsTruncated: sensors.truncated,
    thresholds: thresholdsOf(product || {}, platform),
    equipment,
    platform: platform && isObject(platform.authenticity) ? { authenticity: { ...platform.authenticity, verified: false, source: "platform" } } : { authenticity: null },
    counts: {
      verified: records.filter((r) => r.status === "verified").length,
      pending: records.filter((r) => r.status === "pending").length,
      failed: records.filter((r) => r.status !== "verified" && r.status !== "pending").length,
      shown: entries.length,
      notAboutThisCode: trusted.length - linked.length,
    },
  };
}
