"""Backfill: every block and contract event lands in the mirror exactly once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, text

from indexer.sink.models import (
    CHAIN_TABLES,
    ChainBlock,
    ChainEnterpriseHistory,
    ChainHeadWitness,
    ChainLog,
    ChainRecallHistory,
    ChainRoleHistory,
    ChainTreeHead,
)
from indexer.sink.store import MirrorStore
from testing.anvil import Anvil
from tests.indexer.chainkit import System, chain_logs, full_activity, index


def rows(
    store: MirrorStore, model: Any, order: str = "block_number, log_index"
) -> list[dict[str, Any]]:
    table = model.__table__
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(table).order_by(text(order)))]


def counts(store: MirrorStore) -> dict[str, int]:
    with store.engine.connect() as connection:
        return {
            m.__tablename__: connection.execute(
                select(func.count()).select_from(m.__table__)
            ).scalar_one()
            for m in CHAIN_TABLES
        }


def test_backfill_mirrors_blocks_and_every_event(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    full_activity(system)
    head = anvil.w3.eth.block_number
    stats = index(anvil, db_url, system)
    assert stats.blocks == head + 1
    expected_logs = chain_logs(anvil.w3, system)
    assert stats.events == len(expected_logs)

    blocks = rows(store, ChainBlock, "number")
    assert [b["number"] for b in blocks] == list(range(head + 1))
    for block in (blocks[0], blocks[head // 2], blocks[-1]):
        node_block = anvil.w3.eth.get_block(block["number"])
        assert block["hash"] == "0x" + node_block["hash"].hex()
        assert block["parent_hash"] == "0x" + node_block["parentHash"].hex()
        assert block["timestamp"] == node_block["timestamp"]
        assert block["miner"] == node_block["miner"]
        assert block["sealer"] is None  # anvil does not seal with Clique
    assert [b["final"] for b in blocks] == [n <= head - 3 for n in range(head + 1)]

    raw = rows(store, ChainLog)
    assert [(r["block_hash"], r["log_index"]) for r in raw] == [
        ("0x" + log["blockHash"].hex(), log["logIndex"]) for log in expected_logs
    ]
    assert all(r["event"] is not None for r in raw)

    heads = rows(store, ChainTreeHead)
    assert [(h["head_index"], h["tree_size"], h["root_hash"], h["anchorer"]) for h in heads] == [
        (i, size, "0x" + root.hex(), system.anchorer)
        for i, (size, root) in enumerate(system.anchored)
    ]
    witnesses = rows(store, ChainHeadWitness)
    assert [(w["head_index"], w["witness"]) for w in witnesses] == [
        (0, w) for w in system.witnesses
    ]

    history = rows(store, ChainEnterpriseHistory)
    assert [(h["change"], h["status"]) for h in history] == [
        ("registered", "active"),
        ("prefix_assigned", None),
        ("prefix_assigned", None),
        ("metadata_updated", None),
        ("suspended", "suspended"),
        ("reinstated", "active"),
        ("key_rotated", None),
        ("registered", "active"),
        ("revoked", "revoked"),
    ]
    assert history[4]["actor"] == system.regulator and history[4]["reason_hash"] == "0x" + "13" * 32

    roles = rows(store, ChainRoleHistory, "block_number, log_index, entry")
    changes = [(r["account"], r["role"], r["change"]) for r in roles]
    assert (system.enterprise, 5, "rotated_out") in changes
    assert (system.accounts[6], 5, "granted") in changes
    assert (system.accounts[4], 4, "revoked") in changes
    assert changes[0] == (system.admin, 1, "granted")  # constructor's admin grant

    recalls = rows(store, ChainRecallHistory)
    assert [(r["sequence"], r["change"], r["status"], r["recall_class"]) for r in recalls] == [
        (1, "opened", "open", 1),
        (1, "updated", "updated", 2),
        (1, "closed", "closed", None),
        (2, "opened", "open", 3),
    ]
    assert recalls[0]["company_prefix"] == "6901234" and recalls[0]["issuer"] == system.accounts[6]
    assert recalls[3]["enterprise_id"] == "0x" + "00" * 32

    checkpoint = store.load_checkpoint()
    assert checkpoint is not None
    assert (checkpoint.block_number, checkpoint.block_hash) == (head, blocks[-1]["hash"])
    assert checkpoint.finalized_number == head - 3


def test_restart_resumes_exactly_once(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    full_activity(system)
    head = anvil.w3.eth.block_number
    first = index(anvil, db_url, system, until_block=head // 2)
    checkpoint = store.load_checkpoint()
    assert checkpoint is not None and checkpoint.block_number == head // 2
    partial_counts = counts(store)
    assert partial_counts["chain_blocks"] == head // 2 + 1
    # Running again to the same block stores nothing more.
    again = index(anvil, db_url, system, until_block=head // 2)
    assert again.blocks == 0 and counts(store) == partial_counts
    rest = index(anvil, db_url, system)
    assert first.blocks + rest.blocks == head + 1
    assert first.events + rest.events == len(chain_logs(anvil.w3, system))
    assert counts(store)["chain_logs"] == len(chain_logs(anvil.w3, system))
    # More blocks later: only the new ones are stored.
    system.anchor_head(2)
    anvil.mine(5)
    later = index(anvil, db_url, system)
    assert later.blocks == 6 and later.events == 1
    assert counts(store)["chain_blocks"] == anvil.w3.eth.block_number + 1


def test_from_block_mirrors_only_later_blocks(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    start = anvil.w3.eth.block_number + 1
    full_activity(system)
    stats = index(anvil, db_url, system, start_block=start)
    head = anvil.w3.eth.block_number
    assert stats.blocks == head - start + 1
    blocks = rows(store, ChainBlock, "number")
    assert blocks[0]["number"] == start
    assert stats.events == len(
        [log for log in chain_logs(anvil.w3, system) if log["blockNumber"] >= start]
    )
    checkpoint = store.load_checkpoint()
    assert checkpoint is not None and checkpoint.start_block == start
    from tests.indexer.chainkit import audit

    assert audit(anvil, db_url).discrepancies == []


def test_current_state_views(anvil: Anvil, system: System, db_url: str, store: MirrorStore) -> None:
    full_activity(system)
    index(anvil, db_url, system)
    with store.engine.connect() as connection:
        enterprises = connection.execute(
            text(
                "SELECT status, last_status_change, signing_key FROM chain_enterprise_status ORDER BY status_block_number"
            )
        ).all()
        roles = dict(
            connection.execute(text("SELECT account, last_change FROM chain_account_roles")).all()
        )
        recall = connection.execute(
            text("SELECT sequence, status, recall_class FROM chain_recall_status")
        ).one()
    assert [tuple(row) for row in enterprises] == [
        ("active", "reinstated", system.accounts[6]),
        ("revoked", "revoked", system.accounts[7]),
    ]
    assert roles[system.enterprise] == "rotated_out" and roles[system.accounts[6]] == "granted"
    assert roles[system.accounts[4]] == "revoked" and roles[system.accounts[3]] == "granted"
    assert tuple(recall) == (2, "open", 3)


def test_event_dense_ranges_shrink(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import indexer.follow

    monkeypatch.setattr(indexer.follow, "MAX_EVENTS_PER_RANGE", 4)
    full_activity(system)
    anvil.mine(60)
    stats = index(anvil, db_url, system, blocks_per_range=50)
    # Without adapting: 2 ranges. The first (all ~40 events in 50 blocks) shrinks the
    # next to 50 * 4 // 40 = 5 blocks, which then double back over the empty blocks.
    assert stats.ranges >= 4
    assert stats.events == len(chain_logs(anvil.w3, system))
