"""Faults: a node that refuses, fails or lies, and a database that rejects a write. The
indexer splits, retries or stops with a clear log line; it never commits a partial range
and never moves its checkpoint past what it stored."""

from __future__ import annotations

import logging
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, text

from indexer.errors import (
    DatabaseWriteError,
    InconsistentChainDataError,
    MalformedNodeDataError,
    NodeUnavailableError,
)
from indexer.sink.models import CHAIN_TABLES
from indexer.sink.store import MirrorStore
from testing.anvil import Anvil
from tests.indexer.chainkit import System, audit, chain_logs, full_activity, index
from tests.indexer.faults import FaultyTransport, is_call, log_span


def assert_no_partial_range(store: MirrorStore) -> int:
    """Every stored row is at or below the checkpoint, and every block up to it is stored.
    Returns the checkpoint's block number (-1 if none)."""
    checkpoint = store.load_checkpoint()
    tip = -1 if checkpoint is None or checkpoint.block_number is None else checkpoint.block_number
    with store.engine.connect() as connection:
        for model in CHAIN_TABLES:
            table = model.__table__
            column = table.c.number if "number" in table.c else table.c.block_number
            highest = connection.execute(select(func.max(column))).scalar()
            assert highest is None or highest <= tip, (
                f"{table.name} has rows above checkpoint {tip}"
            )
        blocks = connection.execute(
            select(func.count()).select_from(CHAIN_TABLES[0].__table__)
        ).scalar()
    assert blocks == tip + 1
    return tip


def test_refused_log_ranges_are_split(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    full_activity(system)
    limit = 4

    def refuse_wide(payload: Any) -> Any:
        if (
            isinstance(payload, dict)
            and is_call(payload, "eth_getLogs")
            and log_span(payload) > limit
        ):
            return {
                "jsonrpc": "2.0",
                "id": payload["id"],
                "error": {"code": -32005, "message": f"query exceeds max block range {limit}"},
            }
        return None

    transport = FaultyTransport(intercept=refuse_wide)
    stats = index(anvil, db_url, system, transport=transport, blocks_per_range=50)
    assert stats.events == len(chain_logs(anvil.w3, system))
    spans = [
        int(p[0]["toBlock"], 16) - int(p[0]["fromBlock"], 16) + 1
        for m, p in transport.calls
        if m == "eth_getLogs"
    ]
    assert spans and max(spans) <= limit
    assert audit(anvil, db_url).discrepancies == []


def test_a_node_without_batches_is_served_one_call_at_a_time(
    anvil: Anvil, system: System, db_url: str
) -> None:
    full_activity(system)

    def refuse_batches(payload: Any) -> Any:
        if isinstance(payload, list):
            return {
                "jsonrpc": "2.0",
                "id": None,
                "error": {"code": -32600, "message": "batches not supported"},
            }
        return None

    stats = index(anvil, db_url, system, transport=FaultyTransport(intercept=refuse_batches))
    assert stats.blocks == anvil.w3.eth.block_number + 1
    assert audit(anvil, db_url).discrepancies == []


def test_node_down_for_a_while_is_retried(anvil: Anvil, system: System, db_url: str) -> None:
    full_activity(system)
    failures = {"left": 5}

    def flaky(payload: Any) -> Any:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise httpx.ConnectError("connection refused (injected)")
        return None

    stats = index(anvil, db_url, system, transport=FaultyTransport(intercept=flaky))
    assert failures["left"] == 0
    assert stats.blocks == anvil.w3.eth.block_number + 1
    assert audit(anvil, db_url).discrepancies == []


def test_node_gone_for_good_stops_at_a_range_boundary(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore, caplog: pytest.LogCaptureFixture
) -> None:
    full_activity(system)
    served = {"getLogs": 0}

    def dies(payload: Any) -> Any:
        if isinstance(payload, dict) and is_call(payload, "eth_getLogs"):
            served["getLogs"] += 1
            if served["getLogs"] > 2:
                raise httpx.ConnectError("connection refused (injected)")
        return None

    with caplog.at_level(logging.WARNING), pytest.raises(NodeUnavailableError):
        index(anvil, db_url, system, transport=FaultyTransport(intercept=dies))
    tip = assert_no_partial_range(store)
    assert tip == 2 * 7 - 1  # two ranges of 7 blocks stored, nothing of the third
    assert "giving up after 3 consecutive failures at block 14" in caplog.text
    stats = index(anvil, db_url, system)
    assert stats.blocks == anvil.w3.eth.block_number - tip
    assert audit(anvil, db_url).discrepancies == []


@pytest.mark.parametrize("fault", ["log_block_hash", "gap", "broken_parent"])
def test_inconsistent_node_data_stops_before_the_range(
    anvil: Anvil,
    system: System,
    db_url: str,
    store: MirrorStore,
    fault: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    full_activity(system)
    bad_block = 17

    def lie(request: dict[str, Any], result: Any) -> Any:
        if fault == "log_block_hash" and request["method"] == "eth_getLogs":
            return [
                {**log, "blockHash": "0x" + "66" * 32}
                if int(log["blockNumber"], 16) == bad_block
                else log
                for log in result
            ]
        if (
            request["method"] == "eth_getBlockByNumber"
            and int(request["params"][0], 16) == bad_block
        ):
            if fault == "gap":
                return None
            if fault == "broken_parent":
                return {**result, "parentHash": "0x" + "77" * 32}
        return result

    assert any(log["blockNumber"] == bad_block for log in chain_logs(anvil.w3, system))
    with caplog.at_level(logging.WARNING), pytest.raises(InconsistentChainDataError):
        index(anvil, db_url, system, transport=FaultyTransport(mutate=lie))
    tip = assert_no_partial_range(store)
    assert tip == 13  # ranges of 7: 0..6 and 7..13 stored; 14..20 holds the bad block
    assert "at block 14" in caplog.text and "block 17" in caplog.text
    index(anvil, db_url, system)
    assert audit(anvil, db_url).discrepancies == []


def test_malformed_log_stops_at_once(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    full_activity(system)
    transport = FaultyTransport(
        mutate=lambda request, result: (
            [
                {**log, "data": "0xzz"}
                if request["method"] == "eth_getLogs" and int(log["blockNumber"], 16) == 10
                else log
                for log in result
            ]
            if request["method"] == "eth_getLogs"
            else result
        )
    )
    with pytest.raises(MalformedNodeDataError, match="block 10"):
        index(anvil, db_url, system, transport=transport)
    assert assert_no_partial_range(store) == 6
    assert sum(1 for method, _ in transport.calls if method == "eth_getLogs") == 2  # no retries


def _reject_tree_heads(store: MirrorStore, tree_size: int) -> None:
    with store.engine.begin() as connection:
        if store.engine.dialect.name == "sqlite":
            connection.execute(
                text(
                    "CREATE TRIGGER reject_head BEFORE INSERT ON chain_tree_heads "
                    f"WHEN NEW.tree_size = {tree_size} BEGIN SELECT RAISE(ABORT, 'rejected by test'); END"
                )
            )
        else:
            connection.execute(
                text(
                    "CREATE FUNCTION reject_head() RETURNS trigger AS $$ BEGIN "
                    f"IF NEW.tree_size = {tree_size} THEN RAISE EXCEPTION 'rejected by test'; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "CREATE TRIGGER reject_head BEFORE INSERT ON chain_tree_heads "
                    "FOR EACH ROW EXECUTE FUNCTION reject_head()"
                )
            )


def test_database_rejecting_a_write_stops_with_nothing_partial(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    from indexer.sink.db import migrate

    full_activity(system)
    migrate(store.engine)
    second_head_size = system.anchored[1][0]
    _reject_tree_heads(store, second_head_size)
    with pytest.raises(DatabaseWriteError, match="rejected by the database and rolled back"):
        index(anvil, db_url, system)
    tip = assert_no_partial_range(store)
    with store.engine.connect() as connection:
        sizes = connection.execute(text("SELECT tree_size FROM chain_tree_heads")).scalars().all()
    assert second_head_size not in sizes
    head_block = [
        log["blockNumber"]
        for log in chain_logs(anvil.w3, system)
        if log["address"] == system.anchor.address
    ][-1]
    assert tip < head_block
    with store.engine.begin() as connection:
        connection.execute(
            text(
                "DROP TRIGGER reject_head"
                + ("" if store.engine.dialect.name == "sqlite" else " ON chain_tree_heads")
            )
        )
    index(anvil, db_url, system)
    assert audit(anvil, db_url).discrepancies == []


def test_get_logs_timeouts_split_the_range(anvil: Anvil, system: System, db_url: str) -> None:
    full_activity(system)

    def slow_when_wide(payload: Any) -> Any:
        if isinstance(payload, dict) and is_call(payload, "eth_getLogs") and log_span(payload) > 2:
            raise httpx.ReadTimeout("timed out (injected)")
        return None

    stats = index(anvil, db_url, system, transport=FaultyTransport(intercept=slow_when_wide))
    assert stats.events == len(chain_logs(anvil.w3, system))
    assert audit(anvil, db_url).discrepancies == []


def test_another_chain_or_other_contracts_are_refused(
    anvil: Anvil, system: System, db_url: str
) -> None:
    from indexer.errors import ConfigurationError

    index(anvil, db_url, system)
    moved = {**system.addresses, "TraceAnchor": system.accounts[9]}
    with pytest.raises(ConfigurationError, match="mirror follows"):
        index(anvil, db_url, system, contracts=moved)
