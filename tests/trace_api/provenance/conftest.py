"""Fixtures for provenance tests: a graph database on SQLite and on PostgreSQL.

Each test gets a fresh database (a SQLite file, or a `prov_test_<random>` PostgreSQL
database dropped afterwards) with the `api_*` tables, and a `GraphDb` (graphdb.py) that
loads events through `write_graph` inside a real transaction, as capture does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from testing.postgres import BACKENDS, database_on
from tests.trace_api.provenance.graphdb import GraphDb


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """A URL of an empty database (SQLite file, or a fresh PostgreSQL database)."""
    with database_on(request.param, tmp_path / "graph.db", "prov_test") as url:
        yield url


@pytest.fixture
def graph_db(db_url: str) -> Iterator[GraphDb]:
    db = GraphDb(db_url)
    try:
        yield db
    finally:
        db.close()
