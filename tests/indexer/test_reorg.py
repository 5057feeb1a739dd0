"""Reorgs on anvil: the mirror walks back to the common ancestor, drops orphaned rows and
re-indexes; it refuses to drop final rows."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from indexer.errors import FinalityViolationError
from indexer.service import open_indexer
from indexer.sink.db import migrate
from indexer.sink.models import ChainBlock, ChainTreeHead
from indexer.sink.store import MirrorStore
from testing.anvil import Anvil
from tests.indexer.chainkit import FAST_RETRY, System, audit, index, settings_for


def mirrored_heads(store: MirrorStore) -> list[tuple[int, str]]:
    table = ChainTreeHead.__table__
    with store.engine.connect() as connection:
        return [
            (r.tree_size, r.root_hash)
            for r in connection.execute(select(table).order_by(table.c.head_index))
        ]


def mirrored_block_hash(store: MirrorStore, number: int) -> str | None:
    table = ChainBlock.__table__
    with store.engine.connect() as connection:
        return connection.execute(select(table.c.hash).where(table.c.number == number)).scalar()


def node_heads(system: System) -> list[tuple[int, str]]:
    count = system.anchor.functions.headCount().call()
    return [
        (h[0], "0x" + h[3].hex())
        for h in (system.anchor.functions.headAt(i).call() for i in range(count))
    ]


def test_reorg_to_a_longer_fork_replaces_orphaned_rows(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    system.anchor_head(2)
    snapshot = anvil.rpc("evm_snapshot")
    fork_point = anvil.w3.eth.block_number
    system.anchor_head(3, seed=1)
    system.witness_latest()
    index(anvil, db_url, system, confirmations=50)
    orphaned = mirrored_heads(store)
    assert len(orphaned) == 2

    anvil.rpc("evm_revert", snapshot)
    system.leaves, system.anchored, system.tree_size = system.leaves[:2], system.anchored[:1], 2
    for seed in (7, 8):
        system.anchor_head(5, seed=seed)
    anvil.mine(3)
    assert anvil.w3.eth.block_number > fork_point + 3
    stats = index(anvil, db_url, system, confirmations=50)
    assert stats.reorgs == 1
    assert mirrored_heads(store) == node_heads(system)
    assert mirrored_heads(store)[1] != orphaned[1]
    report = audit(anvil, db_url)
    assert report.discrepancies == []


def test_reorg_to_a_shorter_fork_is_found_by_the_tip_check(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    snapshot = anvil.rpc("evm_snapshot")
    fork_point = anvil.w3.eth.block_number
    system.anchor_head(2)
    anvil.mine(4)
    index(anvil, db_url, system, confirmations=50)
    assert len(mirrored_heads(store)) == 1
    anvil.rpc("evm_revert", snapshot)
    assert anvil.w3.eth.block_number == fork_point
    stats = index(anvil, db_url, system, confirmations=50)
    assert stats.reorgs == 1 and stats.blocks == 0
    checkpoint = store.load_checkpoint()
    assert checkpoint is not None and checkpoint.block_number == fork_point
    assert mirrored_heads(store) == [] and mirrored_block_hash(store, fork_point + 1) is None
    assert audit(anvil, db_url).discrepancies == []


def test_anvil_reorg_of_equal_length(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    system.anchor_head(2)
    anvil.mine(3)
    index(anvil, db_url, system, confirmations=50)
    head = anvil.w3.eth.block_number
    old_tip = mirrored_block_hash(store, head)
    # Replace the last 3 blocks with others carrying a plain value transfer.
    anvil.rpc(
        "anvil_reorg",
        3,
        [[{"from": system.accounts[9], "to": system.accounts[8], "value": "0x1"}, 0]],
    )
    assert anvil.w3.eth.block_number == head
    stats = index(anvil, db_url, system, confirmations=50)
    assert stats.reorgs == 1
    assert (
        mirrored_block_hash(store, head)
        == "0x" + anvil.w3.eth.get_block(head)["hash"].hex()
        != old_tip
    )
    assert audit(anvil, db_url).discrepancies == []


def test_reorg_below_a_final_block_stops_without_changes(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    system.anchor_head(2)
    anvil.mine(5)
    index(anvil, db_url, system, confirmations=1)
    before = store.load_checkpoint()
    anvil.rpc("anvil_reorg", 4, [])
    with pytest.raises(FinalityViolationError):
        index(anvil, db_url, system, confirmations=1)
    assert store.load_checkpoint() == before
    assert len(mirrored_heads(store)) == 1


@pytest.mark.parametrize("wake_up", ["websocket", "polling"])
def test_follow_through_a_reorg(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore, wake_up: str
) -> None:
    stop = threading.Event()
    failures: list[BaseException] = []
    if wake_up == "websocket":  # a long poll interval: only newHeads can wake it in time
        settings = settings_for(system, confirmations=50, ws_url=anvil.ws_url, poll_interval_s=30.0)
    else:
        settings = settings_for(system, confirmations=50, ws_url=None, poll_interval_s=0.2)

    def follow() -> None:
        try:
            with open_indexer(anvil.url, db_url, settings, retry=FAST_RETRY) as indexer:
                indexer.run(follow=True, should_stop=stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the assertions below
            failures.append(exc)

    def caught_up() -> bool:
        head = anvil.w3.eth.get_block("latest")
        return mirrored_block_hash(store, head["number"]) == "0x" + head["hash"].hex()

    def wait_until(condition, timeout_s: float = 20.0) -> None:  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + timeout_s
        while not condition():
            assert not failures, failures
            assert time.monotonic() < deadline, "indexer did not catch up"
            time.sleep(0.05)

    migrate(store.engine)  # so the assertions below can read while the indexer starts
    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        wait_until(lambda: store.load_checkpoint() is not None and caught_up())
        started = time.monotonic()
        system.anchor_head(2)
        wait_until(caught_up, timeout_s=10.0)
        assert time.monotonic() - started < 10.0
        anvil.rpc("anvil_reorg", 2, [])
        anvil.mine(1)
        wait_until(caught_up)
        assert mirrored_heads(store) == node_heads(system)
    finally:
        stop.set()
        anvil.mine(1)  # wake the waiter
        thread.join(timeout=15)
    assert not failures
    assert audit(anvil, db_url).discrepancies == []
