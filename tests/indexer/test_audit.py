"""`indexer verify`: every altered, deleted or inserted mirror row is reported."""

from __future__ import annotations

from sqlalchemy import select, text
from typer.testing import CliRunner

from indexer.audit import Discrepancy
from indexer.cli import app
from indexer.sink.models import (
    ChainEnterpriseHistory,
    ChainRecallHistory,
    ChainRoleHistory,
    ChainTreeHead,
)
from indexer.sink.store import MirrorStore
from testing.anvil import Anvil
from tests.indexer.chainkit import System, audit, full_activity, index


def first_row(store: MirrorStore, model) -> dict:  # type: ignore[no-untyped-def]
    table = model.__table__
    with store.engine.connect() as connection:
        return dict(
            connection.execute(select(table).order_by(table.c.block_number, table.c.log_index))
            .first()
            ._mapping
        )


def test_clean_mirror_verifies(anvil: Anvil, system: System, db_url: str) -> None:
    full_activity(system)
    index(anvil, db_url, system)
    report = audit(anvil, db_url)
    assert report.discrepancies == []
    assert report.blocks_checked == anvil.w3.eth.block_number + 1 and report.rows_checked > 0
    result = CliRunner().invoke(app, ["verify", "--rpc", anvil.url, "--db", db_url])
    assert result.exit_code == 0, result.output


def test_every_tampered_row_is_reported(
    anvil: Anvil, system: System, db_url: str, store: MirrorStore
) -> None:
    full_activity(system)
    index(anvil, db_url, system)
    checkpoint = store.load_checkpoint()
    assert checkpoint is not None and checkpoint.block_number is not None
    head = first_row(store, ChainTreeHead)
    role = first_row(store, ChainRoleHistory)
    recall = first_row(store, ChainRecallHistory)
    forged_root = "0x" + "ee" * 32
    forged_block = "0x" + "ab" * 32
    with store.engine.begin() as connection:
        connection.execute(
            text("UPDATE chain_tree_heads SET root_hash = :root WHERE head_index = 0"),
            {"root": forged_root},
        )
        connection.execute(
            text(
                "UPDATE chain_enterprise_history SET status = 'revoked' WHERE change = 'suspended'"
            )
        )
        connection.execute(
            text(
                "DELETE FROM chain_role_history WHERE block_hash = :h AND log_index = :i AND entry = 0"
            ),
            {"h": role["block_hash"], "i": role["log_index"]},
        )
        connection.execute(
            text("UPDATE chain_blocks SET timestamp = timestamp + 1 WHERE number = 3")
        )
        connection.execute(text("UPDATE chain_blocks SET final = NOT final WHERE number = 2"))
        connection.execute(text("DELETE FROM chain_blocks WHERE number = 4"))
        forged = {**recall, "block_hash": forged_block, "change": "closed", "status": "closed"}
        connection.execute(ChainRecallHistory.__table__.insert(), [forged])
        beyond = {**recall, "block_number": checkpoint.block_number + 5}
        beyond["log_index"] = 999
        connection.execute(ChainRecallHistory.__table__.insert(), [beyond])
    suspended = next(r for r in _all(store, ChainEnterpriseHistory) if r["change"] == "suspended")

    report = audit(anvil, db_url)
    found = {(d.kind, d.table, tuple(d.key.values()), d.field) for d in report.discrepancies}
    expected = {
        ("altered", "chain_tree_heads", (head["block_hash"], head["log_index"]), "root_hash"),
        (
            "altered",
            "chain_enterprise_history",
            (suspended["block_hash"], suspended["log_index"]),
            "status",
        ),
        ("missing", "chain_role_history", (role["block_hash"], role["log_index"], 0), None),
        ("altered", "chain_blocks", (3,), "timestamp"),
        ("altered", "chain_blocks", (2,), "final"),
        ("missing", "chain_blocks", (4,), None),
        ("extra", "chain_recall_history", (forged_block, recall["log_index"]), None),
        ("extra", "chain_recall_history", (recall["block_hash"], 999), None),
    }
    assert found == expected
    root = next(d for d in report.discrepancies if d.field == "root_hash")
    assert (root.mirror_value, root.chain_value) == (
        forged_root,
        "0x" + system.anchored[0][1].hex(),
    )
    status = next(d for d in report.discrepancies if d.field == "status")
    assert (status.mirror_value, status.chain_value) == ("revoked", "suspended")

    result = CliRunner().invoke(app, ["verify", "--rpc", anvil.url, "--db", db_url])
    assert result.exit_code == 1
    lines = [
        line
        for line in result.stdout.splitlines()
        if line.startswith(("ALTERED", "MISSING", "EXTRA"))
    ]
    assert len(lines) == len(expected)
    assert (
        f"ALTERED chain_tree_heads [block_hash={head['block_hash']}, log_index={head['log_index']}] "
        f"root_hash: mirror='{forged_root}'" in result.stdout
    )


def test_discrepancy_formats() -> None:
    altered = Discrepancy("altered", "chain_blocks", {"number": 3}, "timestamp", 10, 9)
    assert altered.format() == "ALTERED chain_blocks [number=3] timestamp: mirror=10 chain=9"
    assert (
        Discrepancy("missing", "chain_logs", {"block_hash": "0x01", "log_index": 0}).format()
        == "MISSING chain_logs [block_hash=0x01, log_index=0]"
    )


def _all(store: MirrorStore, model) -> list[dict]:  # type: ignore[no-untyped-def]
    with store.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(select(model.__table__))]
