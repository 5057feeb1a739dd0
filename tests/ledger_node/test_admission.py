"""Admission and bad input against a running node: the right JSON-RPC error, and the node
keeps serving with nothing half-written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
import rlp
from eth_account import Account

from ledger_node.errors import RpcError
from ledger_node.genesis import init_data_dir
from ledger_node.node import LedgerNode, NodeSettings
from ledger_node.rpc import methods
from ledger_node.rpc.methods import EthApi
from testing.devnet import Backend, rpc, wait_receipt


def _post(backend: Backend, payload: Any) -> httpx.Response:
    return httpx.post(backend.url, content=payload if isinstance(payload, bytes) else None,
                      json=None if isinstance(payload, bytes) else payload, timeout=30,
                      headers={"content-type": "application/json"})


def _error_of(backend: Backend, method: str, params: list[Any]) -> dict[str, Any]:
    with pytest.raises(RuntimeError) as caught:
        rpc(backend.url, method, params)
    return caught.value.args[0]  # type: ignore[no-any-return]


def _raw(account: Any, nonce: int, chain_id: int, **fields: Any) -> str:
    tx = {"to": account.address, "value": 0, "gas": 21_000, "gasPrice": 0, "nonce": nonce,
          "chainId": chain_id, **fields}
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def _account(backend: Backend, role: str) -> Any:
    return Account.from_key(backend.accounts[role]["privateKey"])


def _pending_nonce(backend: Backend, address: str) -> int:
    return int(rpc(backend.url, "eth_getTransactionCount", [address, "pending"]), 16)


def test_non_member_is_refused_with_a_clear_message(ledger_backend: Backend) -> None:
    stranger = Account.create()
    error = _error_of(ledger_backend, "eth_sendRawTransaction",
                      [_raw(stranger, 0, ledger_backend.chain_id)])
    assert error["code"] == -32000
    assert "not a member" in error["message"] and stranger.address in error["message"]


def test_wrong_chain_id_and_unprotected_transactions(ledger_backend: Backend) -> None:
    admin = _account(ledger_backend, "admin")
    nonce = _pending_nonce(ledger_backend, admin.address)
    error = _error_of(ledger_backend, "eth_sendRawTransaction", [_raw(admin, nonce, 1)])
    assert error["code"] == -32000 and "chain id" in error["message"]
    unprotected = admin.sign_transaction(
        {"to": admin.address, "value": 0, "gas": 21_000, "gasPrice": 0, "nonce": nonce})
    error = _error_of(ledger_backend, "eth_sendRawTransaction",
                      ["0x" + bytes(unprotected.raw_transaction).hex()])
    assert error["code"] == -32000 and "EIP-155" in error["message"]


def test_bad_signature_and_garbage_bytes(ledger_backend: Backend) -> None:
    admin = _account(ledger_backend, "admin")
    raw = bytes.fromhex(_raw(admin, 0, ledger_backend.chain_id)[2:])
    fields = rlp.decode(raw)
    fields[-1] = b""  # s = 0: no valid signature
    error = _error_of(ledger_backend, "eth_sendRawTransaction", ["0x" + rlp.encode(fields).hex()])
    assert error["code"] == -32000 and "invalid sender" in error["message"]
    assert _error_of(ledger_backend, "eth_sendRawTransaction", ["0x1234"])["code"] == -32602
    assert _error_of(ledger_backend, "eth_sendRawTransaction", ["0xzz"])["code"] == -32602
    assert _error_of(ledger_backend, "eth_sendRawTransaction", [12])["code"] == -32602


def test_gas_checks(ledger_backend: Backend) -> None:
    admin = _account(ledger_backend, "admin")
    nonce = _pending_nonce(ledger_backend, admin.address)
    error = _error_of(ledger_backend, "eth_sendRawTransaction",
                      [_raw(admin, nonce, ledger_backend.chain_id, gas=20_000)])
    assert "intrinsic gas too low" in error["message"]
    error = _error_of(ledger_backend, "eth_sendRawTransaction",
                      [_raw(admin, nonce, ledger_backend.chain_id, gas=2_000_000_000)])
    assert "exceeds block gas limit" in error["message"]


def test_nonce_gap_is_queued_then_promoted(ledger_backend: Backend) -> None:
    regulator = _account(ledger_backend, "regulator")
    nonce = _pending_nonce(ledger_backend, regulator.address)
    later = rpc(ledger_backend.url, "eth_sendRawTransaction",
                [_raw(regulator, nonce + 1, ledger_backend.chain_id)])
    assert _pending_nonce(ledger_backend, regulator.address) == nonce  # still waiting
    error = _error_of(ledger_backend, "eth_sendRawTransaction",
                      [_raw(regulator, nonce + 1, ledger_backend.chain_id)])
    assert error["message"] == "already known"
    first = rpc(ledger_backend.url, "eth_sendRawTransaction",
                [_raw(regulator, nonce, ledger_backend.chain_id)])
    assert _pending_nonce(ledger_backend, regulator.address) == nonce + 2
    first_receipt = wait_receipt(ledger_backend, first)
    later_receipt = wait_receipt(ledger_backend, later)
    assert (int(first_receipt["blockNumber"], 16), int(first_receipt["transactionIndex"], 16)) < (
        int(later_receipt["blockNumber"], 16), int(later_receipt["transactionIndex"], 16))


def test_replacement_rules(ledger_backend: Backend) -> None:
    anchorer = _account(ledger_backend, "anchorer")
    nonce = _pending_nonce(ledger_backend, anchorer.address)
    chain_id = ledger_backend.chain_id
    gap = nonce + 1  # queued, so it cannot be mined while we replace it
    rpc(ledger_backend.url, "eth_sendRawTransaction", [_raw(anchorer, gap, chain_id, value=1)])
    error = _error_of(ledger_backend, "eth_sendRawTransaction",
                      [_raw(anchorer, gap, chain_id, value=2)])
    assert error["message"] == "replacement transaction underpriced"
    replacement = rpc(ledger_backend.url, "eth_sendRawTransaction",
                      [_raw(anchorer, gap, chain_id, value=3, gasPrice=10**9)])
    first = rpc(ledger_backend.url, "eth_sendRawTransaction", [_raw(anchorer, nonce, chain_id)])
    wait_receipt(ledger_backend, first)
    receipt = wait_receipt(ledger_backend, replacement)
    assert receipt["status"] == "0x1"
    assert rpc(ledger_backend.url, "eth_getTransactionByHash", [replacement])["value"] == "0x3"


def test_future_queue_is_bounded(ledger_backend: Backend) -> None:
    admin = _account(ledger_backend, "admin")
    base = _pending_nonce(ledger_backend, admin.address) + 1_000
    batch = [
        {"jsonrpc": "2.0", "id": i, "method": "eth_sendRawTransaction",
         "params": [_raw(admin, base + i, ledger_backend.chain_id)]}
        for i in range(70)
    ]
    responses = _post(ledger_backend, batch).json()
    accepted = [r for r in responses if "result" in r]
    refused = [r for r in responses if "error" in r]
    assert len(accepted) == 64
    assert all("txpool is full" in r["error"]["message"] for r in refused)


def test_malformed_requests(ledger_backend: Backend) -> None:
    parse = _post(ledger_backend, b'{"jsonrpc": "2.0", "method": ').json()
    assert parse["error"]["code"] == -32700 and parse["id"] is None
    invalid = _post(ledger_backend, {"jsonrpc": "1.0", "id": 1, "method": "eth_chainId"}).json()
    assert invalid["error"]["code"] == -32600
    assert _post(ledger_backend, []).json()["error"]["code"] == -32600
    assert _post(ledger_backend, [1, 2]).json()[0]["error"]["code"] == -32600
    too_many = [{"jsonrpc": "2.0", "id": i, "method": "eth_chainId"} for i in range(1_001)]
    assert _post(ledger_backend, too_many).json()["error"]["code"] == -32600
    objects = _post(ledger_backend, {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId",
                                     "params": {"a": 1}}).json()
    assert objects["error"]["code"] == -32602
    wrong_types = [
        ("eth_getBalance", [123, "latest"]),
        ("eth_getBlockByNumber", ["0xnothex", False]),
        ("eth_getTransactionReceipt", ["0x12"]),
        ("eth_call", ["not an object", "latest"]),
        ("eth_getLogs", [{"topics": "0x00"}]),
        ("eth_chainId", [1]),
    ]
    for method, params in wrong_types:
        assert _error_of(ledger_backend, method, params)["code"] == -32602, method
    assert _error_of(ledger_backend, "eth_getBalance",
                     ["0x" + "00" * 20, "0x7fffffff"])["code"] == -32000


def test_oversize_request(ledger_backend: Backend) -> None:
    big = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["' + b"a" * (6 << 20) + b'"]}'
    response = httpx.post(ledger_backend.url, content=big, timeout=60,
                          headers={"content-type": "application/json"})
    assert response.status_code == 413
    assert response.json()["error"]["code"] == -32600
    assert rpc(ledger_backend.url, "eth_chainId") == hex(ledger_backend.chain_id)


def test_batch_with_notification_and_mixed_results(ledger_backend: Backend) -> None:
    batch = [
        {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"},
        {"jsonrpc": "2.0", "method": "eth_chainId"},  # notification: no response
        {"jsonrpc": "2.0", "id": "x", "method": "nope"},
    ]
    responses = _post(ledger_backend, batch).json()
    assert [r["id"] for r in responses] == [1, "x"]
    assert responses[1]["error"]["code"] == -32601


def test_get_logs_range_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    init_data_dir(tmp_path, dev=True)
    node = LedgerNode(NodeSettings(data_dir=tmp_path))
    try:
        api = EthApi(node)
        monkeypatch.setattr(methods, "MAX_LOG_BLOCK_RANGE", 1)
        with pytest.raises(RpcError) as caught:
            api.eth_getLogs([{"fromBlock": "0x0", "toBlock": "0x1"}])
        assert caught.value.code == -32005
        assert api.eth_getLogs([{"fromBlock": "0x1", "toBlock": "0x1"}])  # bootstrap events
    finally:
        node.close()


def test_no_cors_headers_by_default(ledger_backend: Backend) -> None:
    # For anything but a read: reads are open to every origin (test_browser_reads.py, issue 15).
    response = httpx.post(ledger_backend.url, json={"jsonrpc": "2.0", "id": 1,
                                                    "method": "eth_newBlockFilter"},
                          headers={"Origin": "http://127.0.0.1:8000"})
    assert "access-control-allow-origin" not in response.headers
    assert response.status_code == 403  # and the request itself is refused (issue 13)


def test_cors_only_for_configured_origins(tmp_path: Path) -> None:
    from testing.devnet import init_dev_dir, start_ledger_node

    init_dev_dir(tmp_path)
    backend = start_ledger_node(tmp_path, extra_args=["--cors-origin", "http://127.0.0.1:8000"])
    try:
        body = {"jsonrpc": "2.0", "id": 1, "method": "eth_chainId"}
        allowed = httpx.post(backend.url, json=body, headers={"Origin": "http://127.0.0.1:8000"})
        assert allowed.headers["access-control-allow-origin"] == "http://127.0.0.1:8000"
        write = {"jsonrpc": "2.0", "id": 1, "method": "eth_newBlockFilter"}  # reads: test_browser_reads.py
        other = httpx.post(backend.url, json=write, headers={"Origin": "http://evil.example"})
        assert "access-control-allow-origin" not in other.headers
        assert other.status_code == 403
    finally:
        backend.stop()
