// Cold-chain temperature chart as inline SVG: the readings as a line, the allowed range as a
// band, out-of-range readings marked. Built with DOM calls (no innerHTML), so sensor values
// can never inject markup, and drawn in a fixed viewBox that scales to a 360 px phone.

const SVG = "http://www.w3.org/2000/svg";
const WIDTH = 320;
const HEIGHT = 160;
const PAD = { left: 34, right: 8, top: 10, bottom: 22 };

function el(name, attributes = {}, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (text !== undefined) node.textContent = text;
  return node;
}

/** Round a number for display: at most one decimal. */
export function formatValue(value) {
  return String(Math.round(value * 10) / 10);
}

/**
 * Summarise temperature readings against a threshold: {readings, low, high, outOfRange}.
 * `sensors` is the lookup's `sensors` list; only type "Temperature" is charted.
 */
export function summarise(sensors, threshold) {
  const readings = (sensors || [])
    .filter((s) => s && s.type === "Temperature" && Number.isFinite(s.value) && !Number.isNaN(Date.parse(s.time)))
    .map((s) => ({ time: Date.parse(s.time), value: s.value }))
    .sort((a, b) => a.time - b.time);
  const values = readings.map((r) => r.value);
  const outside = (v) => threshold && ((Number.isFinite(threshold.min) && v < threshold.min) || (Number.isFinite(threshold.max) && v > threshold.max));
  return {
    readings,
    low: values.length ? Math.min(...values) : null,
    high: values.length ? Math.max(...values) : null,
    outOfRange: readings.filter((r) => outside(r.value)).length,
    outside,
  };
}

/** The chart as an <svg> element, or null when there are no temperature readings. */
export function temperatureChart(sensors, threshold, t) {
  const summary = summarise(sensors, threshold);
  const { readings } = summary;
  if (readings.length === 0) return null;
  const unit = (threshold && threshold.uom === "FAR") || (sensors[0] && sensors[0].uom === "FAR") ? "°F" : "°C";
  const bandMin = threshold && Number.isFinite(threshold.min) ? threshold.min : null;
  const bandMax = threshold && Number.isFinite(threshold.max) ? threshold.max : null;
  const lo = Math.min(summary.low, bandMin ?? summary.low) - 1;
  const hi = Math.max(summary.high, bandMax ?? summary.high) + 1;
  const t0 = readings[0].time;
  const t1 = Math.max(readings[readings.length - 1].time, t0 + 1);
  const x = (time) => PAD.left + ((time - t0) / (t1 - t0)) * (WIDTH - PAD.left - PAD.right);
  const y = (value) => PAD.top + ((hi - value) / (hi - lo)) * (HEIGHT - PAD.top - PAD.bottom);

  const svg = el("svg", {
    viewBox: `0 0 ${WIDTH} ${HEIGHT}`,
    class: "chart",
    role: "img",
    "aria-label": t("chartLabel", {
      min: bandMin ?? "–", max: bandMax ?? "–", unit,
      low: formatValue(summary.low), high: formatValue(summary.high),
    }),
  });
  if (bandMin !== null || bandMax !== null) {
    const top = y(bandMax ?? hi);
    const bottom = y(bandMin ?? lo);
    svg.append(el("rect", { class: "band", x: PAD.left, y: top, width: WIDTH - PAD.left - PAD.right, height: bottom - top }));
    for (const limit of [bandMin, bandMax]) {
      if (limit === null) continue;
      svg.append(el("line", { class: "limit", x1: PAD.left, x2: WIDTH - PAD.right, y1: y(limit), y2: y(limit) }));
      svg.append(el("text", { class: "axis", x: PAD.left - 4, y: y(limit) + 4, "text-anchor": "end" }, `${formatValue(limit)}${unit}`));
    }
  }
  svg.append(el("line", { class: "axis-line", x1: PAD.left, x2: PAD.left, y1: PAD.top, y2: HEIGHT - PAD.bottom }));
  const points = readings.map((r) => `${x(r.time).toFixed(1)},${y(r.value).toFixed(1)}`).join(" ");
  svg.append(el("polyline", { class: "reading", points }));
  for (const r of readings) {
    const bad = summary.outside(r.value);
    svg.append(el("circle", { class: bad ? "point bad" : "point", cx: x(r.time).toFixed(1), cy: y(r.value).toFixed(1), r: bad ? 4 : 2.5 }));
  }
  const dateFormat = new Intl.DateTimeFormat(t("locale"), { month: "numeric", day: "numeric" });
  svg.append(el("text", { class: "axis", x: PAD.left, y: HEIGHT - 6 }, dateFormat.format(t0)));
  svg.append(el("text", { class: "axis", x: WIDTH - PAD.right, y: HEIGHT - 6, "text-anchor": "end" }, dateFormat.format(t1)));
  svg.summary = summary;
  return svg;
}
