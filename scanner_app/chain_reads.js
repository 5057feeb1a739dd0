// What the page reads from the chain, by JSON-RPC (`eth_call`, `eth_getBlockByNumber`,
// `eth_getLogs`) against the contracts whose addresses the page PINS (anchors.js).
// Selectors and topics are keccak-256 of the canonical signatures, computed here at load
// (Solidity ABI spec, "Function Selector"), never typed in: a typo cannot call another
// function. Each read returns plain values; JSON-RPC problems reject with RpcError.

import { keccak256 } from "./eip712.js";
import { toHex, utf8 } from "./bytes.js";

const FUNCTIONS = [
  "rootAtSize(uint64)", // TraceAnchor
  "headIndexBySize(uint64)",
  "headAt(uint256)",
  "hasRole(address,uint8)", // MemberRegistry
  "enterpriseOf(address)",
  "enterprise(bytes32)",
  "holdsCompanyPrefix(address,string)",
  "isRecalled(bytes32)", // RecallRegistry
  "recallOf(bytes32)",
];
const EVENTS = ["TreeHeadWitnessed(uint256,address,uint64,bytes32)"];

/** Function signature -> `0x` + first 4 bytes of keccak256(signature). */
export const SELECTORS = Object.freeze(Object.fromEntries(
  FUNCTIONS.map((signature) => [signature, toHex(keccak256(utf8(signature)).slice(0, 4))]),
));
/** Event signature -> `0x` + keccak256(signature) (topic 0). */
export const TOPICS = Object.freeze(Object.fromEntries(
  EVENTS.map((signature) => [signature, toHex(keccak256(utf8(signature)))]),
));
/** `enum Role` of contracts/src/Roles.sol (contracts/abi.py MemberRole). */
export const ROLE_ENTERPRISE = 5;

/** A JSON-RPC call that failed: transport (`code` null) or an error answer (`code`, `data`). */
export class RpcError extends Error {
  constructor(message, { code = null, data = null } = {}) {
    super(message);
    this.name = "RpcError";
    this.code = code;
    this.data = data;
  }

  /** The call reached the EVM and reverted (EIP-1474 code 3, or a node that says so). */
  get reverted() {
    return this.code === 3 || /revert/i.test(this.message);
  }
}

/** At most this many calls per batch: the platform's chain proxy takes 20 (chain_proxy.py). */
export const MAX_BATCH_CALLS = 20;

function answerOf(call, reply) {
  if (!reply || typeof reply !== "object") return new RpcError(`${call.method}: no answer in the batch`);
  if (reply.error) {
    return new RpcError(`${call.method}: ${reply.error.message || "error"}`, { code: reply.error.code, data: reply.error.data });
  }
  return { result: reply.result };
}

/**
 * A JSON-RPC 2.0 caller over HTTP POST; rejects with RpcError. Calls made before the page's
 * next task go out together as one batch (JSON-RPC 2.0 §6): a record's checks ask a dozen
 * independent questions, and one round trip instead of a dozen is most of the time to
 * "verified" on a phone. A node that answers a batch with anything but a list fails each call.
 */
export function jsonRpcClient(url, fetchImpl = globalThis.fetch.bind(globalThis)) {
  let nextId = 1;
  let queue = [];

  async function send(calls) {
    const single = calls.length === 1;
    const payload = calls.map(({ id, method, params }) => ({ jsonrpc: "2.0", id, method, params }));
    let replies;
    try {
      const response = await fetchImpl(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(single ? payload[0] : payload),
      });
      if (!response.ok) throw new RpcError(`HTTP ${response.status}`);
      const body = await response.json();
      replies = single ? [body] : body;
      if (!Array.isArray(replies)) throw new RpcError("the node did not answer the batch with a list");
    } catch (error) {
      for (const call of calls) call.reject(new RpcError(`${call.method}: ${error.message}`));
      return;
    }
    const byId = new Map(replies.filter((r) => r && typeof r === "object").map((r) => [r.id, r]));
    for (const call of calls) {
      const answer = answerOf(call, byId.get(call.id));
      if (answer instanceof RpcError) call.reject(answer);
      else call.resolve(answer.result);
    }
  }

  function flush() {
    const calls = queue;
    queue = [];
    for (let start = 0; start < calls.length; start += MAX_BATCH_CALLS) send(calls.slice(start, start + MAX_BATCH_CALLS));
  }

  return (method, params) => new Promise((resolve, reject) => {
    if (queue.length === 0) setTimeout(flush, 0);
    queue.push({ id: nextId++, method, params, resolve, reject });
  });
}

const MEMOIZED = Symbol("memoized");

/**
 * `rpc` with answers shared within one page: records anchored by the same head, or
 * received after the same block, ask the same questions, and the answers do not change.
 * Failures are not kept (a reverted `rootAtSize` of a pending size is asked again).
 */
export function memoizedRpc(rpc) {
  if (rpc[MEMOIZED]) return rpc;
  const answers = new Map();
  const memoized = (method, params) => {
    const key = method + JSON.stringify(params);
    if (!answers.has(key)) {
      const answer = rpc(method, params);
      answers.set(key, answer);
      answer.catch(() => answers.delete(key));
    }
    return answers.get(key);
  };
  memoized[MEMOIZED] = true;
  return memoized;
}

// --- Solidity ABI encoding of the few argument types used here -------------------------

function word(hex) {
  return hex.padStart(64, "0");
}

function uintWord(value) {
  return word(BigInt(value).toString(16));
}

function addressWord(address) {
  return word(address.toLowerCase().replace(/^0x/, ""));
}

function stringTail(text) {
  // length word, then the UTF-8 bytes right-padded to a multiple of 32 (ABI spec, `bytes`)
  const hex = toHex(utf8(text)).slice(2);
  return uintWord(hex.length / 2) + hex.padEnd(Math.ceil(hex.length / 64) * 64, "0");
}

/** A block number (integer), or a tag or hex quantity passed through ("latest", "0x1f"). */
function blockTag(block) {
  return typeof block === "string" ? block : "0x" + block.toString(16);
}

/**
 * `eth_call` of `signature` (one of SELECTORS) on contract `to` with ABI-encoded argument
 * hex `data` (see abiWords) at `block` (number or tag); resolves to the answer's 32-byte
 * words as lowercase hex without `0x`. Other page modules (recall.js) call through this
 * too, so the page has one JSON-RPC path.
 */
export async function call(rpc, to, signature, data, block = "latest") {
  const result = await rpc("eth_call", [{ to, data: SELECTORS[signature] + data }, blockTag(block)]);
  if (typeof result !== "string" || !/^0x([0-9a-fA-F]{64})+$/.test(result)) {
    throw new RpcError(`${signature} returned no value`);
  }
  return result.slice(2).toLowerCase().match(/.{64}/g);
}

/** Encoders of the static argument types used here, one 32-byte word each (hex, no `0x`). */
export const abiWords = Object.freeze({ uint: uintWord, address: addressWord, bytes32: (hex) => word(hex.slice(2)) });

const wordNumber = (hex) => Number(BigInt("0x" + hex));

// --- blocks and chain identity ----------------------------------------------------------

/** Block `number` ({number, hash, timestamp} as numbers and hex), or null if there is none. */
export async function blockAt(rpc, number) {
  const block = await rpc("eth_getBlockByNumber", [blockTag(number), false]);
  if (block === null) return null;
  return { number: Number(block.number), hash: String(block.hash).toLowerCase(), timestamp: Number(block.timestamp) };
}

/** The endpoint's chain id and genesis block hash (asked once per page with memoizedRpc). */
export async function chainIdentity(rpc) {
  const [chainId, genesis] = await Promise.all([rpc("eth_chainId", []), blockAt(rpc, 0)]);
  return { chainId: Number(chainId), genesisHash: genesis ? genesis.hash : null };
}

// --- MemberRegistry ---------------------------------------------------------------------

/** `hasRole(account, Enterprise)` and `enterpriseOf(account)` at block `number`. */
export async function membershipAt(rpc, registry, account, number) {
  const [role, enterprise] = await Promise.all([
    call(rpc, registry, "hasRole(address,uint8)", addressWord(account) + uintWord(ROLE_ENTERPRISE), number),
    call(rpc, registry, "enterpriseOf(address)", addressWord(account), number),
  ]);
  return { active: wordNumber(role[0]) === 1, enterpriseId: "0x" + enterprise[0] };
}

/** `holdsCompanyPrefix(account, prefix)` at block `number`. */
export async function holdsCompanyPrefixAt(rpc, registry, account, prefix, number) {
  const data = addressWord(account) + uintWord(64) + stringTail(prefix); // head: address, offset of the string
  const [held] = await call(rpc, registry, "holdsCompanyPrefix(address,string)", data, number);
  return wordNumber(held) === 1;
}

/** `enterprise(id).metadataHash` at `number`; null if the registry does not know the id. */
export async function enterpriseMetadataHash(rpc, registry, enterpriseId, number = "latest") {
  try {
    // (EnterpriseStatus status, uint8 sectors, bytes32 metadataHash, address signingKey)
    const words = await call(rpc, registry, "enterprise(bytes32)", word(enterpriseId.slice(2)), number);
    return "0x" + words[2];
  } catch (error) {
    if (error instanceof RpcError && error.reverted) return null; // UnknownEnterprise
    throw error;
  }
}

// --- TraceAnchor ------------------------------------------------------------------------

/**
 * The head anchored for `treeSize` ({rootHash, headIndex, blockNumber, timestamp}), or
 * null if no head of that size is anchored (the calls revert UnknownTreeSize).
 */
export async function anchoredHead(rpc, traceAnchor, treeSize) {
  let root, index;
  try {
    [root, index] = await Promise.all([
      call(rpc, traceAnchor, "rootAtSize(uint64)", uintWord(treeSize)),
      call(rpc, traceAnchor, "headIndexBySize(uint64)", uintWord(treeSize)),
    ]);
  } catch (error) {
    if (error instanceof RpcError && error.reverted) return null;
    throw error;
  }
  const headIndex = wordNumber(index[0]);
  // TreeHead(uint64 treeSize, uint64 blockNumber, uint64 timestamp, bytes32 rootHash)
  const head = await call(rpc, traceAnchor, "headAt(uint256)", uintWord(headIndex));
  return { rootHash: "0x" + root[0], headIndex, blockNumber: wordNumber(head[1]), timestamp: wordNumber(head[2]) };
}

/** Witnesses that cosigned head `headIndex` on chain (TreeHeadWitnessed logs), lowercase. */
export async function chainWitnesses(rpc, traceAnchor, headIndex, fromBlock) {
  const logs = await rpc("eth_getLogs", [{
    address: traceAnchor,
    fromBlock: blockTag(fromBlock),
    toBlock: "latest",
    topics: [TOPICS["TreeHeadWitnessed(uint256,address,uint64,bytes32)"], "0x" + uintWord(headIndex)],
  }]);
  return (Array.isArray(logs) ? logs : []).map((log) => "0x" + log.topics[2].slice(-40).toLowerCase());
}
