"""Fixtures for the indexer tests: a fresh anvil per test, and a mirror database on each
of SQLite and PostgreSQL (every database-backed test runs on both).

PostgreSQL isolation: each test gets its own `indexer_test_<random>` database, dropped
afterwards; nothing in the shared `test` database is touched. PostgreSQL tests are
skipped only when no server answers at TRACELEDGER_TEST_PG (default 127.0.0.1:5432).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from indexer.config import IndexerSettings
from indexer.service import open_indexer
from indexer.sink.db import create_mirror_engine
from indexer.sink.store import MirrorStore
from indexer.source.rpc import RetryPolicy
from testing.anvil import ANVIL_BINARY, Anvil
from testing.postgres import BACKENDS, database_on
from tests.indexer.chainkit import System, deploy

#: Fast retries, so fault tests finish quickly.
FAST_RETRY = RetryPolicy(attempts=3, base_delay_s=0.01, max_delay_s=0.05)


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


def settings_for(system: System, **overrides: object) -> IndexerSettings:
    """Indexer settings for `system`, polling, quick retries."""
    values: dict[str, object] = {
        "contracts": system.addresses,
        "confirmations": 3,
        "blocks_per_range": 7,
        "poll_interval_s": 0.05,
        "retry_pause_s": 0.01,
        "max_consecutive_failures": 3,
    }
    values.update(overrides)
    return IndexerSettings(**values)  # type: ignore[arg-type]


def index(anvil: Anvil, db_url: str, system: System, **overrides: object):  # type: ignore[no-untyped-def]
    """Run the indexer to the head once (no follow); return its stats."""
    until = overrides.pop("until_block", None)
    transport = overrides.pop("transport", None)
    with open_indexer(
        anvil.url, db_url, settings_for(system, **overrides), retry=FAST_RETRY, transport=transport
    ) as indexer:  # type: ignore[arg-type]
        return indexer.run(follow=False, until_block=until)  # type: ignore[arg-type]


@pytest.fixture
def store(db_url: str) -> Iterator[MirrorStore]:
    """A MirrorStore on `db_url` (for reading in assertions)."""
    engine = create_mirror_engine(db_url)
    try:
        yield MirrorStore(engine)
    finally:
        engine.dispose()


def audit(anvil: Anvil, db_url: str):  # type: ignore[no-untyped-def]
    """Run `indexer verify`'s audit of the mirror at `db_url` against `anvil`."""
    from indexer.audit import audit_mirror
    from indexer.service import open_source_and_store

    with open_source_and_store(anvil.url, db_url, retry=FAST_RETRY) as (source, store):
        return audit_mirror(source, store, range_size=11)
