// Resolve hook (see recall_vendor_hooks.mjs): scanner_app/vendor/<name> -> node_modules file.
const NODE_MODULES = new URL("../../../scanner_app/node_modules/", import.meta.url);
const VENDOR = new URL("../../../scanner_app/vendor/", import.meta.url).href;
const FILES = { "noble-secp256k1.js": "@noble/secp256k1/index.js", "jsQR.js": "jsqr/dist/jsQR.js" };

export async function resolve(specifier, context, nextResolve) {
  if (context.parentURL && (specifier.startsWith("./") || specifier.startsWith("../"))) {
    const target = new URL(specifier, context.parentURL).href;
    if (target.startsWith(VENDOR)) {
      const name = target.slice(VENDOR.length);
      const file = FILES[name] || (name.startsWith("noble-hashes/") ? "@noble/hashes/" + name.slice(13) : null);
      if (file) return { url: new URL(file, NODE_MODULES).href, shortCircuit: true, format: "module" };
    }
  }
  return nextResolve(specifier, context);
}
