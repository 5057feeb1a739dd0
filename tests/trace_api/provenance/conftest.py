"""Fixtures for provenance tests: a graph database on SQLite and on PostgreSQL.

Each test gets a fresh database (a SQLite file, or a `prov_test_<random>` PostgreSQL
database dropped afterwards) with the `api_*` tables, and a `GraphDb` that loads events
through `write_graph` inside a real `anchoring.store.db` transaction, as capture does.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlalchemy import Connection, Engine

from anchoring.store.db import Database
from testing.postgres import BACKENDS, database_on
from trace_api.db import create_api_tables, create_db_engine
from trace_api.provenance.ingest import write_graph
from trace_api.records.models import CapturedEvent

ENTERPRISE_A = "0x" + "a" * 64
ENTERPRISE_B = "0x" + "b" * 64


class GraphDb:
    """A database with the provenance tables, loaded the way capture loads it."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine: Engine = create_db_engine(url)
        create_api_tables(self.engine)
        self.database = Database(url)
        self.next_leaf = 0

    def load(self, events: Sequence[dict[str, Any]], enterprise_id: str = ENTERPRISE_A) -> list[int]:
        """Write `events` as captured records (consecutive leaves); returns their leaf indexes."""
        captured = []
        for event in events:
            leaf = self.next_leaf
            self.next_leaf += 1
            captured.append(CapturedEvent(
                leaf_index=leaf, event_hash_id=f"ni:///sha-256;{leaf:064x}?ver=CBV2.0",
                enterprise_id=enterprise_id, submitter="0x" + "1" * 40, received_at_ms=0, event=event))
        with self.database.transaction() as cursor:
            write_graph(cursor, captured)
        return [c.leaf_index for c in captured]

    def connect(self) -> Connection:
        return self.engine.connect()

    def close(self) -> None:
        self.database.close()
        self.engine.dispose()


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
