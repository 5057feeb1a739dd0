// One GS1 AI value checked against its rule: lengths, character sets and every linter the
// GS1 Barcode Syntax Dictionary names. The page's port of gs1/linters.py and
// gs1/ai_values.py (verify_ai_value); tests/scanner_app/test_digital_link_js.py holds it to
// them, linter by linter and on generated links. Pure: runs in the page and under Node.
//
// A linter takes one component's text (already of the right length and character set) and
// returns null when it passes, else the reason in plain words (Python's words where short).

import {
  AI_TABLE, CSET_39, CSET_64, CSET_82, IBAN_MAX_LENGTH, IBAN_MIN_LENGTH, IMPORTER_INDEX_CHARS,
  ISO_3166_ALPHA_2, ISO_3166_NUMERIC, ISO_4217_NUMERIC, MEDIA_TYPES, MIN_COMPANY_PREFIX_LENGTH,
  PACKAGE_TYPE_CODES,
} from "./gs1_ai_table.js";

const DIGITS = /^[0-9]+$/;

// --- dates and times (GS1 General Specifications §7.12) --------------------------------------

/** YY to a four-digit year by the GS1 sliding window: at most 49 years back, 50 ahead. */
export function fullYear(twoDigitYear) {
  const current = new Date().getFullYear();
  const difference = twoDigitYear - (current % 100);
  if (difference >= 51) return current - (current % 100) - 100 + twoDigitYear;
  if (difference <= -50) return current - (current % 100) + 100 + twoDigitYear;
  return current - (current % 100) + twoDigitYear;
}

const isLeap = (year) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Python's _date_reason: DD = 00 (last day of the month) only where allowed; years 1..9999. */
function dateReason(year, part, dayZeroAllowed) {
  if (!dayZeroAllowed && part.slice(-2) === "00") return "day 00 is not allowed here";
  const month = Number(part.slice(-4, -2));
  const day = Number(part.slice(-2));
  if (month < 1 || month > 12) return `date ${part} is not valid (month out of range)`;
  const lastDay = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1];
  if (day > lastDay) return `date ${part} is not valid (day out of range)`;
  if (year < 1) return `date ${part} is not valid (year 0 is out of range)`; // Python's date has no year 0
  return null;
}

const atMost = (limit, what) => (part) => (Number(part) <= limit ? null : `${what} ${part} is out of range (max ${limit})`);
const hour = atMost(23, "hour");
const minute = atMost(59, "minute");

// --- check characters --------------------------------------------------------------------------

/** GS1 mod-10 check digit of a digit string (GS1 GS §7.9.1: weights 3, 1, ... from the right). */
export function computeCheckDigit(payload) {
  let total = 0;
  for (let i = payload.length - 1, weight = 3; i >= 0; i -= 1, weight = 4 - weight) total += weight * Number(payload[i]);
  return (10 - (total % 10)) % 10;
}

// GS1 GS §7.9.5: alphanumeric check character pair (AIs 8013, 8014); character values are
// positions in character set 82 (ASCII order), weights the first primes, 2 nearest the pair.
const CSET_32 = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
const PRIMES = [];
for (let n = 2; n < 510; n += 1) {
  let prime = true;
  for (let d = 2; d <= Math.floor(Math.sqrt(n)); d += 1) if (n % d === 0) prime = false;
  if (prime) PRIMES.push(n);
}

/** The two check characters of a GS1 alphanumeric payload (at most 97 characters). */
export function computeCheckPair(payload) {
  let total = 0;
  for (let i = 0; i < payload.length; i += 1) total += CSET_82.indexOf(payload[payload.length - 1 - i]) * PRIMES[i];
  total %= 1021;
  return CSET_32[total >> 5] + CSET_32[total & 31];
}

function csumalpha(part) {
  if (part.length < 2) return "too short for a check character pair";
  if (part.length > PRIMES.length + 2) return "too long for a check character pair";
  const expected = computeCheckPair(part.slice(0, -2));
  return part.slice(-2) === expected ? null : `check character pair should be ${expected}`;
}

function iban(part) {
  // ISO 13616-1: country code, two check digits, the account; the rearranged number mod 97 is 1.
  if (part.length < 4 || !ISO_3166_ALPHA_2.has(part.slice(0, 2))) {
    return part.length >= 4 ? "IBAN does not start with an ISO 3166 country code" : "IBAN too short";
  }
  if (!(IBAN_MIN_LENGTH < part.length && part.length <= IBAN_MAX_LENGTH)) return `IBAN length ${part.length} out of range`;
  if (!/^[0-9A-Z]+$/.test(part)) return "IBAN has only digits and capital letters";
  let remainder = 0;
  for (const char of part.slice(4) + part.slice(0, 4)) {
    for (const digit of String(parseInt(char, 36))) remainder = (remainder * 10 + Number(digit)) % 97;
  }
  return remainder === 1 ? null : "IBAN check digits are wrong";
}

// Without GS1's prefix allocation table only the shape can be checked: the value reaches past
// the shortest GS1 Company Prefix, in digits (the syntax engine's default).
const gcpAt = (start) => (part) => {
  const prefix = part.slice(start, start + MIN_COMPANY_PREFIX_LENGTH);
  if (prefix.length < MIN_COMPANY_PREFIX_LENGTH) return "too short to hold a GS1 Company Prefix";
  return DIGITS.test(prefix) ? null : "GS1 Company Prefix has digits only";
};

// --- small value sets ---------------------------------------------------------------------------

const oneOf = (allowed, what) => (part) => (allowed.has(part) ? null : `${part} is not ${what}`);

function pieceOfTotal(part) {
  const half = Math.floor(part.length / 2);
  const piece = Number(part.slice(0, half));
  const total = Number(part.slice(half));
  if (piece === 0 || total === 0) return "piece number and total must not be 00";
  return piece > total ? `piece ${piece} exceeds the total ${total}` : null;
}

function posInSeqSlash(part) {
  const match = /^([0-9]+)\/([0-9]+)$/.exec(part);
  if (!match) return "position in sequence is not <position>/<end>";
  const [, position, end] = match;
  if (position[0] === "0" || end[0] === "0") return "must not start with 0";
  return BigInt(position) > BigInt(end) ? `position ${position} exceeds the end ${end}` : null;
}

// --- coupons (GS1 US Coupon specification via GS1 GS §3.9.x; AIs 8110, 8112) --------------------

class CouponError extends Error {}

/** A cursor over a coupon's digits; each `take` names what a shortfall means. */
class Coupon {
  constructor(digits) {
    this.digits = digits;
    this.position = 0;
  }

  more() { return this.position < this.digits.length; }

  peek() { return this.digits[this.position]; }

  take(count, what) {
    if (this.digits.length - this.position < count) throw new CouponError(`coupon: ${what} is missing or truncated`);
    const text = this.digits.slice(this.position, this.position + count);
    this.position += count;
    return text;
  }

  lengthIndicator(allowed, what, extra = 0) {
    const digit = this.take(1, `${what} length indicator`);
    if (!allowed.includes(digit)) throw new CouponError(`coupon: invalid ${what} length indicator ${digit}`);
    return Number(digit) + extra;
  }

  expect(count, allowed, what) {
    if (!allowed.includes(this.take(count, what))) throw new CouponError(`coupon: invalid ${what}`);
  }
}

function purchaseRequirement(coupon, which, gcp) {
  coupon.take(coupon.lengthIndicator("12345", `${which} purchase requirement`), `${which} purchase requirement`);
  coupon.expect(1, "012349", `${which} purchase requirement code`);
  coupon.take(3, `${which} purchase family code`);
  if (gcp) {
    const indicator = coupon.take(1, `${which} purchase GCP length indicator`);
    if (!"01234569".includes(indicator)) throw new CouponError(`coupon: invalid ${which} purchase GCP length indicator`);
    if (indicator !== "9") coupon.take(Number(indicator) + 6, `${which} purchase GCP`);
  }
}

function couponCodeSteps(coupon) {
  coupon.take(coupon.lengthIndicator("0123456", "GS1 Company Prefix", 6), "GS1 Company Prefix");
  coupon.take(6, "offer code");
  coupon.take(coupon.lengthIndicator("12345", "save value"), "save value");
  purchaseRequirement(coupon, "1st", false);
  const optional = (flag) => coupon.more() && coupon.peek() === flag && coupon.take(1, "") !== null;
  if (optional("1")) {
    coupon.expect(1, "0123", "additional purchase rules code");
    purchaseRequirement(coupon, "2nd", true);
  }
  if (optional("2")) purchaseRequirement(coupon, "3rd", true);
  let expiry = null;
  if (optional("3")) {
    expiry = coupon.take(6, "expiration date");
    if (LINTERS.yymmdd(expiry)) throw new CouponError("coupon: invalid expiration date");
  }
  if (optional("4")) {
    const start = coupon.take(6, "start date");
    if (LINTERS.yymmdd(start)) throw new CouponError("coupon: invalid start date");
    if (expiry !== null && start > expiry) throw new CouponError("coupon: expiration before start");
  }
  if (optional("5")) coupon.take(coupon.lengthIndicator("0123456789", "serial number", 6), "serial number");
  if (optional("6")) coupon.take(coupon.lengthIndicator("1234567", "retailer GCP/GLN", 6), "retailer GCP/GLN");
  if (optional("9")) {
    coupon.expect(1, "01256", "save value code");
    coupon.expect(1, "012", "save value applies to item");
    coupon.take(1, "store coupon flag");
    coupon.expect(1, "01", "don't multiply flag");
  }
}

function couponPosOfferSteps(coupon) {
  coupon.expect(1, "01", "format code");
  coupon.take(coupon.lengthIndicator("0123456", "funder", 6), "funder");
  coupon.take(6, "offer code");
  coupon.take(coupon.lengthIndicator("0123456789", "serial number", 6), "serial number");
}

const couponLinter = (steps) => (part) => {
  if (!DIGITS.test(part)) return "coupon data has digits only";
  const coupon = new Coupon(part);
  try {
    steps(coupon);
  } catch (error) {
    if (error instanceof CouponError) return error.message;
    throw error;
  }
  return coupon.more() ? "coupon: excess data" : null;
};

/** Every linter of the syntax dictionary, by the name the dictionary uses (gs1.linters.LINTERS). */
export const LINTERS = Object.freeze({
  csum: (part) => {
    const expected = computeCheckDigit(part.slice(0, -1));
    return Number(part.at(-1)) === expected ? null : `check digit should be ${expected}`;
  },
  csumalpha,
  gcppos1: gcpAt(0),
  gcppos2: gcpAt(1),
  yymmd0: (part) => dateReason(fullYear(Number(part.slice(0, 2))), part, true),
  yymmdd: (part) => dateReason(fullYear(Number(part.slice(0, 2))), part, false),
  yyyymmd0: (part) => dateReason(Number(part.slice(0, 4)), part, true),
  yyyymmdd: (part) => dateReason(Number(part.slice(0, 4)), part, false),
  hhmi: (part) => hour(part.slice(0, 2)) || minute(part.slice(2, 4)),
  hh: hour,
  mi: minute,
  ss: atMost(59, "second"),
  zero: (part) => (/^0+$/.test(part) ? null : "filler digits must be 0"),
  nonzero: (part) => (/^0*$/.test(part) ? "must not be zero" : null),
  nozeroprefix: (part) => (part[0] === "0" ? "must not start with 0" : null),
  hasnondigit: (part) => (DIGITS.test(part) ? "must contain a non-digit" : null),
  hyphen: (part) => (/^-+$/.test(part) ? null : "must be hyphens only"),
  yesno: oneOf(new Set("01"), "0 or 1"),
  winding: oneOf(new Set("019"), "a winding direction (0, 1 or 9)"),
  iso5218: oneOf(new Set("0129"), "an ISO/IEC 5218 biological sex code"),
  importeridx: oneOf(IMPORTER_INDEX_CHARS, "an importer index (-, 0-9, A-Z, _, a-z)"),
  pieceoftotal: pieceOfTotal,
  posinseqslash: posInSeqSlash,
  pcenc: (part) => (/^(?:[^%]|%[0-9A-Fa-f]{2})*$/.test(part) ? null : "invalid percent-encoding"),
  latitude: (part) => (Number(part) <= 1_800_000_000 ? null : "latitude out of range"),
  longitude: (part) => (Number(part) <= 3_600_000_000 ? null : "longitude out of range"),
  iso3166: oneOf(ISO_3166_NUMERIC, "an ISO 3166 numeric country code"),
  iso3166999: (part) => (part === "999" ? null : oneOf(ISO_3166_NUMERIC, "an ISO 3166 numeric country code or 999")(part)),
  iso3166alpha2: oneOf(ISO_3166_ALPHA_2, "an ISO 3166 alpha-2 country code"),
  iso4217: oneOf(ISO_4217_NUMERIC, "an ISO 4217 numeric currency code"),
  mediatype: oneOf(MEDIA_TYPES, "an AIDC media type"),
  packagetype: oneOf(PACKAGE_TYPE_CODES, "a package type code (UN/ECE Rec. 21)"),
  iban,
  couponcode: couponLinter(couponCodeSteps),
  couponposoffer: couponLinter(couponPosOfferSteps),
});

// --- one value against its rule (gs1/ai_values.py) ----------------------------------------------

const CHARSETS = { N: new Set("0123456789"), X: new Set(CSET_82), Y: new Set(CSET_39), Z: new Set(CSET_64) };
const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** RFC 4648 §3.5 canonical base64url: '=' only at the end, at most two, whole 4-character
 *  groups when padded, and the bits the padding leaves over are 0. */
function base64PaddingReason(part) {
  const data = part.replace(/=+$/, "");
  const padding = part.length - data.length;
  if (data.includes("=") || padding > 2 || (padding && part.length % 4)) return "base64url padding is malformed";
  if (padding && BASE64URL.indexOf(data.at(-1)) & ((1 << (padding === 2 ? 4 : 2)) - 1)) {
    return "base64url padding leaves non-zero bits";
  }
  return null;
}

/**
 * Why `value` is not a valid value of AI `ai`, or null when it is (gs1.ai_values.verify_ai_value).
 * Requires `ai` to be in AI_TABLE.
 */
export function aiValueReason(ai, value) {
  const { components } = AI_TABLE[ai];
  if (!value) return "value must not be empty";
  let position = 0;
  for (const [kind, min, max, optional, linters] of components) {
    const remaining = value.length - position;
    if (remaining === 0 && optional) break;
    if (remaining < min) return `length ${value.length} is too short`;
    const part = value.slice(position, position + Math.min(remaining, max));
    const bad = [...part].find((char) => !CHARSETS[kind].has(char));
    if (bad !== undefined) return `character ${JSON.stringify(bad)} not allowed`;
    const reason = (kind === "Z" && base64PaddingReason(part)) || linters.reduce((found, name) => found || LINTERS[name](part), null);
    if (reason) return reason;
    position += part.length;
  }
  return position === value.length ? null : `length ${value.length} is too long`;
}
