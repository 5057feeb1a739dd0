// The recall banner, read from the chain: is the scanned thing under an open recall in
// RecallRegistry (contracts/src/RecallRegistry.sol)? Never from the API's word.
//
// A recall is opened on a canonical Digital Link; it covers the thing scanned when its
// subject (0x + SHA-256 of the canonical URI) is one of the scanned code's covering keys
// (digital_link.js recallKeysCovering = gs1.keys.recall_keys_covering: the path as given,
// the key, its lot, its GTIN). Each subject is asked `isRecalled` at one block; the most
// specific open one is read in full with `recallOf`. The reason text the API offers is only
// shown if its SHA-256 is the recall's reasonHash (trace_api/provenance/recalls.py keeps
// reasons by that hash).

import { sha256, toHex, utf8 } from "./bytes.js";
import { RpcError, SELECTORS, jsonRpcClient } from "./chain_reads.js";
import { recallSubjectsCovering } from "./digital_link.js";

/** `enum RecallStatus` of RecallRegistry.sol, by number. */
export const RECALL_STATUSES = Object.freeze(["None", "Open", "Updated", "Closed"]);
const OPEN_STATUSES = new Set(["Open", "Updated"]);
const ZERO_WORD = "0".repeat(64);

function subjectWord(subject) {
  if (!/^0x[0-9a-f]{64}$/.test(subject)) throw new TypeError(`not a recall subject: ${subject}`);
  return subject.slice(2);
}

function blockTag(block) {
  return block === "latest" ? "latest" : "0x" + BigInt(block).toString(16);
}

async function callWords(rpc, to, signature, argument, block, words) {
  const result = await rpc("eth_call", [{ to, data: SELECTORS[signature] + argument }, blockTag(block)]);
  if (typeof result !== "string" || !new RegExp(`^0x[0-9a-fA-F]{${64 * words}}$`).test(result)) {
    throw new RpcError(`${signature} returned ${typeof result === "string" ? `${(result.length - 2) / 2} bytes` : "no value"}`);
  }
  return result.slice(2).toLowerCase().match(/.{64}/g);
}

const wordNumber = (word) => Number(BigInt("0x" + word));

/**
 * The RecallRegistry.Recall struct from its nine ABI words (a static tuple is returned in
 * place): {status, recallClass, sequence, openedAt, updatedAt, closedAt (block times, s),
 * reasonHash, enterpriseId (null when a regulator opened it), openedBy}.
 */
export function decodeRecall(words) {
  if (!Array.isArray(words) || words.length !== 9) throw new RpcError("recallOf: not a Recall struct");
  const status = RECALL_STATUSES[wordNumber(words[0])];
  if (!status) throw new RpcError(`recallOf: unknown status ${wordNumber(words[0])}`);
  return {
    status,
    recallClass: wordNumber(words[1]),
    sequence: wordNumber(words[2]),
    openedAt: wordNumber(words[3]),
    updatedAt: wordNumber(words[4]) || null,
    closedAt: wordNumber(words[5]) || null,
    reasonHash: "0x" + words[6],
    enterpriseId: words[7] === ZERO_WORD ? null : "0x" + words[7],
    openedBy: "0x" + words[8].slice(24),
  };
}

/** `RecallRegistry.isRecalled(subject)` at `block`: open or updated. */
export async function isRecalledAt(rpc, recallRegistry, subject, block = "latest") {
  const [word] = await callWords(rpc, recallRegistry, "isRecalled(bytes32)", subjectWord(subject), block, 1);
  return BigInt("0x" + word) !== 0n;
}

/** `RecallRegistry.recallOf(subject)` at `block`, decoded; rejects (revert UnknownSubject) when
 *  the subject was never recalled. */
export async function recallOfAt(rpc, recallRegistry, subject, block = "latest") {
  return decodeRecall(await callWords(rpc, recallRegistry, "recallOf(bytes32)", subjectWord(subject), block, 9));
}

/** True when `reason` (the notice text an API offers) is the one whose SHA-256 is `reasonHash`. */
export async function verifyReason(reason, reasonHash) {
  if (typeof reason !== "string" || typeof reasonHash !== "string") return false;
  return toHex(await sha256(utf8(reason))) === reasonHash.toLowerCase();
}

/**
 * The open recall covering the scanned `uri`, read from the pinned RecallRegistry, or null.
 *
 * `rpc` is a JSON-RPC caller (chain_reads.js jsonRpcClient / memoizedRpc) or its URL;
 * `anchors` the pinned trust anchors (anchors.js TRUST_ANCHORS; `contracts.recallRegistry`);
 * `reason` the notice text the API offers, if any; `block` defaults to "latest".
 * Returns {subject, canonicalUri, status ("Open" | "Updated"), recallClass, sequence, openedAt,
 * updatedAt, reasonHash, enterpriseId, openedBy, reason (only when verified), reasonVerified}
 * for the most specific covering subject under an open recall. Throws DigitalLinkError for a
 * code that is no Digital Link, RpcError when the chain cannot be asked.
 */
export async function readRecalls(uri, { rpc, anchors, reason = null, block = "latest" }) {
  const call = typeof rpc === "string" ? jsonRpcClient(rpc) : rpc;
  const registry = anchors && anchors.contracts && anchors.contracts.recallRegistry;
  if (typeof registry !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(registry)) {
    throw new TypeError("the trust anchors name no RecallRegistry");
  }
  const covering = await recallSubjectsCovering(uri);
  const recalled = await Promise.all(covering.map(({ subject }) => isRecalledAt(call, registry, subject, block)));
  const found = covering.find((_, index) => recalled[index]);
  if (!found) return null;
  const recall = await recallOfAt(call, registry, found.subject, block);
  if (!OPEN_STATUSES.has(recall.status)) {
    throw new RpcError(`isRecalled and recallOf disagree on ${found.subject} (${recall.status})`);
  }
  const reasonVerified = reason === null ? false : await verifyReason(reason, recall.reasonHash);
  return {
    subject: found.subject,
    canonicalUri: found.canonicalUri,
    ...recall,
    reason: reasonVerified ? reason : null,
    reasonVerified,
  };
}
