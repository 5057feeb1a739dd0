"""A thin DB-API layer over SQLite (stdlib sqlite3) and PostgreSQL (psycopg 3).

Why not SQLAlchemy here: the sequencer moves ~100k rows a second through `executemany`,
and the ORM/Core layers cost more per row than the database does. SQL is written once
with `?` placeholders and rewritten to `%s` for psycopg; the DDL differs only in the
blob type. Every write runs in `transaction()`, which commits (SQLite: WAL with
synchronous=FULL, so COMMIT returns only after fsync; PostgreSQL: synchronous_commit on)
or rolls back as a whole.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from typing import Any

from anchoring.errors import StoreError

log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 60_000
"""Writers from several processes queue on SQLite's lock; a batch commit takes < 1 s."""
SQLITE_FILE_MODE = 0o600
"""Owner-only: SQLite gives the -wal and -shm files the database file's mode."""

_PREFIX = re.compile(r"[a-z][a-z0-9_]{0,30}")


class FairLock:
    """A FIFO lock: waiters acquire in arrival order.

    SQLite's busy handler is not fair: a thread that commits and immediately begins its
    next write (a busy `submit` loop) can starve another writer (the sequencer) for as
    long as the loop runs. Queueing this process's SQLite writers here first gives each
    its turn; other processes still meet SQLite's own lock and busy timeout.
    """

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._waiting: deque[object] = deque()
        self._held = False

    def __enter__(self) -> None:
        ticket = object()
        with self._condition:
            self._waiting.append(ticket)
            while self._held or self._waiting[0] is not ticket:
                self._condition.wait()
            self._waiting.popleft()
            self._held = True

    def __exit__(self, *exc_info: object) -> None:
        with self._condition:
            self._held = False
            self._condition.notify_all()


def create_private_sqlite_file(path: str) -> None:
    """Create the SQLite file at `path` owner-only (0600) if it does not exist yet, whatever
    the process umask; in-memory and URI names, and files in missing directories, are left
    to SQLite (which reports the latter)."""
    if not path or path.startswith((":", "file:")) or not os.path.isdir(os.path.dirname(path) or "."):
        return
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, SQLITE_FILE_MODE))


class Database:
    """A database URL (`sqlite:///path` or `postgresql://...`) with one connection per thread.

    `table_prefix` (lowercase identifier) namespaces every table, so several logs, or
    several tests, share one database without seeing each other.
    """

    def __init__(self, url: str, *, table_prefix: str = "tl_") -> None:
        if not _PREFIX.fullmatch(table_prefix):
            raise StoreError(f"table prefix {table_prefix!r} is not a lowercase identifier")
        self.url = url
        self.prefix = table_prefix
        if url.startswith("sqlite:///"):
            self.dialect = "sqlite"
            self._path = url[len("sqlite:///") :]
        elif url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
            self.dialect = "postgresql"
            self._path = url.replace("postgresql+psycopg://", "postgresql://", 1)
        else:
            raise StoreError(f"unsupported database URL scheme: {url.split(':', 1)[0]}")
        self._local = threading.local()
        self._all: list[Any] = []
        self._lock = threading.Lock()
        self._writers = FairLock()

    @property
    def blob(self) -> str:
        """The column type for bytes."""
        return "BLOB" if self.dialect == "sqlite" else "BYTEA"

    def table(self, name: str) -> str:
        """The prefixed table name."""
        return f"{self.prefix}{name}"

    def _connect(self) -> Any:
        connection: Any
        if self.dialect == "sqlite":
            create_private_sqlite_file(self._path)
            connection = sqlite3.connect(
                self._path, isolation_level=None, check_same_thread=False, timeout=60
            )
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=FULL")
            connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        else:
            import psycopg

            connection = psycopg.connect(self._path, autocommit=False)
        with self._lock:
            self._all.append(connection)
        return connection

    def connection(self) -> Any:
        """This thread's connection (opened on first use)."""
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._connect()
            self._local.connection = connection
        return connection

    def sql(self, statement: str) -> str:
        """Rewrite `?` placeholders for psycopg."""
        return statement if self.dialect == "sqlite" else statement.replace("?", "%s")

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Cursor]:
        """Run a block in one transaction; commit on success, roll back on any exception.

        With `write=True` on SQLite the write lock is taken at BEGIN (BEGIN IMMEDIATE), so
        two writers never both read stale state. On PostgreSQL take row locks with
        `SELECT ... FOR UPDATE` inside the block.
        """
        if write and self.dialect == "sqlite":
            with self._writers, self._transaction(write=True) as cursor:
                yield cursor
        else:
            with self._transaction(write=write) as cursor:
                yield cursor

    @contextmanager
    def _transaction(self, *, write: bool) -> Iterator[Cursor]:
        connection = self.connection()
        if self.dialect == "sqlite":
            connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")
        cursor = Cursor(self, connection.cursor())
        try:
            yield cursor
        except BaseException:
            try:
                connection.rollback()
            except Exception:  # the connection itself may be gone
                log.exception("rollback failed")
                self._drop_connection()
            raise
        else:
            connection.commit()
        finally:
            cursor.close()

    def _drop_connection(self) -> None:
        connection = getattr(self._local, "connection", None)
        self._local.connection = None
        if connection is not None:
            with suppress(Exception):  # closing a broken connection may fail; it is dropped anyway
                connection.close()

    def close(self) -> None:
        """Close every connection this object opened (all threads)."""
        with self._lock:
            connections, self._all = self._all, []
        for connection in connections:
            with suppress(Exception):  # closing a broken connection may fail; it is dropped anyway
                connection.close()
        self._local = threading.local()


class Cursor:
    """A cursor that takes `?` placeholders on both dialects."""

    def __init__(self, database: Database, cursor: Any) -> None:
        self._database = database
        self._cursor = cursor

    def execute(self, statement: str, params: Sequence[Any] = ()) -> Cursor:
        """Execute one statement."""
        self._cursor.execute(self._database.sql(statement), tuple(params))
        return self

    def executemany(self, statement: str, rows: Sequence[Sequence[Any]]) -> None:
        """Execute one statement for each row of parameters."""
        if rows:
            self._cursor.executemany(self._database.sql(statement), rows)

    def insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> None:
        """Insert many rows: COPY on PostgreSQL (several times faster than executemany)."""
        if not rows:
            return
        if self._database.dialect == "postgresql":
            with self._cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            placeholders = ", ".join("?" for _ in columns)
            self._cursor.executemany(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})", rows
            )

    def fetchone(self) -> Any:
        """The next row, or None."""
        return self._cursor.fetchone()

    def fetchall(self) -> list[Any]:
        """All remaining rows."""
        return list(self._cursor.fetchall())

    def close(self) -> None:
        """Release the cursor."""
        self._cursor.close()


def to_bytes(value: Any) -> bytes:
    """Return a blob column value as bytes (psycopg may hand out memoryview)."""
    return value if isinstance(value, bytes) else bytes(value)
