"""Fresh databases for tests: a uniquely named PostgreSQL database per use, dropped after.

Every database-backed test runs on SQLite and on PostgreSQL. On PostgreSQL each fixture
gets its own `<prefix>_<random>` database, so parallel helpers and sessions never see
each other's rows, and nothing in the server's other databases is touched. A test is
skipped only when no server answers at TRACELEDGER_TEST_PG (default 127.0.0.1:5432,
trust auth, user postgres); any other failure (e.g. CREATE DATABASE refused) fails it.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

PG_SERVER = os.environ.get("TRACELEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ("sqlite", "postgresql")


def _admin() -> psycopg.Connection:
    """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE
    cannot run inside a transaction)."""
    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)


@contextlib.contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """The URL of a new, empty PostgreSQL database `<prefix>_<random>`, dropped on exit
    (WITH (FORCE): connections a test left open do not keep it alive)."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = _admin()
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL server answers at {PG_SERVER} (set TRACELEDGER_TEST_PG): {exc}")
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_on(backend: str, sqlite_file: Path, prefix: str) -> Iterator[str]:
    """The URL of an empty database on `backend`: the SQLite file `sqlite_file` (left to
    the test's temp dir), or a `fresh_database(prefix)` on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
    elif backend == "postgresql":
        with fresh_database(prefix) as url:
            yield url
    else:
        raise ValueError(f"unknown database backend {backend!r}; expected one of {BACKENDS}")
