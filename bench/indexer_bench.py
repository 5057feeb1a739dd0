"""Indexer backfill throughput: events/s and blocks/s from a node into SQLite and PostgreSQL.

On each node (a fresh anvil: Cancun, 300M gas blocks, mined on demand; and our own
`ledger_node init --dev`: Clique, 1 s blocks, transactions signed with its dev keys) it
builds a chain holding at least `target_events` events of the three TraceLedger contracts,
in a mix: enterprise registrations with 20 GS1 company prefixes each, M-of-N role changes,
recall updates, metadata updates and consistency-checked tree-head anchors. Then it
backfills that chain with the real indexer (JSON-RPC batches, eth_getLogs, one SQL
transaction per range) into each database and times it. On anvil a second phase times
blocks without events (headers, blocks table). Building the chains is not timed.

Usage: `python -m bench.indexer_bench [--events N] [--nodes anvil,ledger_node] [--record]`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from tempfile import TemporaryDirectory
from typing import Any

import rlp
from eth_utils import keccak

from contracts.abi import MemberRole
from contracts.rpc_client import JsonRpcClient
from testing.anvil import Anvil
from testing.devnet import init_dev_dir, start_ledger_node
from testing.postgres import database_on

ROOT = Path(__file__).resolve().parents[1]
PG_SERVER = os.environ.get("TRACELEDGER_BENCH_PG", "postgresql://postgres@127.0.0.1:5432")
GAS_LIMIT = 300_000_000
PREFIXES_PER_ENTERPRISE = 20


RPC_TIMEOUT_S = 300.0
"""A batch of 500 transactions to a loaded anvil can take minutes."""




@contextmanager
def _anvil() -> Iterator[str]:
    anvil = Anvil.started(extra_args=[
        "--gas-limit",
        str(GAS_LIMIT),
        "--no-mining",
        "--order",
        "fifo",
        # Keep few historical states in memory: logs and headers stay queryable, and
        # anvil's memory no longer grows with every block of a 100k-event chain.
        "--prune-history",
        "64",
    ])
    try:
        yield anvil.url
    finally:
        anvil.stop()


class _AnvilBuilder:
    """Sends contract calls from anvil's unlocked accounts and mines them in blocks."""

    def __init__(self, url: str) -> None:
        from web3 import Web3

        self.rpc = JsonRpcClient(url, timeout_s=RPC_TIMEOUT_S)
        self.w3 = Web3(Web3.HTTPProvider(url))
        accounts = [Web3.to_checksum_address(a) for a in self.rpc.call("eth_accounts")]
        self.roles = dict(
            zip(("admin", "regulator", "anchorer", "enterprise"), accounts, strict=False)
        )
        self.nonces = dict.fromkeys(accounts, 0)
        self.pending: list[tuple[str, list[Any]]] = []
        self.contracts: dict[str, Any] = {}

    def setup(self) -> None:
        """Deploy the three contracts and hand out the roles the mix needs."""
        admin = self.roles["admin"]
        self._deploy("MemberRegistry", [admin], 1)
        self.mine()
        registry = self.contracts["MemberRegistry"].address
        self._deploy("TraceAnchor", registry)
        self._deploy("RecallRegistry", registry)
        for role, number in (("regulator", MemberRole.REGULATOR), ("anchorer", MemberRole.ANCHORER)):
            self.call(
                "MemberRegistry", "proposeRoleChange", [self.roles[role], number], "admin", 500_000
            )
        enterprise = [
            keccak(text="bench-enterprise"),
            self.roles["enterprise"],
            1,
            ["6901234"],
            b"\x01" * 32,
        ]
        self.call("MemberRegistry", "registerEnterprise", enterprise, "admin", 1_000_000)
        self.mine()

    def _deploy(self, name: str, *args: Any) -> None:
        from contracts.artifacts import load_artifact

        artifact = load_artifact(name)
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        sender = self.roles["admin"]
        address = self.w3.to_checksum_address(
            keccak(rlp.encode([bytes.fromhex(sender[2:]), self.nonces[sender]]))[12:]
        )
        self._send(sender, None, factory.constructor(*args).data_in_transaction, 8_000_000)
        self.contracts[name] = self.w3.eth.contract(address=address, abi=artifact.abi)

    def _send(self, sender: str, to: str | None, data: str, gas: int) -> None:
        tx = {
            "from": sender,
            "data": data,
            "gas": hex(gas),
            "gasPrice": hex(2 * 10**9),
            "nonce": hex(self.nonces[sender]),
        }
        if to is not None:
            tx["to"] = to
        self.nonces[sender] += 1
        self.pending.append(("eth_sendTransaction", [tx]))

    def call(self, contract: str, function: str, args: list[Any], role: str, gas: int) -> None:
        """Queue `contract.function(*args)` from the holder of `role`."""
        target = self.contracts[contract]
        self._send(self.roles[role], target.address, target.encode_abi(function, args=args), gas)

    def mine(self) -> None:
        """Send the queued transactions and mine them into one block."""
        for start in range(0, len(self.pending), 500):
            self.rpc.batch(self.pending[start : start + 500])
        self.pending = []
        self.rpc.call("evm_mine")

    def finish(self) -> None:
        """Nothing pending on anvil: every mine() mined."""

    def add_empty_blocks(self, count: int) -> None:
        """Mine `count` empty blocks."""
        for done in range(0, count, 1000):
            self.rpc.call("anvil_mine", [hex(min(1000, count - done))])


class _LedgerNodeBuilder:
    """Signs contract calls with the dev keys of a `ledger_node init --dev` chain (whose
    bootstrap block deployed the contracts and granted the roles) and sends them raw; the
    node seals a block every period."""

    #: Mix rounds sent before waiting for the node to seal them (keeps blocks < 1B gas).
    ROUNDS_PER_WAIT = 8

    def __init__(self, url: str, data_dir: Path) -> None:
        from web3 import Web3

        from contracts.artifacts import load_artifact

        self.rpc = JsonRpcClient(url, timeout_s=RPC_TIMEOUT_S)
        self.w3 = Web3(Web3.HTTPProvider(url))
        deployment = json.loads((data_dir / "deployment.json").read_text())
        keys = json.loads((data_dir / "dev-keys.json").read_text())["accounts"]
        self.chain_id = int(deployment["chainId"])
        self.keys = {
            role: keys[name]["privateKey"]
            for role, name in (
                ("admin", "admin"),
                ("regulator", "regulator"),
                ("anchorer", "anchorer"),
                ("enterprise", "enterprise1"),
            )
        }
        self.roles = {
            role: keys[name]["address"]
            for role, name in (
                ("admin", "admin"),
                ("regulator", "regulator"),
                ("anchorer", "anchorer"),
                ("enterprise", "enterprise1"),
            )
        }
        self.nonces = {
            address: int(self.rpc.call("eth_getTransactionCount", [address, "pending"]), 16)
            for address in self.roles.values()
        }
        self.contracts = {
            name: self.w3.eth.contract(address=entry["address"], abi=load_artifact(name).abi)
            for name, entry in deployment["contracts"].items()
        }
        self.pending: list[tuple[str, list[Any]]] = []
        self.rounds = 0
        self.last_tx: str | None = None

    def setup(self) -> None:
        """The bootstrap block already deployed and granted everything."""

    def call(self, contract: str, function: str, args: list[Any], role: str, gas: int) -> None:
        """Sign and queue `contract.function(*args)` from the holder of `role`."""
        from eth_account import Account

        target = self.contracts[contract]
        sender = self.roles[role]
        tx = {
            "to": target.address,
            "data": target.encode_abi(function, args=args),
            "gas": gas,
            "gasPrice": 0,
            "nonce": self.nonces[sender],
            "chainId": self.chain_id,
            "value": 0,
        }
        self.nonces[sender] += 1
        signed = Account.sign_transaction(tx, self.keys[role])
        self.pending.append(("eth_sendRawTransaction", ["0x" + signed.raw_transaction.hex()]))

    def mine(self) -> None:
        """Send the queued transactions; every few rounds wait until they are sealed."""
        for start in range(0, len(self.pending), 500):
            hashes = self.rpc.batch(self.pending[start : start + 500])
            self.last_tx = hashes[-1]
        self.pending = []
        self.rounds += 1
        if self.rounds % self.ROUNDS_PER_WAIT == 0:
            self.finish()

    def finish(self) -> None:
        """Wait until the last sent transaction is in a block."""
        deadline = time.monotonic() + 600
        while self.last_tx and self.rpc.call("eth_getTransactionReceipt", [self.last_tx]) is None:
            if time.monotonic() > deadline:
                raise RuntimeError("ledger node did not seal the bench transactions")
            time.sleep(0.1)

    def add_empty_blocks(self, count: int) -> None:
        """Our node seals no empty blocks on demand; the blocks phase runs on anvil only."""
        if count:
            raise NotImplementedError("empty blocks on ledger_node")


def _fill(chain: Any, target_events: int, started: float) -> int:
    """Send the event mix until at least `target_events` events; return the count."""
    from anchoring.core.merkle import consistency_proof, leaf_hash, root_hash

    if target_events == 0:
        return 0
    subjects = [keccak(text=f"subject-{i}") for i in range(3)]
    for subject in subjects:
        chain.call(
            "RecallRegistry", "openRecall", [subject, 1, b"\x02" * 32, ""], "regulator", 500_000
        )
    chain.mine()
    events, serial, leaves = len(subjects), 0, []
    while events < target_events:
        for _ in range(15):
            serial += 1
            prefixes = [f"{serial:06d}{k:04d}" for k in range(PREFIXES_PER_ENTERPRISE)]
            key = chain.w3.to_checksum_address("0x" + keccak(text=f"key-{serial}")[:20].hex())
            registration = [
                keccak(text=f"enterprise-{serial}"),
                key,
                3,
                prefixes,
                keccak(text=f"meta-{serial}"),
            ]
            chain.call("MemberRegistry", "registerEnterprise", registration, "admin", 3_500_000)
            events += 1 + PREFIXES_PER_ENTERPRISE
        for k in range(5):
            account = chain.w3.to_checksum_address(
                "0x" + keccak(text=f"witness-{serial}-{k}")[:20].hex()
            )
            chain.call("MemberRegistry", "proposeRoleChange", [account, MemberRole.WITNESS], "admin", 400_000)
            events += 4  # proposed, approved, executed, granted
        for k, subject in enumerate(subjects):
            update = [subject, 1 + (serial + k) % 3, keccak(text=f"r{serial}")]
            chain.call("RecallRegistry", "updateRecall", update, "regulator", 200_000)
            events += 1
        for k in range(2):
            chain.call(
                "MemberRegistry",
                "updateMetadata",
                [keccak(text=f"m{serial}-{k}")],
                "enterprise",
                200_000,
            )
            events += 1
        old_size = len(leaves)
        leaves += [leaf_hash(f"bench-{serial}-{i}".encode()) for i in range(8)]
        proof = consistency_proof(old_size, len(leaves), leaves) if old_size else []
        chain.call(
            "TraceAnchor", "anchor", [len(leaves), root_hash(leaves), proof], "anchorer", 500_000
        )
        events += 1
        chain.mine()
        if serial % 300 == 0:
            print(f"built {events:,} events in {time.monotonic() - started:.0f}s", file=sys.stderr)
    chain.finish()
    return events


def build_chain(
    url: str, target_events: int, empty_blocks: int = 0, *, ledger_node_dir: Path | None = None
) -> dict[str, Any]:
    """Make at least `target_events` contract events (none if 0) on the node at `url`,
    then `empty_blocks` empty blocks. anvil: deploys the contracts first; our node
    (`ledger_node_dir` given): uses the bootstrap block's contracts and dev keys.
    Fails unless every sent call emitted its events (a reverted call emits none)."""
    started = time.monotonic()
    chain: Any = _LedgerNodeBuilder(url, ledger_node_dir) if ledger_node_dir else _AnvilBuilder(url)
    chain.setup()
    fill_start = int(chain.rpc.call("eth_blockNumber"), 16) + 1
    expected = _fill(chain, target_events, started)
    event_head = int(chain.rpc.call("eth_blockNumber"), 16)
    # Empty blocks go on a chain with little state: anvil mines them ~50x faster there.
    chain.add_empty_blocks(empty_blocks)
    contracts = {name: contract.address for name, contract in chain.contracts.items()}
    # The indexer's own adaptive eth_getLogs: nodes cap results (ours and geth at 10,000).
    from indexer.source.fetch import ChainSource
    from indexer.source.rpc import RetryingRpcClient

    client = RetryingRpcClient(url)
    try:
        logs = ChainSource(client, list(contracts.values())).fetch_logs(0, event_head)
    finally:
        client.close()
    filled = sum(1 for log in logs if log.block_number >= fill_start)
    if filled != expected:
        raise RuntimeError(
            f"bench chain has {filled} mix events, expected {expected}: a call reverted"
        )
    return {
        "contracts": contracts,
        "events": len(logs),
        "event_head": event_head,
        "head": event_head + empty_blocks,
        "build_s": round(time.monotonic() - started, 1),
    }


@contextmanager
def _database(kind: str, workdir: Path) -> Iterator[str]:
    with database_on(kind, workdir / f"bench-{uuid.uuid4().hex[:8]}.db", "indexer_bench", PG_SERVER) as url:
        yield url


def measure_backfill(
    rpc_url: str, db_url: str, chain: dict[str, Any], blocks_per_range: int
) -> dict[str, Any]:
    """Backfill the whole chain from genesis into an empty mirror; time it."""
    from indexer.config import IndexerSettings
    from indexer.service import open_indexer

    settings = IndexerSettings(
        contracts=chain["contracts"], confirmations=12, blocks_per_range=blocks_per_range
    )
    with open_indexer(rpc_url, db_url, settings) as indexer:
        indexer.open()  # create the checkpoint outside the timed part
        started = time.perf_counter()
        stats = indexer.run(follow=False, until_block=chain["head"])
        seconds = time.perf_counter() - started
    assert stats.events == chain["events"], (stats.events, chain["events"])
    assert stats.blocks == chain["head"] + 1
    return {
        "events": stats.events,
        "blocks": stats.blocks,
        "seconds": round(seconds, 2),
        "events_per_s": round(stats.events / seconds),
        "blocks_per_s": round(stats.blocks / seconds),
    }


@contextmanager
def _node(kind: str, workdir: Path) -> Iterator[tuple[str, Path | None]]:
    """A fresh node: ("anvil") or our own ("ledger_node", `init --dev`, 1 s blocks)."""
    if kind == "anvil":
        with _anvil() as url:
            yield url, None
        return
    data_dir = workdir / f"ledger-{uuid.uuid4().hex[:8]}"
    init_dev_dir(data_dir)
    node = start_ledger_node(data_dir)
    try:
        yield node.url, data_dir
    finally:
        node.stop()


def run_indexer_bench(
    target_events: int = 100_000,
    empty_blocks: int = 20_000,
    databases: tuple[str, ...] = ("sqlite", "postgresql"),
    blocks_per_range: int = 50,
    nodes: tuple[str, ...] = ("anvil", "ledger_node"),
) -> dict[str, Any]:
    """For each node, build a chain with >= `target_events` contract events and backfill it
    into each database (events/s); on anvil also time `empty_blocks` blocks without events
    (blocks/s). Returns the figures and the chains they were measured on."""
    runs: list[dict[str, Any]] = []
    chains = {}
    phases = [("events", node, target_events, 0, blocks_per_range) for node in nodes]
    if "anvil" in nodes:
        phases.append(("blocks", "anvil", 0, empty_blocks, 1000))
    with TemporaryDirectory() as workdir:
        for phase, node_kind, events, blocks, per_range in phases:
            with _node(node_kind, Path(workdir)) as (url, node_dir):
                chain = build_chain(url, events, blocks, ledger_node_dir=node_dir)
                chains[f"{phase}@{node_kind}"] = {
                    k: v for k, v in chain.items() if k != "contracts"
                }
                for kind in databases:
                    with _database(kind, Path(workdir)) as db_url:
                        runs.append(
                            {
                                "phase": phase,
                                "node": node_kind,
                                "database": kind,
                                "blocks_per_range": per_range,
                                **measure_backfill(url, db_url, chain, per_range),
                            }
                        )
    return {
        "chains": chains,
        "runs": runs,
        "note": (
            "shared 2-core machine; other engineers' test runs were active; the node, the indexer "
            "and the database ran on the same cores"
        ),
    }


def record(result: dict[str, Any]) -> None:
    """Append the figures of `result` to bench/README.md, with this machine's description."""
    from bench.machine import describe_machine
    from bench.report import append_section

    rows = []
    for run in result["runs"]:
        where = f"{run['node']} → {run['database']}"
        if run["phase"] == "events":
            label = (
                f"backfill events/s, {where} ({run['events']:,} events in {run['blocks']:,} blocks)"
            )
            rows.append((label, f"{run['events_per_s']:,}", ">= 5,000 (our node → PostgreSQL)"))
        else:
            label = f"backfill blocks/s, {where} ({run['blocks']:,} blocks without events)"
            rows.append((label, f"{run['blocks_per_s']:,}", "—"))
    append_section("indexer backfill", describe_machine(), rows, "traceledger bench indexer")


def indexer_command(
    events: int = 100_000,
    empty_blocks: int = 20_000,
    nodes: str = "anvil,ledger_node",
    save: bool = True,
) -> None:
    """Indexer backfill throughput (events/s, blocks/s) into SQLite and PostgreSQL; prints
    JSON and, with --save, appends to bench/README.md. Register with
    `app.command("indexer")(indexer_command)` in bench/cli.py."""
    result = run_indexer_bench(events, empty_blocks, nodes=tuple(nodes.split(",")))
    print(json.dumps(result, indent=2))
    if save:
        record(result)


def main() -> None:
    """`python -m bench.indexer_bench`: print the figures as JSON; --record appends them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--empty-blocks", type=int, default=20_000)
    parser.add_argument("--blocks-per-range", type=int, default=50)
    parser.add_argument(
        "--nodes", default="anvil,ledger_node", help="comma-separated: anvil, ledger_node"
    )
    parser.add_argument("--record", action="store_true", help="append to bench/README.md")
    options = parser.parse_args()
    result = run_indexer_bench(
        options.events,
        options.empty_blocks,
        blocks_per_range=options.blocks_per_range,
        nodes=tuple(options.nodes.split(",")),
    )
    print(json.dumps(result, indent=2))
    if options.record:
        record(result)


if __name__ == "__main__":
    main()
