"""Clique voting over JSON-RPC (geth's clique_* methods) on a real dev node: a 1-signer
chain votes in a second signer the node holds, blocks alternate in turn, and a vote drops it
again. Votes go through the admin socket (DATA_DIR/admin.sock); the public port refuses
them (test_hardening.py). The tally itself is tested in test_clique_votes.py (with py-evm's
Clique)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth.consensus.clique._utils import get_block_signer

from ledger_node.errors import INVALID_PARAMS, SERVER_ERROR, RpcError
from ledger_node.follower import header_from_json
from ledger_node.node import LedgerNode, NodeSettings
from ledger_node.rpc.admin import AdminApi, admin_rpc
from testing.devnet import init_dev_dir, rpc, start_ledger_node


def _error(url: str, method: str, params: Any) -> dict[str, Any]:
    body = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                 "params": params}, timeout=10).json()
    assert "error" in body, body
    return body["error"]  # type: ignore[no-any-return]


def _admin_error(data_dir: Path, method: str, params: Any) -> dict[str, Any]:
    transport = httpx.HTTPTransport(uds=str(data_dir / "admin.sock"))
    with httpx.Client(transport=transport, timeout=10) as client:
        body = client.post("http://admin/", json={"jsonrpc": "2.0", "id": 1, "method": method,
                                                  "params": params}).json()
    assert "error" in body, body
    return body["error"]  # type: ignore[no-any-return]


def _wait_for(condition: Callable[[], bool], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


def test_vote_a_held_signer_in_and_out_over_rpc(tmp_path: Path) -> None:
    init_dev_dir(tmp_path, extra_args=["--signers", "2", "--genesis-signers", "1"])
    backend = start_ledger_node(tmp_path, extra_args=["--empty-blocks"])
    url = backend.url
    first = backend.accounts["sealer"]["address"]
    second = backend.accounts["sealer2"]["address"]
    try:
        assert rpc(url, "clique_getSigners") == [first]
        for method, params in [
            ("clique_propose", ["0x1234", True]),
            ("clique_propose", [second, "true"]),
            ("clique_propose", [second]),
            ("clique_propose", {"address": second}),
            ("clique_discard", []),
            ("clique_discard", [42]),
            ("clique_getProposals", [second]),
        ]:
            assert _admin_error(tmp_path, method, params)["code"] == INVALID_PARAMS, (method, params)
        assert _error(url, "clique_getProposals", [second])["code"] == INVALID_PARAMS
        assert _error(url, "clique_getSigners", ["0xnothex"])["code"] == INVALID_PARAMS

        assert admin_rpc(tmp_path, "clique_propose", [second, True]) is None
        assert rpc(url, "clique_getProposals") == {second: True}
        _wait_for(lambda: len(rpc(url, "clique_getSigners")) == 2)
        both = sorted([first, second], key=lambda a: bytes.fromhex(a[2:]))
        assert rpc(url, "clique_getSigners") == both
        voted = int(rpc(url, "eth_blockNumber"), 16)
        _wait_for(lambda: int(rpc(url, "eth_blockNumber"), 16) >= voted + 4)
        for number in range(voted + 1, voted + 5):  # alternating, in turn (difficulty 2)
            block = rpc(url, "eth_getBlockByNumber", [hex(number), False])
            signer = "0x" + get_block_signer(header_from_json(block)).hex()
            assert signer == both[number % 2].lower()
            assert block["difficulty"] == "0x2"
        assert admin_rpc(tmp_path, "clique_discard", [second]) is None
        assert rpc(url, "clique_getProposals") == {}

        admin_rpc(tmp_path, "clique_propose", [second, False])  # both held signers vote (> N/2)
        _wait_for(lambda: rpc(url, "clique_getSigners") == [first])
        assert rpc(url, "clique_getSigners", [hex(voted)]) == both  # history stays
    finally:
        backend.stop()

    # A node holding only the dropped key is no signer: its proposals are refused.
    keys_path = tmp_path / "dev-keys.json"
    document = json.loads(keys_path.read_text())
    del document["accounts"]["sealer"]
    keys_path.write_text(json.dumps(document))
    node = LedgerNode(NodeSettings(data_dir=tmp_path, sealer_process=False))
    try:
        with pytest.raises(RpcError) as refused:
            AdminApi(node).clique_propose([first, False])
        assert refused.value.code == SERVER_ERROR
        assert node.proposals == {}
    finally:
        node.close()
