// GS1 Digital Link URIs as a scan reads them, and the canonical keys a recall of the scanned
// thing may have been opened on. Pure (no DOM, no network): runs in the page and under Node.
//
// This is the page's port of gs1/digital_link.py (parse_digital_link) and gs1/keys.py
// (identify, recall_keys_covering, recall_subject); tests/scanner_app/test_digital_link_js.py
// holds it to them, on generated links and on GS1's own examples. Scope, stated: primary keys
// GTIN (01), SSCC (00), GLN (414), party GLN (417), GRAI (8003) and GIAI (8004) with every key
// qualifier GS1 allows them, and the data attributes a label carries (batch 10 where it is
// an attribute, dates 11/13/15/16/17, net weight 3100-3105, price 3920-3929, content 02 with
// count 37, internal 90-99). A link Python accepts that uses
// anything else throws `UnsupportedDigitalLinkError`: the page then says it cannot read the
// code rather than guess its keys. Everything Python rejects throws `DigitalLinkError`.

export const CANONICAL_STEM = "https://id.gs1.org";

export class DigitalLinkError extends Error {
  constructor(uri, reason) {
    super(`${reason}: ${uri}`);
    this.name = "DigitalLinkError";
    this.uri = uri;
    this.reason = reason;
  }
}

export class UnsupportedDigitalLinkError extends DigitalLinkError {
  constructor(uri, reason) {
    super(uri, reason);
    this.name = "UnsupportedDigitalLinkError";
  }
}

// --- the AI rules used here (GS1 Barcode Syntax Dictionary 2026-01-27, as gs1/ai_table.py) -----
// components: [kind, min, max, optional, linters]; req: groups of alternatives; ex: patterns;
// seq: key-qualifier sequences of a primary key. The test compares every entry with Python's.

const N = (min, max = min, linters = [], optional = false) => ["N", min, max, optional, linters];
const X = (min, max, linters = [], optional = false) => ["X", min, max, optional, linters];
const DATE = { components: [N(6, 6, ["yymmd0"])], attribute: true, req: [[["01"], ["02"], ["03"], ["8006"], ["8026"]]], ex: [] };
const WEIGHT = { components: [N(6)], attribute: true, req: [[["01"], ["02"]]], ex: ["310n"] };
const PRICE = { components: [N(1, 15)], attribute: true, req: [[["01"]], [["30"], ["31nn"], ["32nn"], ["35nn"], ["36nn"]]], ex: ["392n", "393n"] };
const INTERNAL = { components: [X(1, 90)], attribute: true, req: [], ex: [] };

export const AI_RULES = Object.freeze({
  "00": { components: [N(18, 18, ["csum", "gcppos2"])], attribute: true, req: [], ex: [], seq: [[]] },
  "01": { components: [N(14, 14, ["csum", "gcppos2"])], attribute: true, req: [], ex: ["255", "37"], seq: [["22", "10", "21"], ["235"]] },
  "414": { components: [N(13, 13, ["csum", "gcppos1"])], attribute: true, req: [], ex: [], seq: [["254"], ["7040"]] },
  "417": { components: [N(13, 13, ["csum", "gcppos1"])], attribute: true, req: [], ex: [], seq: [["7040"]] },
  "8003": { components: [N(1, 1, ["zero"]), N(13, 13, ["csum", "gcppos1"]), X(1, 16, [], true)], attribute: true, req: [], ex: [], seq: [[]] },
  "8004": { components: [X(1, 30, ["gcppos1"])], attribute: true, req: [], ex: [], seq: [["7040"]] },
  "10": { components: [X(1, 20)], attribute: true, req: [[["01"], ["02"], ["03"], ["8006"], ["8026"]]], ex: [] },
  "21": { components: [X(1, 20)], attribute: false, req: [[["01"], ["03"], ["8006"]]], ex: ["235"] },
  "22": { components: [X(1, 20)], attribute: false, req: [[["01"]]], ex: [] },
  "235": { components: [X(1, 28)], attribute: false, req: [[["01"]]], ex: [] },
  "254": { components: [X(1, 20)], attribute: false, req: [[["414"]]], ex: [] },
  "7040": { components: [N(1), X(1, 1), X(1, 1), X(1, 1, ["importeridx"])], attribute: false, req: [], ex: [] },
  "11": DATE, "13": DATE, "15": DATE, "16": DATE,
  "17": { ...DATE, req: [[["01"], ["02"], ["03"], ["255"], ["8006"], ["8026"]]] },
  "3100": WEIGHT, "3101": WEIGHT, "3102": WEIGHT, "3103": WEIGHT, "3104": WEIGHT, "3105": WEIGHT,
  "02": { components: [N(14, 14, ["csum", "gcppos2"])], attribute: true, req: [[["37"]]], ex: ["01", "03"] },
  "37": { components: [N(1, 8)], attribute: true, req: [[["00"]], [["02"], ["8026"]]], ex: [] },
  "3920": PRICE, "3921": PRICE, "3922": PRICE, "3923": PRICE, "3924": PRICE,
  "3925": PRICE, "3926": PRICE, "3927": PRICE, "3928": PRICE, "3929": PRICE,
  "90": { components: [X(1, 30)], attribute: true, req: [], ex: [] },
  "91": INTERNAL, "92": INTERNAL, "93": INTERNAL, "94": INTERNAL, "95": INTERNAL,
  "96": INTERNAL, "97": INTERNAL, "98": INTERNAL, "99": INTERNAL,
});

/** Every GS1 Digital Link primary key (the path's key is found among all of them). */
export const PRIMARY_KEY_AIS = Object.freeze(["00", "01", "253", "255", "401", "402", "414", "415", "417",
  "8003", "8004", "8006", "8010", "8013", "8017", "8018"]);

const KIND_BY_KEY_AI = { "00": "logistic_unit", "8004": "asset", "8003": "returnable_asset", "414": "location", "417": "party" };
const SERIALS = ["21", "235"];
const LOT = "10";
const CPV = "22";

// GS1 character set 82 (GS1 General Specifications Figure 7.11-1); importer index (AI 7040).
const CSET_82 = /^[A-Za-z0-9!"%&'()*+,\-./:;<=>?_]*$/;
const IMPORTER_INDEX = /^[-0-9A-Z_a-z]$/;
const URI_CHARS = /^[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]*$/;
const HOST_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?$/;
const UNRESERVED = /^[A-Za-z0-9._~-]*$/;
// Python's str.strip() white space (identify strips the scanned text first).
const PY_SPACE = "\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");
const MIN_COMPANY_PREFIX_LENGTH = 4;

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

// --- AI values (gs1/ai_values.py, gs1/linters.py) ---------------------------------------------

function checkDigit(payload) {
  let total = 0;
  for (let i = payload.length - 1, weight = 3; i >= 0; i -= 1, weight = 4 - weight) total += weight * Number(payload[i]);
  return (10 - (total % 10)) % 10;
}

function fullYear(twoDigitYear) {
  // GS1 GS §7.12 sliding window: at most 49 years back and 50 ahead of the current year.
  const current = new Date().getFullYear();
  const difference = twoDigitYear - (current % 100);
  if (difference >= 51) return current - (current % 100) - 100 + twoDigitYear;
  if (difference <= -50) return current - (current % 100) + 100 + twoDigitYear;
  return current - (current % 100) + twoDigitYear;
}

const LINTERS = {
  csum: (part) => (checkDigit(part.slice(0, -1)) === Number(part.at(-1)) ? null : "wrong check digit"),
  gcppos1: (part) => gcpAt(part, 0),
  gcppos2: (part) => gcpAt(part, 1),
  zero: (part) => (/^0+$/.test(part) ? null : "filler digits must be 0"),
  importeridx: (part) => (IMPORTER_INDEX.test(part) ? null : "not an importer index"),
  yymmd0: (part) => {
    const year = fullYear(Number(part.slice(0, 2)));
    const month = Number(part.slice(2, 4));
    const day = Number(part.slice(4, 6));
    if (month < 1 || month > 12) return "month out of range";
    const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return day > lastDay ? "day out of range" : null;
  },
};

function gcpAt(part, start) {
  const prefix = part.slice(start, start + MIN_COMPANY_PREFIX_LENGTH);
  if (prefix.length < MIN_COMPANY_PREFIX_LENGTH) return "too short to hold a GS1 Company Prefix";
  return /^[0-9]+$/.test(prefix) ? null : "GS1 Company Prefix has digits only";
}

function rule(uri, ai) {
  const found = AI_RULES[ai];
  if (found) return found;
  if (/^[0-9]+$/.test(ai)) throw new UnsupportedDigitalLinkError(uri, `AI (${ai}) is not read by this page`);
  throw new DigitalLinkError(uri, `(${ai}) is not an AI`);
}

function verifyValue(uri, ai, value) {
  const { components } = rule(uri, ai);
  if (!value) throw new DigitalLinkError(uri, `(${ai}) is empty`);
  let position = 0;
  for (const [kind, min, max, optional, linters] of components) {
    const remaining = value.length - position;
    if (remaining === 0 && optional) break;
    if (remaining < min) throw new DigitalLinkError(uri, `(${ai}) is too short`);
    const part = value.slice(position, position + Math.min(remaining, max));
    if (!(kind === "N" ? /^[0-9]+$/ : CSET_82).test(part)) throw new DigitalLinkError(uri, `(${ai}) has a character it may not`);
    for (const linter of linters) {
      const reason = LINTERS[linter](part);
      if (reason) throw new DigitalLinkError(uri, `(${ai}): ${reason}`);
    }
    position += part.length;
  }
  if (position !== value.length) throw new DigitalLinkError(uri, `(${ai}) is too long`);
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
 * extras: [[name, value]...]}; throws DigitalLinkError (or UnsupportedDigitalLinkError, above).
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
  const keyRule = AI_RULES[keyAi];
  if (!keyRule || !keyRule.seq) throw new UnsupportedDigitalLinkError(uri, `primary key (${keyAi}) is not read by this page`);
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
  if (uri.startsWith("urn:epc:")) throw new UnsupportedDigitalLinkError(uri, "EPC URIs are not read by this page");
  // As gs1.keys.parse_identifier: only lower-case http(s) text is taken for a Digital Link.
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
