// Python's text semantics where they differ from JavaScript's and the core relies on them:
// code points, str.strip, \d, float(), sorting (anchoring/core/event_hash behaves as CPython 3.11).

// --- Python text semantics -------------------------------------------------------------------

// Python 3.11 str.isspace(): exactly what str.strip() removes.
const PY_WHITESPACE = new Set([
  0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a,
  0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

export function pyStrip(text) {
  let start = 0;
  let end = text.length;
  while (start < end && PY_WHITESPACE.has(text.charCodeAt(start))) start += 1;
  while (end > start && PY_WHITESPACE.has(text.charCodeAt(end - 1))) end -= 1;
  return text.slice(start, end);
}

// The zero of every run of ten decimal digits (Unicode 14.0, general category Nd): what
// Python's re `\d` and float() accept. Unicode guarantees each run is 0..9 in order.
const DIGIT_ZEROS = [
  0x30, 0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66,
  0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810, 0x1946, 0x19d0, 0x1a80, 0x1a90,
  0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0,
  0xff10, 0x104a0, 0x10d30, 0x11066, 0x110f0, 0x11136, 0x111d0, 0x112f0, 0x11450, 0x114d0,
  0x11650, 0x116c0, 0x11730, 0x118e0, 0x11950, 0x11c50, 0x11d50, 0x11da0, 0x16a60, 0x16ac0,
  0x16b50, 0x1d7ce, 0x1d7d8, 0x1d7e2, 0x1d7ec, 0x1d7f6, 0x1e140, 0x1e2f0, 0x1e950, 0x1fbf0,
];
const hexCode = (codePoint) => `\\u{${codePoint.toString(16)}}`;
/** Regular-expression class equal to Python's `\d` (use with the `u` flag). */
export const D = `[${DIGIT_ZEROS.map((zero) => `${hexCode(zero)}-${hexCode(zero + 9)}`).join("")}]`;
const NON_ASCII_DIGIT = new RegExp(`(?![0-9])${D}`, "gu");

export function asciiDigits(text) {
  return text.replace(NON_ASCII_DIGIT, (digit) => {
    const codePoint = digit.codePointAt(0);
    const zero = DIGIT_ZEROS.findLast((candidate) => candidate <= codePoint);
    return String(codePoint - zero);
  });
}

const isHighSurrogate = (unit) => unit >= 0xd800 && unit <= 0xdbff;
const isLowSurrogate = (unit) => unit >= 0xdc00 && unit <= 0xdfff;

/** Python's string order (by code point); UTF-16 order differs above U+E000. */
function compareCodePoints(left, right) {
  const shorter = Math.min(left.length, right.length);
  let index = 0;
  while (index < shorter && left.charCodeAt(index) === right.charCodeAt(index)) index += 1;
  if (index === shorter) return left.length - right.length;
  // Inside a surrogate pair: compare the whole code points that start one unit earlier.
  if (index > 0 && isHighSurrogate(left.charCodeAt(index - 1))
      && (isLowSurrogate(left.charCodeAt(index)) || isLowSurrogate(right.charCodeAt(index)))) {
    index -= 1;
  }
  return left.codePointAt(index) - right.codePointAt(index);
}

export const sortedPython = (pieces) => pieces.sort(compareCodePoints);

export const codePointLength = (text) => Array.from(text).length; // Python's len()

export const isObject = (value) => value !== null && typeof value === "object" && !Array.isArray(value);
export const hasMember = (object, name) => Object.prototype.hasOwnProperty.call(object, name);
export const member = (object, name) => (hasMember(object, name) ? object[name] : undefined);
export const isAbsent = (value) => value === null || value === undefined;

export function jsonType(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}
