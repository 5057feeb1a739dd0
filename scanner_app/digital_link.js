// GS1 Digital Link URIs as a scan reads them, and the canonical keys a recall of the scanned
// thing may have been opened on. Pure (no DOM, no network): runs in the page and under Node.
//
// This is the page's port of gs1/digital_link.py (parse_digital_link) and gs1/keys.py
// (identify, recall_keys_covering, recall_subject); tests/scanner_app/test_digital_link_js.py
// holds it to them, on generated links over every primary key and data attribute and on
// GS1's own examples. It reads the whole GS1 Barcode Syntax Dictionary (gs1_ai_table.js,
// generated from the table Python uses) and checks values with every linter the dictionary
// names (gs1_linters.js): what Python accepts it accepts, with the same keys; everything
// Python rejects, and anything that is no Digital Link at all, throws `DigitalLinkError`.

import { AI_TABLE } from "./gs1_ai_table.js";
import { aiValueReason } from "./gs1_linters.js";

export const CANONICAL_STEM = "https://id.gs1.org";

export class DigitalLinkError extends Error {
  constructor(uri, reason) {
    super(`${reason}: ${uri}`);
    this.name = "DigitalLinkError";
    this.uri = uri;
    this.reason = reason;
  }
}

/** Every GS1 Digital Link primary key (the AIs with Digital Link qualifier sequences). */
export const PRIMARY_KEY_AIS = Object.freeze(Object.keys(AI_TABLE).filter((ai) => AI_TABLE[ai].seq !== null).sort());

const KIND_BY_KEY_AI = { "00": "logistic_unit", "8004": "asset", "8003": "returnable_asset", "414": "location", "417": "party" };
const SERIALS = ["21", "235"];
const LOT = "10";
const CPV = "22";
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const UNRESERVED = /^[A-Za-z0-9._~-]*$/;
// Python's str.strip() white space (identify strips the scanned text first).
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

// --- percent-encoding (gs1/percent.py) ------------------------------------------------------

/** Decode %XX in a path segment; a '%' without two hex digits stays; bytes map one to one
 *  to characters (latin-1), so a non-ASCII byte fails the character-set check later. */
export function unescapePathComponent(value) {
  let out = "";
  for (let i = 0; i < value.length; i += 1) {
    if (value[i] === "%" && i + 2 < value.length && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      out += String.fromCharCode(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out += value[i];
    }
  }
  return out;
}

function unescapeQueryComponent(value) {
  return unescapePathComponent(value.replaceAll("+", " "));
}

/** Percent-encode a value for one path segment: only unreserved characters stay (UTF-8, upper-case hex). */
export function escapePathComponent(value) {
  let out = "";
  for (const char of value) {
    if (UNRESERVED.test(char)) out += char;
    else for (const byte of new TextEncoder().encode(char)) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

// --- AI values (gs1_linters.js) -----------------------------------------------------------------

function rule(uri, ai) {
  const found = Object.hasOwn(AI_TABLE, ai) ? AI_TABLE[ai] : null;
  if (!found) throw new DigitalLinkError(uri, `(${ai}) is not a GS1 Application Identifier`);
  return found;
}

function verifyValue(uri, ai, value) {
  rule(uri, ai);
  const reason = aiValueReason(ai, value);
  if (reason) throw new DigitalLinkError(uri, `(${ai}) ${JSON.stringify(value)}: ${reason}`);
}


// --- URI syntax (gs1/digital_link.py) ---------------------------------------------------------

function isIPv4(text) {
  const octets = text.split(".");
  return octets.length === 4 && octets.every((o) => /^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])$/.test(o));
}

/** An IPv6 address as Python's ipaddress.IPv6Address takes it (no zone; IPv4 tail allowed). */
function isIPv6(text) {
  let body = text;
  let words = 8;
  const lastColon = text.lastIndexOf(":");
  if (lastColon < 0) return false;
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    if (!isIPv4(tail)) return false;
    body = text.slice(0, lastColon + 1);
    body = body.endsWith("::") ? body : body.slice(0, -1);
    words = 6;
  }
  const halves = body.split("::");
  if (halves.length > 2) return false;
  const groups = (part) => (part === "" ? [] : part.split(":"));
  const all = halves.flatMap(groups);
  if (!all.every((group) => /^[0-9A-Fa-f]{1,4}$/.test(group))) return false;
  return halves.length === 1 ? all.length === words : all.length < words;
}

function verifyHost(uri, authority) {
  let host = authority;
  let port = "";
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    if (end < 0) throw new DigitalLinkError(uri, "unterminated IPv6 host");
    host = authority.slice(1, end);
    const rest = authority.slice(end + 1);
    if (rest && !rest.startsWith(":")) throw new DigitalLinkError(uri, "bad characters after IPv6 host");
    port = rest.slice(1);
    if (host.includes("%") || !isIPv6(host)) throw new DigitalLinkError(uri, "bad IPv6 host");
  } else {
    if (authority.includes(":")) [host, port] = [authority.slice(0, authority.indexOf(":")), authority.slice(authority.indexOf(":") + 1)];
    const labels = host.endsWith(".") ? host.slice(0, -1).split(".") : host.split(".");
    if (!host || !labels.every((label) => HOST_LABEL.test(label))) throw new DigitalLinkError(uri, "bad host name");
  }
  if ((port || authority.endsWith(":")) && (!/^[0-9]{1,5}$/.test(port) || Number(port) > 65535)) {
    throw new DigitalLinkError(uri, "bad port");
  }
}

function isQualifierOrder(keyRule, qualifierAis) {
  return keyRule.seq.some((sequence) => {
    let position = 0;
    for (const ai of qualifierAis) {
      const at = sequence.indexOf(ai, position);
      if (at < 0) return false;
      position = at + 1;
    }
    return true;
  });
}

/** `ai` matches a dictionary pattern such as `310n` or `31nn` (n = any digit). */
function matchesPattern(ai, pattern) {
  return ai.length === pattern.length && [...pattern].every((p, i) => p === ai[i] || (p === "n" && /[0-9]/.test(ai[i])));
}

/**
 * Parse and validate a GS1 Digital Link URI (uncompressed), as gs1.digital_link.parse_digital_link.
 * Returns {stem, primaryKey: [ai, value], qualifiers: [[ai, value]...], attributes: [[ai, value]...],
 * extras: [[name, value]...]}; throws DigitalLinkError.
 */
export function parseDigitalLink(uri) {
  if (typeof uri !== "string" || !uri) throw new DigitalLinkError(String(uri), "empty URI");
  if (!URI_CHARS.test(uri)) throw new DigitalLinkError(uri, "a character is not allowed in a URI");
  const schemeEnd = uri.indexOf("://");
  if (schemeEnd < 0 || !["http", "https", "HTTP", "HTTPS"].includes(uri.slice(0, schemeEnd))) {
    throw new DigitalLinkError(uri, "scheme must be http or https");
  }
  let rest = uri.slice(schemeEnd + 3).split("#", 1)[0];
  const queryAt = rest.indexOf("?");
  const query = queryAt < 0 ? "" : rest.slice(queryAt + 1);
  rest = queryAt < 0 ? rest : rest.slice(0, queryAt);
  const slash = rest.indexOf("/");
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? "" : rest.slice(slash + 1);
  if (!authority) throw new DigitalLinkError(uri, "no host");
  verifyHost(uri, authority);
  if (!path) throw new DigitalLinkError(uri, "no path");
  if (path.endsWith("/")) throw new DigitalLinkError(uri, "path must not end with '/'");
  const segments = path.split("/");
  if (segments.includes("")) throw new DigitalLinkError(uri, "empty path segment");
  let keyIndex = -1;
  for (let index = segments.length - 2; index >= 0; index -= 2) {
    if (PRIMARY_KEY_AIS.includes(segments[index])) {
      keyIndex = index;
      break;
    }
  }
  if (keyIndex < 0) throw new DigitalLinkError(uri, "no GS1 primary key (e.g. /01/<GTIN>) in the path");
  const keyAi = segments[keyIndex];
  const keyRule = AI_TABLE[keyAi];
  const stem = `${uri.slice(0, schemeEnd)}://${authority}` + segments.slice(0, keyIndex).map((s) => `/${s}`).join("");
  const pathPairs = [];
  for (let i = keyIndex; i < segments.length; i += 2) pathPairs.push([segments[i], unescapePathComponent(segments[i + 1])]);
  const qualifierAis = pathPairs.slice(1).map(([ai]) => ai);
  const allowed = new Set(keyRule.seq.flat());
  for (const ai of qualifierAis) {
    if (!allowed.has(ai)) throw new DigitalLinkError(uri, `(${ai}) is not a key qualifier of (${keyAi})`);
  }
  if (!isQualifierOrder(keyRule, qualifierAis)) throw new DigitalLinkError(uri, "key qualifiers out of order");
  const attributes = [];
  const extras = [];
  for (const part of query.split("&")) {
    if (!part || !part.includes("=")) continue; // extraneous separators and singletons are ignored
    const at = part.indexOf("=");
    const name = unescapeQueryComponent(part.slice(0, at));
    const value = unescapeQueryComponent(part.slice(at + 1));
    (/^[0-9]+$/.test(name) ? attributes : extras).push([name, value]);
  }
  const seen = new Set();
  for (const [ai, value] of [...pathPairs, ...attributes]) {
    if (seen.has(ai)) throw new DigitalLinkError(uri, `AI (${ai}) appears more than once`);
    seen.add(ai);
    verifyValue(uri, ai, value);
  }
  for (const [ai] of attributes) {
    if (!rule(uri, ai).attribute) throw new DigitalLinkError(uri, `(${ai}) is not permitted as a data attribute`);
    for (let at = 0; at <= qualifierAis.length; at += 1) {
      if (isQualifierOrder(keyRule, [...qualifierAis.slice(0, at), ai, ...qualifierAis.slice(at)])) {
        throw new DigitalLinkError(uri, `(${ai}) is a key qualifier of (${keyAi}) and belongs in the path`);
      }
    }
  }
  const present = [...seen];
  const isPresent = (pattern) => present.some((ai) => matchesPattern(ai, pattern));
  for (const ai of present) {
    const { req, ex } = rule(uri, ai);
    for (const group of req) {
      if (!group.some((alternative) => alternative.every(isPresent))) throw new DigitalLinkError(uri, `AI (${ai}) requires another AI`);
    }
    for (const pattern of ex) {
      if (present.some((other) => other !== ai && matchesPattern(other, pattern))) throw new DigitalLinkError(uri, `AI (${ai}) excludes another AI`);
    }
  }
  return { stem, primaryKey: pathPairs[0], qualifiers: pathPairs.slice(1), attributes, extras };
}

// --- keys (gs1/keys.py) ------------------------------------------------------------------------

function link(pairs) {
  return CANONICAL_STEM + pairs.map(([ai, value]) => `/${ai}/${UNRESERVED.test(value) ? value : escapePathComponent(value)}`).join("");
}

/**
 * The key of a scanned Digital Link, as gs1.keys.identify: {key, kind, lotKey, qualifiedKey}
 * (canonical links on https://id.gs1.org without data attributes; see gs1/keys.py for the rule).
 * Throws DigitalLinkError for anything that is not a valid Digital Link (Python's identify
 * would make such text its own opaque key, which no recall is ever opened on).
 */
export function identify(text) {
  const uri = String(text ?? "").replace(PY_STRIP, "");
  // As gs1.keys.parse_identifier: only lower-case http(s) text is taken for a Digital Link (an
  // EPC URI is not one: parse_digital_link rejects it too; identifier_keys.js reads those).
  if (!uri.startsWith("http://") && !uri.startsWith("https://")) throw new DigitalLinkError(uri, "not a GS1 Digital Link");
  const parsed = parseDigitalLink(uri);
  const [keyAi] = parsed.primaryKey;
  const qualifiers = parsed.qualifiers.filter(([ai]) => ai !== CPV);
  const qualified = link([parsed.primaryKey, ...parsed.qualifiers]);
  const serial = qualifiers.find(([ai]) => SERIALS.includes(ai));
  const lot = qualifiers.find(([ai]) => ai === LOT);
  const lotKey = lot && serial ? link([parsed.primaryKey, lot]) : null;
  const key = link([parsed.primaryKey, ...qualifiers.filter(([ai]) => !serial || ai !== LOT)]);
  const kind = keyAi === "01" ? (serial ? "item" : lot ? "lot" : "product") : KIND_BY_KEY_AI[keyAi] || "other";
  return { key, kind, lotKey, qualifiedKey: qualified !== key ? qualified : null };
}

/** The GTIN-only key of a trade-item key, else null (gs1.keys.gtin_key). */
export function gtinKey(key) {
  const prefix = `${CANONICAL_STEM}/01/`;
  if (!key.startsWith(prefix)) return null;
  return prefix + key.slice(prefix.length).split("/", 1)[0].split("?", 1)[0];
}

/**
 * Canonical URIs whose recall covers the scanned code, most specific first, exactly as
 * gs1.keys.recall_keys_covering(identify(uri)): the key path as given, the key (a serial
 * without its lot), its lot, its GTIN. Throws as `identify`.
 */
export function recallKeysCovering(uri) {
  const identifier = identify(uri);
  const keys = [identifier.qualifiedKey || identifier.key, identifier.key];
  if (identifier.lotKey) keys.push(identifier.lotKey);
  const gtin = gtinKey(identifier.key);
  if (gtin) keys.push(gtin);
  return [...new Set(keys)];
}

/** RecallRegistry subject of a canonical URI: 0x + SHA-256 of its UTF-8 (gs1.keys.recall_subject). */
export async function recallSubject(canonicalUri) {
  const digest = await globalThis.crypto.subtle.digest("SHA-256", new TextEncoder().encode(canonicalUri));
  return "0x" + [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** [{canonicalUri, subject}] of every recall that would cover the scanned code, most specific first. */
export async function recallSubjectsCovering(uri) {
  const keys = recallKeysCovering(uri);
  return Promise.all(keys.map(async (canonicalUri) => ({ canonicalUri, subject: await recallSubject(canonicalUri) })));
}
