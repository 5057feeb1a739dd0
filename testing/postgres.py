"""Fresh PostgreSQL databases: a uniquely named `<prefix>_<random>` database per use,
dropped afterwards, so parallel tests, sessions and bench runs never see each other's
rows and nothing else on the server is touched.

The server is TRACELEDGER_TEST_PG (default postgresql://postgres@127.0.0.1:5432, trust
auth). Tests run every database-backed case on SQLite and on PostgreSQL (`BACKENDS`,
`database_on`); the pytest helpers skip only when no server answers, any other failure
(e.g. CREATE DATABASE refused) fails.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg

PG_SERVER = os.environ.get("TRACELEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432")
BACKENDS = ("sqlite", "postgresql")
CONNECT_TIMEOUT_S = 3


class NoPostgresServer(RuntimeError):
    """No PostgreSQL server answers at the given address."""


def _admin(server: str) -> psycopg.Connection:
    """An autocommit connection to the server's maintenance database (CREATE/DROP DATABASE
    cannot run inside a transaction)."""
    return psycopg.connect(f"{server}/postgres", autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)


@contextlib.contextmanager
def fresh_database(prefix: str, server: str = PG_SERVER) -> Iterator[str]:
    """The URL of a new, empty database `<prefix>_<random>` on `server`, dropped on exit
    (WITH (FORCE): connections left open do not keep it alive). Raises NoPostgresServer
    if the server does not answer."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    try:
        admin = _admin(server)
    except psycopg.OperationalError as exc:
        raise NoPostgresServer(
            f"no PostgreSQL server answers at {server} (set TRACELEDGER_TEST_PG): {exc}") from exc
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{server}/{name}"
    finally:
        with _admin(server) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def database_on(backend: str, sqlite_file: Path, prefix: str, server: str = PG_SERVER) -> Iterator[str]:
    """The URL of an empty database on `backend`: the SQLite file `sqlite_file` (left to
    the caller's temp dir), or a `fresh_database(prefix)` on PostgreSQL."""
    if backend == "sqlite":
        yield f"sqlite:///{sqlite_file}"
    elif backend == "postgresql":
        with fresh_database(prefix, server) as url:
            yield url
    else:
        raise ValueError(f"unknown database backend {backend!r}; expected one of {BACKENDS}")
