// Batch runner for tests/scanner_app/test_view_model_js.py: reads a JSON list of calls on stdin,
// [{"fn": "<export of one of the view model's modules>" | "equipment", "args": [...]}, ...], and writes
// one JSON list of results, [{"value": ...} | {"error": "..."}], so thousands of cases cost one
// node start. "equipment" runs lifeCycleOf then equipmentStatus with a name table.

import { readFileSync } from "node:fs";
import * as equipment from "../../../scanner_app/equipment.js";
import * as epcisTime from "../../../scanner_app/epcis_time.js";
import * as eventBody from "../../../scanner_app/event_body.js";
import * as identifierKeys from "../../../scanner_app/identifier_keys.js";
import * as recordHash from "../../../scanner_app/record_hash.js";
import * as views from "../../../scanner_app/view_model.js";

// Export names are unique across these modules, so one namespace serves every call.
const viewModel = { ...epcisTime, ...identifierKeys, ...eventBody, ...equipment, ...recordHash, ...views };

const composite = {
  equipment(key, events, nowMs, names) {
    return viewModel.equipmentStatus(viewModel.lifeCycleOf(key, events), { nowMs, nameOf: (id) => names[id] ?? null });
  },
  timeText(text, bareIsUtc) {
    const ms = viewModel.parseTimeMs(text, { bareIsUtc });
    return ms === null ? null : viewModel.formatTimeMs(ms);
  },
  locationGln(id) {
    return viewModel.glnOf(viewModel.identifierKey(id));
  },
};

function run({ fn, args = [] }) {
  const target = composite[fn] || (typeof viewModel[fn] === "function" ? viewModel[fn] : null);
  if (!target) return { error: `no such function: ${fn}` };
  try {
    return { value: target(...args) ?? null };
  } catch (error) {
    return { error: String(error && error.stack || error) };
  }
}

const calls = JSON.parse(readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(calls.map(run)));
