// Building the result view from the consumer lookup (trace_api/README.md, "Consumer view").
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

export function recallBanner(recall, t) {
  if (!recall || recall.status !== "open") return null;
  return h("div", { id: "recall-banner", class: "recall", role: "alert" },
    h("strong", {}, t("recallTitle")), h("p", {}, t("recallText")),
    facts([
      [t("recallReason"), recall.reason],
      [t("recallClass"), recall.class],
      [t("recallOpened"), formatDate(recall.openedAt, t)],
    ]));
}

export function authenticityWarnings(authenticity, t) {
  const warnings = [];
  if (!authenticity) return warnings;
  if (authenticity.authenticator === "invalid") {
    warnings.push(h("div", { class: "warning", role: "alert", id: "auth-warning" }, t("authInvalid")));
  }
  if (authenticity.cloneAlarm) {
    warnings.push(h("div", { class: "warning", role: "alert", id: "clone-warning" },
      t("cloneAlarm", { count: authenticity.scanCount, places: authenticity.distinctPlaces })));
  }
  return warnings;
}

export function productSection(view, t) {
  const product = view.product || {};
  const id = view.identifier || {};
  const dates = product.dates || {};
  return section("product", localized(product.name, t.lang) || t("product"),
    h("p", { class: "kind" }, view.kind === "equipment" ? t("kindEquipment") : t("kindFood")),
    product.description ? h("p", { class: "description" }, localized(product.description, t.lang)) : null,
    facts([
      [t("producer"), product.producer && product.producer.name],
      [t("origin"), product.origin && product.origin.name],
      [t("gtin"), id.gtin],
      [t("lot"), id.lot],
      [t("serial"), id.serial],
      [t("productionDate"), formatDate(dates.production, t)],
      [t("expiryDate"), formatDate(dates.expiry || id.expiry, t)],
      [t("bestBefore"), formatDate(dates.bestBefore, t)],
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

/** The timeline, oldest first (farm to shelf); each entry gets a status line to fill later. */
export function timelineSection(timeline, t) {
  const entries = [...(timeline || [])].sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const summary = h("p", { id: "verify-summary", class: "summary", role: "status", "aria-live": "polite" },
    entries.length ? t("summaryVerifying", { count: entries.length }) : "");
  const list = h("ol", { class: "timeline" });
  const statusNodes = new Map();
  entries.forEach((entry, index) => {
    const status = h("p", { class: "verify pending-check", id: `verify-${index}` }, t("verifying"));
    const checks = h("details", { class: "checks", hidden: true }, h("summary", {}, t("showChecks")), h("ol", {}));
    statusNodes.set(entry, { status, checks });
    list.append(h("li", { class: "event" },
      h("h3", {}, bizStepName(entry.bizStep, t) || entry.eventType),
      h("p", { class: "when" }, h("time", { datetime: entry.time }, formatDate(entry.time, t))),
      facts([
        [t("at"), entry.location && (entry.location.name || entry.location.id)],
        [t("by"), entry.enterprise && entry.enterprise.name],
      ]),
      status, checks));
  });
  const content = entries.length ? [summary, list] : [h("p", {}, t("noTimeline"))];
  return { node: section("timeline", t("timeline"), ...content), entries, statusNodes, summary };
}

export function coldChainSection(sensors, thresholds, t) {
  const threshold = thresholds && thresholds.Temperature;
  const chart = temperatureChart(sensors, threshold, t);
  if (!chart) return null;
  const { outOfRange } = chart.summary;
  const band = threshold ? h("p", { class: "legend" }, h("span", { class: "swatch", "aria-hidden": "true" }),
    `${t("allowedRange")}: ${threshold.min ?? "–"} – ${threshold.max ?? "–"} ${threshold.uom === "FAR" ? "°F" : "°C"}`) : null;
  return section("cold-chain", t("coldChain"), chart, band,
    h("p", { class: outOfRange ? "overdue" : "ok", id: "cold-chain-verdict" },
      outOfRange ? t("outOfRange", { count: outOfRange }) : t("inRange")));
}

export function certificationsSection(certifications, t) {
  if (!certifications || certifications.length === 0) return null;
  return section("certifications", t("certifications"), h("ul", { class: "certs" }, certifications.map((cert) =>
    h("li", {}, h("strong", {}, cert.standard || ""), cert.agency ? ` · ${cert.agency}` : "",
      cert.value ? ` · ${cert.value}` : "", cert.identification ? h("span", { class: "cert-id" }, ` ${cert.identification}`) : ""))));
}
