"""The scan page as a static, relocatable bundle with its trust anchors pinned.

Layout (the same names the platform serves under `/scan/`):

    DIR/index.html                 the page, naming its assets relatively (`assets/app.js`)
    DIR/assets/<page files>        scanner_app/*.js, styles.css (routes.PAGE_FILES)
    DIR/assets/anchors.js          the pinned trust anchors (trust_anchors.render_anchors_module)
    DIR/assets/vendor/<libraries>  jsQR and the audited noble libraries (routes.VENDOR_FILES)

Every URL between the files is relative, so DIR can be served at any path of any origin
(`https://regulator.example/trace/` serves `DIR/index.html` at `/trace/`). Files are
world-readable (0644, directories 0755): the bundle is public by design.

index.html is scanner_app/index.html with one line added: the platform's
Content-Security-Policy as a `<meta>` element (whatever headers the host sends), its
`connect-src` widened to exactly the pinned API and RPC origins, so the page can talk to
no one else.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scanner_app.errors import BundleError
from scanner_app.routes import (
    APP_DIR,
    ASSETS_PREFIX,
    GENERATED_FILES,
    PAGE_FILES,
    SECURITY_HEADERS,
    VENDOR_FILES,
)
from scanner_app.trust_anchors import TrustAnchors, render_anchors_module

__all__ = ["Bundle", "bundle_files", "bundle_page", "content_security_policy", "write_bundle"]

PUBLIC_FILE_MODE = 0o644
PUBLIC_DIR_MODE = 0o755
_ABSOLUTE_ASSET_URL = re.compile(rb"""["'`]/scan/assets/""")
"""A string naming an asset by its absolute path on the platform would break once relocated."""


_CHARSET_LINE = b'<meta charset="utf-8">\n'


def content_security_policy(anchors: TrustAnchors) -> str:
    """The platform's policy for a page hosted elsewhere: `connect-src` also allows the
    pinned endpoints' origins; `frame-ancestors` is left out (a `<meta>` policy ignores it)."""
    origins = sorted({f"{parts.scheme}://{parts.netloc}" for parts in
                      (urlsplit(url) for url in (anchors.endpoints.api, anchors.endpoints.rpc)) if parts.netloc})
    directives = [d.strip() for d in SECURITY_HEADERS["Content-Security-Policy"].split(";")]
    kept = [" ".join(["connect-src 'self'", *origins]) if d == "connect-src 'self'" else d
            for d in directives if not d.startswith("frame-ancestors")]
    return "; ".join(kept)


def bundle_page(page: bytes, anchors: TrustAnchors) -> bytes:
    """index.html with the bundle's Content-Security-Policy `<meta>` after its charset line."""
    if page.count(_CHARSET_LINE) != 1:
        raise BundleError('scanner_app/index.html has no single <meta charset="utf-8"> line')
    meta = f'<meta http-equiv="Content-Security-Policy" content="{content_security_policy(anchors)}">\n'
    return page.replace(_CHARSET_LINE, _CHARSET_LINE + meta.encode("ascii"))


@dataclass(frozen=True)
class Bundle:
    """What a bundle holds: relative path -> bytes, and the listed page files left out
    because they are not in scanner_app/ (yet)."""

    files: dict[str, bytes]
    missing: tuple[str, ...]


def bundle_files(anchors: TrustAnchors) -> Bundle:
    """The bundle's files for `anchors`. Raises `BundleError` when a vendored library is
    missing (run ./dev install) or a page file names an asset by an absolute URL."""
    files: dict[str, bytes] = {}
    missing: list[str] = []
    for name in PAGE_FILES:
        if name in GENERATED_FILES:
            continue
        path = APP_DIR / name
        if not path.exists():
            missing.append(name)
            continue
        body = path.read_bytes()
        if _ABSOLUTE_ASSET_URL.search(body):
            raise BundleError(f"scanner_app/{name} names an asset by an absolute URL "
                              "(/scan/assets/...): it would break once relocated")
        files[name if name == "index.html" else ASSETS_PREFIX + name] = body
    if "index.html" not in files:
        raise BundleError("scanner_app/index.html is missing")
    files["index.html"] = bundle_page(files["index.html"], anchors)
    files[ASSETS_PREFIX + "anchors.js"] = render_anchors_module(anchors)
    for name, source in VENDOR_FILES.items():
        if not source.exists():
            raise BundleError(f"vendored library {source} is missing: run ./dev install "
                              "(npm ci --prefix scanner_app)")
        files[f"{ASSETS_PREFIX}vendor/{name}"] = source.read_bytes()
    return Bundle(files=files, missing=tuple(missing))


def write_bundle(out_dir: Path, anchors: TrustAnchors) -> Bundle:
    """Write the bundle into `out_dir` (created; it must not exist or be empty) and return
    what was written. Raises `BundleError` (nothing is written then) or `OSError`."""
    bundle = bundle_files(anchors)
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise BundleError(f"{out_dir} exists and is not an empty directory")
    out_dir.mkdir(parents=True, exist_ok=True)
    for relative, body in sorted(bundle.files.items()):
        target = out_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
        os.chmod(target, PUBLIC_FILE_MODE)
    for directory in (out_dir, *(path for path in out_dir.rglob("*") if path.is_dir())):
        os.chmod(directory, PUBLIC_DIR_MODE)  # public, whatever the process umask
    return bundle
