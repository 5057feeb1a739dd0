"""Schema: the Alembic migration builds exactly the SQLModel tables, and unique keys
forbid storing a log (or a range) twice."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from indexer.decode.batch import DecodedRange
from indexer.errors import CheckpointConflictError, DatabaseWriteError
from indexer.migrations.env_metadata import target_metadata
from indexer.sink.db import alembic_config, migrate
from indexer.sink.models import ALL_TABLES, ChainLog
from indexer.sink.store import MirrorCheckpoint, MirrorStore


def test_migration_matches_models_and_downgrades(store: MirrorStore) -> None:
    migrate(store.engine)
    migrate(store.engine)  # idempotent
    names = set(inspect(store.engine).get_table_names())
    assert {model.__tablename__ for model in ALL_TABLES} <= names
    assert "indexer_alembic_version" in names
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "include_name": lambda name, type_, parent: (
                    type_ != "table" or name in target_metadata.tables
                ),
            },
        )
        diffs = compare_metadata(context, target_metadata)
    assert diffs == []
    from alembic import command

    config = alembic_config()
    with store.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "base")
    assert not {model.__tablename__ for model in ALL_TABLES} & set(
        inspect(store.engine).get_table_names()
    )


def _block_row(number: int, block_hash: str, parent_hash: str, timestamp: int) -> dict[str, object]:
    return {
        "number": number,
        "hash": block_hash,
        "parent_hash": parent_hash,
        "timestamp": timestamp,
        "miner": "0x" + "00" * 20,
        "sealer": None,
    }


def _log_row(block_hash: str, block_number: int, log_index: int) -> dict[str, object]:
    """A TraceAnchor log without topics (the mirror stores what the chain said)."""
    return {
        "block_hash": block_hash,
        "log_index": log_index,
        "block_number": block_number,
        "transaction_hash": "0x" + "cc" * 32,
        "transaction_index": 0,
        "address": "0x" + "11" * 20,
        "contract": "TraceAnchor",
        "event": None,
        "topic0": None,
        "topic1": None,
        "topic2": None,
        "topic3": None,
        "data": "0x",
    }


def _range(first: int) -> DecodedRange:
    decoded = DecodedRange(first, first, "0x" + "bb" * 32)
    decoded.add("chain_blocks", _block_row(first, "0x" + "bb" * 32, "0x" + "00" * 32, 1))
    return decoded


def _initialised(store: MirrorStore) -> MirrorCheckpoint:
    """Migrate and start a mirror of chain 1 from block 0."""
    migrate(store.engine)
    return store.initialise(
        chain_id=1,
        start_block=0,
        contracts={"TraceAnchor": "0x" + "11" * 20},
        start_parent_hash=None,
    )


def test_the_same_range_cannot_be_stored_twice(store: MirrorStore) -> None:
    checkpoint = _initialised(store)
    advanced = store.write_range(_range(0), checkpoint, None)
    with pytest.raises(CheckpointConflictError):
        store.write_range(_range(0), checkpoint, None)  # stale checkpoint: refused
    with pytest.raises(CheckpointConflictError):
        store.write_range(_range(0), advanced, None)  # wrong first block: refused
    assert store.load_checkpoint() == advanced


def test_unique_keys_forbid_duplicate_logs(store: MirrorStore) -> None:
    migrate(store.engine)
    row = {**_log_row("0x" + "aa" * 32, 1, 0), "final": False}
    with store.engine.begin() as connection:
        connection.execute(ChainLog.__table__.insert(), [row])
    with pytest.raises(IntegrityError), store.engine.begin() as connection:
        connection.execute(ChainLog.__table__.insert(), [{**row, "data": "0x01"}])


def test_rejected_write_leaves_nothing(store: MirrorStore) -> None:
    checkpoint = _initialised(store)
    decoded = _range(0)
    decoded.add("chain_logs", _log_row("0x" + "bb" * 32, 0, 0))
    decoded.add(
        "chain_logs", dict(decoded.rows["chain_logs"][0])
    )  # duplicate key: the database refuses
    with pytest.raises(DatabaseWriteError) as caught:
        store.write_range(decoded, checkpoint, None)
    assert "blocks 0..0" in str(caught.value)
    assert store.load_checkpoint() == checkpoint
    assert store.stored_hashes([0]) == {}


@pytest.mark.parametrize("log_count", [3, 120])  # 120 rows: PostgreSQL writes them with COPY
def test_rejected_bulk_write_rolls_back_every_table(store: MirrorStore, log_count: int) -> None:
    checkpoint = _initialised(store)
    decoded = DecodedRange(0, 99, "0x" + f"{99:064x}")
    for number in range(100):
        decoded.add(
            "chain_blocks",
            _block_row(number, "0x" + f"{number:064x}", "0x" + f"{number - 1:064x}", number),
        )
    for index in range(log_count):
        decoded.add(
            "chain_logs",
            _log_row(
                "0x" + f"{index % 100:064x}", index % 100, 0 if index == log_count - 1 else index
            ),
        )
    # The last log repeats the key of the first only when both fall in block 0.
    decoded.rows["chain_logs"][-1]["block_hash"] = "0x" + f"{0:064x}"
    with pytest.raises(DatabaseWriteError, match="blocks 0..99"):
        store.write_range(decoded, checkpoint, None)
    assert store.load_checkpoint() == checkpoint
    assert store.stored_hashes(list(range(100))) == {}
