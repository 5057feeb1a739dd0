// The event read in CBV 2.0 §8.9.2 order, user extensions and ILMD included
// (anchoring/core/event_hash/prehash.py).

import { EventHashError } from "./errors.js";
import { hasMember, isAbsent, isObject, jsonType, member, pyStrip, sortedPython } from "./python_text.js";
import { ACTIONS, BIZ_STEP_URIS, BIZ_TRANSACTION_TYPE_URIS, DISPOSITION_URIS, EVENT_TYPES, MEASUREMENT_TYPE_URIS, RDFS, SENSOR_ALERT_TYPE_URIS, SENSOR_COMPONENT_URIS, SOURCE_DESTINATION_TYPE_URIS, words } from "./terms.js";
import { canonicalTimestamp, canonicalValue, checkTimeZoneOffset, formatJsonScalar } from "./canonical_values.js";

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

export function computePrehash(event, namespaces, ignoreFields) {
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
