"""Fixtures: a fresh database on SQLite and on PostgreSQL, and an AuditWorld on it
(`world` per test; `shared_world` per module, for tests that only read)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.postgres import BACKENDS, database_on
from tests.trace_api.audit.harness import AuditWorld


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database_on(request.param, tmp_path / "api.db", "audit_test") as url:
        yield url


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[AuditWorld]:
    opened = AuditWorld.open(db_url, tmp_path)
    try:
        yield opened
    finally:
        opened.ctx.close()


@pytest.fixture(scope="module", params=BACKENDS)
def shared_world(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditWorld]:
    directory = tmp_path_factory.mktemp("audit")
    with database_on(request.param, directory / "api.db", "audit_test") as url:
        opened = AuditWorld.open(url, directory)
        try:
            yield opened
        finally:
            opened.ctx.close()
