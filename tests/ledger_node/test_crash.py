"""kill -9 under load, restart: the node resumes at its last committed block with the same
hashes and state roots, and no transaction whose receipt a client saw is lost."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx
from eth_account import Account

from testing.devnet import Backend, init_dev_dir, rpc, start_ledger_node

BATCH = 40


def _load(backend: Backend, stop: threading.Event, sent: list[str]) -> None:
    """Send batches of transfers from enterprise1 until `stop` (or the node dies)."""
    account = Account.from_key(backend.accounts["enterprise1"]["privateKey"])
    nonce = int(rpc(backend.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
    while not stop.is_set():
        batch = []
        for _ in range(BATCH):
            signed = account.sign_transaction({
                "to": backend.accounts["enterprise2"]["address"], "value": 1, "gas": 21_000,
                "gasPrice": 0, "nonce": nonce, "chainId": backend.chain_id})
            nonce += 1
            batch.append({"jsonrpc": "2.0", "id": len(batch), "method": "eth_sendRawTransaction",
                          "params": ["0x" + bytes(signed.raw_transaction).hex()]})
        try:
            responses = httpx.post(backend.url, json=batch, timeout=10).json()
        except (httpx.HTTPError, ValueError):
            return  # the node was killed
        sent.extend(r["result"] for r in responses if "result" in r)
        time.sleep(0.05)


def _receipts(backend: Backend, hashes: list[str]) -> dict[str, str]:
    """tx hash -> block hash for those with a receipt (batches within the node's limit)."""
    found: dict[str, str] = {}
    for start in range(0, len(hashes), 500):
        batch = [{"jsonrpc": "2.0", "id": i, "method": "eth_getTransactionReceipt", "params": [h]}
                 for i, h in enumerate(hashes[start:start + 500])]
        for response in httpx.post(backend.url, json=batch, timeout=30).json():
            receipt = response.get("result")
            if receipt:
                found[receipt["transactionHash"]] = receipt["blockHash"]
    return found


def _observe(backend: Backend, sent: list[str]) -> tuple[dict[str, str], dict[int, tuple[str, str]]]:
    """Receipts the client has seen (tx -> block hash) and the blocks it saw (n -> hash, root)."""
    receipts = _receipts(backend, list(sent))
    blocks: dict[int, tuple[str, str]] = {}
    head = int(rpc(backend.url, "eth_blockNumber"), 16)
    for number in range(head + 1):
        block = rpc(backend.url, "eth_getBlockByNumber", [hex(number), False])
        blocks[number] = (block["hash"], block["stateRoot"])
    return receipts, blocks


def test_kill_9_under_load_resumes_with_identical_state(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    init_dev_dir(data_dir)
    backend = start_ledger_node(data_dir)
    seen_receipts: dict[str, str] = {}
    seen_blocks: dict[int, tuple[str, str]] = {}
    try:
        for _cycle in range(2):
            sent: list[str] = []
            stop = threading.Event()
            loader = threading.Thread(target=_load, args=(backend, stop, sent), daemon=True)
            loader.start()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                time.sleep(0.5)
                head = int(rpc(backend.url, "eth_blockNumber"), 16)
                if head >= max(seen_blocks, default=1) + 3 and len(sent) > 200:
                    break
            receipts, blocks = _observe(backend, sent)
            backend.stop(signal.SIGKILL)  # while the loader is still sending
            stop.set()
            loader.join(timeout=15)
            assert receipts, "no transaction was included before the kill"
            seen_receipts.update(receipts)
            seen_blocks.update(blocks)

            backend = start_ledger_node(data_dir)
            head = int(rpc(backend.url, "eth_blockNumber"), 16)
            assert head >= max(seen_blocks)
            for number, (block_hash, state_root) in seen_blocks.items():
                block = rpc(backend.url, "eth_getBlockByNumber", [hex(number), False])
                assert (block["hash"], block["stateRoot"]) == (block_hash, state_root), number
            assert _receipts(backend, list(seen_receipts)) == seen_receipts

        # The restarted node still admits and seals, continuing from the committed nonce.
        account = Account.from_key(backend.accounts["enterprise1"]["privateKey"])
        nonce = int(rpc(backend.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
        signed = account.sign_transaction({"to": account.address, "value": 0, "gas": 21_000,
                                           "gasPrice": 0, "nonce": nonce, "chainId": backend.chain_id})
        tx_hash = rpc(backend.url, "eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()])
        deadline = time.monotonic() + 30
        while rpc(backend.url, "eth_getTransactionReceipt", [tx_hash]) is None:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    finally:
        backend.stop()
