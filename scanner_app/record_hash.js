// What a record is, recomputed from its body: the hash ID the log entry must commit to,
// and the summary columns the platform's lookup claims for it. Events are named by their
// CBV 2.0 Event Hash ID (event_hash.js); master-data records by SHA-256 of their RFC 8785
// canonical JSON (anchoring/core/master_data.py). Both: step `event-hash`.

import { eventHashId } from "./event_hash.js";
import { canonicalJson } from "./jcs.js";
import { hexBytes, sha256, toHex, utf8 } from "./bytes.js";

export const MASTER_DATA_FORMAT = "traceledger.masterdata/v1";
const MASTER_DATA_KINDS = ["product"];
const MASTER_DATA_MEMBERS = ["companyPrefix", "format", "issuedAt", "kind", "previous", "product", "subject", "version"];
const EVENT_HASH_ID = /^ni:\/\/\/sha-256;([0-9a-f]{64})\?ver=CBV2\.0$/; // CBV 2.0 §8.9.1
const GTIN_SUBJECT = /^https:\/\/id\.gs1\.org\/01\/([0-9]{14})$/;

/** The body does not name a record; the message says why. */
export class RecordError extends Error {
  constructor(message) {
    super(message);
    this.name = "RecordError";
  }
}

function fail(message) {
  throw new RecordError(message);
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

/**
 * {hashId, digest} of a record of `kind` ("event" | "masterData") recomputed from `body`
 * (digest: the 32 bytes the log entry commits to). Throws RecordError if it cannot be.
 */
export async function recordHash(kind, body) {
  if (kind === "event") return eventRecordHash(body);
  if (kind === "masterData") return masterDataHash(body);
  fail(`unknown record kind ${JSON.stringify(kind)}`);
}

async function eventRecordHash(event) {
  if (!isObject(event)) fail("the event is not a JSON object");
  let hashId;
  try {
    hashId = await eventHashId(event); // a stored event carries its own @context
  } catch (error) {
    fail(`cannot compute the Event Hash ID: ${error.message}`);
  }
  const match = EVENT_HASH_ID.exec(hashId);
  if (!match) fail(`the Event Hash ID ${JSON.stringify(hashId)} is not canonical`);
  return { hashId, digest: hexBytes("0x" + match[1], 32) };
}

async function masterDataHash(document) {
  checkMasterData(document);
  let text;
  try {
    text = canonicalJson(document);
  } catch (error) {
    fail(`the record is not canonical JSON: ${error.message}`);
  }
  const digest = await sha256(utf8(text));
  return { hashId: `ni:///sha-256;${toHex(digest).slice(2)}?format=${MASTER_DATA_FORMAT}`, digest };
}

/** The version, kind and the members the page relies on (the signer holds the rest). */
function checkMasterData(document) {
  if (!isObject(document)) fail("a master-data record is a JSON object");
  if (document.format !== MASTER_DATA_FORMAT || !MASTER_DATA_KINDS.includes(document.kind)) {
    fail(`unknown master-data version: format ${JSON.stringify(document.format)}, kind ${JSON.stringify(document.kind)}`);
  }
  const members = Object.keys(document).sort();
  if (members.join() !== MASTER_DATA_MEMBERS.join()) fail(`master-data members differ from ${MASTER_DATA_FORMAT}`);
  if (!GTIN_SUBJECT.test(document.subject)) fail("master-data subject is not https://id.gs1.org/01/<GTIN-14>");
  if (typeof document.companyPrefix !== "string" || !/^[0-9]{4,12}$/.test(document.companyPrefix)) {
    fail("master-data companyPrefix is not 4 to 12 digits");
  }
  if (!Number.isSafeInteger(document.version) || document.version < 1) fail("master-data version is not a positive integer");
  if (!isObject(document.product)) fail("master-data product is not an object");
}

/** The GTIN-14 a master-data record is about (its subject was checked by recordHash). */
export function masterDataGtin(document) {
  return GTIN_SUBJECT.exec(document.subject)[1];
}

// --- the platform's summary of an event -------------------------------------------------

// CBV 2.0 §6 / EPCIS 2.0 JSON: a standard value may be a bare word, a `cbv:` compact IRI,
// the GS1 web URI or the EPCIS 1.x URN (trace_api/records/columns.py canonical_cbv).
const BIZ_STEP_FORMS = ["cbv:BizStep-", "https://ref.gs1.org/cbv/BizStep-", "https://gs1.org/voc/BizStep-", "urn:epcglobal:cbv:bizstep:"];
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(Z|[+-]\d{2}:\d{2})$/i;

function bareBizStep(value) {
  if (typeof value !== "string") return value ?? null;
  const form = BIZ_STEP_FORMS.find((prefix) => value.startsWith(prefix));
  return form ? value.slice(form.length) : value;
}

/** Milliseconds since the epoch of an RFC 3339 time with offset (sub-ms floored); null if not one. */
export function timeMs(text) {
  const match = typeof text === "string" ? RFC3339.exec(text) : null;
  if (!match) return null;
  const [, year, month, day, hour, minute, second, fraction = "", zone] = match;
  const local = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second, +(fraction + "00").slice(0, 3));
  if (zone.toUpperCase() === "Z") return local;
  const sign = zone[0] === "-" ? -1 : 1;
  return local - sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
}

function locationOf(event) {
  for (const member of ["bizLocation", "readPoint"]) {
    if (isObject(event[member]) && typeof event[member].id === "string") return event[member].id;
  }
  return null;
}

/**
 * Why the platform's `summary` ({time, eventType, bizStep, location}) of an event differs
 * from what the signed `event` says, or null if every column it gives agrees. Columns
 * are compared as values (instants, bare CBV words), not spellings.
 */
export function summaryMismatch(summary, event) {
  if (!isObject(summary)) return null;
  const columns = [
    ["time", summary.time, event.eventTime, (a, b) => timeMs(a) !== null && timeMs(a) === timeMs(b)],
    ["eventType", summary.eventType, event.type, (a, b) => a === b],
    ["bizStep", summary.bizStep, event.bizStep, (a, b) => bareBizStep(a) === bareBizStep(b)],
    ["location", isObject(summary.location) ? summary.location.id : summary.location, locationOf(event), (a, b) => (a ?? null) === b],
  ];
  for (const [name, said, signed, same] of columns) {
    if (!(name in summary)) continue;
    if (!same(said, signed)) {
      return `the platform's summary says ${name} ${JSON.stringify(said ?? null)}, the signed event says ${JSON.stringify(signed ?? null)}`;
    }
  }
  return null;
}
