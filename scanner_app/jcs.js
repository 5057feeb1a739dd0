// RFC 8785 JSON Canonicalization Scheme (JCS): one byte string per JSON value, so a hash
// of a document means the same document in Python (anchoring/core/jcs.py) and here.
// Members sorted by UTF-16 code units (§3.2.3, what Array.prototype.sort does with
// strings), numbers in ECMAScript form (§3.2.2.3, what JSON.stringify writes), strings
// escaped as JSON.stringify does (§3.2.2.2); lone surrogates are refused, as in Python.

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The canonical JSON text of `value`; throws TypeError for what JSON cannot hold. */
export function canonicalJson(value) {
  if (value === null || typeof value === "boolean") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new TypeError("JCS has no form for NaN or Infinity");
    return JSON.stringify(value);
  }
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw new TypeError("JCS refuses a lone surrogate");
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return "[" + value.map(canonicalJson).join(",") + "]";
  if (typeof value === "object") {
    const names = Object.keys(value).sort();
    return "{" + names.map((name) => canonicalJson(name) + ":" + canonicalJson(value[name])).join(",") + "}";
  }
  throw new TypeError(`JCS has no form for a ${typeof value}`);
}
