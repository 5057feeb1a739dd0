"""Issue 13, the node side: each hostile probe against a real node gets a clear refusal,
and afterwards the node still answers eth_blockNumber and seals a new block within two
periods (plus LOAD_SLACK_S: the tests share two cores with other suites).

One node (`--empty-blocks`, period 1 s) serves every probe in this module, so a probe that
broke it would also fail the probes after it.
"""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import websockets
from eth_account import Account

from anchoring.core.json_depth import MAX_JSON_DEPTH
from ledger_node.execution import CALL_TIME_LIMIT_S, RPC_GAS_CAP
from ledger_node.rpc.admin import admin_rpc
from ledger_node.rpc.server import MAX_BATCH_ITEMS, MAX_WS_CONNECTIONS
from ledger_node.txpool import MAX_TX_GAS
from testing.devnet import Backend, rpc, wait_receipt
from tests.ledger_node.sealing import (
    LOAD_SLACK_S,
    assert_alive_and_sealing,
    sealing_dev_node,
)

BLAKE2F = "0x" + "00" * 19 + "09"
JSON = {"content-type": "application/json"}


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    yield from sealing_dev_node(tmp_path_factory.mktemp("hardened"))


def _call(method: str, params: list[Any]) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}


def _blake2f_input(rounds: int) -> str:
    # EIP-152: rounds (4 bytes BE) ‖ h (64) ‖ m (128) ‖ t (16) ‖ f (1)
    return "0x" + rounds.to_bytes(4, "big").hex() + "00" * 64 + "00" * 128 + "00" * 16 + "01"


def _deep_body(depth: int) -> bytes:
    # ~200 KB nested 100,000 deep at depth=100_000: the body from the issue.
    return b'{"a":' * (depth // 2) + b"[" * (depth - depth // 2) + b"1" + b"]" * (
        depth - depth // 2) + b"}" * (depth // 2)


def test_deeply_nested_body_is_refused_and_node_survives(node: Backend) -> None:
    for body in (_deep_body(100_000), b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1)):
        response = httpx.post(node.url, content=body, headers=JSON, timeout=10)
        error = response.json()["error"]
        assert error["code"] == -32600
        assert error["message"] == f"request too deeply nested (limit {MAX_JSON_DEPTH})"

    async def over_websocket() -> list[dict[str, Any]]:
        async with websockets.connect(node.ws_url, max_size=None) as ws:
            answers = []
            for body in (_deep_body(100_000), _deep_body(100_000).decode()):
                await ws.send(body)
                answers.append(json.loads(await ws.recv()))
            await ws.send(json.dumps(_call("eth_blockNumber", [])))  # the connection lives on
            answers.append(json.loads(await ws.recv()))
            return answers

    *refusals, still_open = asyncio.run(over_websocket())
    assert [r["error"]["code"] for r in refusals] == [-32600, -32600]
    assert "result" in still_open
    # A legitimate batch nested well within the limit is still served.
    batch = [_call("eth_getLogs", [{"topics": [[None, None]]}])]
    assert "result" in httpx.post(node.url, json=batch, timeout=10).json()[0]
    assert_alive_and_sealing(node)


def test_text_plain_refused(node: Backend) -> None:
    body = json.dumps(_call("eth_blockNumber", [])).encode()
    for content_type in ("text/plain", "application/x-www-form-urlencoded",
                         "multipart/form-data; boundary=x", "application/json; charset=latin-1",
                         None):
        headers = {} if content_type is None else {"content-type": content_type}
        response = httpx.post(node.url, content=body, headers=headers, timeout=10)
        assert response.status_code == 415, content_type
        assert response.json()["error"]["code"] == -32600
    for content_type in ("application/json", "application/json; charset=utf-8",
                         "Application/JSON;charset=UTF-8"):
        response = httpx.post(node.url, content=body, headers={"content-type": content_type})
        assert "result" in response.json(), content_type
    assert_alive_and_sealing(node)


def test_foreign_origin_refused(node: Backend) -> None:
    # A write: reads from any origin are served (test_browser_reads.py, issue 15).
    body = _call("eth_sendRawTransaction", ["0x00"])
    for origin in ("http://evil.example", "null", "http://127.0.0.1:9999"):
        response = httpx.post(node.url, json=body, headers={"origin": origin}, timeout=10)
        assert response.status_code == 403, origin
        assert response.json()["error"]["message"] == "origin not allowed"

    async def handshake() -> None:
        async with websockets.connect(node.ws_url, origin="http://evil.example"):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(handshake())
    assert refused.value.response.status_code == 403
    # A configured origin is served (with CORS headers): test_admission.py
    # test_cors_only_for_configured_origins.
    assert_alive_and_sealing(node)


def test_rebinding_host_refused(node: Backend) -> None:
    body = _call("eth_blockNumber", [])
    port = node.url.rsplit(":", 1)[1]
    for host in (f"evil.example:{port}", "evil.example", "127.0.0.1.evil.example",
                 f"[::2]:{port}", "10.0.0.1"):
        response = httpx.post(node.url, json=body, headers={"host": host}, timeout=10)
        assert response.status_code == 403, host
        assert response.json()["error"]["message"] == "invalid host specified"
    for host in (f"localhost:{port}", f"127.0.0.1:{port}", f"[::1]:{port}", "LOCALHOST."):
        assert "result" in httpx.post(node.url, json=body, headers={"host": host}).json(), host

    async def handshake() -> None:
        # A page on evil.example whose name resolves to 127.0.0.1: the socket goes to the
        # node, the Host header names the attacker's domain.
        sock = socket.create_connection(("127.0.0.1", int(port)))
        async with websockets.connect(f"ws://evil.example:{port}", sock=sock):
            pass

    with pytest.raises(websockets.InvalidStatus) as refused:
        asyncio.run(handshake())
    assert refused.value.response.status_code == 403
    assert_alive_and_sealing(node)


def test_clique_propose_not_on_public_rpc(node: Backend) -> None:
    sealer = node.accounts["sealer"]["address"]

    async def over_ws(message: dict[str, Any]) -> Any:
        async with websockets.connect(node.ws_url) as ws:
            await ws.send(json.dumps(message))
            return json.loads(await ws.recv())

    for method, params in (("clique_propose", [sealer, False]), ("clique_discard", [sealer])):
        over_http = httpx.post(node.url, json=_call(method, params), timeout=10).json()
        assert over_http["error"]["code"] == -32601, method
        assert asyncio.run(over_ws(_call(method, params)))["error"]["code"] == -32601, method
    # Read-only Clique methods stay public; the admin socket is the operator's only.
    assert rpc(node.url, "clique_getSigners") == [sealer]
    assert rpc(node.url, "clique_getProposals") == {}
    assert node.data_dir is not None
    socket_path = node.data_dir / "admin.sock"
    assert socket_path.stat().st_mode & 0o777 == 0o600
    assert admin_rpc(node.data_dir, "clique_getProposals", []) == {}
    assert_alive_and_sealing(node)


def test_blake2f_eth_call_times_out_and_chain_keeps_sealing(node: Backend) -> None:
    # 40M rounds cost 40M gas (under the 50M cap) and would run for minutes in py-evm.
    rounds = 40_000_000
    assert rounds < RPC_GAS_CAP
    started = time.monotonic()
    with httpx.Client(timeout=60) as client:
        answers = [client.post(node.url, json=_call(method, [
            {"to": BLAKE2F, "data": _blake2f_input(rounds), "gas": hex(rounds + 100_000)},
            "latest"])).json() for method in ("eth_call", "eth_estimateGas")]
    for answer in answers:
        assert answer["error"]["code"] == -32000
        assert answer["error"]["message"].startswith("execution timeout")
    assert time.monotonic() - started < 2 * (CALL_TIME_LIMIT_S + LOAD_SLACK_S)
    # A small BLAKE2F call still computes EIP-152's function (12 rounds of "abc" elsewhere).
    assert len(rpc(node.url, "eth_call", [{"to": BLAKE2F, "data": _blake2f_input(12)}])) == 130
    assert_alive_and_sealing(node)


def test_slow_calls_do_not_block_other_requests(node: Backend) -> None:
    async def probe() -> tuple[list[Any], float]:
        async with httpx.AsyncClient(timeout=60) as client:
            slow = [asyncio.create_task(client.post(node.url, json=_call("eth_call", [
                {"to": BLAKE2F, "data": _blake2f_input(40_000_000)}])))
                for _ in range(3)]
            await asyncio.sleep(0.3)
            started = time.monotonic()
            quick = await client.post(node.url, json=_call("eth_blockNumber", []))
            waited = time.monotonic() - started
            assert "result" in quick.json()
            return [(await task).json() for task in slow], waited

    answers, waited = asyncio.run(probe())
    # The event loop answered while the calls ran in their worker threads.
    assert waited < CALL_TIME_LIMIT_S
    codes = sorted(a["error"]["code"] for a in answers)
    assert all(code in (-32000, -32005) for code in codes), answers
    assert_alive_and_sealing(node)


def test_deep_call_chain_within_evm_limit_still_works(node: Backend) -> None:
    # A contract that calls itself until gas runs out reaches EVM call depth ~800 at the
    # 50M cap: the node's recursion limit must allow it (ledger_node/recursion.py).
    # Runtime code: CALL(gas, ADDRESS, 0, 0, 0, 0, 0); STOP. Init code: PUSH14 runtime,
    # MSTORE at 0 (right-aligned: bytes 18..31), RETURN(18, 14).
    runtime = bytes.fromhex("6000600060006000600030" "5a" "f1" "00")
    init = bytes.fromhex("6d") + runtime + bytes.fromhex("600052" "600e6012" "f3")
    assert len(runtime) == 14
    address = rpc(node.url, "eth_call", [{"data": "0x" + init.hex()}])
    assert address == "0x" + runtime.hex()  # the init code returns the runtime code
    sender = Account.from_key(node.accounts["admin"]["privateKey"])
    nonce = int(rpc(node.url, "eth_getTransactionCount", [sender.address, "pending"]), 16)
    raw = sender.sign_transaction({"data": init, "gas": 1_000_000, "gasPrice": 0,
                                   "nonce": nonce, "chainId": node.chain_id}).raw_transaction
    tx_hash = rpc(node.url, "eth_sendRawTransaction", ["0x" + bytes(raw).hex()])
    receipt = wait_receipt(node, tx_hash)
    contract = receipt["contractAddress"]
    assert rpc(node.url, "eth_getCode", [contract]) == "0x" + runtime.hex()
    assert rpc(node.url, "eth_call", [{"to": contract, "gas": hex(RPC_GAS_CAP)}]) == "0x"
    assert_alive_and_sealing(node)


def _signed(backend: Backend, role: str, nonce: int, **fields: Any) -> str:
    account = Account.from_key(backend.accounts[role]["privateKey"])
    tx = {"to": account.address, "value": 0, "gas": 21_000, "gasPrice": 0, "nonce": nonce,
          "chainId": backend.chain_id, **fields}
    return "0x" + bytes(account.sign_transaction(tx).raw_transaction).hex()


def test_transaction_gas_over_cap_refused(node: Backend) -> None:
    admin = node.accounts["admin"]["address"]
    nonce = int(rpc(node.url, "eth_getTransactionCount", [admin, "pending"]), 16)
    with pytest.raises(RuntimeError) as refused:
        rpc(node.url, "eth_sendRawTransaction", [_signed(node, "admin", nonce,
                                                         gas=MAX_TX_GAS + 1)])
    error = refused.value.args[0]
    assert error["code"] == -32000
    assert error["message"].startswith("gas limit exceeds the per-transaction cap")
    assert_alive_and_sealing(node)


def test_heavy_member_transaction_does_not_stall_sealing(node: Backend) -> None:
    admin = node.accounts["admin"]["address"]
    nonce = int(rpc(node.url, "eth_getTransactionCount", [admin, "pending"]), 16)
    # 29M BLAKE2F rounds: within the per-transaction gas cap, minutes of py-evm time.
    heavy = rpc(node.url, "eth_sendRawTransaction", [_signed(
        node, "admin", nonce, to=BLAKE2F, data=_blake2f_input(29_000_000), gas=MAX_TX_GAS)])
    other = node.accounts["anchorer"]["address"]
    other_nonce = int(rpc(node.url, "eth_getTransactionCount", [other, "pending"]), 16)
    light = rpc(node.url, "eth_sendRawTransaction", [_signed(node, "anchorer", other_nonce)])
    receipt = wait_receipt(node, light, timeout=20)
    assert receipt["status"] == "0x1"
    # The heavy one was left out of the block (its effects reverted) and dropped.
    deadline = time.monotonic() + 20
    while rpc(node.url, "eth_getTransactionByHash", [heavy]) is not None:
        assert time.monotonic() < deadline, "heavy transaction still pending or included"
        time.sleep(0.2)
    assert rpc(node.url, "eth_getTransactionReceipt", [heavy]) is None
    assert int(rpc(node.url, "eth_getTransactionCount", [admin, "latest"]), 16) == nonce
    assert node.log_path is not None
    assert "left out of the block: execution timeout" in node.log_path.read_text()
    # The sender's next transaction, at the same nonce, is accepted and included.
    again = rpc(node.url, "eth_sendRawTransaction", [_signed(node, "admin", nonce)])
    assert wait_receipt(node, again)["status"] == "0x1"
    assert_alive_and_sealing(node)


def test_ws_batch_too_large_refused(node: Backend) -> None:
    async def probe() -> tuple[Any, Any]:
        async with websockets.connect(node.ws_url, max_size=None) as ws:
            await ws.send(json.dumps([_call("eth_chainId", [])] * (MAX_BATCH_ITEMS + 1)))
            refused = json.loads(await ws.recv())
            await ws.send(json.dumps([_call("eth_chainId", [])] * 2))
            return refused, json.loads(await ws.recv())

    refused, served = asyncio.run(probe())
    assert refused["error"]["code"] == -32600 and "batch too large" in refused["error"]["message"]
    assert len(served) == 2
    assert_alive_and_sealing(node)


def test_ws_connection_limit(node: Backend) -> None:
    async def probe() -> tuple[int | None, str, Any]:
        connections = [await websockets.connect(node.ws_url)
                       for _ in range(MAX_WS_CONNECTIONS)]
        try:
            for ws in connections[:3]:  # the ones inside the limit are served
                await ws.send(json.dumps(_call("eth_blockNumber", [])))
                assert "result" in json.loads(await ws.recv())
            extra = await websockets.connect(node.ws_url)
            with pytest.raises(websockets.ConnectionClosed):
                await extra.recv()
            code, reason = extra.close_code, extra.close_reason or ""
        finally:
            for ws in connections:
                await ws.close()
        # Once connections close, new ones are served again.
        async with websockets.connect(node.ws_url) as ws:
            await ws.send(json.dumps(_call("eth_blockNumber", [])))
            return code, reason, json.loads(await ws.recv())

    code, reason, after = asyncio.run(probe())
    assert code == 1013
    assert reason == f"too many connections (limit {MAX_WS_CONNECTIONS})"
    assert "result" in after
    assert_alive_and_sealing(node)
