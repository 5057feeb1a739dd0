"""Fixtures for the anchoring service tests: databases on SQLite and PostgreSQL, a chain.

Every database-backed test takes `db_url` and runs on both backends; each test gets its
own table prefix, so tests never see each other's tables (PostgreSQL tables are dropped
afterwards). PostgreSQL is expected at 127.0.0.1:5432 (trust auth, database `test`);
override with TRACELEDGER_TEST_POSTGRES_URL.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from anchoring.core.note import NoteSigner
from anchoring.store import Database, LogStore
from testing.anvil import ANVIL_BINARY, Anvil, deploy_contracts
from tests.anchoring.helpers import LOG_SEED, ORIGIN, Chain

POSTGRES_URL = os.environ.get(
    "TRACELEDGER_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


@pytest.fixture
def log_signer() -> NoteSigner:
    """The test log's checkpoint signer (fixed seed)."""
    return NoteSigner.from_seed(ORIGIN, LOG_SEED)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'log.db'}"
    else:
        import psycopg

        try:
            psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
        except psycopg.OperationalError as exc:  # pragma: no cover - depends on the machine
            pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc}")
        yield POSTGRES_URL


@pytest.fixture
def table_prefix(db_url: str) -> Iterator[str]:
    """A table prefix unique to this test; PostgreSQL tables are dropped after it."""
    prefix = f"t{secrets.token_hex(5)}_"
    yield prefix
    if db_url.startswith("postgresql"):
        database = Database(db_url, table_prefix=prefix)
        with database.transaction() as cursor:
            rows = cursor.execute(
                "SELECT tablename FROM pg_tables WHERE tablename LIKE ?", (prefix + "%",)
            ).fetchall()
            for (name,) in rows:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")
        database.close()


@pytest.fixture
def store(db_url: str, table_prefix: str) -> Iterator[LogStore]:
    """A fresh log store on each backend."""
    log_store = LogStore.open(db_url, table_prefix=table_prefix)
    yield log_store
    log_store.close()


@pytest.fixture
def chain(tmp_path: Path) -> Iterator[Any]:
    """anvil (automine, Cancun) with fresh contracts, a funded anchorer and witness key."""
    if not ANVIL_BINARY.exists():
        pytest.skip("anvil not installed (npm ci --prefix contracts)")
    anvil = Anvil.started(state_dir=tmp_path)
    try:
        w3 = Web3(Web3.HTTPProvider(anvil.url))
        anchorer_account, witness_account = Account.create(), Account.create()
        _, anchor = deploy_contracts(
            w3, w3.eth.accounts[0], anchorer_account.address, [witness_account.address]
        )
        yield Chain(anvil, w3, anchor, anchorer_account, witness_account)
    finally:
        anvil.stop()
