// What the scan page shows, built from verified inputs only (issue 15: everything shown comes
// from event bodies whose hash the page recomputed, or from verified master data).
//
// Pure: no DOM, no network; the page and Node (tests/scanner_app/test_view_model_js.py) run
// the same code. `buildView` takes the records verify.js checked (each with its body, status,
// submitter and enterprise id), the verified product master data, the enterprise records
// verified against MemberRegistry, the on-chain recall and the platform's unverifiable extras,
// and returns a plain object. Anything not derived from a verified input is absent or carries
// `verified: false` (and `source`), never mixed silently with what is.
//
// Small parts of the Python side are ported here and held to it by differential tests:
// time parsing/formatting (trace_api/records/columns), identifier keys and GLNs (gs1/keys),
// sensor readings (trace_api/consumer/sources._readings_of) and the equipment life cycle
// (trace_api/audit/equipment_life_cycle, epcis_view, config defaults).

import { equipmentStatus, lifeCycleOf } from "./equipment.js";
import { formatLocalTime, formatTimeMs, gs1Date, parseTimeMs } from "./epcis_time.js";
import {
  asList, cbvWord, isNumber, isObject, locationOf, LOT_NUMBER_KEYS, objectsOf, sensorReadings,
} from "./event_body.js";
import { glnOf, gtinKeyOf, identifierKey, identifyLink } from "./identifier_keys.js";
import { DigitalLinkError, escapePathComponent, gtinKey, parseDigitalLink } from "./digital_link.js";

export const LINK_MAX_ROUNDS = 16; // the server traces 10 hops (TIMELINE_DEPTH); a fixpoint rarely needs half
export const LINK_MAX_KEYS = 2_000; // as TIMELINE_MAX_NODES: a page needs the chain, not every sibling
export const DEFAULT_COLD_CHAIN_CLASSES = Object.freeze({
  chilled: { min: 0.0, max: 5.0 }, frozen: { min: null, max: -18.0 }, deep_frozen: { min: null, max: -25.0 }, ambient: { min: null, max: null },
});

// --- which events are about the scanned code --------------------------------------------------------

function lotNumberOf(body) {
  if (!isObject(body.ilmd)) return null;
  const key = LOT_NUMBER_KEYS.find((name) => typeof body.ilmd[name] === "string");
  return key ? body.ilmd[key] : null;
}

/**
 * Keys connected to `start` ({key: "full"|"up"}) through `events` ([{body, refs}]), walked as
 * provenance/graph.py walks backward: an event naming a key as child (or as an object next to a
 * parentID) adds its parent, reached going up; a parent reached "full" adds its children; an
 * output adds the transformation's inputs (lineage, "full"); an item commissioned with an ILMD
 * lot adds that lot; a GTIN reached "full" covers its lots and items. Nothing is added from an input (that is the way forward) or from other
 * objects of one ObjectEvent (siblings), so a pallet-mate's history stays out.
 * Returns {modes: Map key -> mode, truncated}.
 */
export function linkedKeys(start, events) {
  const modes = new Map(Object.entries(start).filter(([key]) => key));
  let truncated = false;
  const add = (key, mode) => {
    if (!key || modes.get(key) === "full" || (mode === "up" && modes.has(key))) return false;
    if (!modes.has(key) && modes.size >= LINK_MAX_KEYS) {
      truncated = true;
      return false;
    }
    modes.set(key, mode);
    return true;
  };
  for (let round = 0; round < LINK_MAX_ROUNDS; round += 1) {
    let changed = false;
    for (const { body, refs } of events) {
      // A GTIN reached "full" (a scanned GTIN-only code) covers its lots and items.
      for (const ref of refs) if (!modes.has(ref.key) && modes.get(gtinKeyOf(ref.key)) === "full") changed = add(ref.key, "full") || changed;
      const named = refs.filter((ref) => modes.has(ref.key));
      if (named.length === 0) continue;
      const parents = refs.filter((ref) => ref.role === "parent");
      for (const ref of named) {
        if (ref.role === "child" || ref.role === "object") for (const parent of parents) changed = add(parent.key, "up") || changed;
        if (ref.role === "parent" && modes.get(ref.key) === "full") {
          for (const child of refs.filter((r) => r.role === "child" || r.role === "object")) changed = add(child.key, "full") || changed;
        }
        if (ref.role === "output") for (const input of refs.filter((r) => r.role === "input")) changed = add(input.key, "full") || changed;
        const lot = (ref.role === "object" || ref.role === "output") && ref.kind === "item" ? lotNumberOf(body) : null;
        if (lot !== null) changed = add(identifierKey(`${gtinKeyOf(ref.key)}/10/${escapePathComponent(lot)}`), "up") || changed;
      }
    }
    if (!changed) return { modes, truncated };
  }
  return { modes, truncated: true };
}

/** Is an event about the code? It names a linked key, other than only as an input of a
 * transformation whose outputs are not linked (that is where a linked lot went, not came from),
 * unless the input is one of the scanned code's own keys. */
function isLinked(refs, modes, own) {
  return refs.some((ref) => modes.has(ref.key) && (ref.role !== "input" || own.has(ref.key)));
}

// --- the view -----------------------------------------------------------------------------------------

function scannedIdentifier(uri) {
  let link;
  try {
    link = parseDigitalLink(uri);
  } catch (error) {
    if (error instanceof DigitalLinkError) return null;
    throw error;
  }
  const id = identifyLink(uri);
  if (!id) return null;
  const all = new Map([link.primaryKey, ...link.qualifiers, ...link.attributes]);
  const dateOf = (ai) => (all.has(ai) ? gs1Date(all.get(ai)) : null);
  return {
    ...id, gtinKey: gtinKeyOf(id.key), gtin: all.get("01") ?? null, lot: all.get("10") ?? null, serial: all.get("21") ?? null,
    sscc: all.get("00") ?? null, giai: all.get("8004") ?? null, gln: all.get("414") ?? null,
    productionDate: dateOf("11"), expiry: dateOf("17"), bestBefore: dateOf("15"),
  };
}

const lower = (value) => (typeof value === "string" ? value.toLowerCase() : value);

function verifiedEnterprises(enterprises) {
  const byId = new Map();
  for (const [id, entry] of Object.entries(enterprises || {})) {
    if (entry && entry.verified === true && isObject(entry.record)) byId.set(lower(id), entry.record);
  }
  return byId;
}

function placeOf(body, enterprises) {
  const id = locationOf(body);
  if (id === null) return null;
  const gln = glnOf(identifierKey(id));
  const owner = gln && [...enterprises.values()].find((record) => asList(record.glns).includes(gln));
  return { id, gln, name: owner ? owner.name : null, verified: Boolean(owner) };
}

function partyOf(record, enterprises) {
  const found = enterprises.get(lower(record.enterpriseId));
  return { enterpriseId: record.enterpriseId ?? null, submitter: record.submitter ?? null, name: found ? found.name : null, verified: Boolean(found) };
}

function quantitiesOf(body) {
  const lists = [["quantityList", "object"], ["childQuantityList", "child"], ["inputQuantityList", "input"], ["outputQuantityList", "output"]];
  return lists.flatMap(([member, role]) => asList(body[member]).filter((q) => isObject(q) && typeof q.epcClass === "string")
    .map((q) => ({ role, epcClass: q.epcClass, quantity: isNumber(q.quantity) ? q.quantity : null, uom: typeof q.uom === "string" ? q.uom : null })));
}

function timelineEntry(record, timeMs, enterprises) {
  const { body } = record;
  const offset = typeof body.eventTimeZoneOffset === "string" ? body.eventTimeZoneOffset : null;
  const certifications = body.certificationInfo;
  return {
    eventHashId: record.eventHashId, status: record.status, verified: record.status === "verified",
    time: timeMs === null ? null : formatTimeMs(timeMs), timeMs, timeZoneOffset: offset, localTime: formatLocalTime(timeMs, offset),
    eventType: typeof body.type === "string" ? body.type : null, bizStep: cbvWord(body.bizStep),
    action: typeof body.action === "string" ? body.action : null, disposition: cbvWord(body.disposition),
    place: placeOf(body, enterprises), party: partyOf(record, enterprises), quantities: quantitiesOf(body),
    certificationInfo: (Array.isArray(certifications) ? certifications : [certifications]).filter((c) => typeof c === "string"),
    anchor: record.anchor ?? null,
  };
}

function masterDataDocument(masterData) {
  if (!isObject(masterData)) return { document: null, enterpriseId: null };
  if (isObject(masterData.record)) return { document: masterData.record, enterpriseId: masterData.enterpriseId ?? null };
  return { document: masterData, enterpriseId: masterData.enterpriseId ?? null };
}

function productView(identifier, masterData, owners, production) {
  const { document } = masterDataDocument(masterData);
  const matches = document && document.format === "traceledger.masterdata/v1" && document.kind === "product"
    && identifier && identifier.gtinKey !== null && document.subject === identifier.gtinKey && isObject(document.product);
  const signed = (value) => (value === undefined || value === null ? null : { value, verified: true, source: "masterData" });
  const product = matches ? document.product : {};
  const producer = owners.length ? { enterpriseId: owners[0].enterpriseId, name: owners[0].record.name, verified: true } : null;
  const fromCode = (value) => (value ? { value, verified: false, source: "code" } : null);
  return {
    masterData: !document ? "absent" : matches ? "verified" : "other-product",
    masterDataVersion: matches ? document.version ?? null : null,
    name: signed(product.name), description: signed(product.description), origin: signed(product.origin),
    productClass: signed(product.productClass), certifications: signed(Array.isArray(product.certifications) ? product.certifications : null),
    producer,
    dates: {
      production: production ? { value: production.date, verified: true, source: "event", eventHashId: production.eventHashId }
        : fromCode(identifier && identifier.productionDate),
      expiry: fromCode(identifier && identifier.expiry),
      bestBefore: fromCode(identifier && identifier.bestBefore),
    },
  };
}

function ownersOf(identifier, masterData, enterprises) {
  const { enterpriseId } = masterDataDocument(masterData);
  const digits = identifier && identifier.gtin ? identifier.gtin.slice(1) : null;
  const owners = [];
  for (const [id, record] of enterprises) {
    const holdsPrefix = digits && asList(record.companyPrefixes).some((p) => typeof p === "string" && p && digits.startsWith(p));
    const signer = Boolean(enterpriseId) && lower(enterpriseId) === id;
    if (holdsPrefix || signer) owners[signer ? "unshift" : "push"]({ enterpriseId: id, record });
  }
  return owners; // the master data's signer first: it is the producer shown
}

function thresholdsOf(product, platform) {
  const productClass = product.productClass && product.productClass.value;
  const limits = DEFAULT_COLD_CHAIN_CLASSES[productClass];
  if (limits) {
    return limits.min === null && limits.max === null ? {}
      : { Temperature: { min: limits.min, max: limits.max, uom: "CEL", verified: true, source: "productClass" } };
  }
  const claimed = platform && isObject(platform.thresholds) ? platform.thresholds : {};
  return Object.fromEntries(Object.entries(claimed).map(([type, limit]) => [type, { ...limit, verified: false, source: "platform" }]));
}

/**
 * Everything the scan page shows, from verified inputs (module comment). Inputs:
 * `uri` the scanned Digital Link; `records` [{eventHashId, body, status, submitter,
 * enterpriseId, anchor}] as verify.js returned them; `masterData` the verified product record
 * (document, or {record, enterpriseId}) or null; `enterprises` {enterpriseId: {record,
 * verified}}; `recall` the on-chain recall or null; `platform` {authenticity, thresholds} (never
 * verifiable); `now` ms or Date. Failed records appear as entries without content; records not
 * connected to the code are listed in `notAboutThisCode` and not shown.
 */
export function buildView({ uri, records = [], masterData = null, enterprises = {}, recall = null, platform = null, now = Date.now() }) {
  const nowMs = now instanceof Date ? now.getTime() : Number(now);
  const identifier = scannedIdentifier(uri);
  const verifiedIds = verifiedEnterprises(enterprises);
  const trusted = records.map((record, order) => ({ record, order }))
    .filter(({ record }) => (record.status === "verified" || record.status === "pending") && isObject(record.body))
    .map(({ record, order }) => ({ record, order, body: record.body, refs: objectsOf(record.body), timeMs: parseTimeMs(record.body.eventTime, { bareIsUtc: true }) }));

  const start = identifier ? { [identifier.lotKey || ""]: "up", [identifier.gtinKey || ""]: "up", [identifier.key]: "full" } : {};
  delete start[""];
  const own = new Set(Object.keys(start));
  const { modes, truncated } = linkedKeys(start, trusted);
  const linked = trusted.filter((event) => isLinked(event.refs, modes, own));
  const linkedSet = new Set(linked);
  const counted = linked.filter((event) => event.record.status === "verified");

  const owners = ownersOf(identifier, masterData, verifiedIds);
  const ownerIds = new Set(owners.map((owner) => owner.enterpriseId));
  const commissioning = counted.filter((event) => cbvWord(event.body.bizStep) === "commissioning" && ownerIds.has(lower(event.record.enterpriseId))
    && event.refs.some((ref) => own.has(ref.key) && (ref.role === "object" || ref.role === "output")) && event.timeMs !== null)
    .sort((a, b) => a.timeMs - b.timeMs || a.order - b.order)[0];
  const production = commissioning && {
    eventHashId: commissioning.record.eventHashId,
    date: (formatLocalTime(commissioning.timeMs, commissioning.body.eventTimeZoneOffset) || formatTimeMs(commissioning.timeMs)).slice(0, 10),
  };
  const product = identifier && identifier.gtin ? productView(identifier, masterData, owners, production) : null;

  const entries = [
    ...linked.map((event) => ({ order: event.order, entry: timelineEntry(event.record, event.timeMs, verifiedIds) })),
    ...records.map((record, order) => ({ record, order })).filter(({ record }) => !(record.status === "verified" || record.status === "pending") || !isObject(record.body))
      .map(({ record, order }) => ({ order, entry: { eventHashId: record.eventHashId, status: record.status, verified: false, timeMs: null } })),
  ].sort((a, b) => (a.entry.timeMs ?? Infinity) - (b.entry.timeMs ?? Infinity) || a.order - b.order).map(({ entry }) => entry);

  const sensors = sensorReadings(counted.map((event) => ({ body: event.body, eventHashId: event.record.eventHashId, timeMs: event.timeMs })));

  let equipment = null;
  if (identifier && identifier.kind === "asset") {
    const naming = counted.filter((event) => event.refs.some((ref) => ref.key === identifier.key))
      .map((event) => ({ body: event.body, enterpriseId: event.record.enterpriseId, order: event.order }));
    if (naming.length) {
      const nameOf = (id) => (verifiedIds.get(lower(id)) || {}).name || null;
      equipment = { ...equipmentStatus(lifeCycleOf(identifier.key, naming), { nowMs, nameOf }), verified: true, events: naming.length };
    }
  }

  return {
    uri,
    identifier,
    kind: identifier && identifier.kind === "asset" ? "equipment" : "food",
    product,
    recall: recall ? { ...recall, verified: true, source: "chain" } : null,
    timeline: entries,
    notAboutThisCode: trusted.filter((event) => !linkedSet.has(event)).map((event) => ({ eventHashId: event.record.eventHashId, status: event.record.status })),
    linkage: { keys: [...modes.keys()], truncated },
    sensors: sensors.readings,
    sensorsTruncated: sensors.truncated,
    thresholds: thresholdsOf(product || {}, platform),
    equipment,
    platform: platform && isObject(platform.authenticity) ? { authenticity: { ...platform.authenticity, verified: false, source: "platform" } } : { authenticity: null },
    counts: {
      verified: records.filter((r) => r.status === "verified").length,
      pending: records.filter((r) => r.status === "pending").length,
      failed: records.filter((r) => r.status !== "verified" && r.status !== "pending").length,
      shown: entries.length,
      notAboutThisCode: trusted.length - linked.length,
    },
  };
}
