"""Fixtures for the indexer tests: a fresh anvil per test, and a mirror database on each
of SQLite and PostgreSQL (every database-backed test runs on both). Running the indexer
and its audit: tests/indexer/chainkit.py.

PostgreSQL isolation: each test gets its own `indexer_test_<random>` database, dropped
afterwards; nothing in the shared `test` database is touched. PostgreSQL tests are
skipped only when no server answers at TRACELEDGER_TEST_PG (default 127.0.0.1:5432).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexer.sink.db import create_mirror_engine
from indexer.sink.store import MirrorStore
from testing.anvil import ANVIL_BINARY, Anvil
from testing.postgres import BACKENDS, database_on
from tests.indexer.chainkit import System, deploy


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty mirror database (SQLite file, or a fresh PostgreSQL database)."""
    with database_on(request.param, tmp_path / "mirror.db", "indexer_test") as url:
        yield url


@pytest.fixture
def anvil() -> Iterator[Anvil]:
    """A fresh anvil for one test (reorg tests rewrite its chain)."""
    if not ANVIL_BINARY.exists():
        pytest.skip(f"anvil not installed at {ANVIL_BINARY}: run `npm ci --prefix contracts`")
    node = Anvil.started(accounts=20)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def system(anvil: Anvil) -> System:
    """The three contracts deployed on `anvil`, roles granted."""
    return deploy(anvil.w3)


@pytest.fixture
def store(db_url: str) -> Iterator[MirrorStore]:
    """A MirrorStore on `db_url` (for reading in assertions)."""
    engine = create_mirror_engine(db_url)
    try:
        yield MirrorStore(engine)
    finally:
        engine.dispose()
