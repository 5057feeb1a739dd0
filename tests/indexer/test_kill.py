"""kill -9 of a real `indexer run` process mid-backfill: the mirror holds whole ranges
only, the checkpoint matches them, and the next run completes it exactly."""

from __future__ import annotations

import signal

from sqlalchemy.exc import SQLAlchemyError

from indexer.sink.db import migrate
from indexer.sink.store import MirrorStore
from testing.anvil import Anvil
from testing.processes import Launched, python_command, repo_env
from tests.indexer.chainkit import System, audit, chain_logs, index
from tests.indexer.test_faults import assert_no_partial_range


def _checkpoint_number(store: MirrorStore) -> int:
    try:
        checkpoint = store.load_checkpoint()
    except SQLAlchemyError:  # tables not created yet
        return -1
    return -1 if checkpoint is None or checkpoint.block_number is None else checkpoint.block_number


def test_kill_9_mid_backfill_leaves_whole_ranges(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    for round_ in range(12):
        system.anchor_head(2, seed=round_)
        system.witness_latest()
    anvil.mine(400)
    head = anvil.w3.eth.block_number
    migrate(store.engine)
    command = python_command(
        "indexer",
        "run",
        "--rpc",
        anvil.url,
        "--db",
        db_url,
        "--no-follow",
        "--no-ws",
        "--blocks-per-range",
        "2",
        "--confirmations",
        "3",
        "--member-registry",
        system.registry.address,
        "--trace-anchor",
        system.anchor.address,
        "--recall-registry",
        system.recalls.address,
    )
    kill_points = [10, 60, 150]
    for kill_after in kill_points:
        indexer = Launched(command, env=repo_env(), read_lines=True)
        try:
            indexer.wait_until(lambda: _checkpoint_number(store) >= kill_after,  # noqa: B023
                               timeout_s=60, what="indexer made no progress", poll_s=0.01)
            indexer.stop(signal.SIGKILL)
            assert indexer.process.returncode == -signal.SIGKILL
        finally:
            indexer.stop(signal.SIGKILL)
        tip = assert_no_partial_range(store)
        assert kill_after <= tip < head
        assert tip % 2 == 1  # ranges of 2 blocks from 0: a range is whole or absent
    stats = index(anvil, db_url, system)
    assert stats.blocks == head - tip
    assert assert_no_partial_range(store) == head
    assert audit(anvil, db_url).discrepancies == []
    with store.engine.connect() as connection:
        from sqlalchemy import text

        stored = connection.execute(text("SELECT COUNT(*) FROM chain_logs")).scalar()
    assert stored == len(chain_logs(anvil.w3, system))
