"""One RPC conformance suite, run with web3.py against our node and against anvil.

`TestWeb3Conformance` runs every test on both backends (the `backend` fixture is
parametrized). `test_spec_fixed_fields_equal_anvil` runs one scenario on both and compares
the fields the Ethereum spec fixes: status, logs, gasUsed, return and revert data,
receiptsRoot.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import websockets
from eth_account import Account
from web3 import AsyncWeb3, Web3, WebSocketProvider
from web3.exceptions import ContractCustomError, ContractLogicError, Web3RPCError
from web3.middleware import ExtraDataToPOAMiddleware

from testing.devnet import Backend, rpc
from tests.ledger_node.probe import probe_artifact


def _w3(backend: Backend) -> Web3:
    w3 = Web3(Web3.HTTPProvider(backend.url, request_kwargs={"timeout": 60}))
    # Clique puts the seal in extraData (97 bytes); web3.py needs its POA middleware for any
    # Clique chain (geth's too). Harmless on anvil.
    w3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    return w3


def _send(w3: Web3, backend: Backend, role: str, tx: dict[str, Any]) -> Any:
    """Sign `tx` with the role's key (nonce, gas, price filled in) and wait for the receipt."""
    account = Account.from_key(backend.accounts[role]["privateKey"])
    tx = dict(tx)
    tx.setdefault("from", account.address)
    tx.setdefault("nonce", w3.eth.get_transaction_count(account.address, "pending"))
    tx.setdefault("chainId", backend.chain_id)
    tx.setdefault("gasPrice", w3.eth.gas_price)
    if "gas" not in tx:
        tx["gas"] = w3.eth.estimate_gas({k: v for k, v in tx.items() if k != "nonce"}) + 10_000
    signed = account.sign_transaction(tx)
    tx_hash = w3.eth.send_raw_transaction(signed.raw_transaction)
    return w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.1)


def _deploy_probe(w3: Web3, backend: Backend, role: str, initial: int = 7) -> Any:
    artifact = probe_artifact()
    factory = w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
    data = factory.constructor(initial).build_transaction({"gas": 0, "gasPrice": 0})["data"]
    receipt = _send(w3, backend, role, {"data": data})
    assert receipt.status == 1
    return w3.eth.contract(address=receipt.contractAddress, abi=artifact["abi"])


@pytest.fixture(scope="session")
def probe(backend: Backend) -> Any:
    """A Probe contract deployed by enterprise1 on the backend under test."""
    return _deploy_probe(_w3(backend), backend, "enterprise1")


class TestWeb3Conformance:
    def test_chain_identity(self, backend: Backend) -> None:
        w3 = _w3(backend)
        assert w3.eth.chain_id == backend.chain_id
        assert w3.net.version == str(backend.chain_id)
        assert w3.eth.syncing is False
        assert w3.eth.block_number >= 0
        assert isinstance(w3.client_version, str)
        assert w3.eth.gas_price >= 0
        assert rpc(backend.url, "net_listening") is True

    def test_latest_block_shape(self, backend: Backend) -> None:
        block = _w3(backend).eth.get_block("latest")
        for key in ("hash", "parentHash", "stateRoot", "receiptsRoot", "transactionsRoot",
                    "logsBloom", "gasLimit", "gasUsed", "timestamp", "baseFeePerGas"):
            assert key in block
        assert block.baseFeePerGas == 0

    def test_fee_history(self, backend: Backend) -> None:
        history = _w3(backend).eth.fee_history(2, "latest", [50])
        assert len(history.baseFeePerGas) == len(history.gasUsedRatio) + 1
        assert all(fee == 0 for fee in history.baseFeePerGas)

    def test_deploy_call_and_code(self, backend: Backend, probe: Any) -> None:
        w3 = _w3(backend)
        assert probe.functions.stored().call() >= 0
        assert len(w3.eth.get_code(probe.address)) > 0
        a = b"\x11" * 32
        assert probe.functions.echo(a, 12345).call() == [a, 12345]

    def test_send_and_receipt_logs(self, backend: Backend, probe: Any) -> None:
        w3 = _w3(backend)
        data = probe.functions.store(42, b"hello").build_transaction({"gas": 0, "gasPrice": 0})
        receipt = _send(w3, backend, "enterprise1", {"to": probe.address, "data": data["data"]})
        assert receipt.status == 1
        (event,) = probe.events.Stored().process_receipt(receipt)
        assert event.args.value == 42 and event.args.note == b"hello"
        assert probe.functions.stored().call() == 42
        tx = w3.eth.get_transaction(receipt.transactionHash)
        assert tx.blockNumber == receipt.blockNumber and tx.to == probe.address
        block = w3.eth.get_block(receipt.blockNumber)
        assert receipt.transactionHash in block.transactions
        assert w3.eth.get_block_transaction_count(receipt.blockNumber) == len(block.transactions)
        assert w3.eth.get_block(block.hash).number == block.number
        slot0 = w3.eth.get_storage_at(probe.address, 0)
        assert int.from_bytes(slot0, "big") == 42

    def test_get_logs_filters(self, backend: Backend, probe: Any) -> None:
        w3 = _w3(backend)
        data = probe.functions.store(77, b"x").build_transaction({"gas": 0, "gasPrice": 0})
        receipt = _send(w3, backend, "enterprise1", {"to": probe.address, "data": data["data"]})
        topic0 = Web3.keccak(text="Stored(address,uint256,bytes)")
        value_topic = (77).to_bytes(32, "big")
        logs = w3.eth.get_logs({
            "fromBlock": receipt.blockNumber, "toBlock": receipt.blockNumber,
            "address": probe.address, "topics": [topic0, None, value_topic],
        })
        assert len(logs) == 1 and logs[0].transactionHash == receipt.transactionHash
        none = w3.eth.get_logs({
            "fromBlock": receipt.blockNumber, "toBlock": receipt.blockNumber,
            "address": probe.address, "topics": [topic0, None, (78).to_bytes(32, "big")],
        })
        assert none == []
        by_hash = w3.eth.get_logs({"blockHash": receipt.blockHash, "address": [probe.address]})
        assert any(log.transactionHash == receipt.transactionHash for log in by_hash)

    def test_revert_reason_and_custom_error(self, backend: Backend, probe: Any) -> None:
        with pytest.raises(ContractLogicError, match="nope"):
            probe.functions.failWithReason("nope").call()
        with pytest.raises(ContractCustomError) as caught:
            probe.functions.failWithError(5).call()
        selector = Web3.keccak(text="Refused(address,uint256)")[:4]
        assert bytes.fromhex(str(caught.value.data)[2:])[:4] == selector
        with pytest.raises(ContractLogicError, match="value too large"):
            probe.functions.failRequire(100).estimate_gas()

    def test_reverted_transaction_has_status_zero(self, backend: Backend, probe: Any) -> None:
        w3 = _w3(backend)
        data = probe.functions.failRequire(100).build_transaction({"gas": 0, "gasPrice": 0})
        receipt = _send(w3, backend, "enterprise1",
                        {"to": probe.address, "data": data["data"], "gas": 100_000})
        assert receipt.status == 0 and receipt.logs == []

    def test_polling_filters(self, backend: Backend, probe: Any) -> None:
        w3 = _w3(backend)
        log_filter = w3.eth.filter({"address": probe.address})
        block_filter = w3.eth.filter("latest")
        data = probe.functions.ping().build_transaction({"gas": 0, "gasPrice": 0})
        receipt = _send(w3, backend, "enterprise1", {"to": probe.address, "data": data["data"]})
        changes = log_filter.get_new_entries()
        assert [c.transactionHash for c in changes] == [receipt.transactionHash]
        assert log_filter.get_new_entries() == []
        assert receipt.blockHash in block_filter.get_new_entries()
        assert any(e.transactionHash == receipt.transactionHash for e in log_filter.get_all_entries())
        assert w3.eth.uninstall_filter(log_filter.filter_id) is True
        assert w3.eth.uninstall_filter(log_filter.filter_id) is False

    def test_websocket_subscriptions(self, backend: Backend, probe: Any) -> None:
        w3 = _w3(backend)
        topic0 = "0x" + Web3.keccak(text="Pinged(uint256)").hex().removeprefix("0x")

        async def scenario() -> tuple[dict[str, Any], dict[str, Any], Any]:
            async with websockets.connect(backend.ws_url) as ws:
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe",
                                          "params": ["newHeads"]}))
                heads_id = json.loads(await ws.recv())["result"]
                await ws.send(json.dumps({"jsonrpc": "2.0", "id": 2, "method": "eth_subscribe",
                                          "params": ["logs", {"address": probe.address,
                                                              "topics": [topic0]}]}))
                logs_id = json.loads(await ws.recv())["result"]
                data = probe.functions.ping().build_transaction({"gas": 0, "gasPrice": 0})
                receipt = await asyncio.to_thread(
                    _send, w3, backend, "enterprise1", {"to": probe.address, "data": data["data"]})
                head = log = None
                while head is None or log is None:
                    message = json.loads(await asyncio.wait_for(ws.recv(), timeout=30))
                    params = message["params"]
                    if params["subscription"] == heads_id and params["result"]["number"] == hex(
                            receipt.blockNumber):
                        head = params["result"]
                    elif params["subscription"] == logs_id:
                        log = params["result"]
                return head, log, receipt

        head, log, receipt = asyncio.run(scenario())
        assert head["hash"] == "0x" + receipt.blockHash.hex().removeprefix("0x")
        assert log["transactionHash"] == "0x" + receipt.transactionHash.hex().removeprefix("0x")
        assert log["address"].lower() == probe.address.lower()

    def test_web3_websocket_subscription(self, backend: Backend, probe: Any) -> None:
        """The same with web3.py's own WebSocketProvider and subscription API."""
        w3 = _w3(backend)

        async def scenario() -> tuple[Any, Any]:
            async with AsyncWeb3(WebSocketProvider(backend.ws_url)) as aw3:
                aw3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
                await aw3.eth.subscribe("logs", {"address": probe.address})
                await aw3.eth.subscribe("newHeads")
                data = probe.functions.store(5, b"ws").build_transaction({"gas": 0, "gasPrice": 0})
                receipt = await asyncio.to_thread(
                    _send, w3, backend, "enterprise1", {"to": probe.address, "data": data["data"]})
                log = head = None
                async def collect() -> None:
                    nonlocal log, head
                    async for message in aw3.socket.process_subscriptions():
                        result = message["result"]
                        if "topics" in result:
                            log = result
                        elif result.get("number") == receipt.blockNumber:
                            head = result
                        if log is not None and head is not None:
                            return
                await asyncio.wait_for(collect(), timeout=30)
                return log, (head, receipt)

        log, (head, receipt) = asyncio.run(scenario())
        assert log["transactionHash"] == receipt.transactionHash
        (event,) = [probe.events.Stored().process_log(log)]
        assert event.args.value == 5
        assert head["hash"] == receipt.blockHash

    def test_unknown_things_are_null(self, backend: Backend) -> None:
        assert rpc(backend.url, "eth_getTransactionReceipt", ["0x" + "ab" * 32]) is None
        assert rpc(backend.url, "eth_getTransactionByHash", ["0x" + "ab" * 32]) is None
        assert rpc(backend.url, "eth_getBlockByHash", ["0x" + "ab" * 32, False]) is None
        assert rpc(backend.url, "eth_getBlockByNumber", ["0xffffff", False]) is None

    def test_error_codes(self, backend: Backend) -> None:
        with pytest.raises(RuntimeError) as caught:
            rpc(backend.url, "eth_noSuchMethod")
        assert caught.value.args[0]["code"] == -32601
        with pytest.raises(RuntimeError) as caught:
            rpc(backend.url, "eth_getBalance", ["0x1234", "latest"])
        assert caught.value.args[0]["code"] == -32602

    def test_nonce_too_low_is_rejected(self, backend: Backend) -> None:
        w3 = _w3(backend)
        account = Account.from_key(backend.accounts["enterprise1"]["privateKey"])
        signed = account.sign_transaction({
            "to": account.address, "value": 0, "gas": 21_000, "gasPrice": 0, "nonce": 0,
            "chainId": backend.chain_id,
        })
        with pytest.raises(Web3RPCError, match="nonce too low"):
            w3.eth.send_raw_transaction(signed.raw_transaction)


# ---------------------------------------------------------------------- cross-node equality


def _scenario(backend: Backend) -> dict[str, Any]:
    """Deploy and exercise a Probe from enterprise2 (used nowhere else), one tx per block."""
    w3 = _w3(backend)
    artifact = probe_artifact()
    results: dict[str, Any] = {"receipts": [], "calls": {}, "reverts": {}}
    probe = _deploy_probe(w3, backend, "enterprise2", initial=3)
    calls = [
        probe.functions.store(9, b"first"),
        probe.functions.ping(),
        probe.functions.store(2**200, b"\x00" * 40),
        probe.functions.failRequire(500),
        probe.functions.ping(),
    ]
    deploy_receipt = w3.eth.get_transaction_receipt(
        w3.eth.get_block(w3.eth.block_number).transactions[-1])
    receipts = [deploy_receipt]
    for function in calls:
        data = function.build_transaction({"gas": 0, "gasPrice": 0})["data"]
        receipts.append(_send(w3, backend, "enterprise2",
                              {"to": probe.address, "data": data, "gas": 200_000}))
    for receipt in receipts:
        block = w3.eth.get_block(receipt.blockNumber)
        results["receipts"].append({
            "status": receipt.status,
            "gasUsed": receipt.gasUsed,
            "contractAddress": receipt.contractAddress,
            "logs": [(log.address, [t.hex() for t in log.topics], log.data.hex())
                     for log in receipt.logs],
            "logsBloom": receipt.logsBloom.hex(),
            "receiptsRoot": block.receiptsRoot.hex() if len(block.transactions) == 1 else None,
        })
    results["calls"]["stored"] = probe.functions.stored().call()
    results["calls"]["echo"] = rpc(backend.url, "eth_call", [{
        "to": probe.address,
        "data": probe.encode_abi("echo", [b"\x01" * 32, 99]),
    }, "latest"])
    for name, args in (("failWithReason", ["why"]), ("failWithError", [7]), ("divide", [1, 0])):
        try:
            rpc(backend.url, "eth_call", [{
                "from": backend.accounts["enterprise2"]["address"],
                "to": probe.address, "data": probe.encode_abi(name, args)}, "latest"])
            results["reverts"][name] = None
        except RuntimeError as exc:
            error = exc.args[0]
            results["reverts"][name] = (error["code"], error.get("data"))
    results["abi_ok"] = bool(artifact["abi"])
    return results


def test_spec_fixed_fields_equal_anvil(ledger_backend: Backend, anvil_backend: Backend) -> None:
    ours = _scenario(ledger_backend)
    theirs = _scenario(anvil_backend)
    assert [r["status"] for r in ours["receipts"]] == [1, 1, 1, 1, 0, 1]
    for mine, reference in zip(ours["receipts"], theirs["receipts"], strict=True):
        assert mine["status"] == reference["status"]
        assert mine["gasUsed"] == reference["gasUsed"]
        assert mine["contractAddress"] == reference["contractAddress"]
        assert mine["logs"] == reference["logs"]
        assert mine["logsBloom"] == reference["logsBloom"]
        if mine["receiptsRoot"] and reference["receiptsRoot"]:
            assert mine["receiptsRoot"] == reference["receiptsRoot"]
    assert sum(1 for r in ours["receipts"] if r["receiptsRoot"]) >= 5
    assert ours["calls"] == theirs["calls"]
    assert ours["reverts"] == theirs["reverts"]
    assert ours["reverts"]["failWithReason"][0] == 3
