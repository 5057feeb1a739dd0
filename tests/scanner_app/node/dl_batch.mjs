// Differential-test driver: reads a JSON array of scanned texts on stdin, writes one JSON
// array of answers (recall keys and subjects, or the error) from scanner_app/digital_link.js.
import { DigitalLinkError, identify, recallKeysCovering, recallSubject } from "../../../scanner_app/digital_link.js";

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
    if (!(error instanceof DigitalLinkError)) throw error; // anything else is a bug in the port
    answers.push({ ok: false, error: String(error.message) });
  }
}
process.stdout.write(JSON.stringify(answers));
