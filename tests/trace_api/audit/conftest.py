"""Fixtures: a fresh database on SQLite and on PostgreSQL, and an AuditWorld on it
(`world` per test; `shared_world` per module, for tests that only read)."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest

from tests.trace_api.audit.harness import AuditWorld

PG_SERVER = os.environ.get("TRACELEDGER_TEST_PG", "postgresql://postgres@127.0.0.1:5432")


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)


@contextlib.contextmanager
def database(kind: str, directory: Path) -> Iterator[str]:
    """An empty database: a SQLite file, or a fresh PostgreSQL database dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'api.db'}"
        return
    name = f"audit_test_{uuid.uuid4().hex[:12]}"
    try:
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc}")
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    with database(request.param, tmp_path) as url:
        yield url


@pytest.fixture
def world(db_url: str, tmp_path: Path) -> Iterator[AuditWorld]:
    opened = AuditWorld.open(db_url, tmp_path)
    try:
        yield opened
    finally:
        opened.ctx.close()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def shared_world(request: pytest.FixtureRequest,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[AuditWorld]:
    directory = tmp_path_factory.mktemp("audit")
    with database(request.param, directory) as url:
        opened = AuditWorld.open(url, directory)
        try:
            yield opened
        finally:
            opened.ctx.close()
