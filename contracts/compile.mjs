// Compile Solidity standard-JSON input read from stdin with the pinned npm `solc`,
// write the standard-JSON output to stdout. Called by contracts/build.py.
// The `solcjs --standard-json` CLI prints a warning line before the JSON, hence this script.
import solc from "solc";

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const input = Buffer.concat(chunks).toString("utf8");
const expected = process.argv[2];
const version = solc.version();
if (expected && !version.startsWith(expected + "+")) {
  process.stderr.write(`solc ${version} is installed, ${expected} is pinned: run npm ci --prefix contracts\n`);
  process.exit(3);
}
process.stdout.write(solc.compile(input));
