// What a record is, recomputed from its body: the hash ID the log entry must commit to,
// and the summary columns the platform's lookup claims for it. Events are named by their
// CBV 2.0 Event Hash ID (event_hash.js); master-data records by SHA-256 of their RFC 8785
// canonical JSON (anchoring/core/master_data.py). Both: step `event-hash`.

import { eventHashId } from "./event_hash.js";
import { canonicalJson } from "./jcs.js";
import { hexBytes, sha256, toHex, utf8 } from "./bytes.js";
import { formatTimeMs, parseTimeMs } from "./epcis_time.js";
import { cbvWord, locationOf } from "./event_body.js";
import { identifierKey } from "./identifier_keys.js";

export const MASTER_DATA_FORMAT = "traceledger.masterdata/v1";
const MASTER_DATA_KINDS = ["product"];
const MASTER_DATA_MEMBERS = ["companyPrefix", "format", "issuedAt", "kind", "previous", "product", "subject", "version"];
const EVENT_HASH_ID = /^ni:\/\/\/sha-256;([0-9a-f]{64})\?ver=CBV2\.0$/; // CBV 2.0 §8.9.1
const GTIN_SUBJECT = /^https:\/\/id\.gs1\.org\/01\/([0-9]{14})$/;

/** The body does not name a record; the message says why. */
export class RecordError extends Error {
  constructor(message, reason = null) {
    super(message);
    this.name = "RecordError";
    this.reason = reason; // verify.js REASONS
  }
}

function fail(message, reason = null) {
  throw new RecordError(message, reason);
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
    fail(`cannot compute the Event Hash ID: ${error.message}`, "body-mismatch");
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
    fail(`unknown master-data version: format ${JSON.stringify(document.format)}, kind ${JSON.stringify(document.kind)}`, "unknown-master-data-version");
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

const SUMMARY_COLUMNS = ["time", "eventType", "bizStep", "location"];

/** What the signed body says for each summary column, in the form the API writes it. */
function signedColumns(event) {
  const instant = typeof event.eventTime === "string" ? parseTimeMs(event.eventTime, { bareIsUtc: true }) : null;
  const place = locationOf(event);
  return {
    time: instant === null ? null : formatTimeMs(instant),
    eventType: typeof event.type === "string" ? event.type : null,
    bizStep: cbvWord(event.bizStep),
    location: place === null ? null : identifierKey(place),
    rawLocation: place,
  };
}

/**
 * The columns of the platform's `summary` of an event (a lookup `timeline[i]`: time,
 * eventType, bizStep, location {id}) that differ from what the signed `event` says:
 * [{field, claimed, signed}]. Only columns the summary carries are compared. Times are
 * compared as records/columns.format_time_ms writes them, steps as bare CBV words, places as
 * identifier keys (the API keys them; the raw id is accepted too).
 */
export function summaryMismatches(summary, event) {
  if (!isObject(summary) || !isObject(event)) return [];
  const signed = signedColumns(event);
  const mismatches = [];
  for (const field of SUMMARY_COLUMNS.filter((name) => name in summary)) {
    let claimed = summary[field] ?? null;
    if (field === "location" && isObject(claimed)) claimed = claimed.id ?? null;
    const same = field === "bizStep" ? cbvWord(claimed) === signed.bizStep
      : field === "location" ? claimed === signed.location || (claimed !== null && claimed === signed.rawLocation)
        : claimed === signed[field];
    if (!same) mismatches.push({ field, claimed, signed: signed[field] });
  }
  return mismatches;
}

/** The first mismatch as the event-hash step says it, or null. */
export function summaryMismatch(summary, event) {
  const [first] = summaryMismatches(summary, event);
  return first ? `the platform's summary says ${first.field} ${JSON.stringify(first.claimed)}, the signed event says ${JSON.stringify(first.signed)}` : null;
}
