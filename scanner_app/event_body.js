// Reading one EPCIS 2.0 event body as the Python side reads it (audit/epcis_view.py,
// provenance ingest's CBV short words, consumer/sources._readings_of): the objects it names
// with their roles, its place, TraceLedger extension members and sensor readings. Pure.

import { formatTimeMs, sensorTimeUtc } from "./epcis_time.js";
import { identify } from "./identifier_keys.js";

export const SENSOR_MAX_READINGS = 2_000; // as consumer/sources.SENSOR_MAX_READINGS: the chart needs no more
export const TL_NAMESPACE = "https://traceledger.dev/ns/";
export const LOT_NUMBER_KEYS = ["cbvmda:lotNumber", "lotNumber", "https://ref.gs1.org/cbv/cbvmda#lotNumber"];

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

// --- reading one event body (audit/epcis_view.py) ------------------------------------------------

export const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
export const asList = (value) => (Array.isArray(value) ? value : []);
export const idOf = (value) => (isObject(value) && typeof value.id === "string" ? value.id : null);
export const isNumber = (value) => typeof value === "number" && Number.isFinite(value);

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
export function extension(body, name, inIlmd = false) {
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
