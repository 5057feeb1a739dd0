// Identifier keys of what an event names (gs1/keys.py): EPC URIs are read here, Digital
// Links through digital_link.js (its parser is the gs1.digital_link twin). Pure; held to
// gs1.keys.identify by tests/scanner_app/test_view_model_js.py.

import {
  CANONICAL_STEM, DigitalLinkError, escapePathComponent, gtinKey, identify as identifyDigitalLink,
  unescapePathComponent,
} from "./digital_link.js";
import { digitalLinkFromEpcUrn } from "./event_hash/digital_link.js";

const STEM = CANONICAL_STEM;

const TRANSFORMATION_PREFIX = "urn:traceledger:transformation:";

/** GS1 mod-10 check digit of the digits before it. */
function checkDigit(body) {
  let sum = 0;
  for (let i = 0; i < body.length; i += 1) sum += Number(body[body.length - 1 - i]) * (i % 2 === 0 ? 3 : 1);
  return String((10 - (sum % 10)) % 10);
}

/** identify() of a Digital Link (digital_link.js validates it as gs1.digital_link does), or null. */
export function identifyLink(uri) {
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
  // Other shapes (a serial or lot with dots): the event hash's URN converter (the one
  // gs1.keys falls back to as well), then the link.
  const converted = digitalLinkFromEpcUrn(uri);
  return converted && identifyLink(converted);
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

export const gtinKeyOf = (key) => (typeof key === "string" ? gtinKey(key) : null);
