"""`/scan` over HTTP: the page and its listed assets only, gzipped, cacheable, locked down."""

from __future__ import annotations

import gzip
import posixpath
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from scanner_app import routes
from trace_api.problems import install_problem_handlers

APP_DIR = Path(routes.__file__).resolve().parent


@pytest.fixture(scope="module")
def client() -> TestClient:
    app = FastAPI()
    install_problem_handlers(app)
    app.include_router(routes.router)
    return TestClient(app)


def test_the_page_is_served_with_a_same_origin_only_policy(client: TestClient) -> None:
    response = client.get("/scan", headers={"accept-encoding": "identity"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    # The same index.html as a static bundle ships, its relative asset URLs anchored at /scan/.
    assert response.content == routes.platform_page((APP_DIR / "index.html").read_bytes())
    assert b'src="/scan/assets/app.js"' in response.content
    assert b'href="/scan/assets/styles.css"' in response.content
    policy = response.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src 'self';" in policy and "connect-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert client.get("/scan/").status_code == 200


SERVED_PAGE_FILES = [name for name in routes.PAGE_FILES
                     if name in routes.ASSETS and name != "index.html"]


def test_index_html_names_its_assets_relatively() -> None:
    page = (APP_DIR / "index.html").read_text(encoding="utf-8")
    assert 'src="assets/app.js"' in page and 'href="assets/styles.css"' in page
    assert "/scan/" not in page


def test_the_resolver_target_keeps_working(client: TestClient) -> None:
    """The resolver's 303 goes to /scan?uri=...: the page is there (no redirect), and every
    asset it names resolves against /scan to a served file."""
    response = client.get("/scan?uri=https%3A%2F%2Fid.gs1.org%2F01%2F09506000134352", follow_redirects=False)
    assert response.status_code == 200
    for url in (b"/scan/assets/app.js", b"/scan/assets/styles.css"):
        assert url in response.content
        assert client.get(url.decode()).status_code == 200


def test_listed_files_not_written_yet_are_left_out() -> None:
    for name in routes.PAGE_FILES:
        if name in routes.GENERATED_FILES:
            assert name not in routes.ASSETS
        else:
            assert (name in routes.ASSETS) == (APP_DIR / name).exists()


@pytest.mark.parametrize("name", SERVED_PAGE_FILES)
def test_each_page_file_is_served_gzipped_with_its_type(client: TestClient, name: str) -> None:
    response = client.get(f"/scan/assets/{name}", headers={"accept-encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.content == (APP_DIR / name).read_bytes()  # httpx inflates it
    expected_type = "text/css; charset=utf-8" if name.endswith(".css") else "text/javascript; charset=utf-8"
    assert response.headers["content-type"] == expected_type


def test_the_vendored_decoder_comes_from_node_modules(client: TestClient) -> None:
    decoder = APP_DIR / "node_modules" / "jsqr" / "dist" / "jsQR.js"
    assert decoder.exists(), "run ./dev install (npm ci --prefix scanner_app)"
    response = client.get("/scan/assets/vendor/jsQR.js")
    assert response.status_code == 200
    assert response.content == decoder.read_bytes()
    assert len(routes.ASSETS["vendor/jsQR.js"].gzipped) < 80_000


def test_etag_revalidation_answers_304(client: TestClient) -> None:
    first = client.get("/scan/assets/verify.js")
    again = client.get("/scan/assets/verify.js", headers={"if-none-match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""


@pytest.mark.parametrize("name", ["routes.py", "../routes.py", "package.json", "index.html", "vendor/other.js", "nope.js"])
def test_anything_not_listed_is_a_404_problem(client: TestClient, name: str) -> None:
    response = client.get(f"/scan/assets/{name}")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == 404


def test_without_a_deployment_anchors_js_is_a_503_problem(client: TestClient) -> None:
    response = client.get("/scan/assets/anchors.js")
    assert response.status_code == 503
    assert response.json()["type"].endswith("trust-anchors-unavailable")


def test_the_page_gzips_to_a_small_first_load() -> None:
    served = SERVED_PAGE_FILES
    page_bytes = sum(len(routes.ASSETS[name].gzipped) for name in served)
    assert page_bytes == sum(len(gzip.compress((APP_DIR / n).read_bytes(), 9, mtime=0)) for n in served)
    # The page's own modules, gzipped; scanner_app/README.md budgets 300 KB for the whole first load.
    assert page_bytes < 150_000


def _imports(name: str) -> list[str]:
    """The page files `name` imports, as PAGE_FILES / vendor names (relative to assets/)."""
    text = (APP_DIR / name).read_text("utf-8")
    specifiers = re.findall(r"""(?:from|import)\s*\(?\s*["'](\.{1,2}/[^"']+)["']""", text)
    return [posixpath.normpath(posixpath.join(posixpath.dirname(name), spec)) for spec in specifiers]


def _page_modules() -> list[str]:
    return [name for name in routes.PAGE_FILES if name.endswith(".js") and (APP_DIR / name).exists()]


def test_every_module_a_page_file_imports_is_listed() -> None:
    """A module imported by a page file but missing from PAGE_FILES would 404 in the page."""
    listed = set(routes.PAGE_FILES) | {f"vendor/{name}" for name in routes.VENDOR_FILES}
    for name in _page_modules():
        for imported in _imports(name):
            assert imported in listed, f"{name} imports {imported}, which routes.PAGE_FILES does not list"


def test_index_html_preloads_exactly_the_modules_app_js_imports_statically() -> None:
    """Every module of app.js's static import graph is preloaded, so the browser fetches them
    in one round instead of one per import level; nothing else is (jsQR loads on demand)."""
    seen: set[str] = set()
    todo = ["app.js"]
    while todo:
        name = todo.pop()
        # The generated anchors.js imports nothing; vendor modules may import their siblings.
        vendor = routes.VENDOR_FILES.get(name.removeprefix("vendor/")) if name.startswith("vendor/") else None
        path = None if name in routes.GENERATED_FILES else vendor or APP_DIR / name
        if name in seen or path is None:
            seen.add(name)
            continue
        seen.add(name)
        static = re.findall(r"""^(?:import|export)\s[^;]*?from\s*["'](\.{1,2}/[^"']+)["']""",
                            path.read_text("utf-8"), re.MULTILINE | re.DOTALL)
        todo += [posixpath.normpath(posixpath.join(posixpath.dirname(name), spec)) for spec in static]
    preloaded = set(re.findall(r'<link rel="modulepreload" href="assets/([^"]+)">',
                               (APP_DIR / "index.html").read_text("utf-8")))
    assert preloaded == seen - {"app.js"}