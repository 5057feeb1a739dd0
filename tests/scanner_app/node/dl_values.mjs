// Differential-test driver: reads {linters: [[name, part]...], values: [[ai, value]...]} on
// stdin and writes, from scanner_app/gs1_linters.js, every linter's name and the reason (or
// null) for each linter check and each AI value.
import { LINTERS, aiValueReason } from "../../../scanner_app/gs1_linters.js";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { linters = [], values = [] } = JSON.parse(Buffer.concat(chunks).toString("utf8"));
process.stdout.write(JSON.stringify({
  linterNames: Object.keys(LINTERS).sort(),
  linters: linters.map(([name, part]) => LINTERS[name](part)),
  values: values.map(([ai, value]) => aiValueReason(ai, value)),
}));
