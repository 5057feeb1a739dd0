"""`/scan`: the consumer scan page and its assets, served by trace_api itself.

Every asset comes from this folder or from `scanner_app/node_modules` (installed by
`npm ci` from `package-lock.json` at set-up time): no CDN, no build step. Files are
read and gzipped once at start, so a phone on a slow link gets the page in a few
kilobytes and the server does no per-request work beyond a dictionary look-up.
"""

from __future__ import annotations

import gzip
import hashlib
from dataclasses import dataclass
from pathlib import Path

from fastapi import APIRouter, Request, Response

from trace_api.problems import Problem

__all__ = ["ASSETS", "SCAN_PATH", "router"]

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
)
"""The page's own files, named one by one so nothing else in the folder is ever served."""

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
    body = path.read_bytes()
    return Asset(
        body=body,
        # mtime=0: the same file always gives the same bytes (and the same transfer size).
        gzipped=gzip.compress(body, compresslevel=9, mtime=0),
        content_type=CONTENT_TYPES[path.suffix],
        etag='"' + hashlib.sha256(body).hexdigest()[:32] + '"',
    )


def _load_assets() -> dict[str, Asset]:
    assets = {name: _load(APP_DIR / name) for name in PAGE_FILES}
    for name, path in VENDOR_FILES.items():
        if path.exists():  # absent until `npm ci --prefix scanner_app`; camera then says so
            assets[f"vendor/{name}"] = _load(path)
    return assets


ASSETS = _load_assets()

router = APIRouter(include_in_schema=False)


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


@router.get(SCAN_PATH + "/assets/{name:path}")
def scan_asset(name: str, request: Request) -> Response:
    """One of the page's files or vendored scripts; 404 for anything not listed."""
    asset = ASSETS.get(name)
    if asset is None or name == "index.html":
        raise Problem(404, "not-found", "Not found", f"no scan page asset named {name!r}")
    return _respond(request, asset)
