// EPC URNs and Digital Link URIs to one canonical form (anchoring/core/event_hash/digital_link.py,
// anchoring/core/check_digit.py).

import { EventHashError } from "./errors.js";
import { codePointLength, D } from "./python_text.js";
import { words } from "./terms.js";

// --- GS1 check digit (anchoring/core/check_digit.py) -------------------------------------------

/** GS1 General Specifications §7.9.1 mod-10 check digit of an ASCII digit string. */
function computeCheckDigit(payload) {
  if (!/^[0-9]+$/.test(payload)) {
    throw new EventHashError(`check digit payload must be a non-empty digit string: ${payload}`);
  }
  let total = 0;
  for (let index = payload.length - 1, weight = 3; index >= 0; index -= 1, weight = 4 - weight) {
    total += weight * (payload.charCodeAt(index) - 48); // weights 3, 1, 3, ... from the right
  }
  return (10 - (total % 10)) % 10;
}

// --- digital_link: EPC URNs and Digital Link URIs to one canonical form (digital_link.py) --------

const CANONICAL_HOST = "https://id.gs1.org";
// One character of GS1 AI character set 82 / 39 as written in an EPC URN (EPC TDS 2.0 §5).
const URN_CHAR = "(?:%2[125-9A-Fa-f]|%3[0-9A-Fa-f]|%4[1-9A-Fa-f]|%5[0-9AaFf]|%6[1-9A-Fa-f]"
  + "|%7[0-9Aa]|[!')(*+,.0-9:;=A-Za-z_\\-])";
const URN_CHAR39 = "(?:%2[3dfDF]|%3[0-9]|%4[1-9A-Fa-f]|%5[0-9Aa]|[0-9A-Z\\-])";
const CP = `(${D}{6,12})`;

// GS1 Digital Link 1.2 Table 7-1: characters that SHALL be percent-encoded in a path.
const PERCENT_ENCODED = new Map([
  ["!", "%21"], ["(", "%28"], [")", "%29"], ["*", "%2A"], ["+", "%2B"], [",", "%2C"], [":", "%3A"],
]);
export const encode = (urnText) => urnText.replace(/[!()*+,:]/g, (char) => PERCENT_ENCODED.get(char));
// Characters an EPC URN component stands for ("%2F" is one); the component is ASCII.
const units = (urnText) => urnText.length - 2 * (urnText.split("%").length - 1);
const withCheckDigit = (body) => body + String(computeCheckDigit(body));
// GTIN-14: indicator digit first. Non-ASCII digits never reach the output (check digit refuses).
const gtin = (companyPrefix, itemReference) =>
  withCheckDigit(itemReference[0] + companyPrefix + itemReference.slice(1));
const total = (match, expected) =>
  codePointLength(match[1]) + codePointLength(match[2]) === expected;
const fullMatcher = (pattern) => new RegExp(`^(?:${pattern})$`, "u");
const prefixMatcher = (pattern) => new RegExp(`^(?:${pattern})`, "u");

// EPC TDS 2.0 §6.3 (pure identity), §6.4 (class) and §8 (pattern) URNs, keyed by scheme.
const URN_RULES = new Map(Object.entries({
  "urn:epc:id:sgtin:": [`${CP}\\.(${D}+)\\.(${URN_CHAR}{1,20})`,
    (m) => (total(m, 13) ? `/01/${gtin(m[1], m[2])}/21/${encode(m[3])}` : null)],
  "urn:epc:id:sscc:": [`${CP}\\.(${D}+)`,
    (m) => (total(m, 17) ? `/00/${withCheckDigit(m[2][0] + m[1] + m[2].slice(1))}` : null)],
  "urn:epc:id:sgln:": [`${CP}\\.(${D}*)\\.(${URN_CHAR}{1,20})`,
    (m) => (total(m, 12)
      ? `/414/${withCheckDigit(m[1] + m[2])}${m[3] === "0" ? "" : `/254/${encode(m[3])}`}` : null)],
  "urn:epc:id:grai:": [`${CP}\\.(${D}*)\\.(${URN_CHAR}{1,16})`,
    (m) => (total(m, 12) ? `/8003/${withCheckDigit(`0${m[1]}${m[2]}`)}${encode(m[3])}` : null)],
  "urn:epc:id:giai:": [`${CP}\\.(${URN_CHAR}+)`,
    (m) => (codePointLength(m[1]) + units(m[2]) <= 30 ? `/8004/${m[1]}${encode(m[2])}` : null)],
  "urn:epc:id:gsrn:": [`${CP}\\.(${D}+)`,
    (m) => (total(m, 17) ? `/8018/${withCheckDigit(m[1] + m[2])}` : null)],
  "urn:epc:id:gsrnp:": [`${CP}\\.(${D}+)`,
    (m) => (total(m, 17) ? `/8017/${withCheckDigit(m[1] + m[2])}` : null)],
  "urn:epc:id:gdti:": [`${CP}\\.(${D}*)\\.(${URN_CHAR}{0,17})`,
    (m) => (total(m, 12) ? `/253/${withCheckDigit(m[1] + m[2])}${encode(m[3])}` : null)],
  "urn:epc:id:cpi:": [`${CP}\\.(${URN_CHAR39}+)\\.(${D}{1,12})`,
    (m) => (codePointLength(m[1]) + units(m[2]) <= 30
      ? `/8010/${encode(m[1] + m[2])}/8011/${m[3]}` : null)],
  "urn:epc:id:sgcn:": [`${CP}\\.(${D}*)\\.(${D}{1,12})`,
    (m) => (total(m, 12) ? `/255/${withCheckDigit(m[1] + m[2])}${m[3]}` : null)],
  "urn:epc:id:ginc:": [`${CP}\\.(${URN_CHAR}+)`,
    (m) => (codePointLength(m[1]) + units(m[2]) <= 30 ? `/401/${m[1]}${encode(m[2])}` : null)],
  "urn:epc:id:gsin:": [`${CP}\\.(${D}+)`,
    (m) => (total(m, 16) ? `/402/${withCheckDigit(m[1] + m[2])}` : null)],
  "urn:epc:id:itip:": [`${CP}\\.(${D}+)\\.(${D}${D})\\.(${D}${D})\\.(${URN_CHAR}{1,20})`,
    (m) => (total(m, 13) ? `/8006/${gtin(m[1], m[2])}${m[3]}${m[4]}/21/${encode(m[5])}` : null)],
  "urn:epc:id:upui:": [`${CP}\\.(${D}+)\\.(${URN_CHAR}{1,28})`,
    (m) => (total(m, 13) ? `/01/${gtin(m[1], m[2])}/235/${encode(m[3])}` : null)],
  "urn:epc:id:pgln:": [`${CP}\\.(${D}*)`,
    (m) => (total(m, 12) ? `/417/${withCheckDigit(m[1] + m[2])}` : null)],
  "urn:epc:class:lgtin:": [`${CP}\\.(${D}+)\\.(${URN_CHAR}{1,20})`,
    (m) => (total(m, 13) ? `/01/${gtin(m[1], m[2])}/10/${encode(m[3])}` : null)],
  "urn:epc:idpat:sgtin:": [`${CP}\\.(${D}+)\\.\\*`,
    (m) => (total(m, 13) ? `/01/${gtin(m[1], m[2])}` : null)],
  "urn:epc:idpat:grai:": [`${CP}\\.(${D}*)\\.\\*`,
    (m) => (total(m, 12) ? `/8003/${withCheckDigit(`0${m[1]}${m[2]}`)}` : null)],
  "urn:epc:idpat:gdti:": [`${CP}\\.(${D}*)\\.\\*`,
    (m) => (total(m, 12) ? `/253/${withCheckDigit(m[1] + m[2])}` : null)],
  "urn:epc:idpat:sgcn:": [`${CP}\\.(${D}*)\\.\\*`,
    (m) => (total(m, 12) ? `/255/${withCheckDigit(m[1] + m[2])}` : null)],
  "urn:epc:idpat:cpi:": [`${CP}\\.(${URN_CHAR39}+)\\.\\*`,
    (m) => (codePointLength(m[1]) + units(m[2]) <= 30 ? `/8010/${encode(m[1] + m[2])}` : null)],
  "urn:epc:idpat:itip:": [`${CP}\\.(${D}+)\\.(${D}${D})\\.(${D}${D})\\.\\*`,
    (m) => (total(m, 13) ? `/8006/${gtin(m[1], m[2])}${m[3]}${m[4]}` : null)],
  "urn:epc:idpat:upui:": [`${CP}\\.(${D}+)\\.\\*`,
    (m) => (total(m, 13) ? `/01/${gtin(m[1], m[2])}` : null)],
}).map(([scheme, [pattern, build]]) => [scheme, [fullMatcher(pattern), build]]));

/** Canonical Digital Link URI of an EPC URN (EPC TDS 2.0 §6 + Digital Link 1.2 §4), or null. */
export function digitalLinkFromEpcUrn(urn) {
  const schemeEnd = urn.indexOf(":", urn.indexOf(":", 8) + 1) + 1; // after urn:epc:<kind>:<scheme>:
  const rule = URN_RULES.get(urn.slice(0, schemeEnd));
  if (rule === undefined) return null;
  const [pattern, build] = rule;
  const match = pattern.exec(urn.slice(schemeEnd));
  if (match === null) return null;
  const path = build(match);
  return path === null ? null : CANONICAL_HOST + path;
}

const PRIMARY_KEYS = "01|gtin|8006|itip|8010|cpid|414|gln|417|party|8017|gsrnp|8018|gsrn|255|gcn"
  + "|00|sscc|253|gdti|401|ginc|402|gsin|8003|grai|8004|giai";
// Any http(s) URI whose path holds a GS1 primary key ("/01/" + at least 4 digits ...).
const DL_SHAPE = prefixMatcher(`https?:(?://[^/?#]*)?[^?#]*/(?:${PRIMARY_KEYS})/${D}{4}[^/]`);
// GS1 Digital Link 1.2 §6: short names and the numeric AIs they stand for.
const SHORT_NAMES = [
  ["/gtin/", "/01/"], ["/itip/", "/8006/"], ["/cpid/", "/8010/"], ["/gln/", "/414/"],
  ["/party/", "/417/"], ["/gsrnp/", "/8017/"], ["/gsrn/", "/8018/"], ["/gcn/", "/255/"],
  ["/sscc/", "/00/"], ["/gdti/", "/253/"], ["/ginc/", "/401/"], ["/gsin/", "/402/"],
  ["/grai/", "/8003/"], ["/giai/", "/8004/"], ["/cpv/", "/22/"], ["/lot/", "/10/"],
  ["/ser/", "/21/"],
];
const ON_CANONICAL_HOST = prefixMatcher(
  `https://id\\.gs1\\.org/(?:01|8006|8010|414|417|8017|8018|255|00|253|401|402|8003|8004)/${D}{4}[^/]`);
// Which primary key wins when a URI on another host is moved onto id.gs1.org.
const KEY_PRIORITY = words("00 01 253 255 401 402 414 417 8003 8004 8006 8010 8017 8018")
  .map((ai) => `/${ai}/`);
const GTIN_14 = prefixMatcher(`https://id\\.gs1\\.org/01/${D}{14}`);
const GTIN_PADDING = [
  [prefixMatcher(`https://id\\.gs1\\.org/01/${D}{13}`), "/01/0"],
  [prefixMatcher(`https://id\\.gs1\\.org/01/${D}{12}`), "/01/00"],
  [prefixMatcher(`https://id\\.gs1\\.org/01/${D}{8}`), "/01/000000"],
];
// Characters a constrained canonical Digital Link URI may carry in a value.
const C = "[\\x22\\x27\\x2D\\x2E\\x30-\\x39\\x3B-\\x3F\\x41-\\x5A\\x5F\\x61-\\x7A]";
const C_SLASH = "[\\x2F\\x22\\x27\\x2D\\x2E\\x30-\\x39\\x3B-\\x3F\\x41-\\x5A\\x5F\\x61-\\x7A]";
const ITEM = `https://id\\.gs1\\.org/(?:8006/${D}{18}|01/${D}{14})`;
const CPV_LAST = fullMatcher(`${ITEM}/22/${C}{0,20}`);
const CPV_INNER = fullMatcher(`${ITEM}/22/${C_SLASH}{0,20}`);
const LOT_AND_SERIAL = fullMatcher(`${ITEM}/10/${C}{0,20}/21/${C}{0,20}`);
const CPI_CHAR = "[\\x23\\x2D\\x2F\\x30-\\x39\\x41-\\x5A]";
// GS1 Digital Link 1.2 §4 syntax of each primary key (+ the qualifiers CBV keeps).
const VALID_CANONICAL = fullMatcher(`https://id\\.gs1\\.org/(?:00/${D}{18}`
  + `|01/${D}{14}(?:/21/${C}{0,20}|/10/${C}{0,20}|/235/${C}{0,28})?`
  + `|253/${D}{13}${C}{0,17}|255/${D}{13}${D}{0,12}|401/${C}{0,30}|402/${D}{17}`
  + `|414/${D}{13}(?:/254/${C}{0,20})?|417/${D}{13}|8003/${D}{14}${C}{0,16}|8004/${C}{0,30}`
  + `|8006/${D}{18}(?:/21/${C}{0,20}|/10/${C}{0,20})?|8010/${CPI_CHAR}{0,30}(?:/8011/${D}{0,12})?`
  + `|8017/${D}{18}|8018/${D}{18})`);

/**
 * Constrained canonical form of a GS1 Digital Link URI, or null if `uri` is not one: Digital
 * Link 1.2 §4.11 (id.gs1.org, numeric AIs, GTIN-14) with the CBV 2.0 §8.9.2 constraints (no
 * query string, no CPV, serial over lot).
 */
export function canonicalDigitalLink(uri) {
  if (!DL_SHAPE.test(uri)) return null;
  const query = uri.indexOf("?");
  if (query >= 0) uri = uri.slice(0, query);
  for (const [shortName, ai] of SHORT_NAMES) uri = uri.replaceAll(shortName, ai);
  if (!ON_CANONICAL_HOST.test(uri)) {
    const key = KEY_PRIORITY.find((candidate) => uri.includes(candidate));
    if (key !== undefined) uri = CANONICAL_HOST + uri.slice(uri.indexOf(key));
  }
  if (!GTIN_14.test(uri)) {
    const padding = GTIN_PADDING.find(([pattern]) => pattern.test(uri));
    if (padding !== undefined) uri = uri.replaceAll("/01/", padding[1]);
  }
  uri = withoutCpv(uri);
  if (LOT_AND_SERIAL.test(uri)) uri = withoutSegment(uri, uri.indexOf("/10/"));
  return VALID_CANONICAL.test(uri) ? uri : null;
}

// Drop the "/ai/value" segment at `start`; Python's rest[rest.find("/"):] (find -1 = last char).
function withoutSegment(uri, start) {
  const rest = uri.slice(start + 4);
  return uri.slice(0, start) + rest.slice(rest.indexOf("/"));
}

/** Drop the consumer product variant (AI 22): it is not part of the item's identity. */
function withoutCpv(uri) {
  const cpv = uri.indexOf("/22/");
  if (cpv < 0) return uri;
  if (CPV_LAST.test(uri)) return uri.slice(0, cpv);
  if (CPV_INNER.test(uri)) return withoutSegment(uri, cpv);
  return uri;
}

/** The canonical Digital Link the pre-hash uses for an EPC URN or Digital Link URI, else null. */
export function canonicalIdentifier(text) {
  if (!text.includes(".")) return null;
  if (text.startsWith("urn:epc:")) return digitalLinkFromEpcUrn(text);
  if (text.startsWith("http")) return canonicalDigitalLink(text);
  return null;
}
