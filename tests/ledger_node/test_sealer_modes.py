"""The in-process sealer (`--in-process-sealer`, a thread) produces the same kind of chain
as the default child-process sealer, and streaming into an open block keeps nonce order."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from eth_account import Account

from testing.devnet import init_dev_dir, rpc, start_ledger_node


def test_in_process_sealer_includes_a_burst_in_order(tmp_path: Path) -> None:
    init_dev_dir(tmp_path)
    backend = start_ledger_node(tmp_path, extra_args=["--in-process-sealer"])
    try:
        account = Account.from_key(backend.accounts["enterprise1"]["privateKey"])
        batch = []
        for nonce in range(50):
            signed = account.sign_transaction({
                "to": account.address, "value": 0, "gas": 21_000, "gasPrice": 0,
                "nonce": nonce, "chainId": backend.chain_id})
            batch.append({"jsonrpc": "2.0", "id": nonce, "method": "eth_sendRawTransaction",
                          "params": ["0x" + bytes(signed.raw_transaction).hex()]})
        hashes = [r["result"] for r in httpx.post(backend.url, json=batch, timeout=30).json()]
        deadline = time.monotonic() + 30
        while rpc(backend.url, "eth_getTransactionReceipt", [hashes[-1]]) is None:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        positions = []
        for tx_hash in hashes:
            receipt = rpc(backend.url, "eth_getTransactionReceipt", [tx_hash])
            assert receipt["status"] == "0x1"
            positions.append((int(receipt["blockNumber"], 16), int(receipt["transactionIndex"], 16)))
        assert positions == sorted(positions)
        assert rpc(backend.url, "eth_getTransactionCount", [account.address, "latest"]) == hex(50)
    finally:
        backend.stop()
