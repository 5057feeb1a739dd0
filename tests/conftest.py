"""Fixtures and hooks shared across test packages.

A fixture that needs PostgreSQL (testing/postgres.py) skips its tests when no server
answers (`NoPostgresServer`); any other database failure fails them.

Playwright's sync API runs its event loop in a greenlet of the test thread, so two
`sync_playwright()` instances alive at once in one process collide ("Sync API inside the
asyncio loop"). Every browser test therefore shares this one session-wide instance.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from testing.chromium import CHROMIUM
from testing.postgres import NoPostgresServer


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Any:
    """Skip, not error, the tests of a fixture that found no PostgreSQL server."""
    try:
        return (yield)
    except NoPostgresServer as exc:
        pytest.skip(str(exc))


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Any]:
    """The one Playwright driver of the test session (drives Debian's /usr/bin/chromium)."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} missing: run ./dev install (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright
