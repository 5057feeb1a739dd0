// The browser's verification of one record (an EPCIS event or a master-data record), in
// the eight steps of `POST /v1/verify` (trace_api/verification/steps.py STEP_NAMES), so
// the page, the API and the CLI name a failure the same way. What the page trusts comes
// from TRUST_ANCHORS (anchors.js, pinned when the page was built): the chain id, genesis
// hash and contract addresses, the log key and the witness keys. A bundle or lookup that
// names other keys or another chain is a failed step, never a reason to trust it.
//
//   verifyRecord({kind, body, proof, memberBlock, summary}, {rpc, anchors})
//   verifyEnterpriseRecord(enterpriseId, record, {rpc, anchors, blockTag})
//
// Neither throws for bad input: every problem is a failed step with its reason.

import { base64Bytes, bytesEqual, hexBytes, toHex, utf8 } from "./bytes.js";
import {
  anchoredHead, blockAt, chainIdentity, chainWitnesses, enterpriseMetadataHash, holdsCompanyPrefixAt,
  jsonRpcClient, memoizedRpc, membershipAt, RpcError, SELECTORS, TOPICS,
} from "./chain_reads.js";
import { addressBytes, checksumAddress, domainSeparator, keccak256, recoverRecordSigner, SignatureError } from "./eip712.js";
import { canonicalJson } from "./jcs.js";
import {
  ALG_COSIGNATURE_V1, ALG_ED25519, leafHash, openCheckpoint, parseVerifierKey, ProofError,
  rootFromInclusionProof, verifiedCosigners,
} from "./log_proofs.js";
import { masterDataGtin, recordHash, RecordError, summaryMismatch } from "./record_hash.js";

// What callers of this module (app.js, the tests) use from the modules it is made of.
export { jsonRpcClient, leafHash, memoizedRpc, rootFromInclusionProof, RpcError, SELECTORS, toHex, TOPICS };

/** The step names, in order: one to one with `POST /v1/verify`. */
export const STEPS = Object.freeze([
  "event-hash", // 1. the hash ID recomputed from the body; the platform's summary agrees with it
  "entry-matches", // 2. the log entry commits to that hash; the bundle names that record
  "signature", // 3. EIP-712 signature in the pinned domain recovers to the entry's submitter
  "submitter-active", // 4. pinned chain; MemberRegistry says the submitter was a member at receive time
  "inclusion", // 5. SHA-256(0x00 || entry) and the proof lead to the root, RFC 9162 §2.1.3.2
  "checkpoint", // 6. the pinned log key signed a checkpoint of that size and root, C2SP signed-note
  "anchored-on-chain", // 7. TraceAnchor.rootAtSize(size) at the pinned address is that root
  "witnesses", // 8. cosignatures by the pinned witness keys, C2SP tlog-cosignature
]);

export const PROOF_FORMAT = "traceledger.proof/v1";
export const ENTRY_V1_SIZE = 158; // anchoring/core/entry.py: version, hash, submitter, sig, time, salt

/** A step that does not hold: `message` is the technical detail, `reason` (a REASONS key)
 * what the page tells the user in their language. */
class StepFailed extends Error {
  constructor(message, reason = null) {
    super(message);
    this.reason = reason;
  }
}
class StepPending extends Error {}

/** Why a record fails, as the page words it for people (i18n.js `reasons.*`). */
export const REASONS = Object.freeze([
  "summary-mismatch", "body-mismatch", "other-record", "bad-signature", "wrong-chain", "not-a-member",
  "prefix-not-held", "not-in-log", "log-key", "not-anchored", "witness-key", "unknown-master-data-version",
  "ledger-unreachable",
]);

function fail(message, reason = null) {
  throw new StepFailed(message, reason);
}

/** The answer of a ledger query, or the step fails saying the ledger could not be asked. */
async function ask(query) {
  try {
    return await query;
  } catch (error) {
    if (error instanceof StepFailed) throw error;
    fail(`ledger query failed: ${error.message}`, "ledger-unreachable");
  }
}

const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);

// --- 1. event-hash ------------------------------------------------------------------------

async function checkRecordHash(run) {
  const { kind, body, summary } = run.record;
  try {
    Object.assign(run, await recordHash(kind, body));
  } catch (error) {
    if (error instanceof RecordError) fail(error.message, error.reason);
    throw error;
  }
  // The columns the platform shows must be what the signed event says (issue 15).
  const mismatch = kind === "event" ? summaryMismatch(summary, body) : null;
  if (mismatch) fail(mismatch, "summary-mismatch");
  return run.hashId;
}

// --- 2. entry-matches ----------------------------------------------------------------------

/** The v1 entry's fields (offsets: anchoring/core/entry.py). */
function decodeEntry(entry) {
  if (entry.length !== ENTRY_V1_SIZE || entry[0] !== 0x01) fail(`entry is not a ${ENTRY_V1_SIZE}-byte version 1 entry`);
  return {
    eventHash: entry.slice(1, 33),
    submitter: entry.slice(33, 53),
    signature: entry.slice(53, 118),
    receivedAtMs: Number(new DataView(entry.buffer, entry.byteOffset + 118, 8).getBigUint64(0)),
    salt: entry.slice(126, 158),
  };
}

function checkEntryFields(fields, entry) {
  const actual = {
    eventHash: toHex(entry.eventHash), submitter: toHex(entry.submitter),
    signature: toHex(entry.signature), salt: toHex(entry.salt),
  };
  for (const [name, value] of Object.entries(actual)) {
    if (name in fields && String(fields[name]).toLowerCase() !== value) fail(`entryFields.${name} disagrees with the entry bytes`);
  }
  if ("receivedAt" in fields && Date.parse(fields.receivedAt) !== entry.receivedAtMs) {
    fail("entryFields.receivedAt disagrees with the entry bytes");
  }
}

async function checkEntryMatches(run) {
  const proof = run.record.proof;
  if (!isObject(proof)) fail("no proof bundle");
  if (proof.format !== PROOF_FORMAT) fail(`bundle format is ${JSON.stringify(proof.format)}, expected ${PROOF_FORMAT}`);
  run.entryBytes = base64Bytes(proof.entry);
  if (run.entryBytes === null) fail("bundle entry is not canonical base64");
  run.entry = decodeEntry(run.entryBytes);
  // A body that is not the one the entry commits to (edited, or another event's) fails
  // here, as in POST /v1/verify: any body has a hash, so event-hash held for it.
  if (!bytesEqual(run.entry.eventHash, run.digest)) {
    fail(`the entry commits to ${toHex(run.entry.eventHash)}, the record hashes to ${toHex(run.digest)}`, "body-mismatch");
  }
  if (proof.eventHashId !== run.hashId) fail(`bundle is for ${JSON.stringify(proof.eventHashId)}, the record is ${run.hashId}`, "other-record");
  // The record the platform lists must be the one whose body and entry it sent.
  const listed = run.record.eventHashId;
  if (listed !== undefined && listed !== run.hashId) fail(`the platform lists ${listed}, but sent the record ${run.hashId}`, "other-record");
  if (isObject(proof.entryFields)) checkEntryFields(proof.entryFields, run.entry);
  return `entry commits to ${toHex(run.entry.eventHash)}`;
}

// --- 3. signature ----------------------------------------------------------------------------

function pinnedContract(anchors, name) {
  const address = addressBytes(anchors?.contracts?.[name]);
  if (!address) fail(`the page's trust anchors name no ${name} contract`);
  return checksumAddress(address);
}

function checkSignature(run) {
  const { anchors } = run;
  if (!Number.isSafeInteger(anchors?.chainId)) fail("the page's trust anchors name no chain id");
  const traceAnchor = pinnedContract(anchors, "traceAnchor");
  const separator = domainSeparator(anchors.chainId, addressBytes(traceAnchor));
  const named = checksumAddress(run.entry.submitter);
  let recovered;
  try {
    recovered = recoverRecordSigner(run.entry.eventHash, run.entry.submitter, separator, run.entry.signature);
  } catch (error) {
    if (error instanceof SignatureError) fail(`signature unusable: ${error.message}`, "bad-signature");
    throw error;
  }
  if (recovered !== named) fail(`signature recovers to ${recovered}, the entry names ${named}`, "bad-signature");
  run.result.submitter = named;
  return `signed by ${named} (chain ${anchors.chainId}, TraceAnchor ${traceAnchor})`;
}

// --- 4. submitter-active -------------------------------------------------------------------

/** The RPC endpoint serves the pinned chain (asked once per page: memoizedRpc). */
async function checkChainIdentity(run) {
  const identity = await ask(chainIdentity(run.rpc));
  if (identity.chainId !== run.anchors.chainId) {
    fail(`the ledger endpoint serves chain ${identity.chainId}, the page trusts chain ${run.anchors.chainId}`, "wrong-chain");
  }
  const pinned = String(run.anchors.genesisHash || "").toLowerCase();
  if (identity.genesisHash !== pinned) {
    fail(`the ledger endpoint's genesis block is ${identity.genesisHash}, the page trusts ${pinned || "none"}`, "wrong-chain");
  }
}

/** The server's hint is the last block at or before `receivedS`: the chain confirms it. */
async function confirmReceiveBlock(rpc, hint, receivedS) {
  if (!Number.isSafeInteger(hint) || hint < 0) fail("the server gave no receive-time block for this record");
  const [block, next] = await ask(Promise.all([blockAt(rpc, hint), blockAt(rpc, hint + 1)]));
  if (block === null || block.timestamp > receivedS || (next !== null && next.timestamp <= receivedS)) {
    fail(`block ${hint} is not the last block at or before the receive time ${receivedS}`);
  }
  return block;
}

async function checkSubmitterActive(run) {
  const rpc = run.rpc;
  if (typeof rpc !== "function") fail("no ledger endpoint to ask");
  await checkChainIdentity(run);
  const registry = pinnedContract(run.anchors, "memberRegistry");
  const submitter = run.result.submitter;
  const receivedS = Math.floor(run.entry.receivedAtMs / 1000);
  const hint = run.record.memberBlock;
  // Asked while the hint is being confirmed (one round trip less); used only once it is.
  const memberQuery = Number.isSafeInteger(hint) && hint >= 0 ? membershipAt(rpc, registry, submitter, hint) : null;
  memberQuery?.catch(() => {});
  const block = await confirmReceiveBlock(rpc, hint, receivedS);
  const member = await ask(memberQuery);
  const where = `MemberRegistry.hasRole(${submitter}, Enterprise) at block ${block.number} (time ${block.timestamp}, receive time ${receivedS})`;
  if (!member.active) fail(`${where} is false`, "not-a-member");
  run.result.enterpriseId = member.enterpriseId;
  if (run.record.kind === "masterData") await checkCompanyPrefix(run, registry, block.number);
  return `${where} is true; enterprise ${member.enterpriseId}`;
}

/** A product's master data is signed by the holder of the GTIN's company prefix. */
async function checkCompanyPrefix(run, registry, blockNumber) {
  const { companyPrefix } = run.record.body;
  const submitter = run.result.submitter;
  if (!(await ask(holdsCompanyPrefixAt(run.rpc, registry, submitter, companyPrefix, blockNumber)))) {
    fail(`MemberRegistry.holdsCompanyPrefix(${submitter}, ${companyPrefix}) at block ${blockNumber} is false`, "prefix-not-held");
  }
  const gtin = masterDataGtin(run.record.body);
  if (!gtin.slice(1).startsWith(companyPrefix)) fail(`GTIN ${gtin} is not under company prefix ${companyPrefix}`, "prefix-not-held");
}

// --- 5. inclusion ----------------------------------------------------------------------------

async function checkInclusion(run) {
  const proof = run.record.proof;
  const leaf = hexBytes(proof.leafHash, 32);
  run.rootHash = hexBytes(proof.rootHash, 32);
  const path = Array.isArray(proof.inclusionProof) ? proof.inclusionProof.map((item) => hexBytes(item, 32)) : null;
  if (leaf === null || run.rootHash === null || path === null || path.includes(null)) {
    fail("leafHash, rootHash or inclusionProof is not 32-byte lowercase hex");
  }
  if (!bytesEqual(await leafHash(run.entryBytes), leaf)) fail("leafHash is not SHA-256(0x00 || entry)", "not-in-log");
  let root;
  try {
    root = await rootFromInclusionProof(proof.leafIndex, proof.treeSize, leaf, path);
  } catch (error) {
    if (error instanceof ProofError) fail(error.message);
    throw error;
  }
  if (!bytesEqual(root, run.rootHash)) fail("the inclusion proof leads to another root", "not-in-log");
  return `leaf ${proof.leafIndex} in tree of ${proof.treeSize} leaves, root ${toHex(root)}`;
}

// --- 6. checkpoint ----------------------------------------------------------------------------

async function parsePinnedKey(vkey, type, what) {
  try {
    return await parseVerifierKey(vkey, type);
  } catch (error) {
    if (error instanceof ProofError) fail(`the page's pinned ${what} is unusable: ${error.message}`);
    throw error;
  }
}

async function checkCheckpoint(run) {
  const pinned = run.anchors.log || {};
  const presented = run.record.proof.log;
  if (isObject(presented) && presented.verifierKey !== pinned.verifierKey) {
    fail(`the server presented log key ${presented.verifierKey}, the page trusts ${pinned.verifierKey}`, "log-key");
  }
  if (isObject(presented) && presented.origin !== pinned.origin) {
    fail(`the server presented log ${presented.origin}, the page trusts ${pinned.origin}`, "log-key");
  }
  const logKey = await parsePinnedKey(pinned.verifierKey, ALG_ED25519, "log key");
  let checkpoint;
  try {
    checkpoint = await openCheckpoint(run.record.proof.checkpoint, logKey);
  } catch (error) {
    if (error instanceof ProofError) fail(error.message);
    throw error;
  }
  if (checkpoint.origin !== pinned.origin) fail(`checkpoint is of log ${checkpoint.origin}, the page trusts ${pinned.origin}`);
  const treeSize = run.record.proof.treeSize;
  if (checkpoint.treeSize !== treeSize) fail(`checkpoint is for size ${checkpoint.treeSize}, the bundle's tree has ${treeSize}`);
  if (!bytesEqual(checkpoint.rootHash, run.rootHash)) fail("checkpoint root differs from the proof's root");
  run.note = checkpoint.note;
  return `signed by the pinned log key ${logKey.name}, size ${treeSize}`;
}

// --- 7. anchored-on-chain ---------------------------------------------------------------------

function anchorMismatches(claimed, head, block, run) {
  if (!isObject(claimed)) return [];
  const traceAnchor = pinnedContract(run.anchors, "traceAnchor").toLowerCase();
  const checks = [
    ["chainId", claimed.chainId, run.anchors.chainId],
    ["contract", claimed.contract && String(claimed.contract).toLowerCase(), traceAnchor],
    ["headIndex", claimed.headIndex, head.headIndex],
    ["blockNumber", claimed.blockNumber, head.blockNumber],
    ["blockTime", claimed.blockTime, head.timestamp],
    ["blockHash", claimed.blockHash && String(claimed.blockHash).toLowerCase(), block.hash],
  ];
  return checks.filter(([, said, value]) => said !== undefined && said !== null && said !== value).map(([name]) => name);
}

async function checkAnchored(run) {
  const proof = run.record.proof;
  const traceAnchor = pinnedContract(run.anchors, "traceAnchor");
  const head = await ask(anchoredHead(run.rpc, traceAnchor, proof.treeSize));
  if (head === null) {
    if (proof.status === "anchored" || isObject(proof.anchor)) {
      fail(`the bundle claims an anchor, but TraceAnchor has no head of size ${proof.treeSize}`, "not-anchored");
    }
    throw new StepPending(`no head of size ${proof.treeSize} anchored yet`);
  }
  if (head.rootHash !== toHex(run.rootHash)) fail(`TraceAnchor.rootAtSize(${proof.treeSize}) = ${head.rootHash}, not the proof's root`, "not-anchored");
  const block = await ask(blockAt(run.rpc, head.blockNumber));
  if (block === null || block.timestamp !== head.timestamp) fail(`block ${head.blockNumber} on chain is not the anchoring block`);
  const mismatches = anchorMismatches(proof.anchor, head, block, run);
  if (mismatches.length) fail(`bundle anchor disagrees with the chain on ${mismatches.join(", ")}`);
  run.head = head;
  Object.assign(run.result.anchor, {
    blockNumber: head.blockNumber, blockTime: head.timestamp, blockHash: block.hash, headIndex: head.headIndex,
  });
  return `TraceAnchor.rootAtSize(${proof.treeSize}) matches; head ${head.headIndex}, block ${head.blockNumber}, time ${head.timestamp}`;
}

// --- 8. witnesses ------------------------------------------------------------------------------

async function checkWitnesses(run) {
  const pinned = Array.isArray(run.anchors.witnesses) ? run.anchors.witnesses : [];
  const presented = Array.isArray(run.record.proof.witnesses) ? run.record.proof.witnesses : [];
  for (const witness of presented) {
    const trusted = pinned.find((candidate) => candidate.name === witness?.name);
    if (trusted && trusted.verifierKey !== witness.verifierKey) {
      fail(`the server presented witness key ${witness.verifierKey} for ${witness.name}, the page trusts ${trusted.verifierKey}`, "witness-key");
    }
  }
  const keys = [];
  for (const witness of pinned) keys.push(await parsePinnedKey(witness.verifierKey, ALG_COSIGNATURE_V1, "witness key"));
  let cosigners;
  try {
    cosigners = await verifiedCosigners(run.note, keys);
  } catch (error) {
    if (error instanceof ProofError) fail(error.message);
    throw error;
  }
  run.result.anchor.witnesses = cosigners;
  if (run.head) {
    // Informational: none is not a failure, and an unreachable log index is not either.
    const traceAnchor = pinnedContract(run.anchors, "traceAnchor");
    run.result.anchor.chainWitnesses = await chainWitnesses(run.rpc, traceAnchor, run.head.headIndex, run.head.blockNumber)
      .catch(() => []);
  }
  const names = cosigners.length ? ` (${cosigners.join(", ")})` : "";
  return `${cosigners.length} cosignature(s) by pinned witnesses verified${names}; ${run.result.anchor.chainWitnesses.length} on chain`;
}

// --- the verdict -------------------------------------------------------------------------------

const CHECKS = [
  checkRecordHash, checkEntryMatches, checkSignature, checkSubmitterActive,
  checkInclusion, checkCheckpoint, checkAnchored, checkWitnesses,
];

const pageRpcs = new WeakMap();

/** One memoized caller per `rpc` for the page's lifetime (memoizedRpc). */
function pageRpc(rpc) {
  if (typeof rpc !== "function") return null;
  if (!pageRpcs.has(rpc)) pageRpcs.set(rpc, memoizedRpc(rpc));
  return pageRpcs.get(rpc);
}

/**
 * Verify one record step by step (STEPS). `record`: {kind: "event" | "masterData", body,
 * proof (traceledger.proof/v1), memberBlock (the server's receive-time block hint),
 * summary (the lookup's columns for an event: time, eventType, bizStep, location),
 * eventHashId (the id the lookup lists it under, if any)}.
 * `rpc(method, params)`: JSON-RPC to a node of the pinned chain (jsonRpcClient);
 * `anchors`: TRUST_ANCHORS. Resolves to {status: "verified" | "pending" | "failed",
 * failedStep, message, steps: [{step, ok, status, detail}], anchor, submitter,
 * enterpriseId, body}; never rejects. "pending": every step holds but no head of the
 * record's tree size is on chain yet.
 */
export async function verifyRecord(record, { rpc, anchors } = {}) {
  const result = {
    status: "failed", failedStep: null, message: "", reason: null, steps: [], submitter: null, enterpriseId: null,
    body: record?.body ?? null,
    anchor: { blockNumber: null, blockTime: null, blockHash: null, headIndex: null, witnesses: [], chainWitnesses: [] },
  };
  const run = { record: isObject(record) ? record : {}, anchors: isObject(anchors) ? anchors : {}, rpc: pageRpc(rpc), result };
  let pending = false;
  for (const [index, check] of CHECKS.entries()) {
    const step = STEPS[index];
    try {
      result.steps.push({ step, ok: true, status: "ok", detail: await check(run) });
    } catch (error) {
      if (error instanceof StepPending) {
        pending = true;
        result.steps.push({ step, ok: false, status: "pending", detail: error.message });
        continue;
      }
      result.failedStep = step;
      result.message = error instanceof StepFailed ? error.message : `unexpected: ${error?.message}`;
      result.reason = error instanceof StepFailed ? error.reason : null;
      result.steps.push({ step, ok: false, status: "failed", detail: result.message });
      return result;
    }
  }
  result.status = pending ? "pending" : "verified";
  return result;
}

/**
 * Check an enterprise's off-chain record (name, USCC, sectors, company prefixes, GLNs)
 * against the chain: keccak256(JCS(record)) must be `MemberRegistry.enterprise(id)
 * .metadataHash` at `blockTag` (default latest; trace_api/enterprises/ids.py), and the id
 * keccak256 of its USCC. Resolves to {ok, detail}; never rejects.
 */
export async function verifyEnterpriseRecord(enterpriseId, record, { rpc, anchors, blockTag = "latest" } = {}) {
  const run = { anchors: isObject(anchors) ? anchors : {}, rpc: pageRpc(rpc) };
  try {
    if (typeof enterpriseId !== "string" || !/^0x[0-9a-f]{64}$/.test(enterpriseId)) fail("the enterprise id is not 0x + 64 hex");
    if (!isObject(record) || typeof record.uscc !== "string") fail("the enterprise record is not an object with a USCC");
    if (toHex(keccak256(utf8(record.uscc))) !== enterpriseId) fail(`the record's USCC is not that of enterprise ${enterpriseId}`);
    if (typeof run.rpc !== "function") fail("no ledger endpoint to ask");
    await checkChainIdentity(run);
    const registry = pinnedContract(run.anchors, "memberRegistry");
    let computed;
    try {
      computed = toHex(keccak256(utf8(canonicalJson(record))));
    } catch (error) {
      fail(`the enterprise record is not canonical JSON: ${error.message}`);
    }
    const onChain = await ask(enterpriseMetadataHash(run.rpc, registry, enterpriseId, blockTag));
    if (onChain === null) fail(`MemberRegistry does not know enterprise ${enterpriseId}`);
    if (onChain !== computed) fail(`the record hashes to ${computed}, MemberRegistry.enterprise(${enterpriseId}).metadataHash is ${onChain}`);
    return { ok: true, detail: `MemberRegistry.enterprise(${enterpriseId}).metadataHash is ${onChain}` };
  } catch (error) {
    return { ok: false, detail: error instanceof StepFailed ? error.message : `unexpected: ${error?.message}` };
  }
}

