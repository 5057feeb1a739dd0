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

// --- errors ----------------------------------------------------------------------------------

/** The error for an event (or document) that is malformed and so has no Event Hash ID. */
export class EventHashError extends Error {
  /** `field` is the JSON path of the offending member (as the core's MalformedEventError). */
  constructor(message, field = null) {
    super(field ? `${field}: ${message}` : message);
    this.name = "EventHashError";
    this.field = field;
  }
}

// --- Python text semantics -------------------------------------------------------------------

// Python 3.11 str.isspace(): exactly what str.strip() removes.
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

function pyStrip(text) {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start += 1;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

// The zero of every run of ten decimal digits (Unicode 14.0, general category Nd): what
// Python's re `\d` and float() accept. Unicode guarantees each run is 0..9 in order.
const DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
  0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
  0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
  0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0,
  0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
  0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];
const hexCode = (codePoint) => `\\u{${codePoint.toString(16)}}`;
/** Regular-expression class equal to Python's `\d` (use with the `u` flag). */
const D = `[${DIGIT_ZEROS.map((zero) => `${hexCode(zero)}-${hexCode(zero + 9)}`).join("")}]`;
const NON_ASCII_DIGIT = new RegExp(`(?![0-9])${D}`, "gu");

function asciiDigits(text) {
  return text.replace(NON_ASCII_DIGIT, (digit) => {
    const codePoint = digit.codePointAt(0);
    const zero = DIGIT_ZEROS.findLast((candidate) => candidate <= codePoint);
    return String(codePoint - zero);
  });
}

const isHighSurrogate = (unit) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit) => unit >= 0xdc00 && unit <= 0xdfff;

/** Python's string order (by code point); UTF-16 order differs above U+E000. */
function compareCodePoints(left, right) {
  const shorter = Math.min(left.length, right.length);
  let index = 0;
  while (index < shorter && left.charCodeAt(index) === right.charCodeAt(index)) index += 1;
  if (index === shorter) return left.length - right.length;
  // Inside a surrogate pair: compare the whole code points that start one unit earlier.
  if (index > 0 && isHighSurrogate(left.charCodeAt(index - 1))
      && (isLowSurrogate(left.charCodeAt(index)) || isLowSurrogate(right.charCodeAt(index)))) {
    index -= 1;
  }
  return left.codePointAt(index) - right.codePointAt(index);
}

const sortedPython = (pieces) => pieces.sort(compareCodePoints);

const codePointLength = (text) => Array.from(text).length; // Python's len()

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
const hasMember = (object, name) => Object.prototype.hasOwnProperty.call(object, name);
const member = (object, name) => (hasMember(object, name) ? object[name] : undefined);
const isAbsent = (value) => value === null || value === undefined;

function jsonType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

// --- terms: CBV 2.0 / EPCIS 2.0 words and their URIs (anchoring/core/event_hash/terms.py) ------

const CBV = "https://ref.gs1.org/cbv/";
const GS1_VOC = "https://gs1.org/voc/";
const RDFS = "http://www.w3.org/2000/01/rdf-schema#";

// The prefixes the default EPCIS 2.0 context (epcis-context.jsonld) declares.
const STANDARD_NAMESPACES = [
  ["epcis", "https://ref.gs1.org/epcis/"], ["cbv", CBV], ["cbvmda", "urn:epcglobal:cbv:mda:"],
  ["gs1", GS1_VOC], ["rdfs", RDFS], ["owl", "http://www.w3.org/2002/07/owl#"],
  ["xsd", "http://www.w3.org/2001/XMLSchema#"], ["dcterms", "http://purl.org/dc/terms/"],
];

const words = (text) => text.trim().split(/\s+/);
// EPCIS 2.0 §7.4 event types and §7.3.2 actions.
const EVENT_TYPES = new Set(words(
  "ObjectEvent AggregationEvent TransactionEvent TransformationEvent AssociationEvent"));
const ACTIONS = new Set(["ADD", "OBSERVE", "DELETE"]);

const vocabulary = (base, terms) => new Map(words(terms).map((term) => [term, base + term]));
// CBV 2.0 §7.1 business steps.
const BIZ_STEP_URIS = vocabulary(CBV + "BizStep-", `
  accepting arriving assembling collecting commissioning consigning creating_class_instance
  cycle_counting decommissioning departing destroying disassembling dispensing encoding
  entering_exiting holding inspecting installing killing loading other packing picking receiving
  removing repackaging repairing replacing reserving retail_selling sampling sensor_reporting
  shipping staging_outbound stock_taking stocking storing transporting unloading unpacking
  void_shipping`);
// CBV 2.0 §7.2 dispositions.
const DISPOSITION_URIS = vocabulary(CBV + "Disp-", `
  active available completeness_inferred completeness_verified conformant container_closed
  container_open damaged destroyed dispensed disposed encoded expired in_progress in_transit
  inactive mismatch_class mismatch_instance mismatch_quantity needs_replacement no_pedigree_match
  non_conformant non_sellable_other partially_dispensed recalled reserved retail_sold returned
  sellable_accessible sellable_not_accessible stolen unavailable unknown`);
// CBV 2.0 §7.3 business transaction types, §7.4 source/destination types.
const BIZ_TRANSACTION_TYPE_URIS = vocabulary(CBV + "BTT-",
  "bol cert desadv inv pedigree po poc prodorder recadv rma testprd testres upevt");
const SOURCE_DESTINATION_TYPE_URIS = vocabulary(CBV + "SDT-",
  "location owning_party possessing_party");
// CBV 2.0 §7.6 sensor measurement components.
const SENSOR_COMPONENT_URIS = vocabulary(CBV + "Comp-", `
  altitude axial_distance azimuth easting elevation_angle height latitude longitude northing
  polar_angle spherical_radius x y z`);
// GS1 Web Vocabulary gs1:MeasurementType (as listed in the EPCIS 2.0 context), gs1:SensorAlertType.
const MEASUREMENT_TYPE_URIS = vocabulary(GS1_VOC, `
  AbsoluteHumidity AbsorbedDose AbsorbedDoseRate Acceleration Altitude AmountOfSubstance
  AmountOfSubstancePerUnitVolume Angle AngularAcceleration AngularMomentum AngularVelocity Area
  Capacitance Conductance Conductivity Count Density Dimensionless DoseEquivalent
  DoseEquivalentRate DynamicViscosity ElectricCharge ElectricCurrent ElectricCurrentDensity
  ElectricFieldStrength Energy Exposure Force Frequency Illuminance Inductance Irradiance
  KinematicViscosity Length LinearMomentum Luminance LuminousFlux LuminousIntensity MagneticFlux
  MagneticFluxDensity MagneticVectorPotential Mass MassConcentration MassFlowRate MassPerAreaTime
  MemoryCapacity MolalityOfSolute MolarEnergy MolarMass MolarVolume Power Pressure RadiantFlux
  RadiantIntensity Radioactivity RelativeHumidity Resistance Resistivity SolidAngle SpecificVolume
  Speed SurfaceDensity SurfaceTension Temperature Time Torque Voltage Volume VolumeFlowRate
  VolumeFraction VolumetricFlux Wavenumber`);
const SENSOR_ALERT_TYPE_URIS = vocabulary(GS1_VOC, "ALARM_CONDITION ERROR_CONDITION");

// CBV 1.x URNs and the CBV 2.0 Web URIs that replace them (CBV 2.0 §8.9.2: Web URI form).
const LEGACY_CBV_URN_PREFIXES = [
  ["urn:epcglobal:cbv:bizstep:", CBV + "BizStep-"], ["urn:epcglobal:cbv:disp:", CBV + "Disp-"],
  ["urn:epcglobal:cbv:btt:", CBV + "BTT-"], ["urn:epcglobal:cbv:sdt:", CBV + "SDT-"],
  ["urn:epcglobal:cbv:er:", CBV + "ER-"],
];

/** The CBV word tables, for tests that hold them to the Python core's. */
export const TERMS = Object.freeze({
  EVENT_TYPES, ACTIONS, BIZ_STEP_URIS, DISPOSITION_URIS, BIZ_TRANSACTION_TYPE_URIS,
  SOURCE_DESTINATION_TYPE_URIS, SENSOR_COMPONENT_URIS, MEASUREMENT_TYPE_URIS,
  SENSOR_ALERT_TYPE_URIS,
});

// --- namespaces: JSON-LD prefixes of user extensions (namespaces.py) ----------------------------

class Namespaces {
  constructor(prefixes) {
    this.prefixes = prefixes; // Map: a JSON member named "__proto__" must not reach Object.prototype
  }

  /** `{namespace}localName` for a compact or absolute member name; other names unchanged. */
  expandKey(key) {
    const colon = key.indexOf(":");
    if (colon <= 0) return key;
    if (key.startsWith("//", colon + 1)) {
      // An absolute IRI used as a member name: namespace up to the last '/' or '#'.
      const split = Math.max(key.lastIndexOf("/"), key.lastIndexOf("#")) + 1;
      return `{${key.slice(0, split)}}${key.slice(split)}`;
    }
    const namespace = this.prefixes.get(key.slice(0, colon));
    return namespace === undefined ? key : `{${namespace}}${key.slice(colon + 1)}`;
  }

  /** Full IRI for a CURIE value whose prefix is known; any other text unchanged. */
  expandValue(text) {
    const colon = text.indexOf(":");
    if (colon <= 0 || text.startsWith("//", colon + 1)) return text;
    const namespace = this.prefixes.get(text.slice(0, colon));
    return namespace === undefined ? text : namespace + text.slice(colon + 1);
  }
}

const DEFAULT_NAMESPACES = new Namespaces(new Map(STANDARD_NAMESPACES));

/** The default context's prefixes extended by inline @context values; later ones win. */
function namespacesFor(contexts) {
  const prefixes = new Map(STANDARD_NAMESPACES);
  for (const context of contexts) collectPrefixes(context, prefixes);
  return new Namespaces(prefixes);
}

function collectPrefixes(context, prefixes) {
  // Context URLs add nothing: remote contexts are never fetched, the standard one is built in.
  if (isAbsent(context) || typeof context === "string") return;
  if (Array.isArray(context)) {
    for (const entry of context) collectPrefixes(entry, prefixes);
    return;
  }
  if (!isObject(context)) {
    throw new EventHashError(
      `@context entries must be strings or objects, got ${jsonType(context)}`, "@context");
  }
  for (const [term, definition] of Object.entries(context)) {
    if (term.startsWith("@")) continue;
    if (typeof definition === "string" && definition.includes(":")) {
      prefixes.set(term, definition);
    } else if (isObject(definition) && member(definition, "@prefix") === true) {
      const iri = member(definition, "@id");
      if (typeof iri === "string") prefixes.set(term, iri);
    }
  }
}

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
const encode = (urnText) => urnText.replace(/[!()*+,:]/g, (char) => PERCENT_ENCODED.get(char));
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

// --- canonical_values: numbers, identifiers, timestamps (canonical_values.py) ------------------

const NUMBER_START = new Set("0123456789+-.");

/**
 * Canonical pre-hash form of a stripped non-time value (CBV 2.0 §8.9.2): CBV 1.x URNs become
 * Web URIs, numbers lose "+" and needless zeros, GS1 keys become canonical Digital Links.
 */
function canonicalValue(text) {
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
function formatJsonScalar(value, field) {
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
function canonicalTimestamp(text, field) {
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
function checkTimeZoneOffset(text) {
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

// --- prehash: the event read in CBV 2.0 §8.9.2 order (prehash.py) ------------------------------

// User extensions may nest, but a hash must be computable in bounded time and stack: deeper or
// larger extension trees than any real trace record are refused (as the core does).
const MAX_USER_EXTENSION_DEPTH = 16;
const MAX_USER_EXTENSION_ELEMENTS = 10_000;

// Not part of the event's identity (CBV 2.0 §8.9.2): the ID the hash may become, the time a
// repository stored the event, error declarations, JSON-LD bookkeeping.
const IGNORED_EVENT_FIELDS = new Set(
  ["type", "eventID", "recordTime", "errorDeclaration", "@context", "#text"]);
const COMMENT_FIELDS = new Set(["comment", "rdfs:comment", `{${RDFS}}comment`, "#text"]);

/** State of one pre-hash computation: prefixes in force and the extension budget. */
class Walk {
  constructor(namespaces) {
    this.namespaces = namespaces;
    this.extensionElements = 0;
  }

  /** Canonical text of a scalar field value ('' when it is blank). */
  text(value, field, words = null) {
    let text = pyStrip(typeof value === "string" ? value : formatJsonScalar(value, field));
    if (words !== null) {
      const uri = words.get(text);
      if (uri !== undefined) return uri; // a bare CBV word stands for its full URI
    }
    if (text.includes(":")) text = this.namespaces.expandValue(text);
    return text ? canonicalValue(text) : text;
  }
}

function requireScalar(value, path) {
  if (value === null || typeof value === "object") {
    throw new EventHashError(`expected a single value, got ${jsonType(value)}`, path);
  }
}

function requireList(value, path) {
  if (!Array.isArray(value)) throw new EventHashError(`expected an array, got ${jsonType(value)}`, path);
  return value;
}

function requireObject(value, path) {
  if (!isObject(value)) throw new EventHashError("must be a JSON object", path);
  return value;
}

const asList = (value) => (Array.isArray(value) ? value : [value]);

// Renderers take (field name, JSON value, walk, path) and return the pre-hash piece ('' if none).

const scalar = (words = null) => (name, value, walk, path) => {
  requireScalar(value, path);
  const text = walk.text(value, path, words);
  return text ? `${name}=${text}` : "";
};

function timestamp(name, value, walk, path) {
  if (typeof value !== "string") throw new EventHashError("a timestamp must be a string", path);
  return `${name}=${canonicalTimestamp(pyStrip(value), path)}`;
}

function timeZoneOffset(name, value, walk, path) {
  if (typeof value !== "string") throw new EventHashError("must be a string ±hh:mm", path);
  return `${name}=${checkTimeZoneOffset(pyStrip(value))}`;
}

function action(name, value, walk, path) {
  if (typeof value !== "string" || !ACTIONS.has(value)) {
    throw new EventHashError(`must be one of ADD, DELETE, OBSERVE, got ${JSON.stringify(value)}`, path);
  }
  return `${name}=${value}`;
}

/** A field holding one value or an array of values (e.g. certificationInfo). */
const repeated = (words = null) => (name, value, walk, path) => {
  const pieces = [];
  asList(value).forEach((item, index) => {
    requireScalar(item, `${path}[${index}]`);
    const text = walk.text(item, `${path}[${index}]`, words);
    if (text) pieces.push(`${name}=${text}`);
  });
  return sortedPython(pieces).join("");
};

/** epcList, childEPCs, inputEPCList, outputEPCList: `name` + sorted `epc=…`. */
function idList(name, value, walk, path) {
  const pieces = [];
  requireList(value, path).forEach((item, index) => {
    requireScalar(item, `${path}[${index}]`);
    const text = walk.text(item, `${path}[${index}]`);
    if (text) pieces.push(`epc=${text}`);
  });
  return pieces.length ? name + sortedPython(pieces).join("") : "";
}

/** Body of an object with known members in order, then its sorted user extensions. */
function structure(fields) {
  const known = new Set(fields.map(([name]) => name));
  return (value, walk, path) => {
    requireObject(value, path);
    let body = "";
    for (const [name, render] of fields) {
      if (hasMember(value, name)) body += render(name, value[name], walk, `${path}.${name}`);
    }
    return body + extensions(value, known, walk, path, 1).join("");
  };
}

const namedStructure = (body) => (name, value, walk, path) => {
  const text = body(value, walk, path);
  return text ? name + text : "";
};

/** A list of objects: `name` + sorted `elementName` + body of each. */
const listOf = (elementName, body) => (name, value, walk, path) => {
  const pieces = [];
  requireList(value, path).forEach((item, index) => {
    const text = body(item, walk, `${path}[${index}]`);
    if (text) pieces.push(elementName + text);
  });
  return pieces.length ? name + sortedPython(pieces).join("") : "";
};

/** A member holding one object or an array of them, each written as `name` + body. */
const repeatedStructure = (body) => (name, value, walk, path) => {
  const pieces = [];
  asList(value).forEach((item, index) => {
    const text = body(item, walk, `${path}[${index}]`);
    if (text) pieces.push(name + text);
  });
  return sortedPython(pieces).join("");
};

// CBV 2.0 §8.9.2: quantity elements — epcClass, quantity, uom.
const QUANTITY_LIST = listOf("quantityElement",
  structure([["epcClass", scalar()], ["quantity", scalar()], ["uom", scalar()]]));
const LOCATION = namedStructure(structure([["id", scalar()]]));
const PERSISTENT_DISPOSITION = namedStructure(structure(
  [["set", repeated(DISPOSITION_URIS)], ["unset", repeated(DISPOSITION_URIS)]]));
// CBV 2.0 §8.9.2 (sensor data): sensorMetadata and sensorReport attributes in order.
const SENSOR_METADATA = structure([
  ["time", timestamp], ["startTime", timestamp], ["endTime", timestamp],
  ...words("deviceID deviceMetadata rawData dataProcessingMethod bizRules").map((n) => [n, scalar()]),
]);
const SENSOR_REPORT = structure([
  ["type", scalar(MEASUREMENT_TYPE_URIS)], ["exception", scalar(SENSOR_ALERT_TYPE_URIS)],
  ...words("deviceID deviceMetadata rawData dataProcessingMethod").map((n) => [n, scalar()]),
  ["time", timestamp],
  ...words("microorganism chemicalSubstance value").map((n) => [n, scalar()]),
  ["component", scalar(SENSOR_COMPONENT_URIS)],
  ...words(`stringValue booleanValue hexBinaryValue uriValue minValue maxValue meanValue sDev
    percRank percValue uom coordinateReferenceSystem`).map((n) => [n, scalar()]),
]);
const SENSOR_ELEMENT = structure([
  ["sensorMetadata", namedStructure(SENSOR_METADATA)],
  ["sensorReport", repeatedStructure(SENSOR_REPORT)],
]);

// CBV 2.0 §8.9.2 canonical property order (the position is the index).
const ORDERED_FIELDS = [
  ["eventTime", timestamp], ["eventTimeZoneOffset", timeZoneOffset],
  ["certificationInfo", repeated()], ["parentID", scalar()], ["epcList", idList],
  ["inputEPCList", idList], ["childEPCs", idList], ["quantityList", QUANTITY_LIST],
  ["childQuantityList", QUANTITY_LIST], ["inputQuantityList", QUANTITY_LIST],
  ["outputEPCList", idList], ["outputQuantityList", QUANTITY_LIST], ["action", action],
  ["transformationID", scalar()], ["bizStep", scalar(BIZ_STEP_URIS)],
  ["disposition", scalar(DISPOSITION_URIS)], ["persistentDisposition", PERSISTENT_DISPOSITION],
  ["readPoint", LOCATION], ["bizLocation", LOCATION],
  ["sensorElementList", listOf("sensorElement", SENSOR_ELEMENT)],
];
const ORDER = new Map(ORDERED_FIELDS.map(([name, render], position) => [name, [position, render]]));

/** bizTransactionList / sourceList / destinationList: sorted `type=…<member>=…` pairs. */
function typedList(valueMember, types) {
  const known = new Set(["type", valueMember]);
  return (name, value, walk, path) => {
    const pieces = [];
    requireList(value, path).forEach((item, index) => {
      const itemPath = `${path}[${index}]`;
      requireObject(item, itemPath);
      if (!hasMember(item, valueMember)) throw new EventHashError(`missing "${valueMember}"`, itemPath);
      let piece = "";
      if (hasMember(item, "type")) {
        requireScalar(item.type, `${itemPath}.type`);
        const typeText = walk.text(item.type, `${itemPath}.type`, types);
        if (typeText) piece = `type=${typeText}`;
      }
      requireScalar(item[valueMember], `${itemPath}.${valueMember}`);
      const text = walk.text(item[valueMember], `${itemPath}.${valueMember}`);
      if (text) piece += `${valueMember}=${text}`;
      piece += extensions(item, known, walk, itemPath, 1).join("");
      if (piece) pieces.push(piece);
    });
    return pieces.length ? name + sortedPython(pieces).join("") : "";
  };
}

// Standard members that CBV 2.0 §8.9.2 places in the sorted tail, with the extensions.
const TAIL_FIELDS = new Map([
  ["bizTransactionList", typedList("bizTransaction", BIZ_TRANSACTION_TYPE_URIS)],
  ["sourceList", typedList("source", SOURCE_DESTINATION_TYPE_URIS)],
  ["destinationList", typedList("destination", SOURCE_DESTINATION_TYPE_URIS)],
]);

// --- user extensions and ILMD --------------------------------------------------------------------

const NO_MEMBERS = new Set();

/** Sorted pre-hash pieces of the members of `object` that are not in `known`. */
function extensions(object, known, walk, path, depth) {
  const pieces = [];
  for (const key of Object.keys(object)) {
    if (known.has(key) || COMMENT_FIELDS.has(key)) continue;
    for (const piece of generic(walk.namespaces.expandKey(key), object[key], walk, `${path}.${key}`, depth)) {
      pieces.push(piece);
    }
  }
  return sortedPython(pieces);
}

/**
 * Pieces of an ILMD element or user extension `name` (CBV 2.0 §8.9.2): objects become `name` +
 * their sorted members, arrays repeat `name` per element, scalars become `name=value`. As in the
 * EPCIS XML binding, an element whose name ends in "List" holds its items under the name without.
 */
function generic(name, value, walk, path, depth) {
  if (depth > MAX_USER_EXTENSION_DEPTH) {
    throw new EventHashError(`${path}: user extensions nest deeper than ${MAX_USER_EXTENSION_DEPTH} levels`);
  }
  walk.extensionElements += 1;
  if (walk.extensionElements > MAX_USER_EXTENSION_ELEMENTS) {
    throw new EventHashError(`${path}: more than ${MAX_USER_EXTENSION_ELEMENTS} user extension elements`);
  }
  if (name.endsWith("List")) {
    const inner = [];
    asList(value).forEach((item, index) => {
      inner.push(...genericItem(name.slice(0, -4), item, walk, `${path}[${index}]`, depth));
    });
    return inner.length ? [name + sortedPython(inner).join("")] : [];
  }
  if (Array.isArray(value)) {
    const pieces = [];
    value.forEach((item, index) => pieces.push(...genericItem(name, item, walk, `${path}[${index}]`, depth)));
    return pieces;
  }
  return genericItem(name, value, walk, path, depth);
}

function genericItem(name, value, walk, path, depth) {
  if (isObject(value)) return [name + extensions(value, NO_MEMBERS, walk, path, depth + 1).join("")];
  if (Array.isArray(value)) return generic(name, value, walk, path, depth + 1);
  if (value === null) throw new EventHashError("null is not a value", path);
  const text = walk.text(value, path);
  return [text ? `${name}=${text}` : name];
}

// --- the event -----------------------------------------------------------------------------------

function computePrehash(event, namespaces, ignoreFields) {
  if (!isObject(event)) {
    throw new EventHashError(`an EPCIS event must be a JSON object, got ${jsonType(event)}`);
  }
  const eventType = member(event, "type");
  if (isAbsent(eventType)) throw new EventHashError("missing", "type");
  if (typeof eventType !== "string" || !EVENT_TYPES.has(eventType)) {
    throw new EventHashError(`unknown EPCIS event type ${JSON.stringify(eventType)}; expected one of `
      + [...EVENT_TYPES].sort().join(", "), "type");
  }
  if (!hasMember(event, "eventTime")) throw new EventHashError("missing", "eventTime");

  const walk = new Walk(namespaces);
  const ordered = [];
  const tail = [];
  for (const [key, value] of Object.entries(event)) {
    const order = ORDER.get(key);
    if (order !== undefined) {
      const [position, render] = order;
      const piece = render(key, value, walk, key);
      if (piece) ordered.push([position, piece]);
      continue;
    }
    if (IGNORED_EVENT_FIELDS.has(key) || COMMENT_FIELDS.has(key)) continue;
    const tailRender = TAIL_FIELDS.get(key);
    if (tailRender !== undefined) {
      const piece = tailRender(key, value, walk, key);
      if (piece) tail.push(piece);
      continue;
    }
    const expanded = namespaces.expandKey(key);
    if (ignoreFields.has(key) || ignoreFields.has(expanded)) continue;
    tail.push(...generic(expanded, value, walk, key, 1));
  }
  ordered.sort((left, right) => left[0] - right[0]);
  return `eventType=${eventType}${ordered.map(([, piece]) => piece).join("")}${sortedPython(tail).join("")}`;
}

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
