"""A module-scoped database with the `api_*` tables, on SQLite and on PostgreSQL.

Shared by the resolver, products and consumer unit tests (each conftest re-exports
`api_db`): one fresh database per test module and backend, loaded the way capture loads
the provenance graph (`tests.trace_api.provenance.conftest.GraphDb`).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import trace_api.consumer.scans
import trace_api.enterprises.store
import trace_api.products.models
import trace_api.records.models  # noqa: F401 - registers api_events
from testing.postgres import BACKENDS, database_on
from tests.trace_api.provenance.graphdb import GraphDb


@pytest.fixture(scope="module", params=BACKENDS)
def api_db(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[GraphDb]:
    """A fresh database with every `api_*` table, for one test module."""
    sqlite_file = tmp_path_factory.mktemp("api-db") / "api.db"
    with database_on(request.param, sqlite_file, "resolver_test") as url:
        db = GraphDb(url)
        try:
            yield db
        finally:
            db.close()
