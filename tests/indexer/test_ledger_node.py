"""The indexer, unchanged, against the project's own node (ledger_node): Clique sealers
recovered from headers, newHeads over WebSocket, and a clean audit.

Skipped if the node cannot be initialised here (it is built concurrently)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from sqlalchemy import text
from web3 import Web3

from anchoring.core.merkle import leaf_hash, root_hash
from contracts.artifacts import load_artifact
from indexer.config import IndexerSettings
from indexer.service import open_indexer
from indexer.sink.db import migrate
from indexer.sink.store import MirrorStore
from tests.indexer.chainkit import FAST_RETRY


@pytest.fixture
def ledger_node(tmp_path: Path) -> Iterator[object]:
    """`ledger_node init --dev` and `run` on a free port."""
    try:
        from testing.devnet import init_dev_dir, start_ledger_node

        init_dev_dir(tmp_path / "node")
        node = start_ledger_node(tmp_path / "node")
    except Exception as exc:  # noqa: BLE001 - the node is optional for these tests
        pytest.skip(f"ledger_node not runnable here: {exc!r:.300}")
    try:
        yield node
    finally:
        node.stop()


def _settings(node: object, **overrides: object) -> IndexerSettings:
    contracts = {name: entry["address"] for name, entry in node.deployment["contracts"].items()}  # type: ignore[attr-defined]
    values: dict[str, object] = {
        "contracts": contracts,
        "confirmations": 2,
        "poll_interval_s": 5.0,
        "retry_pause_s": 0.01,
    }
    values.update(overrides)
    return IndexerSettings(**values)  # type: ignore[arg-type]


def _anchor(node: object, tree_size: int) -> None:
    w3 = Web3(Web3.HTTPProvider(node.url))  # type: ignore[attr-defined]
    key = node.accounts["anchorer"]["privateKey"]  # type: ignore[attr-defined]
    anchor = w3.eth.contract(
        address=node.deployment["contracts"]["TraceAnchor"]["address"],  # type: ignore[attr-defined]
        abi=load_artifact("TraceAnchor").abi,
    )
    leaves = [leaf_hash(f"node-entry-{i}".encode()) for i in range(tree_size)]
    sender = Account.from_key(key).address
    tx = anchor.functions.anchor(tree_size, root_hash(leaves), []).build_transaction(
        {
            "from": sender,
            "nonce": w3.eth.get_transaction_count(sender),
            "gas": 500_000,
            "gasPrice": 0,
            "chainId": node.chain_id,
        }
    )  # type: ignore[attr-defined]
    signed = Account.sign_transaction(tx, key)
    receipt = w3.eth.wait_for_transaction_receipt(
        w3.eth.send_raw_transaction(signed.raw_transaction), timeout=30
    )
    assert receipt["status"] == 1


def test_indexer_follows_our_node(ledger_node: object, db_url: str, store: MirrorStore) -> None:
    from indexer.audit import audit_mirror
    from indexer.service import open_source_and_store

    node = ledger_node
    migrate(store.engine)
    stop = threading.Event()
    failures: list[BaseException] = []
    settings = _settings(node, ws_url=node.ws_url)  # type: ignore[attr-defined]

    def follow() -> None:
        try:
            with open_indexer(node.url, db_url, settings, retry=FAST_RETRY) as indexer:  # type: ignore[attr-defined]
                indexer.run(follow=True, should_stop=stop.is_set)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the assertions below
            failures.append(exc)

    def tree_heads() -> int:
        with store.engine.connect() as connection:
            return int(
                connection.execute(text("SELECT COUNT(*) FROM chain_tree_heads")).scalar_one()
            )

    thread = threading.Thread(target=follow, daemon=True)
    thread.start()
    try:
        _anchor(node, 5)
        deadline = time.monotonic() + 20  # poll interval is 5 s: newHeads must wake it
        while tree_heads() < 1:
            assert not failures, failures
            assert time.monotonic() < deadline, "tree head not mirrored"
            time.sleep(0.05)
    finally:
        stop.set()
        thread.join(timeout=20)
    assert not failures, failures

    signer = node.deployment["clique"]["signers"][0]  # type: ignore[attr-defined]
    with store.engine.connect() as connection:
        sealers = connection.execute(
            text("SELECT number, sealer FROM chain_blocks ORDER BY number")
        ).all()
        events = dict(
            connection.execute(text("SELECT event, COUNT(*) FROM chain_logs GROUP BY event")).all()
        )
    assert sealers[0][1] is None  # genesis carries the signer list, no seal
    assert all(sealer == signer for _, sealer in sealers[1:])
    assert events["TreeHeadAnchored"] == 1 and events["EnterpriseRegistered"] == 2
    with open_source_and_store(node.url, db_url) as (source, audit_store):  # type: ignore[attr-defined]
        assert audit_mirror(source, audit_store).discrepancies == []
