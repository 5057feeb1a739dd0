"""SQL engines of the API: its own tables (named `api_*`, SQLModel) and the indexer's mirror.

The API's tables live in the same database as the trace log (`tl_*` tables), so capture
writes a record and its log leaf in one transaction. Every table name starting with
`api_` belongs to this package; `create_api_tables` creates exactly those.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlmodel import SQLModel

API_TABLE_PREFIX = "api_"
SQLITE_BUSY_TIMEOUT_MS = 60_000
"""The sequencer, anchorer and API share one SQLite file; writers wait, never fail fast."""


def sqlalchemy_url(url: str) -> str:
    """`postgresql://` as psycopg 3 (the driver we ship), everything else unchanged."""
    for scheme in ("postgresql://", "postgres://"):
        if url.startswith(scheme):
            return "postgresql+psycopg://" + url[len(scheme):]
    return url


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    """An engine for `url`; SQLite gets WAL, full fsync and a long busy timeout."""
    engine = create_engine(sqlalchemy_url(url), **kwargs)
    if engine.dialect.name == "sqlite":

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(connection: Any, _record: Any) -> None:
            cursor = connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cursor.close()

    return engine


def create_api_tables(engine: Engine) -> None:
    """Create every `api_*` table registered on SQLModel's metadata; idempotent."""
    tables = [
        table for name, table in SQLModel.metadata.tables.items()
        if name.startswith(API_TABLE_PREFIX)
    ]
    SQLModel.metadata.create_all(engine, tables=tables)
