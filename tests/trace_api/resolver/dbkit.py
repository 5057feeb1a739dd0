"""A module-scoped database with the `api_*` tables, on SQLite and on PostgreSQL.

Shared by the resolver, products and consumer unit tests (each conftest re-exports
`api_db`): one fresh database per test module and backend, loaded the way capture loads
the provenance graph (`tests.trace_api.provenance.conftest.GraphDb`).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import psycopg
import pytest

import trace_api.consumer.scans
import trace_api.enterprises.store
import trace_api.products.models
import trace_api.records.models  # noqa: F401 - registers api_events
from tests.trace_api.provenance.conftest import PG_SERVER, GraphDb


def _pg_admin() -> psycopg.Connection:
    return psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True, connect_timeout=3)


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def api_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphDb]:
    """A fresh database with every `api_*` table, for one test module."""
    if request.param == "sqlite":
        db = GraphDb(f"sqlite:///{tmp_path_factory.mktemp('api-db') / 'api.db'}")
        try:
            yield db
        finally:
            db.close()
        return
    name = f"resolver_test_{uuid.uuid4().hex[:12]}"
    try:
        with _pg_admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {PG_SERVER}: {exc}")
    db = GraphDb(f"{PG_SERVER}/{name}")
    try:
        yield db
    finally:
        db.close()
        with _pg_admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
