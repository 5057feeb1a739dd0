"""Follower replicas (`node run --follow`): a follower started from genesis.json reaches the
authority's head and serves the same blocks read-only; given a lying upstream first and an
honest one second, it refuses the liar's block at the named check (a state root changed
and re-sealed with the real authority key, a forged seal, a removed transaction, a field
changed without re-hashing), reports it on /health and in its log, and follows the honest
node to the head.

Reorganisations, in process: three authorities' forks of one chain served by a JSON-RPC
upstream the test switches from one fork to another. The replica moves to a heavier fork
(longer than one fetch group, or shorter than its own chain), the transactions only its old
blocks held are gone from its store, and it stays put for a longer but lighter fork, for a
fork whose first block does not verify (refused with the reason) and for one deeper than
MAX_REORG_DEPTH.
"""

from __future__ import annotations

import contextlib
import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import rlp
from eth.consensus.clique._utils import sign_block_header
from eth.consensus.clique.constants import SIGNATURE_LENGTH
from eth_account import Account
from eth_keys import keys as eth_keys

from ledger_node import replica as replica_module
from ledger_node.chain import VANITY, ChainConfig, LedgerChain
from ledger_node.errors import RpcError
from ledger_node.follower import header_from_json
from ledger_node.ordered_trie import compute_ordered_trie
from ledger_node.replica import Replica
from ledger_node.rpc.methods import EthApi
from ledger_node.sealer import SealedBlock
from ledger_node.transactions import SignedTx
from testing.devnet import Backend, init_dev_dir, rpc, start_ledger_node, wait_receipt
from testing.loopback_http import PeerRequest, serve_json
from testing.processes import Launched, free_port, python_command, repo_env
from tests.ledger_node.chain_helpers import transfer
from tests.ledger_node.fork_helpers import ANCESTOR, HEAVY, LIGHT, LONGER, three_authorities
from tests.ledger_node.fork_helpers import Forks as ForkLayout

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
        json_name = {"state_root": "stateRoot", "transaction_root": "transactionsRoot",
                     "parent_hash": "parentHash"}[name]
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


# ---------------------------------------------------------------------- reorganisations

# Who seals each block of the forks: the index of the key in EIP-225 turn order (sorted
# addresses), so block n is in turn (difficulty 2) when the index is n % 3, else out of turn
# (1). A signer seals at most one of two consecutive blocks. All forks part after block 2.
@dataclass
class Forks:
    """The three-authority fork layout of `fork_helpers` (LIGHT, HEAVY, LONGER), each fork
    in its own store, and the transactions that tell them apart."""

    layout: ForkLayout
    chains: dict[str, LedgerChain]  # light, heavy, longer
    shared_tx: SignedTx  # in LIGHT's and HEAVY's block 3
    light_tx: SignedTx  # in LIGHT's block 3 only
    heavy_tx: SignedTx  # in HEAVY's block 5 only: the same sender and nonce as light_tx

    @property
    def config(self) -> ChainConfig:
        return self.layout.config

    @property
    def keys(self) -> list[eth_keys.PrivateKey]:
        return self.layout.keys

    @property
    def genesis_timestamp(self) -> int:
        return self.layout.genesis_timestamp

    def genesis(self, path: Path) -> LedgerChain:
        """A keyless chain at this genesis in `path`, as a replica starts."""
        return self.layout.genesis(path)


@pytest.fixture(scope="module")
def forks(tmp_path_factory: pytest.TempPathFactory) -> Forks:
    root = tmp_path_factory.mktemp("forks")
    layout = three_authorities(root)
    users = layout.users
    forks = Forks(layout=layout, chains={}, shared_tx=transfer(users[1], 0),
                  light_tx=transfer(users[0], 1, value=1), heavy_tx=transfer(users[0], 1, value=2))
    for name, signers, txs in [("light", LIGHT, {3: [forks.shared_tx, forks.light_tx]}),
                               ("heavy", HEAVY, {3: [forks.shared_tx], 5: [forks.heavy_tx]}),
                               ("longer", LONGER, {})]:
        forks.chains[name], _blocks = layout.fork(root / f"{name}.sqlite", signers, txs)
    return forks


class SwitchableUpstream:
    """A JSON-RPC upstream serving one in-process fork, then another, as the test says
    (eth_blockNumber and eth_getBlockByNumber, answered by the node's own EthApi);
    `tamper` may rewrite each block answer."""

    def __init__(self) -> None:
        self.api: EthApi | None = None
        self.tamper: Tamper | None = None

    def serve(self, chain: LedgerChain, tamper: Tamper | None = None) -> None:
        # EthApi reads only the node's store and chain for these two methods.
        self.api = EthApi(SimpleNamespace(store=chain.store, chain=chain))  # type: ignore[arg-type]
        self.tamper = tamper

    def answer(self, request: PeerRequest) -> tuple[int, bytes]:
        payload = json.loads(request.body)
        answers = [self._one(item) for item in (payload if isinstance(payload, list) else
                                                [payload])]
        return 200, json.dumps(answers if isinstance(payload, list) else answers[0]).encode()

    def _one(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.api is not None
        try:
            result = self.api.methods[request["method"]](request.get("params", []))
        except RpcError as exc:
            return {"jsonrpc": "2.0", "id": request["id"], "error": exc.to_json()}
        if self.tamper is not None and request["method"] == "eth_getBlockByNumber" and result:
            self.tamper(result)
        return {"jsonrpc": "2.0", "id": request["id"], "result": result}


@contextlib.contextmanager
def _replica_of(forks: Forks, path: Path) -> Iterator[tuple[Replica, SwitchableUpstream]]:
    upstream = SwitchableUpstream()
    with serve_json(upstream.answer) as url:
        replica = Replica.over(forks.genesis(path), [url])
        try:
            yield replica, upstream
        finally:
            replica.close()


def _follow(replica: Replica) -> list[SealedBlock]:
    """Step until a round commits nothing; every block committed, in order."""
    published: list[SealedBlock] = []
    while committed := replica.step():
        published += committed
    return published


def _hashes(chain: LedgerChain, numbers: range) -> list[bytes]:
    return [chain.store.block_by_number(n).hash for n in numbers]  # type: ignore[union-attr]


def _head(chain: LedgerChain) -> tuple[int, bytes]:
    return chain.head_header.block_number, chain.head_header.hash


def test_a_replica_moves_to_a_heavier_fork_and_not_to_a_longer_lighter_one(
    forks: Forks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # One block per fetch group: HEAVY's first block alone does not beat LIGHT, so the
    # replica must accumulate groups before import_branch adopts the fork.
    monkeypatch.setattr(replica_module, "MAX_BLOCKS_PER_FETCH", 1)
    light, heavy = forks.chains["light"], forks.chains["heavy"]
    with _replica_of(forks, tmp_path / "replica.sqlite") as (replica, upstream):
        chain = replica.chain
        upstream.serve(light)
        _follow(replica)
        assert _head(chain) == _head(light)
        assert chain.store.tx_by_hash(forks.light_tx.hash) is not None

        upstream.serve(heavy)
        published = _follow(replica)
        # The blocks the node publishes: the new branch from the ancestor on, in order.
        assert [b.header.hash for b in published] == _hashes(heavy, range(ANCESTOR + 1, 6))
        assert _head(chain) == _head(heavy)
        assert _hashes(chain, range(6)) == _hashes(heavy, range(6))
        assert chain.store.tx_by_hash(forks.light_tx.hash) is None  # only LIGHT held it
        shared = chain.store.tx_by_hash(forks.shared_tx.hash)  # included again by HEAVY
        assert shared is not None and shared.block_number == ANCESTOR + 1
        assert chain.store.tx_by_hash(forks.heavy_tx.hash) is not None
        # The Clique snapshot is HEAVY's, not one cached from LIGHT.
        assert chain.snapshots.at(5) == LedgerChain(chain.store, forks.config, None).snapshots.at(5)

        upstream.serve(forks.chains["longer"])  # two blocks more than HEAVY, weight 4 < 5
        assert _follow(replica) == []
        assert _head(chain) == _head(heavy)
        status = replica.status()
        assert status["rejections"] == []  # a valid fork, only not better: no rejection
        assert status["upstreams"][0]["coolingDown"]
        assert "is not better than our chain" in status["upstreams"][0]["lastError"]


def test_a_replica_moves_to_a_shorter_heavier_fork(forks: Forks, tmp_path: Path) -> None:
    """The upstream's head is below ours: its head block is compared with ours."""
    with _replica_of(forks, tmp_path / "replica.sqlite") as (replica, upstream):
        upstream.serve(forks.chains["longer"])
        _follow(replica)
        assert _head(replica.chain) == _head(forks.chains["longer"])
        upstream.serve(forks.chains["heavy"])
        assert [b.header.block_number for b in _follow(replica)] == [3, 4, 5]
        assert _head(replica.chain) == _head(forks.chains["heavy"])


def _state_root_changed_from_block_3(forks: Forks) -> Tamper:
    """HEAVY as a liar serves it: block 3's state root changed and re-sealed by its
    authority, the later blocks re-linked to it and re-sealed, so the fork still chains."""
    heavy = forks.chains["heavy"]
    api = EthApi(SimpleNamespace(store=heavy.store, chain=heavy))  # type: ignore[arg-type]
    changes: dict[int, tuple[bytes, dict[str, bytes]]] = {}
    parent_hash = b""
    for number, signer in enumerate(HEAVY, start=ANCESTOR + 1):
        change = ({"state_root": b"\x42" * 32} if number == ANCESTOR + 1
                  else {"parent_hash": parent_hash})
        changes[number] = (forks.keys[signer].to_bytes(), change)
        block = api.eth_getBlockByNumber([hex(number), False])
        assert block is not None
        _reseal(block, changes[number][0], **change)
        parent_hash = bytes.fromhex(block["hash"][2:])

    def tamper(block: dict[str, Any]) -> None:
        number = int(block["number"], 16)
        if number in changes:
            key, change = changes[number]
            _reseal(block, key, **change)

    return tamper


def test_a_fork_whose_first_block_does_not_verify_is_refused(
    forks: Forks, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with _replica_of(forks, tmp_path / "replica.sqlite") as (replica, upstream):
        upstream.serve(forks.chains["light"])
        _follow(replica)
        upstream.serve(forks.chains["heavy"], _state_root_changed_from_block_3(forks))
        with caplog.at_level(logging.ERROR, logger="ledger_node.replica"):
            assert _follow(replica) == []
        assert _head(replica.chain) == _head(forks.chains["light"])
        assert replica.chain.store.tx_by_hash(forks.light_tx.hash) is not None
        status = replica.status()
        [rejection] = status["rejections"]
        assert rejection["block"] == ANCESTOR + 1
        assert "header.state_root" in rejection["reason"], rejection
        assert status["upstreams"][0]["coolingDown"]
        assert f"REFUSED block {ANCESTOR + 1} from {replica.upstreams[0].url}" in caplog.text


def test_a_fork_deeper_than_the_limit_is_not_followed(
    forks: Forks, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setattr(replica_module, "MAX_REORG_DEPTH", 1)  # LIGHT parts 2 blocks below
    with _replica_of(forks, tmp_path / "replica.sqlite") as (replica, upstream):
        upstream.serve(forks.chains["light"])
        _follow(replica)
        upstream.serve(forks.chains["heavy"])
        with caplog.at_level(logging.ERROR, logger="ledger_node.replica"):
            assert _follow(replica) == []
        assert _head(replica.chain) == _head(forks.chains["light"])
        assert "NOT FOLLOWING upstream" in caplog.text and "MAX_REORG_DEPTH" in caplog.text
        assert replica.status()["rejections"] == []
        assert replica.status()["upstreams"][0]["coolingDown"]
