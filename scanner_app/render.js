// Drawing the view model (view_model.js: built from verified records only). What the page
// could not verify is either left out or labelled so, visibly (`unverifiedMark`).
// Only DOM calls with textContent: nothing from the server is ever parsed as HTML.

import { temperatureChart } from "./chart.js";

/** h("p", {class: "x"}, "text", child, ...): an element with attributes and children. */
export function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (value === null || value === undefined || value === false) continue;
    node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : String(child));
  }
  return node;
}

/** Text in the user's language from {zh, en} (or a plain string). */
export function localized(value, lang) {
  if (value === null || value === undefined) return "";
  if (typeof value === "string") return value;
  return value[lang] || value.zh || value.en || Object.values(value)[0] || "";
}

export function formatDate(text, t) {
  if (!text) return "";
  // Plain dates ("2027-01-31") are calendar days: show them without a time zone shift.
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) {
    const [year, month, day] = text.split("-").map(Number);
    return new Intl.DateTimeFormat(t("locale"), { dateStyle: "medium", timeZone: "UTC" }).format(Date.UTC(year, month - 1, day));
  }
  const time = Date.parse(text);
  if (Number.isNaN(time)) return text;
  return new Intl.DateTimeFormat(t("locale"), { dateStyle: "medium", timeStyle: "short" }).format(time);
}

function facts(rows) {
  const list = h("dl", { class: "facts" });
  for (const [label, value, extra = {}] of rows) {
    if (value === null || value === undefined || value === "") continue;
    list.append(h("div", { class: extra.className || null }, h("dt", {}, label), h("dd", {}, value)));
  }
  return list;
}

function section(id, title, ...content) {
  return h("section", { class: "panel", id, "aria-labelledby": `${id}-heading` }, h("h2", { id: `${id}-heading` }, title), ...content);
}

/** A visible "unverified" label with the reason in its title (what the page could not check). */
export function unverifiedMark(t, reason = "unverified") {
  return h("span", { class: "unverified", "data-unverified": reason }, ` (${t(reason)})`);
}

/** The recall read from RecallRegistry on chain (recall.js); its reason only if its hash is on chain. */
export function recallBanner(recall, t) {
  if (!recall || !["Open", "Updated"].includes(recall.status)) return null;
  return h("div", { id: "recall-banner", class: "recall", role: "alert", "data-source": "chain" },
    h("strong", {}, t("recallTitle")), h("p", {}, t("recallText")),
    facts([
      [t("recallReason"), recall.reasonVerified ? recall.reason : null],
      [t("recallClass"), recall.recallClass || null],
      [t("recallOpened"), recall.openedAt ? formatDate(new Date(recall.openedAt * 1000).toISOString(), t) : null],
    ]),
    h("p", { class: "source" }, t("recallFromChain")));
}

export function recallUnchecked(message, t) {
  return h("div", { id: "recall-unchecked", class: "warning", role: "alert", title: message }, t("recallUnchecked"));
}

/** Platform-side counters (authenticator, clone alarm): shown, labelled as not verifiable. */
export function authenticityWarnings(authenticity, t) {
  const warnings = [];
  if (!authenticity) return warnings;
  if (authenticity.authenticator === "invalid") {
    warnings.push(h("div", { class: "warning", role: "alert", id: "auth-warning" }, t("authInvalid"),
      unverifiedMark(t, "platformReported")));
  }
  if (authenticity.cloneAlarm) {
    warnings.push(h("div", { class: "warning", role: "alert", id: "clone-warning" },
      t("cloneAlarm", { count: authenticity.scanCount, places: authenticity.distinctPlaces }), unverifiedMark(t, "platformReported")));
  }
  return warnings;
}

const valueOf = (field) => (field && field.verified ? field.value : null);

function dateField(field, t) {
  if (!field || !field.value) return null;
  return field.verified ? formatDate(field.value, t) : h("span", {}, formatDate(field.value, t), unverifiedMark(t, "fromCode"));
}

/** Product: names, origin and producer from verified master data and enterprise records only. */
export function productSection(model, masterVerdict, t) {
  const product = model.product || {};
  const id = model.identifier || {};
  const dates = product.dates || {};
  const name = localized(valueOf(product.name), t.lang);
  const origin = valueOf(product.origin);
  const failed = masterVerdict && masterVerdict.status === "failed";
  return section("product", name || t("product"),
    h("p", { class: "kind" }, model.kind === "equipment" ? t("kindEquipment") : t("kindFood")),
    valueOf(product.description) ? h("p", { class: "description" }, localized(valueOf(product.description), t.lang)) : null,
    failed ? h("p", { class: "warning", id: "master-data-failed", "data-failed-step": masterVerdict.failedStep, title: masterVerdict.message },
      "✗ " + t("masterDataFailed", { step: t(`steps.${masterVerdict.failedStep}`) })) : null,
    failed && masterVerdict.reason ? h("p", { class: "reason", id: "master-data-reason", "data-reason": masterVerdict.reason },
      t(`reasons.${masterVerdict.reason}`)) : null,
    product.masterData === "verified" && product.masterDataVersion
      ? h("p", { class: "source", id: "master-data-version" }, t("masterDataVersion", { version: product.masterDataVersion })) : null,
    facts([
      [t("producer"), product.producer && product.producer.verified ? product.producer.name : null],
      [t("origin"), origin && origin.name],
      [t("gtin"), id.gtin],
      [t("lot"), id.lot],
      [t("serial"), id.serial],
      [t("productionDate"), dateField(dates.production, t)],
      [t("expiryDate"), dateField(dates.expiry, t)],
      [t("bestBefore"), dateField(dates.bestBefore, t)],
    ]));
}

export function equipmentSection(equipment, t) {
  if (!equipment) return null;
  const inspection = equipment.lastInspection || {};
  const maintenance = equipment.lastMaintenance || {};
  const result = inspection.result === "pass" ? t("pass") : inspection.result === "fail" ? t("fail") : inspection.result;
  const due = equipment.nextInspectionDue
    ? h("span", { class: equipment.inspectionOverdue ? "overdue" : null, id: "next-due" },
      formatDate(equipment.nextInspectionDue, t), equipment.inspectionOverdue ? ` (${t("overdue")})` : "")
    : null;
  const maintained = maintenance.date
    ? h("span", { class: equipment.maintenanceOverdue ? "overdue" : null },
      formatDate(maintenance.date, t), equipment.maintenanceOverdue ? ` (${t("maintenanceOverdue")})` : "")
    : null;
  return section("equipment", t("equipment"), facts([
    [t("registrationCode"), equipment.registrationCode],
    [t("maker"), equipment.maker],
    [t("installer"), equipment.installer],
    [t("lastInspection"), formatDate(inspection.date, t)],
    [t("inspectionResult"), result ? h("span", { class: inspection.result === "fail" ? "overdue" : "ok" }, result) : null],
    [t("inspector"), inspection.inspector],
    [t("nextDue"), due, { className: equipment.inspectionOverdue ? "row-overdue" : null }],
    [t("lastMaintenance"), maintained],
    [t("maintainer"), maintenance.by],
    [t("emergencyCode"), equipment.emergencyCode ? h("strong", { class: "emergency" }, equipment.emergencyCode) : null],
  ]));
}

function bizStepName(bizStep, t) {
  if (!bizStep) return "";
  const key = String(bizStep).replace(/^.*[:/]/, ""); // CBV URIs and bare words alike
  const name = t.table.bizSteps[key];
  return name || key.replace(/_/g, " ");
}

function placeText(place, t) {
  if (!place) return null;
  if (place.verified && place.name) return place.name;
  return h("span", {}, place.gln || place.id, unverifiedMark(t, "placeUnnamed"));
}

function partyText(party, t) {
  if (!party) return null;
  if (party.verified && party.name) return party.name;
  const who = party.submitter ? `${party.submitter.slice(0, 6)}…${party.submitter.slice(-4)}` : "";
  return h("span", {}, who, unverifiedMark(t, "enterpriseUnverified"));
}

/**
 * The timeline, oldest first, from the model's entries (signed bodies); each entry gets a status
 * line filled by the page. Entries whose record failed show no content from their body.
 */
export function timelineSection(model, t) {
  const entries = model.timeline || [];
  const summary = h("p", { id: "verify-summary", class: "summary", role: "status", "aria-live": "polite" },
    entries.length ? t("summaryVerifying", { count: entries.length }) : "");
  const list = h("ol", { class: "timeline" });
  const statusNodes = new Map();
  entries.forEach((entry, index) => {
    const status = h("p", { class: "verify pending-check", id: `verify-${index}` }, t("verifying"));
    const reason = h("p", { class: "reason", id: `reason-${index}`, hidden: true });
    const checks = h("details", { class: "checks", hidden: true }, h("summary", {}, t("showChecks")), h("ol", {}));
    statusNodes.set(entry, { status, reason, checks });
    const hasBody = entry.status === "verified" || entry.status === "pending";
    list.append(h("li", { class: "event", "data-event": entry.eventHashId },
      h("h3", {}, hasBody ? bizStepName(entry.bizStep, t) || entry.eventType : t("recordNotShown")),
      hasBody && entry.time ? h("p", { class: "when" }, h("time", { datetime: entry.time }, formatDate(entry.time, t))) : null,
      hasBody ? facts([
        [t("at"), placeText(entry.place, t)],
        [t("by"), partyText(entry.party, t)],
        [t("quantity"), (entry.quantities || []).map((q) => `${q.quantity ?? ""}${q.uom ? " " + q.uom : ""}`.trim()).filter(Boolean).join(", ")],
      ]) : null,
      status, reason, checks));
  });
  const hidden = (model.counts && model.counts.notAboutThisCode) || 0;
  const content = entries.length ? [summary, list] : [h("p", {}, t("noTimeline"))];
  if (hidden) content.push(h("p", { class: "source", id: "not-linked" }, t("notLinked", { count: hidden })));
  return { node: section("timeline", t("timeline"), ...content), entries, statusNodes, summary };
}

export function coldChainSection(sensors, thresholds, t) {
  const threshold = thresholds && thresholds.Temperature;
  const chart = temperatureChart(sensors, threshold, t);
  if (!chart) return null;
  const { outOfRange } = chart.summary;
  const band = threshold ? h("p", { class: "legend" }, h("span", { class: "swatch", "aria-hidden": "true" }),
    `${t("allowedRange")}: ${threshold.min ?? "–"} – ${threshold.max ?? "–"} ${threshold.uom === "FAR" ? "°F" : "°C"}`,
    threshold.verified ? "" : unverifiedMark(t, "platformReported")) : null;
  return section("cold-chain", t("coldChain"), chart, band,
    h("p", { class: outOfRange ? "overdue" : "ok", id: "cold-chain-verdict" },
      outOfRange ? t("outOfRange", { count: outOfRange }) : t("inRange")));
}

/** Certifications from the verified product master data only. */
export function certificationsSection(product, t) {
  const certifications = product && product.certifications && product.certifications.verified ? product.certifications.value : null;
  if (!certifications || certifications.length === 0) return null;
  return section("certifications", t("certifications"), h("ul", { class: "certs" }, certifications.map((cert) =>
    h("li", {}, h("strong", {}, cert.standard || ""), cert.agency ? ` · ${cert.agency}` : "",
      cert.value ? ` · ${cert.value}` : "", cert.identification ? h("span", { class: "cert-id" }, ` ${cert.identification}`) : ""))));
}

/** Whose trust anchors the page uses, and where it asks (the page's own origin is trusted). */
export function anchorsNote(anchors, endpoints, t) {
  return h("p", { class: "anchors", id: "trust-anchors" }, t("anchorsBy", { name: anchors.name }),
    h("span", { class: "detail" }, ` · ${t("chainLabel")} ${anchors.chainId} · ${t("nodeLabel")} ${new URL(endpoints.rpc).host}`));
}
