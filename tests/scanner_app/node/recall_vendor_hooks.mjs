// `node --import ./tests/scanner_app/node/recall_vendor_hooks.mjs ...`: the page's
// `./vendor/...` imports resolve to scanner_app/node_modules under Node, exactly as
// scanner_app/routes.py VENDOR_FILES serves them to the browser.
import { register } from "node:module";

register("./recall_vendor_resolve.mjs", import.meta.url);
