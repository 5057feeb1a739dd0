/**
 * CBV 2.0 Event Hash ID (GS1 Core Business Vocabulary 2.0 §8.9) for the scan page.
 *
 * A port of the Python core `anchoring/core/event_hash/` (with `anchoring/core/check_digit.py`):
 * for every event the core accepts it writes the byte-identical pre-hash string (CBV 2.0
 * §8.9.2) and so the same `ni:///sha-256;<hex>?ver=CBV2.0` (§8.9.1, §8.9.3); what the core
 * refuses it refuses with an `EventHashError`. The page recomputes each event's ID from the
 * body it shows, so this file follows the core rule for rule — sections below mirror its
 * modules (terms, namespaces, digital_link, canonical_values, prehash, __init__, document).
 *
 * Where Python and JavaScript defaults differ, Python's meaning is implemented here:
 *   - strings sort by code point (Python), not by UTF-16 code unit (Array.prototype.sort);
 *   - `str.strip()` removes Python's whitespace set (U+001C..U+001F and U+0085 too, U+FEFF not);
 *   - `\d` in the core's regular expressions and `float()` accept every decimal digit of
 *     Unicode 14.0 (Python 3.11), e.g. "١٢", so that table is built in;
 *   - numbers are written as the core writes the IEEE 754 double (`repr`, `str(int(...))`);
 *   - dates outside the years 0001..9999 (Python's datetime) are refused.
 *
 * Public: eventHashId, eventHashDigest, preHashString, documentEvents, EventHashError; also
 * formatEventHashId / digestOfEventHashId (the ni URI <-> 32 bytes) and the identifier
 * canonicalisation (canonicalIdentifier, digitalLinkFromEpcUrn, canonicalDigitalLink), so the
 * page has one EPC-to-Digital-Link converter, the one its hashes use.
 *
 * Pure: no DOM, no I/O, no dependencies; SHA-256 is WebCrypto's (`globalThis.crypto.subtle`,
 * in browsers' secure contexts and Node 20). Changing a rule here changes event IDs: keep it in
 * step with the core; tests/scanner_app/test_event_hash_js.py holds the two together.
 *
 * Known limit: JSON.parse makes an integer literal beyond the double range (>= 2^1024) into
 * Infinity, which is refused here; the Python core keeps such an integer's digits as text.
 */

// The public surface, as anchoring/core/event_hash/__init__.py's.
export { EventHashError } from "./event_hash/errors.js";
export { TERMS } from "./event_hash/terms.js";
export { canonicalDigitalLink, canonicalIdentifier, digitalLinkFromEpcUrn } from "./event_hash/digital_link.js";
import { EventHashError } from "./event_hash/errors.js";
import { hasMember, isAbsent, isObject, member } from "./event_hash/python_text.js";
import { DEFAULT_NAMESPACES, namespacesFor } from "./event_hash/namespaces.js";
import { encode } from "./event_hash/digital_link.js";
import { computePrehash } from "./event_hash/prehash.js";

// --- public API (anchoring/core/event_hash/__init__.py) -------------------------------------------

// CBV 2.0 §8.9.1: RFC 6920 "ni" URI of the SHA-256 digest, version-tagged.
export const HASH_ID_PREFIX = "ni:///sha-256;";
export const HASH_ID_SUFFIX = "?ver=CBV2.0";
const HASH_DIGEST_SIZE = 32;

function namespacesOf(event, context) {
  const ownContext = isObject(event) ? member(event, "@context") : undefined;
  if (isAbsent(context) && isAbsent(ownContext)) return DEFAULT_NAMESPACES;
  return namespacesFor([context, ownContext]); // the event's own @context applies last
}

function ignoredNames(names, namespaces) {
  const ignored = new Set();
  for (const name of typeof names === "string" ? [names] : names) {
    ignored.add(name);
    ignored.add(namespaces.expandKey(name));
  }
  return ignored;
}

/**
 * The CBV 2.0 §8.9.2 pre-hash string of one EPCIS 2.0 JSON event (as parsed).
 *
 * `context` is the JSON-LD @context of the document the event came in (a URL, an object of
 * prefixes, or a list of those; null when none); the event's own @context is applied after it.
 * `options.ignoreFields` lists further top-level members to leave out (a document's
 * `ignoreFields`). Throws EventHashError for malformed events.
 */
export function preHashString(event, context = null, { ignoreFields = [] } = {}) {
  const namespaces = namespacesOf(event, context);
  return computePrehash(event, namespaces, ignoredNames(ignoreFields, namespaces));
}

/** SHA-256 of the UTF-8 pre-hash string (CBV 2.0 §8.9.3): a Uint8Array(32). Same arguments. */
export async function eventHashDigest(event, context = null, options = {}) {
  const prehash = preHashString(event, context, options);
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) throw new Error("WebCrypto SHA-256 is unavailable (the page needs a secure context)");
  return new Uint8Array(await subtle.digest("SHA-256", utf8(prehash)));
}

/** `ni:///sha-256;<64 lowercase hex>?ver=CBV2.0` for one EPCIS 2.0 event (CBV 2.0 §8.9). */
export async function eventHashId(event, context = null, options = {}) {
  return formatEventHashId(await eventHashDigest(event, context, options));
}

/** The Event Hash ID naming a 32-byte SHA-256 digest. */
export function formatEventHashId(digest) {
  if (digest.length !== HASH_DIGEST_SIZE) {
    throw new RangeError(`an Event Hash ID names a ${HASH_DIGEST_SIZE}-byte digest, got ${digest.length}`);
  }
  return HASH_ID_PREFIX + Array.from(digest, (byte) => byte.toString(16).padStart(2, "0")).join("") + HASH_ID_SUFFIX;
}

/** The 32-byte digest a canonical Event Hash ID names; throws EventHashError for any other text. */
export function digestOfEventHashId(hashId) {
  const match = typeof hashId === "string" && /^ni:\/\/\/sha-256;([0-9a-f]{64})\?ver=CBV2\.0$/.exec(hashId);
  if (!match) throw new EventHashError(`not a canonical Event Hash ID: ${String(hashId).slice(0, 100)}`);
  return Uint8Array.from(match[1].match(/../g), (pair) => parseInt(pair, 16));
}

// --- document: the events of an EPCIS document with what their hashes depend on (document.py) ----

const DOCUMENT_TYPES = new Set(["EPCISDocument", "EPCISQueryDocument"]);

/**
 * The events of an EPCISDocument or EPCISQueryDocument in document order, each as
 * `{event, context, ignoreFields}` ready for `eventHashId(event, context, {ignoreFields})`: the
 * document's @context declares extension prefixes, and `ignoreFields` members (EPCIS 2.0 JSON
 * binding: on the document, its body or its query results) name members to leave out. A bare
 * event is the only event of an implicit document. Throws EventHashError without an event list.
 */
export function documentEvents(document) {
  if (!isObject(document)) throw new EventHashError("an EPCIS document must be a JSON object");
  if (!DOCUMENT_TYPES.has(member(document, "type")) && !hasMember(document, "epcisBody")) {
    return [{ event: document, context: null, ignoreFields: [] }];
  }
  const body = member(document, "epcisBody");
  if (!isObject(body)) throw new EventHashError("missing or not an object", "epcisBody");
  const context = member(document, "@context") ?? null;
  const ignoreFields = documentIgnoreFields(document, body);
  return documentEventList(body).map((event) => ({ event, context, ignoreFields }));
}

function documentEventList(body) {
  if (hasMember(body, "event")) return [body.event];
  let events = member(body, "eventList");
  let field = "epcisBody.eventList";
  if (!hasMember(body, "eventList")) {
    const results = member(body, "queryResults");
    const resultsBody = isObject(results) ? member(results, "resultsBody") : undefined;
    events = isObject(resultsBody) ? member(resultsBody, "eventList") : undefined;
    field = "epcisBody.queryResults.resultsBody.eventList";
  }
  if (!Array.isArray(events)) throw new EventHashError("missing or not an array", field);
  return events;
}

function documentIgnoreFields(document, body) {
  const results = member(body, "queryResults");
  const names = [];
  for (const holder of [document, body, ...(isObject(results) ? [results] : [])]) {
    for (const [key, value] of Object.entries(holder)) {
      if (key.slice(key.lastIndexOf(":") + 1) !== "ignoreFields") continue; // any prefix
      if (!Array.isArray(value) || !value.every((name) => typeof name === "string")) {
        throw new EventHashError("must be an array of strings", key);
      }
      names.push(...value);
    }
  }
  return names;
}

// Python's str.encode("utf-8") refuses lone surrogates; TextEncoder would write U+FFFD instead.
function utf8(text) {
  if (/\p{Surrogate}/u.test(text)) {
    throw new EventHashError("the event holds an unpaired UTF-16 surrogate, which UTF-8 cannot encode");
  }
  return new TextEncoder().encode(text);
}
