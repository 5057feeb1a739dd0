// EIP-712 record signatures, checked in the browser: the same rules as
// anchoring/core/record_signature.py, byte for byte. An enterprise signs
//
//   TraceRecord(bytes32 eventHash,address submitter)
//
// under EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)
// with name "TraceLedger", version "1", and the chain id and TraceAnchor address the page
// PINS (anchors.js), never ones a server names: a signature made for another ledger
// recovers to some other address here. Signatures are r || s || v, v in {27, 28}, low s
// (EIP-2). Keccak-256 and secp256k1 recovery are the audited noble libraries, pinned in
// package-lock.json and served by us.

import { keccak_256 } from "./vendor/noble-hashes/sha3.js";
import { Point, recoverPublicKey } from "./vendor/noble-secp256k1.js";
import { bytesToBigInt, concatBytes, toHex, utf8 } from "./bytes.js";

export const RECORD_TYPE_STRING = "TraceRecord(bytes32 eventHash,address submitter)";
const DOMAIN_TYPE_STRING = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)";
const DOMAIN_NAME = "TraceLedger";
const DOMAIN_VERSION = "1";
const SECP256K1_ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n; // n, SEC 2 §2.4.1
const HALF_ORDER = SECP256K1_ORDER / 2n;

/** keccak-256 of `bytes` (the Ethereum hash, not SHA3-256). */
export function keccak256(bytes) {
  return keccak_256(bytes);
}

const TYPE_HASH = keccak256(utf8(RECORD_TYPE_STRING));
const DOMAIN_TYPE_HASH = keccak256(utf8(DOMAIN_TYPE_STRING));

/** A signature that cannot be a record signature, or recovers to no key. */
export class SignatureError extends Error {
  constructor(message) {
    super(message);
    this.name = "SignatureError";
  }
}

/** The 20 bytes of an address in any case (`0x` + 40 hex digits); null otherwise. */
export function addressBytes(text) {
  if (typeof text !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(text)) return null;
  return Uint8Array.from(text.slice(2).match(/../g), (pair) => parseInt(pair, 16));
}

/** The EIP-55 mixed-case spelling of a 20-byte address (what the Python core prints). */
export function checksumAddress(address) {
  const lower = toHex(address).slice(2);
  const hash = toHex(keccak256(utf8(lower))).slice(2);
  return "0x" + Array.from(lower, (ch, i) => (parseInt(hash[i], 16) >= 8 ? ch.toUpperCase() : ch)).join("");
}

function uint256(value) {
  const word = new Uint8Array(32);
  let rest = BigInt(value);
  for (let i = 31; i >= 0; i -= 1) {
    word[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return word;
}

function addressWord(address) {
  return concatBytes(new Uint8Array(12), address); // uint160, left-padded: EIP-712 encodeData
}

/** hashStruct(EIP712Domain{...}) of the pinned ledger (`chainId`, 20-byte `traceAnchor`). */
export function domainSeparator(chainId, traceAnchor) {
  return keccak256(concatBytes(
    DOMAIN_TYPE_HASH,
    keccak256(utf8(DOMAIN_NAME)),
    keccak256(utf8(DOMAIN_VERSION)),
    uint256(chainId),
    addressWord(traceAnchor),
  ));
}

/** keccak256(0x1901 || domainSeparator || hashStruct(TraceRecord{eventHash, submitter})). */
export function recordDigest(eventHash, submitter, separator) {
  const structHash = keccak256(concatBytes(TYPE_HASH, eventHash, addressWord(submitter)));
  return keccak256(concatBytes(Uint8Array.of(0x19, 0x01), separator, structHash));
}

/** Check r || s || v shape and ranges (as record_signature._check_signature); the recovery bit. */
function recoveryBit(signature) {
  if (signature.length !== 65) throw new SignatureError("a record signature is 65 bytes r || s || v");
  const v = signature[64];
  if (v !== 27 && v !== 28) throw new SignatureError(`signature v must be 27 or 28, got ${v}`);
  const r = bytesToBigInt(signature.slice(0, 32));
  const s = bytesToBigInt(signature.slice(32, 64));
  if (!(r > 0n && r < SECP256K1_ORDER)) throw new SignatureError("signature r must lie in 1 .. n-1");
  // EIP-2: (r, n - s) is the same signature's twin; accepting both makes it malleable.
  if (!(s > 0n && s <= HALF_ORDER)) throw new SignatureError("signature s must lie in 1 .. n/2 (EIP-2 low-s form)");
  return v - 27;
}

/**
 * The EIP-55 address whose key made `signature` (65 bytes) over the record digest of
 * (`eventHash`, `submitter`) under `separator`. Throws SignatureError for a malformed
 * signature or one from which no key recovers. Any well-formed signature recovers
 * *some* address: the caller compares it with the submitter.
 */
export function recoverRecordSigner(eventHash, submitter, separator, signature) {
  const bit = recoveryBit(signature);
  const digest = recordDigest(eventHash, submitter, separator);
  let publicKey;
  try {
    // noble v3 'recovered' format puts the recovery byte first; the digest is already hashed.
    const recovered = recoverPublicKey(concatBytes(Uint8Array.of(bit), signature.slice(0, 64)), digest, { prehash: false });
    publicKey = Point.fromBytes(recovered).toBytes(false);
  } catch (error) {
    throw new SignatureError(`signature does not recover to a public key (${error.message})`);
  }
  // address = last 20 bytes of keccak256(uncompressed X || Y), yellow paper eq. 284
  return checksumAddress(keccak256(publicKey.slice(1)).slice(12));
}
