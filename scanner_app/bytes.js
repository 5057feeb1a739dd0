// Bytes, hex and base64 for the verification modules: one value, one spelling. Parsers
// reject anything non-canonical (uppercase hex, unpadded or re-encodable base64), so a
// server cannot make two texts of one value compare differently, or one text two values.

const encoder = new TextEncoder();

/** UTF-8 bytes of `text`. */
export function utf8(text) {
  return encoder.encode(text);
}

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

/** `0x` + lowercase hex of `bytes`. */
export function toHex(bytes) {
  return "0x" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The bytes of `0x` + lowercase hex, exactly `size` long if given; null if not that. */
export function hexBytes(text, size) {
  if (typeof text !== "string" || !/^0x([0-9a-f]{2})*$/.test(text)) return null;
  const bytes = new Uint8Array((text.length - 2) / 2);
  for (let i = 0; i < bytes.length; i += 1) bytes[i] = parseInt(text.slice(2 + 2 * i, 4 + 2 * i), 16);
  if (size !== undefined && bytes.length !== size) return null;
  return bytes;
}

/** The bytes of canonical padded base64 (RFC 4648 §4); null for anything else. */
export function base64Bytes(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return null;
  const binary = atob(text);
  if (btoa(binary) !== text) return null;
  return Uint8Array.from(binary, (ch) => ch.charCodeAt(0));
}

/** SHA-256 of `bytes` (WebCrypto). */
export async function sha256(bytes) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** Big-endian unsigned integer of `bytes` as a BigInt. */
export function bytesToBigInt(bytes) {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
