// Test driver: reads {rpcUrl, anchors, queries: [{uri, reason}]} as JSON on stdin and writes
// the answers of scanner_app/recall.js readRecalls (or the error) as one JSON array.
// Run with --import ./tests/scanner_app/node/recall_vendor_hooks.mjs.
import { readRecalls } from "../../../scanner_app/recall.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { rpcUrl, anchors, queries } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const answers = [];
for (const { uri, reason = null } of queries) {
  try {
    answers.push({ ok: true, recall: await readRecalls(uri, { rpc: rpcUrl, anchors, reason }) });
  } catch (error) {
    answers.push({ ok: false, error: `${error.name}: ${error.message}` });
  }
}
process.stdout.write(JSON.stringify(answers));
