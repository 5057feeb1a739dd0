// The transparency log's proofs, checked in the browser: RFC 9162 Merkle hashing and
// inclusion, C2SP signed notes (the log's checkpoint, witness cosignatures). Pure:
// plain values in, and each check either returns what it established or throws
// `ProofError` saying why. WebCrypto does SHA-256 and Ed25519.

import { base64Bytes, bytesEqual, concatBytes, sha256, toHex, utf8 } from "./bytes.js";

export const ALG_ED25519 = 0x01; // signed-note §Signature types
export const ALG_COSIGNATURE_V1 = 0x04; // tlog-cosignature
const HASH_SIZE = 32;
const SIGNATURE_PREFIX = "\u2014 "; // em dash, space: signed-note §Format

/** A proof that does not hold; the message says why. */
export class ProofError extends Error {
  constructor(message) {
    super(message);
    this.name = "ProofError";
  }
}

function fail(message) {
  throw new ProofError(message);
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
 * RFC 9162 §2.1.3.2 step by step. Requires 0 <= leafIndex < treeSize and exactly the
 * path's number of hashes; throws ProofError otherwise.
 */
export async function rootFromInclusionProof(leafIndex, treeSize, leaf, proof) {
  if (!(Number.isSafeInteger(leafIndex) && Number.isSafeInteger(treeSize) && leafIndex >= 0 && leafIndex < treeSize)) {
    fail(`leaf index ${leafIndex} is not inside a tree of size ${treeSize}`);
  }
  // Numbers, not BigInts: sizes below 2^53 and the halvings below stay exact.
  let fn = leafIndex; // step 2
  let sn = treeSize - 1;
  let root = leaf; // step 3
  for (const sibling of proof) {
    if (sn === 0) fail("inclusion proof is longer than the path"); // step 4(a)
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
  if (sn !== 0) fail("inclusion proof is shorter than the path"); // step 5
  return root;
}

// --- C2SP signed notes ----------------------------------------------------------------

async function keyId(name, signatureType, publicKey) {
  // SHA-256(name || 0x0A || type || public key)[:4], signed-note §Signatures
  const digest = await sha256(concatBytes(utf8(name), Uint8Array.of(0x0a, signatureType), publicKey));
  return digest.slice(0, 4);
}

/** Parse `<name>+<hex key ID>+base64(type || key)` of `signatureType` and check its key ID. */
export async function parseVerifierKey(vkey, signatureType) {
  const parts = typeof vkey === "string" ? vkey.split("+") : [];
  if (parts.length < 3) fail("verifier key must be <name>+<key ID>+<base64 key>");
  const [name, idHex] = parts;
  const material = base64Bytes(parts.slice(2).join("+"));
  if (material === null) fail("verifier key is not canonical base64");
  if (!name || /\s/.test(name) || !/^[0-9a-f]{8}$/.test(idHex)) fail("verifier key has an invalid name or key ID");
  if (material.length !== 33 || material[0] !== signatureType) fail(`verifier key is not of type 0x0${signatureType}`);
  const publicKey = material.slice(1);
  const expectedId = await keyId(name, signatureType, publicKey);
  if (toHex(expectedId) !== "0x" + idHex) fail("verifier key ID does not match its name and key");
  return { name, keyId: expectedId, publicKey };
}

/** Split a signed note into its text (with final newline) and signature lines. */
export function splitNote(note) {
  if (typeof note !== "string") fail("checkpoint is not text");
  const separator = note.lastIndexOf("\n\n");
  if (separator < 0 || !note.endsWith("\n")) fail("checkpoint is not a signed note");
  const text = note.slice(0, separator + 1);
  const signatures = note
    .slice(separator + 2, -1)
    .split("\n")
    .map((line) => {
      if (!line.startsWith(SIGNATURE_PREFIX)) fail("malformed signature line in checkpoint");
      const [name, blob, extra] = line.slice(SIGNATURE_PREFIX.length).split(" ");
      const bytes = base64Bytes(blob);
      if (!name || bytes === null || extra !== undefined || bytes.length < 5) fail("malformed signature line in checkpoint");
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

/** Parse a checkpoint body strictly (tlog-checkpoint §Note text). */
export function parseCheckpoint(text) {
  const lines = text.slice(0, -1).split("\n");
  if (lines.length < 3 || lines.some((line) => line === "")) fail("checkpoint body is malformed");
  const [origin, sizeText, rootText] = lines;
  if (!/^(0|[1-9][0-9]*)$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    fail(`checkpoint tree size ${JSON.stringify(sizeText)} is not canonical decimal`);
  }
  const rootHash = base64Bytes(rootText);
  if (rootHash === null || rootHash.length !== HASH_SIZE) fail("checkpoint root hash is not 32 bytes of base64");
  return { origin, treeSize: Number(sizeText), rootHash };
}

/**
 * The checkpoint in `note` if the log key `logKey` (parsed) signed it; throws ProofError
 * if it carries no signature by that key or one that does not verify.
 */
export async function openCheckpoint(note, logKey) {
  const parsed = splitNote(note);
  const bySigner = signaturesBy(parsed, logKey);
  if (bySigner.length === 0) fail(`checkpoint carries no signature by the log key ${logKey.name}`);
  for (const sig of bySigner) {
    if (sig.signature.length !== 64 || !(await ed25519Verify(logKey.publicKey, sig.signature, utf8(parsed.text)))) {
      fail("the log's Ed25519 signature on the checkpoint is invalid");
    }
  }
  return { ...parseCheckpoint(parsed.text), note: parsed };
}

/**
 * Names of `witnessKeys` (parsed) whose cosignature on the opened note verifies; throws
 * ProofError if a line by one of them does not (tlog-cosignature).
 */
export async function verifiedCosigners(note, witnessKeys) {
  const message = utf8(note.text);
  const names = [];
  for (const key of witnessKeys) {
    for (const sig of signaturesBy(note, key)) {
      // 8-byte timestamp || Ed25519 signature over "cosignature/v1\ntime T\n" || note text
      if (sig.signature.length !== 72) fail(`cosignature by witness ${key.name} is malformed`);
      const timestamp = new DataView(sig.signature.buffer, sig.signature.byteOffset, 8).getBigUint64(0);
      const signed = concatBytes(utf8(`cosignature/v1\ntime ${timestamp}\n`), message);
      if (!(await ed25519Verify(key.publicKey, sig.signature.slice(8), signed))) {
        fail(`cosignature by witness ${key.name} is invalid`);
      }
      if (!names.includes(key.name)) names.push(key.name);
    }
  }
  return names;
}
