"""A consortium survives its faults (issue 16): three authorities and a follower on
loopback, each its own process, data dir and key, under a steady transaction load spread
over the authorities, while authorities are killed with SIGKILL and restarted, the
in-turn authority is killed again and again, and the network is partitioned and healed.

After each fault: all nodes end on one head, sealing resumes within a few periods, and no
transaction that got a receipt is lost or included twice on the final chain. The faults
run one after the other on one network (module fixture), as they would in a consortium's
life; each test checks the invariants at its end.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from testing.devnet import Backend, rpc
from testing.network import LocalNetwork, NetNode, SteadyLoad, chain_transactions
from testing.processes import Launched, python_command, repo_env
from tests.ledger_node.test_js_clients import check_ethers_and_viem

PERIOD_S = 1
RESUME_WITHIN_S = 8 * PERIOD_S  # "sealing resumes within a few periods"


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalNetwork]:
    directory: Path = tmp_path_factory.mktemp("consortium")
    net = LocalNetwork.create(directory, authorities=3, followers=1, period=PERIOD_S)
    try:
        net.start()
        net.wait_converged(timeout_s=60, min_number=1)  # block 1 (contracts) synced by all
        yield net
    finally:
        net.stop()


@pytest.fixture(scope="module")
def indexer(network: LocalNetwork, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[tuple[Path, Launched]]:
    """The indexer mirroring the chain as authority3 (the partition's minority) sees it."""
    database = tmp_path_factory.mktemp("mirror") / "mirror.sqlite"
    contracts = json.loads((network.directory / "shared" / "deployment.json").read_text())[
        "contracts"]
    node = network.node("authority3")
    process = Launched(
        python_command("indexer.cli", "run", "--rpc", node.rpc_url, "--db",
                       f"sqlite:///{database}", "--confirmations", "3", "--poll-interval", "0.2",
                       "--member-registry", contracts["MemberRegistry"]["address"],
                       "--trace-anchor", contracts["TraceAnchor"]["address"],
                       "--recall-registry", contracts["RecallRegistry"]["address"]),
        env=repo_env(), log_path=database.with_suffix(".log"))
    yield database, process
    process.stop()


def _mirrored_hash(database: Path, number: int) -> str | None:
    with contextlib.closing(sqlite3.connect(database)) as connection:
        row = connection.execute("SELECT hash FROM chain_blocks WHERE number = ?",
                                 (number,)).fetchone()
    return None if row is None else str(row[0])


@pytest.fixture(scope="module")
def load(network: LocalNetwork) -> Iterator[SteadyLoad]:
    # enterprise2 and witness are left to the client-library test, whose nonces they are.
    steady = SteadyLoad(network, rate_per_s=15,
                        roles=("admin", "anchorer", "regulator", "enterprise1")).start()
    yield steady
    steady.stop()


def _head_advances(network: LocalNetwork, within_s: float) -> float:
    """Seconds until the follower's head moves past where it is now."""
    follower = network.followers[0]
    start, _ = follower.head()
    began = time.monotonic()
    while time.monotonic() - began < within_s:
        if follower.head()[0] > start:
            return time.monotonic() - began
        time.sleep(0.1)
    raise AssertionError(f"no block for {within_s} s after block {start}")


def _assert_nothing_lost_or_doubled(network: LocalNetwork, load: SteadyLoad) -> None:
    """Every transaction that had a receipt at any point is on the final chain exactly
    once, on every node."""
    follower = network.followers[0]
    load.observe_receipts(follower)
    number, _ = network.wait_converged(timeout_s=60)
    included = chain_transactions(follower, number)
    counts = Counter(included)
    assert [h for h, n in counts.items() if n > 1] == []
    deadline = time.monotonic() + 30  # orphaned transactions are re-included
    missing = load.receipts_seen - set(included)
    while missing and time.monotonic() < deadline:
        time.sleep(1)
        number, _ = network.wait_converged(timeout_s=60)
        included = chain_transactions(follower, number)
        missing = load.receipts_seen - set(included)
    assert missing == set(), f"{len(missing)} transactions with a receipt were lost"
    for node in network.nodes:
        if node.running:
            assert node.head()[0] >= number


def test_the_network_seals_with_every_authority_and_the_follower_agrees(
    network: LocalNetwork, load: SteadyLoad
) -> None:
    time.sleep(6 * PERIOD_S)
    number, _ = network.wait_converged(timeout_s=30)
    assert number > 3
    sealers = {n.name for n in network.authorities if "sealed block" in n.log()}
    assert sealers == {n.name for n in network.authorities}
    _assert_nothing_lost_or_doubled(network, load)


def test_standard_clients_write_through_any_authority_and_read_from_the_follower(
    network: LocalNetwork, load: SteadyLoad, tmp_path: Path
) -> None:
    """The RPC stays standard on every node of the network: ethers and viem (deploy, calls,
    logs, subscriptions, today's EVM) against an authority that is not the founder, and
    web3.py sending through one authority and reading the receipt from the follower."""
    from eth_account import Account
    from web3 import Web3
    from web3.middleware import ExtraDataToPOAMiddleware

    writer, follower = network.node("authority2"), network.followers[0]
    assert writer.launched is not None
    check_ethers_and_viem(
        Backend(name=writer.name, url=writer.rpc_url, ws_url=writer.rpc_url.replace("http", "ws"),
                chain_id=network.chain_id, process=writer.launched.process,
                accounts=network.accounts),
        "enterprise2", tmp_path)
    sender = Web3(Web3.HTTPProvider(network.node("authority3").rpc_url))
    reader = Web3(Web3.HTTPProvider(follower.rpc_url))
    reader.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)  # Clique's extraData
    account = Account.from_key(network.accounts["witness"]["privateKey"])
    raw = account.sign_transaction({
        "nonce": sender.eth.get_transaction_count(account.address, "pending"), "gas": 21_000,
        "maxFeePerGas": 0, "maxPriorityFeePerGas": 0, "to": account.address, "value": 0,
        "chainId": sender.eth.chain_id, "type": 2}).raw_transaction
    tx_hash = sender.eth.send_raw_transaction(raw)
    receipt = reader.eth.wait_for_transaction_receipt(tx_hash, timeout=30, poll_latency=0.2)
    assert receipt["status"] == 1
    assert reader.eth.get_block(receipt["blockNumber"])["hash"] == receipt["blockHash"]


def test_an_authority_killed_with_sigkill_restarts_and_catches_up(
    network: LocalNetwork, load: SteadyLoad
) -> None:
    victim = network.node("authority2")
    victim.kill()
    assert _head_advances(network, RESUME_WITHIN_S) < RESUME_WITHIN_S  # two of three seal on
    time.sleep(3 * PERIOD_S)
    victim.start()
    victim.wait_ready()
    network.wait_converged(timeout_s=60)
    _assert_nothing_lost_or_doubled(network, load)


def test_the_in_turn_authority_killed_again_and_again(
    network: LocalNetwork, load: SteadyLoad
) -> None:
    for _round in range(3):
        victim = network.in_turn()
        victim.kill()
        # The out-of-turn authorities seal after their random delay.
        assert _head_advances(network, RESUME_WITHIN_S) < RESUME_WITHIN_S
        victim.start()
        victim.wait_ready()
        network.wait_converged(timeout_s=60)
    _assert_nothing_lost_or_doubled(network, load)


def _last_sealed(node: NetNode) -> int:
    sealed = re.findall(r"sealed block (\d+) ", node.log())
    return int(sealed[-1]) if sealed else -1


def test_a_partition_heals_onto_the_heavier_side(
    network: LocalNetwork, load: SteadyLoad, indexer: tuple[Path, Launched]
) -> None:
    majority = [network.node("authority1"), network.node("authority2")]
    lone, follower = network.node("authority3"), network.followers[0]
    # Cut when the lone authority did not seal the head, so EIP-225 lets it seal one
    # block of its own on the minority side: a real fork, which must lose at the heal.
    deadline = time.monotonic() + 30
    while _last_sealed(lone) >= lone.head()[0] and time.monotonic() < deadline:
        time.sleep(0.2)
    log_before = len(lone.log())
    network.partition(majority, [lone, follower])
    cut_at = max(n.head()[0] for n in network.nodes)
    minority_at_cut = max(lone.head()[0], follower.head()[0])  # it syncs from the follower
    try:
        time.sleep(8 * PERIOD_S)
        heads = {n.name: n.head()[0] for n in network.nodes}
        load.observe_receipts(lone)  # receipts of the minority's fork count too
        # The majority seals on; EIP-225 stops a lone authority of three after one block.
        assert heads["authority1"] > cut_at
        assert heads["authority3"] <= minority_at_cut + 1
    finally:
        network.heal()
    number, _ = network.wait_converged(timeout_s=60)
    assert number >= heads["authority1"]
    sealed_alone = re.findall(r"sealed block (\d+) (0x[0-9a-f]{64})", lone.log()[log_before:])
    final = {int(n): rpc(follower.rpc_url, "eth_getBlockByNumber", [hex(int(n)), False])["hash"]
             for n, _ in sealed_alone}
    replaced = [n for n, block_hash in sealed_alone if final[int(n)] != block_hash]
    if replaced:  # the minority's own block lost to the majority's heavier chain
        assert "reorg: blocks" in lone.log()[log_before:]
    assert _head_advances(network, RESUME_WITHIN_S) < RESUME_WITHIN_S
    _assert_nothing_lost_or_doubled(network, load)
    # The indexer followed authority3 through its reorganisation: its mirror holds the
    # final chain's blocks, and its own audit against the node finds nothing to report.
    database, indexer_process = indexer
    number, head_hash = network.wait_converged(timeout_s=30)
    deadline = time.monotonic() + 30
    while _mirrored_hash(database, number) != head_hash and time.monotonic() < deadline:
        time.sleep(0.3)
    assert _mirrored_hash(database, number) == head_hash, database.with_suffix(".log").read_text()
    for replaced_number in replaced:
        final_hash = rpc(follower.rpc_url, "eth_getBlockByNumber", [hex(int(replaced_number)),
                                                                    False])["hash"]
        assert _mirrored_hash(database, int(replaced_number)) == final_hash
    indexer_process.stop()  # the audit compares a mirror at rest with the chain
    audit = subprocess.run(
        python_command("indexer.cli", "verify", "--rpc", lone.rpc_url, "--db",
                       f"sqlite:///{database}"),
        env=repo_env(), capture_output=True, text=True, timeout=120, check=False)
    assert audit.returncode == 0, audit.stdout + audit.stderr
