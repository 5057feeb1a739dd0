// Differential-test driver: reads a JSON array of scanned texts on stdin, writes one JSON
// array of answers (recall keys and subjects, or the error) from scanner_app/digital_link.js.
import { recallKeysCovering, recallSubject, identify, UnsupportedDigitalLinkError } from "../../../scanner_app/digital_link.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const inputs = JSON.parse(Buffer.concat(chunks).toString("utf8"));
const answers = [];
for (const text of inputs) {
  try {
    const keys = recallKeysCovering(text);
    const subjects = await Promise.all(keys.map(recallSubject));
    answers.push({ ok: true, kind: identify(text).kind, keys, subjects });
  } catch (error) {
    answers.push({ ok: false, unsupported: error instanceof UnsupportedDigitalLinkError, error: String(error.message) });
  }
}
process.stdout.write(JSON.stringify(answers));
