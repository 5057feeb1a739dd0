"""Follower replicas (`node run --follow`): a follower started from genesis.json reaches the
authority's head and serves the same blocks read-only; given a lying upstream first and an
honest one second, it refuses the liar's block at the named check (a state root changed
and re-sealed with the real authority key, a forged seal, a removed transaction, a field
changed without re-hashing), reports it on /health and in its log, and follows the honest
node to the head."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import rlp
from eth.consensus.clique._utils import sign_block_header
from eth.consensus.clique.constants import SIGNATURE_LENGTH
from eth_account import Account
from eth_keys import keys as eth_keys

from ledger_node.chain import VANITY
from ledger_node.follower import header_from_json
from ledger_node.ordered_trie import compute_ordered_trie
from testing.devnet import Backend, init_dev_dir, rpc, start_ledger_node, wait_receipt
from testing.processes import Launched, free_port, python_command, repo_env

CATCH_UP_S = 60.0


@pytest.fixture(scope="module")
def authority(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Backend]:
    """A dev authority node with a few blocks of transactions."""
    data_dir = tmp_path_factory.mktemp("authority") / "data"
    init_dev_dir(data_dir)
    backend = start_ledger_node(data_dir)
    account = Account.from_key(backend.accounts["enterprise1"]["privateKey"])
    hashes = []
    for nonce in range(12):
        signed = account.sign_transaction({"to": account.address, "value": 1, "gas": 21_000,
                                           "gasPrice": 0, "nonce": nonce,
                                           "chainId": backend.chain_id})
        hashes.append(rpc(backend.url, "eth_sendRawTransaction",
                          ["0x" + bytes(signed.raw_transaction).hex()]))
        if nonce % 4 == 3:
            wait_receipt(backend, hashes[-1])
    yield backend
    backend.stop()


def _block_with_txs(backend: Backend) -> int:
    head = int(rpc(backend.url, "eth_blockNumber"), 16)
    for number in range(2, head + 1):
        block = rpc(backend.url, "eth_getBlockByNumber", [hex(number), False])
        if len(block["transactions"]) >= 2:
            return number
    raise AssertionError("no block with two transactions")


class Follower:
    """A `node run --follow` process over a fresh data dir."""

    def __init__(self, data_dir: Path, upstreams: list[str], genesis: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = data_dir.parent / f"follower-{self.port}.log"
        args = ["run", "--data-dir", str(data_dir), "--rpc-port", str(self.port),
                "--genesis", str(genesis)]
        for upstream in upstreams:
            args += ["--follow", upstream]
        self.launched = Launched(python_command("ledger_node", *args), env=repo_env(),
                                 log_path=self.log_path)

    def health(self) -> dict[str, Any]:
        return httpx.get(f"{self.url}/health", timeout=5).json()  # type: ignore[no-any-return]

    def wait_for_head(self, number: int) -> None:
        deadline = time.monotonic() + CATCH_UP_S
        while time.monotonic() < deadline:
            try:
                if self.health()["head"] >= number:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"follower stuck: {self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        self.launched.stop(signal.SIGTERM)


def test_a_follower_from_genesis_reaches_the_head_and_serves_it_read_only(
    authority: Backend, tmp_path: Path
) -> None:
    assert authority.data_dir is not None
    follower = Follower(tmp_path / "follower", [authority.url], authority.data_dir / "genesis.json")
    try:
        head = int(rpc(authority.url, "eth_blockNumber"), 16)
        follower.wait_for_head(head)
        for number in range(head + 1):
            assert (rpc(follower.url, "eth_getBlockByNumber", [hex(number), True])
                    == rpc(authority.url, "eth_getBlockByNumber", [hex(number), True]))
        tx = rpc(authority.url, "eth_getBlockByNumber", [hex(head), True])["transactions"]
        if tx:
            assert (rpc(follower.url, "eth_getTransactionReceipt", [tx[0]["hash"]])
                    == rpc(authority.url, "eth_getTransactionReceipt", [tx[0]["hash"]]))
        # State reads answer as on the authority (eth_call at the head).
        registry = authority.deployment["contracts"]["MemberRegistry"]["address"]  # type: ignore[index]
        assert rpc(follower.url, "eth_getCode", [registry, "latest"]) == rpc(
            authority.url, "eth_getCode", [registry, "latest"])
        refused = httpx.post(follower.url, json={
            "jsonrpc": "2.0", "id": 1, "method": "eth_sendRawTransaction",
            "params": [_signed_transfer(authority, "enterprise2")]}, timeout=10).json()
        assert refused["error"]["code"] == -32000
        assert "read-only follower" in refused["error"]["message"]
        assert follower.health()["follower"]["rejections"] == []
    finally:
        follower.stop()


def _signed_transfer(backend: Backend, role: str) -> str:
    account = Account.from_key(backend.accounts[role]["privateKey"])
    nonce = int(rpc(backend.url, "eth_getTransactionCount", [account.address, "pending"]), 16)
    signed = account.sign_transaction({"to": account.address, "value": 0, "gas": 21_000,
                                       "gasPrice": 0, "nonce": nonce, "chainId": backend.chain_id})
    return "0x" + bytes(signed.raw_transaction).hex()


# ---------------------------------------------------------------------- a lying upstream

Tamper = Callable[[dict[str, Any]], None]


def _reseal(block: dict[str, Any], key: bytes, **changes: Any) -> None:
    """Apply `changes` to the header of `block` (JSON), seal it with `key`, fix the hash."""
    header = header_from_json(block).copy(**changes, extra_data=VANITY + bytes(SIGNATURE_LENGTH))
    sealed = sign_block_header(header, eth_keys.PrivateKey(key))
    block["extraData"] = "0x" + sealed.extra_data.hex()
    block["hash"] = "0x" + sealed.hash.hex()
    for name, value in changes.items():
        json_name = {"state_root": "stateRoot", "transaction_root": "transactionsRoot"}[name]
        block[json_name] = "0x" + value.hex()


def _tampers(authority: Backend) -> dict[str, tuple[Tamper, str]]:
    sealer_key = bytes.fromhex(authority.accounts["sealer"]["privateKey"][2:])
    stranger = bytes(Account.create().key)

    def state_root(block: dict[str, Any]) -> None:
        _reseal(block, sealer_key, state_root=b"\x42" * 32)

    def forged_seal(block: dict[str, Any]) -> None:
        _reseal(block, stranger)

    def removed_tx(block: dict[str, Any]) -> None:
        block["transactions"] = block["transactions"][:-1]
        root, _ = compute_ordered_trie([_raw(tx) for tx in block["transactions"]])
        _reseal(block, sealer_key, transaction_root=root)

    def unhashed(block: dict[str, Any]) -> None:
        block["gasUsed"] = hex(int(block["gasUsed"], 16) + 1)

    return {
        "changed state root, re-sealed by the authority": (state_root, "header.state_root"),
        "forged seal": (forged_seal, "is not authorized"),
        "removed transaction, re-sealed by the authority": (removed_tx, "header.state_root"),
        "field changed without re-hashing": (unhashed, "do not hash to the block hash"),
    }


def _raw(tx: dict[str, Any]) -> bytes:
    from ledger_node.follower import transaction_from_json

    signed = transaction_from_json(tx)
    return signed.encode() if int(tx.get("type", "0x0"), 16) else rlp.encode(signed)


class LyingUpstream:
    """A JSON-RPC proxy to `honest` that tampers with full answers for block `target`."""

    def __init__(self, honest: str, target: int, tamper: Tamper) -> None:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                answer = httpx.post(honest, content=body,
                                    headers={"content-type": "application/json"},
                                    timeout=30).json()
                request = json.loads(body)
                pairs = zip(request, answer, strict=False) if isinstance(request, list) else [
                    (request, answer)]
                for item, result in pairs:
                    proxy.maybe_tamper(item, result)
                data = json.dumps(answer).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_: Any) -> None:
                pass

        self.target, self.tamper = target, tamper
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def maybe_tamper(self, request: dict[str, Any], answer: dict[str, Any]) -> None:
        result = answer.get("result")
        if (request.get("method") == "eth_getBlockByNumber" and isinstance(result, dict)
                and int(result["number"], 16) == self.target and request["params"][1]):
            self.tamper(result)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("case", [
    "changed state root, re-sealed by the authority",
    "forged seal",
    "removed transaction, re-sealed by the authority",
    "field changed without re-hashing",
])
def test_a_follower_refuses_a_lying_upstream_and_follows_the_honest_one(
    authority: Backend, tmp_path: Path, case: str
) -> None:
    assert authority.data_dir is not None
    target = _block_with_txs(authority)
    tamper, reason = _tampers(authority)[case]
    liar = LyingUpstream(authority.url, target, tamper)
    follower = Follower(tmp_path / "follower", [liar.url, authority.url],
                        authority.data_dir / "genesis.json")
    try:
        head = int(rpc(authority.url, "eth_blockNumber"), 16)
        follower.wait_for_head(head)
        rejections = follower.health()["follower"]["rejections"]
        assert rejections, "the liar's block was adopted"
        assert rejections[0]["upstream"] == liar.url and rejections[0]["block"] == target
        assert reason in rejections[0]["reason"], rejections[0]
        ours = rpc(follower.url, "eth_getBlockByNumber", [hex(target), False])
        assert ours == rpc(authority.url, "eth_getBlockByNumber", [hex(target), False])
        assert f"REFUSED block {target} from {liar.url}" in follower.log_path.read_text()
    finally:
        follower.stop()
        liar.close()
