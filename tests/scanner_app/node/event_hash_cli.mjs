// Test runner for scanner_app/event_hash.js: one JSON request per stdin line,
//   {"event": {...}, "context": ... | null, "ignoreFields": [...]}   (ignoreFields optional)
// one JSON answer per stdout line, in the same order:
//   {"prehash": "...", "hashId": "ni:///sha-256;...?ver=CBV2.0"}  or  {"error": "...", "prehash"?: "..."}
// ("prehash" beside an error when only the hashing refused, e.g. an unpaired surrogate).
// A whole batch runs in one process so the Python tests pay one Node start-up.
import { createInterface } from "node:readline";
import { EventHashError, eventHashId, preHashString } from "../../../scanner_app/event_hash.js";

async function answer(line) {
  const { event, context = null, ignoreFields = [] } = JSON.parse(line);
  let prehash;
  try {
    prehash = preHashString(event, context, { ignoreFields });
    return { prehash, hashId: await eventHashId(event, context, { ignoreFields }) };
  } catch (error) {
    if (!(error instanceof EventHashError)) throw error; // a bug in the port, not a refusal
    return prehash === undefined ? { error: error.message } : { error: error.message, prehash };
  }
}

const pending = [];
for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim()) pending.push(answer(line)); // digests overlap; answers keep input order
}
const answers = await Promise.all(pending);
process.stdout.write(answers.map((result) => JSON.stringify(result) + "\n").join(""));
