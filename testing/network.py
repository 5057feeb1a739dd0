"""A consortium on loopback for tests and benches: several `ledger_node run --peers`
processes (each its own data dir and key), a steady transaction load spread over the
authorities, and the faults the fault tests inflict (kill -9, restart, partition).

The network is laid out by `ledger_node.consortium.create_local_network`, as `traceledger
network up` does, and every node is a real subprocess run as a user runs it. A partition
is made the way an operator would cut a peer off: `admin_removePeer` on each side's
admin socket, so nothing crosses between the halves until `heal`.
"""

from __future__ import annotations

import contextlib
import json
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from eth_account import Account

from ledger_node.consortium import create_local_network
from ledger_node.rpc.admin import admin_rpc
from testing.devnet import rpc
from testing.processes import Launched, free_port, python_command, repo_env

READY_TIMEOUT_S = 90.0
TRANSFER_GAS = 21_000


@dataclass
class NetNode:
    """One node process of the network."""

    name: str
    role: str
    data_dir: Path
    rpc_url: str
    p2p_port: int
    node_id: str
    authority: str | None
    peers_file: Path
    launched: Launched | None = None

    @property
    def running(self) -> bool:
        return self.launched is not None and self.launched.process.poll() is None

    def start(self) -> None:
        command = python_command(
            "ledger_node", "run", "--data-dir", str(self.data_dir), "--rpc-port",
            self.rpc_url.rsplit(":", 1)[1], "--p2p-port", str(self.p2p_port),
            "--peers", str(self.peers_file), *(["--follower"] if self.role == "follower" else []))
        self.launched = Launched(command, env=repo_env(), log_path=self.data_dir / "node.log")

    def wait_ready(self, timeout_s: float = READY_TIMEOUT_S) -> None:
        assert self.launched is not None
        self.launched.wait_until(lambda: rpc(self.rpc_url, "eth_chainId", timeout=2) is not None,
                                 timeout_s=timeout_s, what=self.name, poll_s=0.2)

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.launched is not None:
            self.launched.stop(sig)

    def head(self) -> tuple[int, str]:
        block = rpc(self.rpc_url, "eth_getBlockByNumber", ["latest", False], timeout=5)
        return int(block["number"], 16), block["hash"]

    def health(self) -> dict[str, Any]:
        return httpx.get(self.rpc_url + "/health", timeout=5).json()  # type: ignore[no-any-return]

    def log(self) -> str:
        path = self.data_dir / "node.log"
        return path.read_text(errors="replace") if path.exists() else ""


@dataclass
class LocalNetwork:
    """The running network: its nodes and the dev accounts of shared/dev-keys.json."""

    directory: Path
    nodes: list[NetNode]
    accounts: dict[str, dict[str, str]]
    chain_id: int

    @classmethod
    def create(cls, directory: Path, authorities: int = 3, followers: int = 1,
               period: int = 1, standby: int = 0) -> LocalNetwork:
        count = authorities + followers
        ports = [free_port() for _ in range(2 * count)]
        document = create_local_network(directory, authorities, followers, ports[:count],
                                        ports[count:], period=period, standby=standby)
        nodes = [NetNode(n["name"], n["role"], Path(n["dataDir"]), n["rpc"],
                         int(n["p2p"].rsplit(":", 1)[1]), n["nodeId"], n["authority"],
                         directory / "peers.json") for n in document["nodes"]]
        accounts = json.loads((directory / "shared" / "dev-keys.json").read_text())["accounts"]
        return cls(directory, nodes, accounts, document["chainId"])

    def start(self) -> LocalNetwork:
        for node in self.nodes:
            node.start()
        for node in self.nodes:
            node.wait_ready()
        return self

    def stop(self) -> None:
        for node in self.nodes:
            node.kill(signal.SIGTERM)

    def node(self, name: str) -> NetNode:
        return next(n for n in self.nodes if n.name == name)

    @property
    def authorities(self) -> list[NetNode]:
        return [n for n in self.nodes if n.role == "authority"]

    @property
    def followers(self) -> list[NetNode]:
        return [n for n in self.nodes if n.role == "follower"]

    def in_turn(self) -> NetNode:
        """The authority whose turn the next block is (EIP-225: sorted signers[n % N])."""
        node = next(n for n in self.nodes if n.running)
        number, _ = node.head()
        signers = rpc(node.rpc_url, "clique_getSigners", ["latest"])
        turn = sorted(s.lower() for s in signers)[(number + 1) % len(signers)]
        return next(n for n in self.authorities if (n.authority or "").lower() == turn)

    def partition(self, side_a: list[NetNode], side_b: list[NetNode]) -> None:
        """Cut every peer of one side off from every node of the other, both ways."""
        for mine, theirs in ((side_a, side_b), (side_b, side_a)):
            for node in mine:
                for other in theirs:
                    admin_rpc(node.data_dir, "admin_removePeer", [other.node_id])

    def heal(self) -> None:
        for node in self.nodes:
            if node.running:
                for other in self.nodes:
                    if other is not node:
                        admin_rpc(node.data_dir, "admin_addPeer", [other.node_id])

    def wait_converged(self, timeout_s: float = 60.0, min_number: int = 0) -> tuple[int, str]:
        """Wait until every running node has one head (at least `min_number`); return it.
        Heads may differ by the one block in flight: they must be within one block and
        hold the same block at the lowest."""
        deadline = time.monotonic() + timeout_s
        last: dict[str, tuple[int, str]] = {}
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError, RuntimeError, KeyError):
                running = [n for n in self.nodes if n.running]
                last = {n.name: n.head() for n in running}
                lowest = min(number for number, _ in last.values())
                if max(number for number, _ in last.values()) > lowest + 1:
                    time.sleep(0.3)
                    continue
                hashes = {rpc(n.rpc_url, "eth_getBlockByNumber", [hex(lowest), False])["hash"]
                          for n in running}
                if len(hashes) == 1 and lowest >= min_number:
                    return lowest, hashes.pop()
            time.sleep(0.3)
        raise AssertionError(f"nodes did not converge within {timeout_s} s: {last}")


@dataclass
class SteadyLoad:
    """Value transfers from the dev accounts at a steady rate, spread over the running
    authorities. Like a wallet, a transaction without a receipt is sent again (same raw
    bytes, same hash) to another authority now and then, so a node killed before it
    forwarded one does not leave a nonce gap behind."""

    network: LocalNetwork
    rate_per_s: float = 20.0
    roles: tuple[str, ...] = ("admin", "anchorer", "regulator", "enterprise1", "enterprise2",
                              "witness")
    resend_after_s: float = 4.0
    sent: dict[str, bytes] = field(default_factory=dict)  # tx hash -> raw
    sent_at: dict[str, float] = field(default_factory=dict)
    receipts_seen: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> SteadyLoad:
        self._thread = threading.Thread(target=self._run, daemon=True, name="steady-load")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _authority(self) -> NetNode | None:
        live = [n for n in self.network.authorities if n.running]
        return random.choice(live) if live else None

    def _run(self) -> None:
        nonces: dict[str, int] = {}
        target = self.network.accounts["admin"]["address"]
        index = 0
        while not self._stop.is_set():
            started = time.monotonic()
            role = self.roles[index % len(self.roles)]
            index += 1
            account = self.network.accounts[role]
            node = self._authority()
            if node is None:
                time.sleep(0.2)
                continue
            try:
                if role not in nonces:
                    nonces[role] = int(rpc(node.rpc_url, "eth_getTransactionCount",
                                           [account["address"], "latest"], timeout=5), 16)
                tx = {"nonce": nonces[role], "gas": TRANSFER_GAS, "gasPrice": 0, "value": 1,
                      "to": target, "chainId": self.network.chain_id}
                signed = Account.sign_transaction(tx, account["privateKey"])
                raw, tx_hash = bytes(signed.raw_transaction), "0x" + signed.hash.hex()
                nonces[role] += 1
                self.sent[tx_hash] = raw
                self.sent_at[tx_hash] = time.monotonic()
                self._send(node, raw)
            except (httpx.HTTPError, RuntimeError) as exc:
                self.errors.append(f"{node.name}: {exc}")
            self._resend_stale()
            self._stop.wait(max(0.0, 1 / self.rate_per_s - (time.monotonic() - started)))

    def _send(self, node: NetNode, raw: bytes) -> None:
        try:
            rpc(node.rpc_url, "eth_sendRawTransaction", ["0x" + raw.hex()], timeout=5)
        except RuntimeError as exc:  # "already known" / "nonce too low": it is in hand
            if "already known" not in str(exc) and "nonce too low" not in str(exc):
                raise

    def _resend_stale(self) -> None:
        now = time.monotonic()
        stale = [h for h, at in self.sent_at.items()
                 if h not in self.receipts_seen and now - at > self.resend_after_s]
        for tx_hash in stale[:20]:
            node = self._authority()
            if node is None:
                return
            try:
                if rpc(node.rpc_url, "eth_getTransactionReceipt", [tx_hash], timeout=5):
                    self.receipts_seen.add(tx_hash)
                    continue
                self._send(node, self.sent[tx_hash])
            except (httpx.HTTPError, RuntimeError) as exc:
                self.errors.append(f"resend to {node.name}: {exc}")
            self.sent_at[tx_hash] = now

    def observe_receipts(self, node: NetNode) -> None:
        """Record which sent transactions have a receipt on `node` now."""
        for tx_hash in list(self.sent):
            if tx_hash in self.receipts_seen:
                continue
            with contextlib.suppress(httpx.HTTPError, RuntimeError):
                if rpc(node.rpc_url, "eth_getTransactionReceipt", [tx_hash], timeout=5):
                    self.receipts_seen.add(tx_hash)


def chain_transactions(node: NetNode, last: int) -> list[str]:
    """Every transaction hash in blocks 1..`last` of `node`'s chain, in order."""
    hashes: list[str] = []
    for start in range(1, last + 1, 200):
        calls = [{"jsonrpc": "2.0", "id": n, "method": "eth_getBlockByNumber",
                  "params": [hex(n), False]} for n in range(start, min(start + 200, last + 1))]
        answers = httpx.post(node.rpc_url, json=calls, timeout=30).json()
        for answer in sorted(answers, key=lambda a: a["id"]):
            hashes.extend(answer["result"]["transactions"])
    return hashes
