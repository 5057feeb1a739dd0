"""The anchorer against anvil: anchoring, kill -9 mid-transaction, node down, reverts, forks."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

import pytest

from anchoring.anchor_contract import read_heads
from anchoring.anchorer import Anchorer, AnchorerConfig
from anchoring.core.note import NoteSigner
from anchoring.errors import AnchorConflictError, ChainError
from anchoring.http import LogServeSettings, create_app
from anchoring.store import LogStore
from anchoring.verify_log import verify_log
from testing.anvil import ANVIL_BINARY
from testing.loopback_http import serve
from testing.processes import Launched, free_port, python_command, repo_env
from tests.anchoring.helpers import Chain, grow, make_anchorer, run_until_idle

pytestmark = pytest.mark.skipif(
    not ANVIL_BINARY.exists(), reason="anvil not installed (npm ci --prefix contracts)"
)


def _check_chain(store: LogStore, chain: Chain) -> list[Any]:
    """Heads strictly grow, each is the log's root at its size, and no anchor tx reverted."""
    heads = read_heads(chain.anchor)
    sizes = [head.tree_size for head in heads]
    assert sizes == sorted(set(sizes)), f"heads do not strictly grow: {sizes}"
    for head in heads:
        assert head.root_hash == store.root_at(head.tree_size)
    # Every transaction the anchorer ever sent anchored a head: none reverted, none wasted.
    assert chain.w3.eth.get_transaction_count(chain.anchorer_account.address) == len(heads)
    return heads


def test_anchors_heads_with_consistency_proofs_and_records_them(
    store: LogStore, log_signer: NoteSigner, chain: Chain
) -> None:
    anchorer = make_anchorer(store, chain)
    assert anchorer.step() == "up-to-date"  # empty log: nothing to anchor
    grow(store, log_signer, 300)
    assert run_until_idle(anchorer)[0] == "sent"
    grow(store, log_signer, 1)
    grow(store, log_signer, 700)
    run_until_idle(anchorer)
    heads = _check_chain(store, chain)
    assert [h.tree_size for h in heads] == [300, 1001]  # the latest checkpoint, once
    records = anchorer.records()
    assert [(r.head_index, r.tree_size, r.root_hash) for r in records] == [
        (h.head_index, h.tree_size, h.root_hash) for h in heads
    ]
    for record in records:
        receipt = chain.w3.eth.get_transaction_receipt(record.tx_hash)
        assert receipt["status"] == 1 and receipt["blockNumber"] == record.block_number
    assert anchorer.in_flight() is None
    # The served log verifies against the chain.
    with serve(create_app(LogServeSettings(database_url="unused"), store=store)) as base:
        report = verify_log(
            f"{base}/log",
            verifier_key=log_signer.verifier().verifier_key,
            rpc_url=chain.anvil.url,
            anchor_address=chain.anchor.address,
        )
    assert report.anchored_heads_checked == 2 and report.tree_size == 1001


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["before-broadcast", "after-broadcast"])
def test_kill_9_mid_transaction_neither_doubles_nor_skips(
    db_url: str, table_prefix: str, log_signer: NoteSigner, chain: Chain, mode: str, tmp_path: Path
) -> None:
    store = LogStore.open(db_url, table_prefix=table_prefix)
    grow(store, log_signer, 500)
    worker = Launched(
        python_command("tests.anchoring.anchorer_worker", db_url, table_prefix, chain.anvil.url,
                       chain.anchor.address, mode),
        env=repo_env({"ANCHORER_KEY": chain.anchorer_account.key.hex()}),
        read_lines=True, stderr_path=tmp_path / "anchorer-worker.log",
    )
    try:
        worker.wait_until(lambda: bool(worker.lines), timeout_s=60, what="the worker's first line")
        line = worker.lines[0]
        assert line.split() == ["STALL", "500"], line
    finally:
        worker.stop(signal.SIGKILL)
    anchorer = make_anchorer(store, chain)
    assert anchorer.in_flight() is not None and anchorer.in_flight().tree_size == 500  # type: ignore[union-attr]
    outcomes = run_until_idle(anchorer)
    assert outcomes[0] == ("rebroadcast" if mode == "before-broadcast" else "mined")
    grow(store, log_signer, 10)
    run_until_idle(anchorer)
    heads = _check_chain(store, chain)
    assert [h.tree_size for h in heads] == [500, 510]
    assert [r.tree_size for r in anchorer.records()] == [500, 510]
    store.close()


@pytest.mark.slow
def test_node_down_then_back(store: LogStore, log_signer: NoteSigner, chain: Chain) -> None:
    anchorer = make_anchorer(store, chain, poll_interval_s=0.05)
    grow(store, log_signer, 100)
    run_until_idle(anchorer)
    anchorer.start()
    try:
        chain.anvil.stop()
        grow(store, log_signer, 50)
        time.sleep(2.5)  # the anchorer keeps failing to reach the node meanwhile
        grow(store, log_signer, 50)
        chain.anvil.start()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            heads = read_heads(chain.anchor)
            if heads and heads[-1].tree_size == 200:
                break
            time.sleep(0.2)
    finally:
        anchorer.stop()
    run_until_idle(anchorer)  # its records catch up with what the test saw on chain
    heads = _check_chain(store, chain)
    assert heads[0].tree_size == 100 and heads[-1].tree_size == 200
    assert [r.tree_size for r in anchorer.records()] == [h.tree_size for h in heads]


@pytest.mark.slow
def test_chain_revert_is_reconciled(store: LogStore, log_signer: NoteSigner, chain: Chain) -> None:
    anchorer = make_anchorer(store, chain)
    grow(store, log_signer, 100)
    run_until_idle(anchorer)
    snapshot = chain.w3.provider.make_request("evm_snapshot", [])["result"]
    for _ in range(2):
        grow(store, log_signer, 100)
        run_until_idle(anchorer)
    assert [r.tree_size for r in anchorer.records()] == [100, 200, 300]
    assert chain.w3.provider.make_request("evm_revert", [snapshot])["result"] is True
    assert [h.tree_size for h in read_heads(chain.anchor)] == [100]
    run_until_idle(anchorer)
    heads = _check_chain(store, chain)
    assert [h.tree_size for h in heads] == [100, 300]  # re-anchored the latest, nothing skipped
    assert [(r.tree_size, r.root_hash) for r in anchorer.records()] == [
        (h.tree_size, h.root_hash) for h in heads
    ]


def test_a_chain_head_contradicting_the_log_is_a_fork(
    db_url: str, table_prefix: str, log_signer: NoteSigner, chain: Chain
) -> None:
    honest = LogStore.open(db_url, table_prefix=table_prefix)
    forked = LogStore.open(db_url, table_prefix=table_prefix + "f")
    try:
        grow(honest, log_signer, 50)
        run_until_idle(make_anchorer(honest, chain))
        grow(forked, log_signer, 60)  # other salts: other leaves, other roots
        with pytest.raises(AnchorConflictError) as caught:
            make_anchorer(forked, chain).step()
        assert caught.value.tree_size == 50
        assert [h.tree_size for h in read_heads(chain.anchor)] == [50]
    finally:
        forked.drop_all()
        honest.close()
        forked.close()


def test_fees_do_not_feed_back_into_the_gas_price(
    store: LogStore, log_signer: NoteSigner, chain: Chain
) -> None:
    # Paying a multiple of eth_gasPrice made anvil's tip oracle suggest ever higher prices
    # (it suggests recent tips): the price doubled every few blocks until funds ran out.
    anchorer = make_anchorer(store, chain)
    tip_before = chain.w3.eth.max_priority_fee
    balance_before = chain.w3.eth.get_balance(chain.anchorer_account.address)
    for _ in range(12):
        grow(store, log_signer, 3)
        run_until_idle(anchorer)
    assert len(read_heads(chain.anchor)) == 12
    assert chain.w3.eth.max_priority_fee <= tip_before
    spent = balance_before - chain.w3.eth.get_balance(chain.anchorer_account.address)
    assert spent < 12 * 300_000 * 10 * 10**9  # < 300k gas at 10 gwei per anchor


def test_an_account_without_the_anchorer_role_sends_nothing(
    store: LogStore, log_signer: NoteSigner, chain: Chain
) -> None:
    grow(store, log_signer, 10)
    config = AnchorerConfig(rpc_url=chain.anvil.url, anchor_address=chain.anchor.address)
    impostor = Anchorer(store, chain.witness_account, config)  # holds the witness role only
    assert impostor.step() == "would-revert"  # eth_estimateGas reverts: no transaction sent
    assert impostor.in_flight() is None
    assert chain.w3.eth.get_transaction_count(chain.witness_account.address) == 0
    assert read_heads(chain.anchor) == []


def test_fails_over_to_the_next_node_when_the_current_cannot_be_reached(
    store: LogStore, log_signer: NoteSigner, chain: Chain
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    anchorer = Anchorer(store, chain.anchorer_account, AnchorerConfig(
        rpc_url=dead, fallback_rpc_urls=(chain.anvil.url,), anchor_address=chain.anchor.address))
    grow(store, log_signer, 120)
    with pytest.raises(ChainError, match=f"unreachable at {dead}.*next round asks"):
        anchorer.step()
    assert anchorer.rpc_url == chain.anvil.url
    run_until_idle(anchorer)
    heads = _check_chain(store, chain)
    assert [h.tree_size for h in heads] == [120]
    # The other way round: the node it uses dies, the next (here: the dead one) is tried,
    # and it comes back to the live node after that.
    chain.anvil.stop()
    grow(store, log_signer, 30)
    try:
        with pytest.raises(ChainError, match="next round asks"):
            anchorer.step()
        assert anchorer.rpc_url == dead
    finally:
        chain.anvil.start()
    with pytest.raises(ChainError, match="next round asks"):
        anchorer.step()  # the dead node again; back to the live one
    run_until_idle(anchorer)
    assert [h.tree_size for h in _check_chain(store, chain)] == [120, 150]
