"""Writing the mirror: each block range in one transaction together with the checkpoint.

Promises:
- `write_range` commits all rows of the range, the new `final` flags and the advanced
  checkpoint atomically, or nothing (the database is left as it was).
- It refuses (`CheckpointConflictError`) unless the stored checkpoint is still the one the
  range was fetched against, so a second writer cannot interleave.
- `rewind` deletes every row above the common ancestor and moves the checkpoint back, in
  one transaction; it refuses to remove a final row (`FinalityViolationError`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, Engine, Table, and_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError, SQLAlchemyError

from indexer.decode.batch import DecodedRange
from indexer.errors import (
    CheckpointConflictError,
    ConfigurationError,
    DatabaseUnavailableError,
    DatabaseWriteError,
    FinalityViolationError,
)
from indexer.sink.models import CHAIN_TABLES, ChainBlock, IndexerCheckpoint, IndexerContract

logger = logging.getLogger(__name__)

#: Below this many rows a plain INSERT is as fast as COPY.
_COPY_THRESHOLD = 50

try:  # psycopg errors escape SQLAlchemy's wrapping when COPY is used directly
    import psycopg

    _DRIVER_UNAVAILABLE: tuple[type[Exception], ...] = (
        psycopg.OperationalError,
        psycopg.InterfaceError,
    )
    _DRIVER_ERRORS: tuple[type[Exception], ...] = (psycopg.Error,)
except ImportError:  # pragma: no cover - SQLite-only installs
    _DRIVER_UNAVAILABLE = ()
    _DRIVER_ERRORS = ()

_CHECKPOINT = IndexerCheckpoint.__table__  # type: ignore[attr-defined]
_CONTRACTS = IndexerContract.__table__  # type: ignore[attr-defined]
_BLOCKS = ChainBlock.__table__  # type: ignore[attr-defined]
_TABLES: dict[str, Table] = {
    model.__table__.name: model.__table__
    for model in CHAIN_TABLES  # type: ignore[attr-defined]
}


@dataclass(frozen=True)
class MirrorCheckpoint:
    """How far the mirror has got: the last stored block (None, None before the first range)
    and the final horizon. (Not a log checkpoint: those are `anchoring.core.Checkpoint`.)"""

    chain_id: int
    start_block: int
    block_number: int | None
    block_hash: str | None
    finalized_number: int | None

    @property
    def next_block(self) -> int:
        """The first block not yet stored."""
        return self.start_block if self.block_number is None else self.block_number + 1


def _number_key(table_name: str) -> str:
    """The column holding a row's block number (`chain_blocks` is keyed by the block's own)."""
    return "number" if table_name == "chain_blocks" else "block_number"


def _number_column(table_name: str) -> Column[Any]:
    return _TABLES[table_name].c[_number_key(table_name)]


class MirrorStore:
    """Reads and writes the mirror tables through one SQLAlchemy engine."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # ------------------------------------------------------------------ state

    def load_checkpoint(self) -> MirrorCheckpoint | None:
        """The stored checkpoint, or None if the mirror was never initialised."""
        with self.engine.connect() as connection:
            return _read_checkpoint(connection)

    def contracts(self) -> dict[str, str]:
        """Contract name -> address the mirror follows."""
        with self.engine.connect() as connection:
            return {row.name: row.address for row in connection.execute(select(_CONTRACTS))}

    def initialise(
        self,
        *,
        chain_id: int,
        start_block: int,
        contracts: Mapping[str, str],
        start_parent_hash: str | None,
    ) -> MirrorCheckpoint:
        """Create the checkpoint on first use, or check that the stored one is for the
        same chain and contracts (`ConfigurationError` otherwise). `start_parent_hash` is
        the hash of block start_block-1, so block start_block's parent link is checked."""
        with self._transaction("initialise", start_block, start_block) as connection:
            existing = _read_checkpoint(connection)
            stored_contracts = {
                row.name: row.address for row in connection.execute(select(_CONTRACTS))
            }
            if existing is None:
                connection.execute(
                    _CONTRACTS.insert(),
                    [
                        {"name": name, "address": address}
                        for name, address in sorted(contracts.items())
                    ],
                )
                connection.execute(
                    _CHECKPOINT.insert().values(
                        id=1,
                        chain_id=chain_id,
                        start_block=start_block,
                        block_number=None if start_block == 0 else start_block - 1,
                        block_hash=start_parent_hash,
                        finalized_number=None,
                    )
                )
                logger.info(
                    "new mirror of chain %d from block %d, contracts %s",
                    chain_id,
                    start_block,
                    dict(contracts),
                )
                result = _read_checkpoint(connection)
                assert result is not None
                return result
            if existing.chain_id != chain_id:
                raise ConfigurationError(
                    f"mirror is of chain {existing.chain_id}, node is chain {chain_id}"
                )
            if stored_contracts != dict(contracts):
                raise ConfigurationError(
                    f"mirror follows {stored_contracts}, configured {dict(contracts)}"
                )
            return existing

    def stored_hashes(self, numbers: Sequence[int]) -> dict[int, str]:
        """Stored block hash of each of `numbers` that is in the mirror."""
        with self.engine.connect() as connection:
            rows = connection.execute(
                select(_BLOCKS.c.number, _BLOCKS.c.hash).where(_BLOCKS.c.number.in_(list(numbers)))
            )
            return {row.number: row.hash for row in rows}

    # ------------------------------------------------------------------ writes

    def write_range(
        self, decoded: DecodedRange, expected: MirrorCheckpoint, finalized_number: int | None
    ) -> MirrorCheckpoint:
        """Store `decoded` (blocks decoded.first..last) and advance the checkpoint to its
        last block, all in one transaction. `expected` is the checkpoint the range was
        fetched against; rows at or below `finalized_number` are (or become) final."""
        if decoded.first != expected.next_block:
            raise CheckpointConflictError(
                f"range starts at {decoded.first}, checkpoint expects {expected.next_block}"
            )
        new_final = _max_optional(expected.finalized_number, finalized_number)
        with self._transaction("write", decoded.first, decoded.last) as connection:
            _move_checkpoint(
                connection,
                expected,
                f"checkpoint moved away from block {expected.block_number} ({expected.block_hash})",
                block_number=decoded.last,
                block_hash=decoded.last_hash,
                finalized_number=new_final,
            )
            for table_name, table in _TABLES.items():
                rows = decoded.rows.get(table_name)
                if rows:
                    number_key = _number_key(table_name)
                    _insert(
                        connection,
                        table,
                        [
                            {**row, "final": new_final is not None and row[number_key] <= new_final}
                            for row in rows
                        ],
                    )
            if new_final is not None and new_final != expected.finalized_number:
                _mark_final(
                    connection, expected.finalized_number, min(new_final, decoded.first - 1)
                )
        logger.debug(
            "stored blocks %d..%d (%s), %d logs, final <= %s",
            decoded.first,
            decoded.last,
            decoded.last_hash,
            decoded.event_count,
            new_final,
        )
        return MirrorCheckpoint(
            expected.chain_id, expected.start_block, decoded.last, decoded.last_hash, new_final
        )

    def rewind(
        self, ancestor_number: int, ancestor_hash: str | None, expected: MirrorCheckpoint
    ) -> MirrorCheckpoint:
        """Delete every row above block `ancestor_number` and move the checkpoint there."""
        if expected.finalized_number is not None and ancestor_number < expected.finalized_number:
            raise FinalityViolationError(ancestor_number, expected.finalized_number)
        with self._transaction(
            "rewind", ancestor_number + 1, expected.block_number or 0
        ) as connection:
            _move_checkpoint(
                connection,
                expected,
                "checkpoint moved during rewind",
                block_number=None if ancestor_number < 0 else ancestor_number,
                block_hash=ancestor_hash,
            )
            deleted = 0
            for table_name, table in reversed(_TABLES.items()):
                result = connection.execute(
                    table.delete().where(_number_column(table_name) > ancestor_number)
                )
                deleted += result.rowcount
        logger.warning(
            "rewound mirror to block %d (%s): deleted %d orphaned rows above it",
            ancestor_number,
            ancestor_hash,
            deleted,
        )
        return MirrorCheckpoint(
            expected.chain_id,
            expected.start_block,
            None if ancestor_number < 0 else ancestor_number,
            ancestor_hash,
            expected.finalized_number,
        )

    # ------------------------------------------------------------------ internals

    def _transaction(self, what: str, first: int, last: int) -> AbstractContextManager[Connection]:
        return _transaction(self.engine, what, first, last)


@contextmanager
def _transaction(engine: Engine, what: str, first: int, last: int) -> Iterator[Connection]:
    """engine.begin(), with database failures mapped to the indexer's errors (with the
    block range in the message). The transaction is rolled back before the error leaves."""
    try:
        with engine.begin() as connection:
            yield connection
    except _DRIVER_UNAVAILABLE as exc:  # raised by COPY, outside SQLAlchemy's wrapping
        raise DatabaseUnavailableError(
            f"{what} of blocks {first}..{last} rolled back, database unavailable: {exc!r}"
        ) from exc
    except _DRIVER_ERRORS as exc:
        raise DatabaseWriteError(
            f"{what} of blocks {first}..{last} rejected by the database and rolled back: {exc!r}",
            first_block=first,
            last_block=last,
        ) from exc
    except (OperationalError, InterfaceError) as exc:
        raise DatabaseUnavailableError(
            f"{what} of blocks {first}..{last} rolled back, database unavailable: {exc.orig!r}"
        ) from exc
    except DBAPIError as exc:
        raise DatabaseWriteError(
            f"{what} of blocks {first}..{last} rejected by the database and rolled back: {exc.orig!r}",
            first_block=first,
            last_block=last,
        ) from exc
    except SQLAlchemyError as exc:
        raise DatabaseWriteError(
            f"{what} of blocks {first}..{last} failed and rolled back: {exc!r}",
            first_block=first,
            last_block=last,
        ) from exc


def _insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """INSERT `rows`; on PostgreSQL through COPY (same transaction, ~5x faster than
    executemany for large ranges; constraints and triggers apply as for INSERT)."""
    if connection.dialect.name != "postgresql" or len(rows) < _COPY_THRESHOLD:
        connection.execute(table.insert(), rows)
        return
    columns = [column.name for column in table.c]
    statement = f"COPY {table.name} ({', '.join(columns)}) FROM STDIN"
    cursor = connection.connection.cursor()
    try:
        with cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in rows:
                copy.write_row([row.get(name) for name in columns])
    finally:
        cursor.close()


def _mark_final(connection: Connection, previous: int | None, upto: int) -> None:
    for table_name, table in _TABLES.items():
        column = _number_column(table_name)
        condition = column <= upto
        if previous is not None:
            condition = and_(condition, column > previous)
        connection.execute(update(table).where(condition).values(final=True))


def _move_checkpoint(
    connection: Connection, expected: MirrorCheckpoint, conflict: str, **values: Any
) -> None:
    """Set the checkpoint's `values` if it is still `expected` (compare-and-swap), else
    raise `CheckpointConflictError(conflict)`: a second writer cannot interleave."""
    moved = connection.execute(
        update(_CHECKPOINT)
        .where(
            and_(
                _CHECKPOINT.c.id == 1,
                _same(_CHECKPOINT.c.block_number, expected.block_number),
                _same(_CHECKPOINT.c.block_hash, expected.block_hash),
            )
        )
        .values(**values)
    )
    if moved.rowcount != 1:
        raise CheckpointConflictError(conflict)


def _same(column: Column[Any], value: object) -> ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _max_optional(left: int | None, right: int | None) -> int | None:
    if left is None:
        return right
    if right is None:
        return left
    return max(left, right)


def _read_checkpoint(connection: Connection) -> MirrorCheckpoint | None:
    row = connection.execute(select(_CHECKPOINT).where(_CHECKPOINT.c.id == 1)).first()
    if row is None:
        return None
    return MirrorCheckpoint(
        row.chain_id, row.start_block, row.block_number, row.block_hash, row.finalized_number
    )
