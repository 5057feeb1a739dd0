"""The same anchorer and verifier, unchanged, against the project's own ledger node.

`traceledger node init --dev` deploys TraceAnchor and grants the anchorer role at genesis;
the anchorer uses the dev anchorer key over plain JSON-RPC. The node is killed with
SIGKILL while the anchorer runs and restarted on the same data directory: the anchorer
catches up without double-anchoring or skipping.
"""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from anchoring.anchor_contract import connect, read_heads, trace_anchor
from anchoring.anchorer import Anchorer, AnchorerConfig
from anchoring.core.note import NoteSigner
from anchoring.http import LogServeSettings, create_app
from anchoring.store import LogStore
from anchoring.verify_log import verify_log
from testing.loopback_http import serve
from tests.anchoring.helpers import grow, run_until_idle

devnet = pytest.importorskip("testing.devnet")


@pytest.fixture
def node(tmp_path: Path) -> Iterator[object]:
    data_dir = tmp_path / "node"
    devnet.init_dev_dir(data_dir)
    backend = devnet.start_ledger_node(data_dir)
    yield backend
    backend.stop()


def _wait_for_size(anchor: object, size: int, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            heads = read_heads(anchor)  # type: ignore[arg-type]
            if heads and heads[-1].tree_size == size:
                return
        except Exception:  # noqa: BLE001 - the node may be restarting
            time.sleep(0.2)
        time.sleep(0.2)
    raise AssertionError(f"tree size {size} not anchored within {timeout} s")


@pytest.mark.slow
def test_anchorer_on_our_node_survives_a_node_kill(
    node: object, store: LogStore, log_signer: NoteSigner
) -> None:
    backend = node
    address = backend.deployment["contracts"]["TraceAnchor"]["address"]  # type: ignore[attr-defined]
    account = Account.from_key(backend.accounts["anchorer"]["privateKey"])  # type: ignore[attr-defined]
    anchorer = Anchorer(
        store,
        account,
        AnchorerConfig(rpc_url=backend.url, anchor_address=address, poll_interval_s=0.1),  # type: ignore[attr-defined]
    )
    anchor = trace_anchor(connect(backend.url), address)  # type: ignore[attr-defined]
    anchorer.start()
    try:
        grow(store, log_signer, 300)
        _wait_for_size(anchor, 300)
        backend.stop(signal.SIGKILL)  # type: ignore[attr-defined]
        grow(store, log_signer, 200)
        time.sleep(1.5)
        port = int(backend.url.rsplit(":", 1)[1])  # type: ignore[attr-defined]
        restarted = devnet.start_ledger_node(backend.data_dir, port=port)  # type: ignore[attr-defined]
        backend.process = restarted.process  # type: ignore[attr-defined]  # stopped by the fixture
        _wait_for_size(anchor, 500)
    finally:
        anchorer.stop()
    run_until_idle(anchorer)  # records catch up with the chain
    heads = read_heads(anchor)
    assert heads[0].tree_size == 300 and heads[-1].tree_size == 500
    assert [h.tree_size for h in heads] == sorted({h.tree_size for h in heads})
    assert anchor.w3.eth.get_transaction_count(account.address) == len(heads)  # nothing wasted
    assert [r.tree_size for r in anchorer.records()] == [h.tree_size for h in heads]
    with serve(create_app(LogServeSettings(database_url="-"), store=store)) as base:
        report = verify_log(
            f"{base}/log",
            verifier_key=log_signer.verifier().verifier_key,
            rpc_url=backend.url,  # type: ignore[attr-defined]
            anchor_address=address,
        )
    assert report.anchored_heads_checked == len(heads) and report.tree_size == 500
