// In-browser check of a `traceledger.proof/v1` bundle (trace_api/README.md, "Proof bundle"):
// the consumer's phone re-derives the verdict from the record's log entry, its RFC 9162
// inclusion proof, the log's C2SP signed checkpoint and the head anchored on chain, and
// trusts our server for none of it but transport. WebCrypto does SHA-256 and Ed25519.
//
// `verifyBundle(bundle, options)` never throws for a bad bundle: it returns
// {status: "verified" | "pending" | "failed", steps: [{step, ok, detail}], failedStep,
//  anchor: {blockNumber, blockTime, blockHash, headIndex, witnesses, chainWitnesses}}.
// Step ids are stable (the page translates them; tests name them):
export const STEPS = Object.freeze([
  "format", // 1. the bundle has the v1 shape, hex and base64 are canonical
  "entry", // 2. the 158-byte v1 entry decodes and matches entryFields and the Event Hash ID
  "leafHash", // 3. SHA-256(0x00 || entry) equals leafHash, RFC 9162 §2.1.1
  "inclusion", // 4. the inclusion proof leads to rootHash, RFC 9162 §2.1.3.2
  "checkpointSignature", // 5. the log's Ed25519 note signature verifies, C2SP signed-note
  "checkpointHead", // 6. the checkpoint names this log, treeSize and rootHash, C2SP tlog-checkpoint
  "witnessCosignatures", // 7. every cosignature by a listed witness verifies, C2SP tlog-cosignature
  "chainId", // 8. the JSON-RPC endpoint serves the chain the bundle names
  "anchoredRoot", // 9. TraceAnchor.rootAtSize(treeSize) == rootHash, by eth_call
  "anchorBlock", // 10. the head's block on chain is the bundle's block; its time comes from the chain
]);

// ABI of the TraceAnchor calls made here (contracts/build/TraceAnchor.json). Selectors are the
// first 4 bytes of keccak256 of the signature; tests/scanner_app recompute them from the ABI.
export const TRACE_ANCHOR_SELECTORS = Object.freeze({
  "rootAtSize(uint64)": "0x6867875b",
  "headIndexBySize(uint64)": "0x83a40d44",
  "headAt(uint256)": "0xc1742a8c",
});
export const TRACE_ANCHOR_TOPICS = Object.freeze({
  "TreeHeadWitnessed(uint256,address,uint64,bytes32)":
    "0xf5373e2f6e4cfaabb5b8362157ed2bb2b1c71c7298dd48010ed13a0bd898d2a9",
});

export const PROOF_FORMAT = "traceledger.proof/v1";
export const ENTRY_V1_SIZE = 158; // anchoring/core/entry.py: version, hash, submitter, sig, time, salt
const HASH_SIZE = 32;
const ALG_ED25519 = 0x01; // signed-note §Signature types
const ALG_COSIGNATURE_V1 = 0x04; // tlog-cosignature
const SIGNATURE_PREFIX = "\u2014 "; // em dash, space: signed-note §Format

/** A check that did not hold; `step` is one of STEPS. */
export class VerificationFailure extends Error {
  constructor(step, message) {
    super(message);
    this.name = "VerificationFailure";
    this.step = step;
  }
}

function fail(step, message) {
  throw new VerificationFailure(step, message);
}

// --- bytes, hex, base64 -------------------------------------------------------------

const encoder = new TextEncoder();

export function concatBytes(...parts) {
  const out = new Uint8Array(parts.reduce((total, part) => total + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(left, right) {
  if (left.length !== right.length) return false;
  let difference = 0;
  for (let i = 0; i < left.length; i += 1) difference |= left[i] ^ right[i];
  return difference === 0;
}

export function toHex(bytes) {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Decode `0x` + lowercase hex of exactly `size` bytes (any size if omitted), or fail `step`. */
export function parseHex(text, { size, step, what }) {
  if (typeof text !== "string" || !/^0x([0-9a-f]{2})*$/.test(text)) {
    fail(step, `${what} is not 0x-prefixed lowercase hex`);
  }
  const bytes = new Uint8Array((text.length - 2) / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16);
  if (size !== undefined && bytes.length !== size) fail(step, `${what} must be ${size} bytes, got ${bytes.length}`);
  return bytes;
}

/** Decode canonical padded base64 (RFC 4648 §4), or fail `step`: one value, one spelling. */
export function parseBase64(text, { step, what }) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    fail(step, `${what} is not valid base64`);
  }
  const binary = atob(text);
  const bytes = Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
  if (btoa(binary) !== text) fail(step, `${what} is not canonical base64`);
  return bytes;
}

export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

// --- RFC 9162 Merkle hashing ----------------------------------------------------------

/** SHA-256(0x00 || entry), RFC 9162 §2.1.1. */
export function leafHash(entry) {
  return sha256(concatBytes(Uint8Array.of(0x00), entry));
}

function nodeHash(left, right) {
  return sha256(concatBytes(Uint8Array.of(0x01), left, right)); // RFC 9162 §2.1.1
}

/**
 * The root `proof` leads to for `leaf` at `leafIndex` in a tree of `treeSize`, following
 * RFC 9162 §2.1.3.2 step by step. Requires 0 <= leafIndex < treeSize and exactly the path's
 * number of hashes; otherwise fails step "inclusion".
 */
export async function rootFromInclusionProof(leafIndex, treeSize, leaf, proof) {
  if (!(Number.isSafeInteger(leafIndex) && Number.isSafeInteger(treeSize) && leafIndex >= 0 && leafIndex < treeSize)) {
    fail("inclusion", `leaf index ${leafIndex} is not inside a tree of size ${treeSize}`);
  }
  // Numbers, not BigInts: sizes below 2^53 and the halvings below stay exact.
  let fn = leafIndex; // step 2
  let sn = treeSize - 1;
  let root = leaf; // step 3
  for (const sibling of proof) {
    if (sn === 0) fail("inclusion", "inclusion proof is longer than the path"); // step 4(a)
    if (fn % 2 === 1 || fn === sn) {
      root = await nodeHash(sibling, root); // step 4(b)i: HASH(0x01 || p || r)
      if (fn % 2 === 0) {
        // step 4(b)ii: shift until LSB(fn) is set or fn is 0
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      root = await nodeHash(root, sibling); // step 4(c): HASH(0x01 || r || p)
    }
    fn = Math.floor(fn / 2); // step 4(d)
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("inclusion", "inclusion proof is shorter than the path"); // step 5
  return root;
}

// --- C2SP signed notes ----------------------------------------------------------------

async function keyId(name, signatureType, publicKey) {
  // SHA-256(name || 0x0A || type || public key)[:4], signed-note §Signatures
  const digest = await sha256(concatBytes(encoder.encode(name), Uint8Array.of(0x0a, signatureType), publicKey));
  return digest.slice(0, 4);
}

/** Parse `<name>+<hex key ID>+base64(type || key)` and check its key ID; fails `step`. */
export async function parseVerifierKey(vkey, signatureType, step) {
  const parts = typeof vkey === "string" ? vkey.split("+") : [];
  if (parts.length < 3) fail(step, "verifier key must be <name>+<key ID>+<base64 key>");
  const [name, idHex] = parts;
  const material = parseBase64(parts.slice(2).join("+"), { step, what: "verifier key" });
  if (!name || /\s/.test(name) || !/^[0-9a-f]{8}$/.test(idHex)) fail(step, "verifier key has an invalid name or key ID");
  if (material.length !== 33 || material[0] !== signatureType) fail(step, `verifier key is not of type 0x0${signatureType}`);
  const publicKey = material.slice(1);
  const expectedId = await keyId(name, signatureType, publicKey);
  if (toHex(expectedId) !== "0x" + idHex) fail(step, "verifier key ID does not match its name and key");
  return { name, keyId: expectedId, publicKey };
}

/** Split a signed note into its text (with final newline) and signature lines. */
export function splitNote(note, step) {
  if (typeof note !== "string") fail(step, "checkpoint is not text");
  const separator = note.lastIndexOf("\n\n");
  if (separator < 0 || !note.endsWith("\n")) fail(step, "checkpoint is not a signed note");
  const text = note.slice(0, separator + 1);
  const signatures = note
    .slice(separator + 2, -1)
    .split("\n")
    .map((line) => {
      if (!line.startsWith(SIGNATURE_PREFIX)) fail(step, "malformed signature line in checkpoint");
      const [name, blob, extra] = line.slice(SIGNATURE_PREFIX.length).split(" ");
      if (!name || !blob || extra !== undefined) fail(step, "malformed signature line in checkpoint");
      const bytes = parseBase64(blob, { step, what: "signature" });
      if (bytes.length < 5) fail(step, "signature line too short");
      return { name, keyId: bytes.slice(0, 4), signature: bytes.slice(4) };
    });
  return { text, signatures };
}

async function ed25519Verify(publicKey, signature, message) {
  const key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
}

function signaturesBy(note, key) {
  return note.signatures.filter((sig) => sig.name === key.name && bytesEqual(sig.keyId, key.keyId));
}

/** Parse a checkpoint body strictly (tlog-checkpoint §Note text); fails "checkpointHead". */
export function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines.some((line) => line === "")) fail("checkpointHead", "checkpoint body is malformed");
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail("checkpointHead", `checkpoint tree size ${JSON.stringify(sizeText)} is not canonical decimal`);
  }
  const rootHash = parseBase64(rootText, { step: "checkpointHead", what: "checkpoint root hash" });
  if (rootHash.length !== HASH_SIZE) fail("checkpointHead", "checkpoint root hash is not 32 bytes");
  return { origin, treeSize: Number(sizeText), rootHash };
}

// --- JSON-RPC and ABI ------------------------------------------------------------------

/** A JSON-RPC 2.0 caller over HTTP POST; rejects with Error(message) on transport or RPC error. */
export function jsonRpcClient(url, fetchImpl = globalThis.fetch.bind(globalThis)) {
  let nextId = 1;
  return async (method, params) => {
    const response = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: nextId++, method, params }),
    });
    if (!response.ok) throw new Error(`${method}: HTTP ${response.status}`);
    const body = await response.json();
    if (body.error) throw new Error(`${method}: ${body.error.message || "error"}`);
    return body.result;
  };
}

function abiUint(value) {
  // One 32-byte big-endian word, Solidity ABI §Formal specification of the encoding.
  return BigInt(value).toString(16).padStart(64, "0");
}

function wordAt(hex, index) {
  return hex.slice(2 + 64 * index, 2 + 64 * (index + 1));
}

async function callAnchor(rpc, contract, signature, argument) {
  const data = TRACE_ANCHOR_SELECTORS[signature] + abiUint(argument);
  const result = await rpc("eth_call", [{ to: contract, data }, "latest"]);
  if (typeof result !== "string" || !/^0x([0-9a-f]{64})+$/i.test(result)) {
    throw new Error(`${signature} returned no value`);
  }
  return result.toLowerCase();
}

// --- the verdict ---------------------------------------------------------------------

function checkFormat(bundle) {
  const step = "format";
  if (!bundle || typeof bundle !== "object") fail(step, "proof bundle is not a JSON object");
  if (bundle.format !== PROOF_FORMAT) fail(step, `proof bundle format is ${JSON.stringify(bundle.format)}, expected ${PROOF_FORMAT}`);
  if (!["anchored", "pending"].includes(bundle.status)) fail(step, `unknown status ${JSON.stringify(bundle.status)}`);
  for (const name of ["leafIndex", "treeSize"]) {
    if (!Number.isSafeInteger(bundle[name]) || bundle[name] < 0) fail(step, `${name} is not a non-negative integer`);
  }
  if (!Array.isArray(bundle.inclusionProof)) fail(step, "inclusionProof is not a list");
  const parsed = {
    entry: parseBase64(bundle.entry, { step, what: "entry" }),
    leafHash: parseHex(bundle.leafHash, { size: HASH_SIZE, step, what: "leafHash" }),
    rootHash: parseHex(bundle.rootHash, { size: HASH_SIZE, step, what: "rootHash" }),
    proof: bundle.inclusionProof.map((item, i) => parseHex(item, { size: HASH_SIZE, step, what: `inclusionProof[${i}]` })),
  };
  if (!bundle.log || typeof bundle.log.origin !== "string" || typeof bundle.log.verifierKey !== "string") {
    fail(step, "log origin or verifier key missing");
  }
  if (bundle.status === "anchored") {
    const anchor = bundle.anchor;
    if (!anchor || typeof anchor !== "object") fail(step, "anchored bundle without anchor");
    if (anchor.treeSize !== bundle.treeSize || anchor.rootHash !== bundle.rootHash) {
      fail(step, "anchor names another head than the bundle");
    }
    if (!Number.isSafeInteger(anchor.blockNumber) || !Number.isSafeInteger(anchor.chainId)) {
      fail(step, "anchor block number or chain id missing");
    }
    // Addresses may come EIP-55 checksummed (mixed case); their bytes are what counts.
    parseHex(String(anchor.contract).toLowerCase(), { size: 20, step, what: "anchor contract" });
  }
  return parsed;
}

async function checkEntry(bundle, entry, expectedEventHashId) {
  const step = "entry";
  if (entry.length !== ENTRY_V1_SIZE || entry[0] !== 0x01) fail(step, `entry is not a ${ENTRY_V1_SIZE}-byte version 1 entry`);
  const fields = bundle.entryFields || {};
  // Offsets: anchoring/core/entry.py (version 1, event hash 32, submitter 20, signature 65, ms 8, salt 32).
  const eventHash = toHex(entry.slice(1, 33));
  if (fields.eventHash !== eventHash) fail(step, "entry's event hash differs from entryFields");
  if ((fields.submitter || "").toLowerCase() !== toHex(entry.slice(33, 53))) fail(step, "entry's submitter differs from entryFields");
  if (fields.signature !== toHex(entry.slice(53, 118))) fail(step, "entry's signature differs from entryFields");
  if (fields.salt !== toHex(entry.slice(126, 158))) fail(step, "entry's salt differs from entryFields");
  const receivedAtMs = Number(new DataView(entry.buffer, entry.byteOffset + 118, 8).getBigUint64(0));
  if (Date.parse(fields.receivedAt) !== receivedAtMs) fail(step, "entry's receive time differs from entryFields");
  const hashId = `ni:///sha-256;${eventHash.slice(2)}?ver=CBV2.0`; // CBV 2.0 §8.9
  if (bundle.eventHashId !== hashId) fail(step, "entry commits to another event than the bundle names");
  if (expectedEventHashId !== undefined && expectedEventHashId !== hashId) {
    fail(step, "proof is for another event than the one shown");
  }
}

async function checkCheckpoint(bundle, parsed, result) {
  const logKey = await parseVerifierKey(bundle.log.verifierKey, ALG_ED25519, "checkpointSignature");
  const note = splitNote(bundle.checkpoint, "checkpointSignature");
  const message = encoder.encode(note.text);
  const logSignatures = signaturesBy(note, logKey);
  if (logSignatures.length === 0) fail("checkpointSignature", `checkpoint carries no signature by the log key ${logKey.name}`);
  for (const sig of logSignatures) {
    if (sig.signature.length !== 64 || !(await ed25519Verify(logKey.publicKey, sig.signature, message))) {
      fail("checkpointSignature", "the log's Ed25519 signature on the checkpoint is invalid");
    }
  }
  result.steps.push({ step: "checkpointSignature", ok: true, detail: logKey.name });

  const head = parseCheckpoint(note.text);
  if (head.origin !== bundle.log.origin) fail("checkpointHead", `checkpoint is of log ${head.origin}, not ${bundle.log.origin}`);
  if (head.treeSize !== bundle.treeSize) fail("checkpointHead", `checkpoint size ${head.treeSize} differs from treeSize ${bundle.treeSize}`);
  if (!bytesEqual(head.rootHash, parsed.rootHash)) fail("checkpointHead", "checkpoint root differs from rootHash");
  result.steps.push({ step: "checkpointHead", ok: true, detail: `${head.origin} ${head.treeSize}` });

  const cosigners = [];
  for (const witness of bundle.witnesses || []) {
    const key = await parseVerifierKey(witness.verifierKey, ALG_COSIGNATURE_V1, "witnessCosignatures");
    for (const sig of signaturesBy(note, key)) {
      // tlog-cosignature: 8-byte timestamp || signature over "cosignature/v1\ntime T\n" || body
      if (sig.signature.length !== 72) fail("witnessCosignatures", `cosignature by ${key.name} is malformed`);
      const timestamp = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0);
      const signed = concatBytes(encoder.encode(`cosignature/v1\ntime ${timestamp}\n`), message);
      if (!(await ed25519Verify(key.publicKey, sig.signature.slice(8), signed))) {
        fail("witnessCosignatures", `cosignature by witness ${key.name} is invalid`);
      }
      cosigners.push(witness.name || key.name);
    }
  }
  result.steps.push({ step: "witnessCosignatures", ok: true, detail: cosigners.join(", ") });
  result.anchor.witnesses = cosigners;
}

async function checkChain(bundle, rpc, expectedChain, result) {
  const anchor = bundle.anchor;
  const contract = anchor.contract.toLowerCase();
  if (expectedChain) {
    if (expectedChain.chainId !== undefined && expectedChain.chainId !== anchor.chainId) {
      fail("chainId", `anchor is on chain ${anchor.chainId}, the page expects ${expectedChain.chainId}`);
    }
    if (expectedChain.traceAnchor && expectedChain.traceAnchor.toLowerCase() !== contract) {
      fail("chainId", "anchor names another TraceAnchor contract than the page expects");
    }
  }
  // Independent queries go out together (one round trip); results are checked in step order.
  const chainIdQuery = settle(() => rpc("eth_chainId", []));
  const rootQuery = settle(() => callAnchor(rpc, contract, "rootAtSize(uint64)", bundle.treeSize));
  const headIndexQuery = settle(() => callAnchor(rpc, contract, "headIndexBySize(uint64)", bundle.treeSize));

  const chainId = await step("chainId", chainIdQuery);
  if (Number(chainId) !== anchor.chainId) fail("chainId", `ledger is chain ${Number(chainId)}, the bundle names ${anchor.chainId}`);
  result.steps.push({ step: "chainId", ok: true, detail: String(anchor.chainId) });

  const root = await step("anchoredRoot", rootQuery, `no head of size ${bundle.treeSize} is anchored on chain`);
  if ("0x" + wordAt(root, 0) !== bundle.rootHash) fail("anchoredRoot", `the root anchored for size ${bundle.treeSize} differs`);
  result.steps.push({ step: "anchoredRoot", ok: true, detail: bundle.rootHash });

  const headIndexHex = await step("anchorBlock", headIndexQuery);
  const headIndex = Number(BigInt("0x" + wordAt(headIndexHex, 0)));
  const headQuery = settle(() => callAnchor(rpc, contract, "headAt(uint256)", headIndex));
  // Witnesses that co-signed this head on chain (informational: none is not a failure).
  const witnessQuery = settle(() => rpc("eth_getLogs", [{
    address: contract,
    fromBlock: "0x" + anchor.blockNumber.toString(16),
    toBlock: "latest",
    topics: [TRACE_ANCHOR_TOPICS["TreeHeadWitnessed(uint256,address,uint64,bytes32)"], "0x" + abiUint(headIndex)],
  }]));
  const blockQuery = settle(() => rpc("eth_getBlockByNumber", ["0x" + anchor.blockNumber.toString(16), false]));
  const head = await step("anchorBlock", headQuery);
  // TreeHead(uint64 treeSize, uint64 blockNumber, uint64 timestamp, bytes32 rootHash)
  const blockNumber = Number(BigInt("0x" + wordAt(head, 1)));
  const headTime = Number(BigInt("0x" + wordAt(head, 2)));
  if (blockNumber !== anchor.blockNumber) fail("anchorBlock", `head was anchored in block ${blockNumber}, the bundle says ${anchor.blockNumber}`);
  const block = await step("anchorBlock", blockQuery);
  if (!block || Number(block.timestamp) !== headTime) fail("anchorBlock", `block ${blockNumber} on chain is not the anchoring block`);
  if (anchor.blockHash && block.hash.toLowerCase() !== anchor.blockHash.toLowerCase()) {
    fail("anchorBlock", `block ${blockNumber} has another hash than the bundle names`);
  }
  result.steps.push({ step: "anchorBlock", ok: true, detail: String(blockNumber) });
  Object.assign(result.anchor, { blockNumber, blockTime: headTime, blockHash: block.hash, headIndex });
  const logs = await witnessQuery.then(unwrap).catch(() => []);
  result.anchor.chainWitnesses = (Array.isArray(logs) ? logs : []).map((log) => "0x" + log.topics[2].slice(-40));
}

// A started query whose failure is held until awaited (no unhandled rejection meanwhile).
function settle(action) {
  let promise;
  try {
    promise = Promise.resolve(action());
  } catch (error) {
    promise = Promise.reject(error);
  }
  return promise.then((value) => ({ value }), (error) => ({ error }));
}

function unwrap(outcome) {
  if (outcome.error) throw outcome.error;
  return outcome.value;
}

/**
 * `rpc` with answers shared within one page: every record anchored by the same head asks
 * the same questions, and an anchored head does not change. Failures are not kept.
 */
export function memoizedRpc(rpc) {
  const answers = new Map();
  return (method, params) => {
    const key = method + JSON.stringify(params);
    if (!answers.has(key)) {
      const answer = rpc(method, params);
      answers.set(key, answer);
      answer.catch(() => answers.delete(key));
    }
    return answers.get(key);
  };
}

/** The value of a settled ledger query, or fail step `name` (with `message`, if given). */
async function step(name, settled, message) {
  const outcome = await settled;
  if (!outcome.error) return outcome.value;
  if (outcome.error instanceof VerificationFailure) throw outcome.error;
  fail(name, message || `ledger query failed: ${outcome.error.message}`);
}

/**
 * Check `bundle` step by step (see STEPS). Options: `rpc(method, params)` (see
 * jsonRpcClient), `expectedEventHashId` (the event the page shows), `expectedChain`
 * ({chainId, traceAnchor} from the lookup). Never throws for a bad bundle or ledger.
 */
export async function verifyBundle(bundle, { rpc, expectedEventHashId, expectedChain } = {}) {
  const result = { status: "failed", steps: [], failedStep: null, message: "", anchor: { witnesses: [], chainWitnesses: [] } };
  try {
    const parsed = checkFormat(bundle);
    result.steps.push({ step: "format", ok: true, detail: PROOF_FORMAT });
    await checkEntry(bundle, parsed.entry, expectedEventHashId);
    result.steps.push({ step: "entry", ok: true, detail: bundle.eventHashId });
    if (!bytesEqual(await leafHash(parsed.entry), parsed.leafHash)) fail("leafHash", "SHA-256(0x00 || entry) differs from leafHash");
    result.steps.push({ step: "leafHash", ok: true, detail: bundle.leafHash });
    const root = await rootFromInclusionProof(bundle.leafIndex, bundle.treeSize, parsed.leafHash, parsed.proof);
    if (!bytesEqual(root, parsed.rootHash)) fail("inclusion", "the inclusion proof leads to another root");
    result.steps.push({ step: "inclusion", ok: true, detail: `${bundle.leafIndex} / ${bundle.treeSize}` });
    await checkCheckpoint(bundle, parsed, result);
    if (bundle.status === "pending") {
      result.status = "pending";
      return result;
    }
    if (typeof rpc !== "function") fail("chainId", "no ledger endpoint to check the anchor against");
    await checkChain(bundle, rpc, expectedChain, result);
    result.status = "verified";
  } catch (error) {
    result.status = "failed";
    result.failedStep = error instanceof VerificationFailure ? error.step : "format";
    result.message = error instanceof VerificationFailure ? error.message : `unexpected: ${error && error.message}`;
    result.steps.push({ step: result.failedStep, ok: false, detail: result.message });
  }
  return result;
}
