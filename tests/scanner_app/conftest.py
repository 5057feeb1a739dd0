"""Fixtures for the scan page tests: a small anchored ledger on anvil, the stand-in API
serving the real page, and Debian's headless Chromium driven by Playwright.

The browser is never downloaded: Playwright drives `/usr/bin/chromium` (Debian package
`chromium`, installed by `./dev`). Screenshots go to `tmp_path`, or into the README's
folder when TRACELEDGER_SCREENSHOTS names one (e.g. `docs/screenshots`).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from testing.anvil import ANVIL_BINARY
from testing.chromium import launch_chromium, new_phone_context
from testing.loopback_http import serve
from testing.scan_ledger import SmallLedger
from testing.scan_standin_api import StandinApi

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmallLedger]:
    """anvil with MemberRegistry, TraceAnchor and RecallRegistry, and eight signed records
    (testing/scan_records.py) in the log: sizes 4 and 7 anchored, leaf 7 pending."""
    if not ANVIL_BINARY.exists():
        pytest.fail("anvil missing: run ./dev install (npm ci --prefix contracts)")
    small = SmallLedger(tmp_path_factory.mktemp("scan-ledger"))
    small.start()
    yield small
    small.stop()


@pytest.fixture(scope="session")
def standin(ledger: SmallLedger) -> Iterator[tuple[StandinApi, str]]:
    """The stand-in API (real scan page router) served by uvicorn; yields (api, base URL)."""
    api = StandinApi(ledger)
    with serve(api.app) as url:
        yield api, url


@pytest.fixture
def api(standin: tuple[StandinApi, str]) -> Iterator[StandinApi]:
    """The stand-in with its knobs reset after each test."""
    standin_api, _ = standin
    yield standin_api
    standin_api.reset()


@pytest.fixture
def base_url(standin: tuple[StandinApi, str]) -> str:
    return standin[1]


@pytest.fixture(scope="session")
def browser(playwright_instance: Any) -> Iterator[Any]:
    """One headless Chromium for the session (each test gets a fresh context)."""
    chromium = launch_chromium(playwright_instance)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh page in Chinese (zh-CN), Shanghai time, 360 px wide."""
    context = new_phone_context(browser)
    new_page = context.new_page()
    yield new_page
    context.close()


@pytest.fixture
def screenshot_dir(tmp_path: Path) -> Path:
    """Where screenshots go: TRACELEDGER_SCREENSHOTS (relative to the repo) or tmp_path."""
    target = os.environ.get("TRACELEDGER_SCREENSHOTS")
    if not target:
        return tmp_path
    path = (REPO / target).resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path
