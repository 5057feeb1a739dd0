"""`/scan`: the consumer scan page and its assets, served by trace_api itself.

Every asset comes from this folder or from `scanner_app/node_modules` (installed by
`npm ci` from `package-lock.json` at set-up time): no CDN, no build step. Files are
read and gzipped once at start, so a phone on a slow link gets the page in a few
kilobytes and the server does no per-request work beyond a dictionary look-up.

`index.html` names its assets relatively (`assets/app.js`), so the same file works in a
static bundle hosted at any path (`traceledger scan-page build`, scanner_app/bundle.py).
Here the page is at `/scan` (the resolver's 303 goes to `/scan?uri=`), where a relative
URL would resolve against `/`, so the served copy names them from `/scan/assets/`
(`platform_page`); nothing else differs.

`anchors.js`, the trust anchors the page pins, is generated from the app's deployment
(`platform_trust_anchors`) on its first request and kept for the app's life; an app
without a trace_api context (the tests' stand-in API) pins its own with `pin_trust_anchors`.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from fastapi import APIRouter, FastAPI, Request, Response

from anchoring.anchor_contract import connect
from scanner_app.errors import ScanPageError
from scanner_app.trust_anchors import (
    Endpoints,
    TrustAnchors,
    format_trust_anchors,
    read_genesis_hash,
    render_anchors_module,
    trust_anchors_of,
)
from trace_api.consumer.view import CHAIN_RPC_PATH
from trace_api.context import ApiContext
from trace_api.errors import DomainError
from trace_api.problems import Problem
from trace_api.proofs.service import log_verifier_key

__all__ = ["ASSETS", "PAGE_FILES", "SCAN_PATH", "VENDOR_FILES", "pin_trust_anchors",
           "platform_page", "platform_trust_anchors", "router"]

log = logging.getLogger(__name__)

SCAN_PATH = "/scan"
APP_DIR = Path(__file__).resolve().parent
NODE_MODULES = APP_DIR / "node_modules"

PAGE_FILES = (
    "index.html",
    "styles.css",
    "app.js",
    "i18n.js",
    "render.js",
    "chart.js",
    "scan.js",
    "verify.js",
    "bytes.js",
    "jcs.js",
    "event_hash.js",
    "event_hash/errors.js",
    "event_hash/python_text.js",
    "event_hash/terms.js",
    "event_hash/namespaces.js",
    "event_hash/digital_link.js",
    "event_hash/canonical_values.js",
    "event_hash/prehash.js",
    "eip712.js",
    "log_proofs.js",
    "record_hash.js",
    "chain_reads.js",
    "view_model.js",
    "epcis_time.js",
    "identifier_keys.js",
    "event_body.js",
    "equipment.js",
    "recall.js",
    "digital_link.js",
    "gs1_ai_table.js",
    "gs1_linters.js",
    "anchors.js",
)
"""The page's own files, named one by one so nothing else in the folder is ever served.
A listed file that is not there (yet) is left out with a warning, never served empty."""

GENERATED_FILES = frozenset({"anchors.js"})
"""Listed page files made per app rather than read from this folder."""

ASSETS_PREFIX = "assets/"
"""How index.html names its assets: relative, so a bundle can live at any path."""

VENDOR_FILES = {
    # The QR decoder used when the browser has no BarcodeDetector (Chromium on Linux,
    # Firefox, Safari). jsQR is a UMD script; scan.js loads it only when scanning starts,
    # so it is not part of the first load.
    "jsQR.js": NODE_MODULES / "jsqr" / "dist" / "jsQR.js",
    # Audited noble libraries (pinned in package-lock.json) for the record signatures:
    # secp256k1 public-key recovery and keccak-256 (EIP-712). Both are plain ES modules;
    # sha3.js imports only its two siblings, so they keep their file names here.
    "noble-secp256k1.js": NODE_MODULES / "@noble" / "secp256k1" / "index.js",
    "noble-hashes/sha3.js": NODE_MODULES / "@noble" / "hashes" / "sha3.js",
    "noble-hashes/_u64.js": NODE_MODULES / "@noble" / "hashes" / "_u64.js",
    "noble-hashes/utils.js": NODE_MODULES / "@noble" / "hashes" / "utils.js",
}

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}

SECURITY_HEADERS = {
    # Everything from our own origin; camera frames and uploads stay in the page (blob:).
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
        "media-src 'self' blob: mediastream:; connect-src 'self'; object-src 'none'; "
        "base-uri 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(self), microphone=()",
}


@dataclass(frozen=True)
class Asset:
    """One served file: its bytes, their gzip, type and strong ETag."""

    body: bytes
    gzipped: bytes
    content_type: str
    etag: str


def _load(path: Path) -> Asset:
    return _asset(path.read_bytes(), CONTENT_TYPES[path.suffix])


def _asset(body: bytes, content_type: str) -> Asset:
    return Asset(
        body=body,
        # mtime=0: the same file always gives the same bytes (and the same transfer size).
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        content_type=content_type,
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
    )


def platform_page(page: bytes) -> bytes:
    """index.html as served at `/scan`: its relative `assets/...` URLs from `/scan/assets/`."""
    for attribute in (b'href="', b'src="'):
        page = page.replace(attribute + ASSETS_PREFIX.encode(), attribute + f"{SCAN_PATH}/{ASSETS_PREFIX}".encode())
    return page


def _load_assets() -> dict[str, Asset]:
    assets: dict[str, Asset] = {}
    for name in PAGE_FILES:
        if name in GENERATED_FILES:
            continue
        if not (APP_DIR / name).exists():
            log.warning("scan page file scanner_app/%s is listed but missing: not served", name)
            continue
        assets[name] = _load(APP_DIR / name)
    if "index.html" in assets:
        assets["index.html"] = _asset(platform_page(assets["index.html"].body), CONTENT_TYPES[".html"])
    for name, path in VENDOR_FILES.items():
        if path.exists():  # absent until `npm ci --prefix scanner_app`; camera then says so
            assets[f"vendor/{name}"] = _load(path)
        else:
            log.warning("vendored file %s is missing (run ./dev install): not served", path)
    return assets


ASSETS = _load_assets()

router = APIRouter(include_in_schema=False)


# --- trust anchors ------------------------------------------------------------------------------

_ANCHORS_STATE = "scan_trust_anchors"
_anchors_lock = threading.Lock()


def platform_trust_anchors(ctx: ApiContext) -> TrustAnchors:
    """The trust anchors of the platform this app serves: its deployment's chain id and
    contracts, the genesis hash read from its node, its log's key and origin, its configured
    witnesses; the API is the page's own origin and the RPC endpoint our read-only proxy.
    Raises when the node does not answer or the log key is not configured."""
    settings = ctx.settings
    return trust_anchors_of(
        name=f"TraceLedger platform ({urlsplit(settings.public_base_url).netloc or 'local'})",
        chain_id=ctx.deployment.chain_id,
        genesis_hash=read_genesis_hash(connect(settings.rpc_url)),
        contracts=ctx.deployment.contracts,
        log_origin=settings.log_origin,
        log_verifier_key=log_verifier_key(ctx),
        witness_keys=settings.witness_keys,
        endpoints=Endpoints(api="", rpc=CHAIN_RPC_PATH),
    )


def pin_trust_anchors(app: FastAPI, anchors: TrustAnchors) -> None:
    """Serve `anchors` as this app's `anchors.js` (instead of the deployment's)."""
    setattr(app.state, _ANCHORS_STATE, (anchors, _asset(render_anchors_module(anchors), CONTENT_TYPES[".js"])))


def app_trust_anchors(app: FastAPI) -> tuple[TrustAnchors, Asset]:
    """The app's pinned anchors and their `anchors.js`, made from its context on first use
    (a failure is not kept: the next request tries again)."""
    with _anchors_lock:
        pinned = getattr(app.state, _ANCHORS_STATE, None)
        if pinned is None:
            ctx = getattr(app.state, "ctx", None)
            if ctx is None:
                raise Problem(503, "trust-anchors-unavailable", "Trust anchors unavailable",
                              "this app has no deployment to take the page's trust anchors from")
            try:
                anchors = platform_trust_anchors(ctx)
            except (ScanPageError, DomainError, OSError, ValueError) as exc:
                log.warning("scan page trust anchors not made: %s", type(exc).__name__)
                raise Problem(503, "trust-anchors-unavailable", "Trust anchors unavailable",
                              "the page's trust anchors could not be read from the deployment") from exc
            except Exception as exc:  # the node did not answer (web3/requests errors vary)
                log.warning("scan page trust anchors not made: %s", type(exc).__name__)
                raise Problem(503, "trust-anchors-unavailable", "Trust anchors unavailable",
                              "the ledger node did not answer; try again") from exc
            pin_trust_anchors(app, anchors)
            log.info("scan page pins chain %s, genesis %s, TraceAnchor %s", anchors.chain_id,
                     anchors.genesis_hash, anchors.trace_anchor)
            pinned = getattr(app.state, _ANCHORS_STATE)
        return pinned  # type: ignore[no-any-return]


def _respond(request: Request, asset: Asset) -> Response:
    headers = {"ETag": asset.etag, "Cache-Control": "no-cache", "Vary": "Accept-Encoding"}
    headers.update(SECURITY_HEADERS)
    if request.headers.get("if-none-match") == asset.etag:
        return Response(status_code=304, headers=headers)
    accepts_gzip = "gzip" in request.headers.get("accept-encoding", "").lower()
    if accepts_gzip:
        headers["Content-Encoding"] = "gzip"
    body = asset.gzipped if accepts_gzip else asset.body
    return Response(content=body, media_type=asset.content_type, headers=headers)


@router.get(SCAN_PATH)
@router.get(SCAN_PATH + "/")
def scan_page(request: Request) -> Response:
    """The page; it reads the scanned Digital Link URI from `?uri=` (the resolver's 303)."""
    return _respond(request, ASSETS["index.html"])


@router.get(SCAN_PATH + "/trust-anchors.json")
def scan_trust_anchors(request: Request) -> Response:
    """The anchors `anchors.js` pins, as the JSON document a regulator reviews and pins in
    its own bundle (`traceledger scan-page anchors`)."""
    anchors, _ = app_trust_anchors(request.app)
    return _respond(request, _asset(format_trust_anchors(anchors).encode("utf-8"), "application/json"))


@router.get(SCAN_PATH + "/assets/{name:path}")
def scan_asset(name: str, request: Request) -> Response:
    """One of the page's files or vendored scripts; 404 for anything not listed."""
    if name in GENERATED_FILES:
        return _respond(request, app_trust_anchors(request.app)[1])
    asset = ASSETS.get(name)
    if asset is None or name == "index.html":
        raise Problem(404, "not-found", "Not found", f"no scan page asset named {name!r}")
    return _respond(request, asset)
