"""Database engines and schema migrations for the mirror (SQLite and PostgreSQL)."""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, make_url

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
SQLITE_FILE_MODE = 0o600
"""Owner-only: SQLite gives the -wal and -shm files the database file's mode."""


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs; leave other URLs as they are."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def create_mirror_engine(url: str) -> Engine:
    """An engine for the mirror database at `url`.

    SQLite gets WAL mode, a busy timeout and `synchronous=FULL`, so a committed range
    survives a crash (kill -9 or power loss) and readers do not block the writer.
    """
    url = normalise_url(url)
    if url.startswith("sqlite"):
        path = make_url(url).database
        if path and not path.startswith((":", "file:")) and os.path.isdir(os.path.dirname(path) or "."):
            # Created owner-only before SQLite opens it, whatever the process umask.
            os.close(os.open(path, os.O_RDWR | os.O_CREAT, SQLITE_FILE_MODE))
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def alembic_config() -> Config:
    """The Alembic config of the indexer's migrations."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the indexer's tables to `revision` (idempotent)."""
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
