// JSON-LD prefixes of user extensions (anchoring/core/event_hash/namespaces.py).

import { EventHashError } from "./errors.js";
import { isAbsent, isObject, jsonType, member } from "./python_text.js";
import { STANDARD_NAMESPACES } from "./terms.js";

// --- namespaces: JSON-LD prefixes of user extensions (namespaces.py) ----------------------------

class Namespaces {
  constructor(prefixes) {
    this.prefixes = prefixes; // Map: a JSON member named "__proto__" must not reach Object.prototype
  }

  /** `{namespace}localName` for a compact or absolute member name; other names unchanged. */
  expandKey(key) {
    const colon = key.indexOf(":");
    if (colon <= 0) return key;
    if (key.startsWith("//", colon + 1)) {
      // An absolute IRI used as a member name: namespace up to the last '/' or '#'.
      const split = Math.max(key.lastIndexOf("/"), key.lastIndexOf("#")) + 1;
      return `{${key.slice(0, split)}}${key.slice(split)}`;
    }
    const namespace = this.prefixes.get(key.slice(0, colon));
    return namespace === undefined ? key : `{${namespace}}${key.slice(colon + 1)}`;
  }

  /** Full IRI for a CURIE value whose prefix is known; any other text unchanged. */
  expandValue(text) {
    const colon = text.indexOf(":");
    if (colon <= 0 || text.startsWith("//", colon + 1)) return text;
    const namespace = this.prefixes.get(text.slice(0, colon));
    return namespace === undefined ? text : namespace + text.slice(colon + 1);
  }
}

export const DEFAULT_NAMESPACES = new Namespaces(new Map(STANDARD_NAMESPACES));

/** The default context's prefixes extended by inline @context values; later ones win. */
export function namespacesFor(contexts) {
  const prefixes = new Map(STANDARD_NAMESPACES);
  for (const context of contexts) collectPrefixes(context, prefixes);
  return new Namespaces(prefixes);
}

function collectPrefixes(context, prefixes) {
  // Context URLs add nothing: remote contexts are never fetched, the standard one is built in.
  if (isAbsent(context) || typeof context === "string") return;
  if (Array.isArray(context)) {
    for (const entry of context) collectPrefixes(entry, prefixes);
    return;
  }
  if (!isObject(context)) {
    throw new EventHashError(
      `@context entries must be strings or objects, got ${jsonType(context)}`, "@context");
  }
  for (const [term, definition] of Object.entries(context)) {
    if (term.startsWith("@")) continue;
    if (typeof definition === "string" && definition.includes(":")) {
      prefixes.set(term, definition);
    } else if (isObject(definition) && member(definition, "@prefix") === true) {
      const iri = member(definition, "@id");
      if (typeof iri === "string") prefixes.set(term, iri);
    }
  }
}
