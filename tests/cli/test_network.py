"""`traceledger network up|status` and `traceledger up --peers`, end to end with real
processes: a local consortium of three authorities and a follower comes up in one command,
every node answers, a transaction sent to authority2 gets a receipt on the follower and
all four reach the same head; `network status` says OK. The whole system joins that
network (`up --peers`, no node of its own): /healthz answers, an enterprise registered
through the API captures an event, and the event gets anchored, its anchoring transaction
mined on every node of the network. A directory without network.json is refused with
exit 1 by both commands, and so are a layout different from the one on disk and a data
directory whose log is anchored on another chain.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from typer.testing import CliRunner

from anchoring.anchor_contract import connect, fee_params
from testing.processes import Launched, free_port, python_command
from tests.cli.one_capture import capture_one_event
from traceledger_cli.main import app

NETWORK_READY_TIMEOUT_S = 180
SYSTEM_READY_TIMEOUT_S = 240
RECEIPT_TIMEOUT_S = 60
SAME_HEAD_TIMEOUT_S = 60
ANCHOR_TIMEOUT_S = 120
STOP_TIMEOUT_S = 90
"""SIGTERM to exit: the supervisor stops its services one after the other."""


def _wait_for(condition: Callable[[], object], timeout_s: float, what: str,
              output: Callable[[], str] = lambda: "") -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if condition():
                return
        except (httpx.HTTPError, ValueError, KeyError):
            pass  # not answering yet counts as not yet
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}\n{output()[-4000:]}")
        time.sleep(0.5)


def _rpc(url: str, method: str, params: list[Any]) -> Any:
    answer = httpx.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method,
                                   "params": params}, timeout=10).json()
    if "error" in answer:
        raise ValueError(f"{method} on {url}: {answer['error']}")
    return answer["result"]


def _block_hash(url: str, number: int) -> str | None:
    block = _rpc(url, "eth_getBlockByNumber", [hex(number), False])
    return None if block is None else str(block["hash"])


def _kill_leftovers(marker: str) -> None:
    """SIGKILL every process whose command line names `marker` (a temp dir of this test):
    the services of a supervisor that did not stop them in time."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            argv = (entry / "cmdline").read_bytes().decode(errors="replace")
        except OSError:
            continue  # exited meanwhile
        if marker in argv:
            try:
                os.kill(int(entry.name), signal.SIGKILL)
            except ProcessLookupError:
                pass


def _stop(launched: Launched, marker: str) -> None:
    try:
        launched.stop(signal.SIGTERM, timeout_s=STOP_TIMEOUT_S, whole_group=False)
    finally:
        _kill_leftovers(marker)


@pytest.fixture(scope="module")
def network(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Launched]]:
    """`traceledger network up --authorities 3 --followers 1` once it printed ready."""
    directory = tmp_path_factory.mktemp("consortium") / "network"
    launched = Launched(
        python_command("traceledger_cli.main", "network", "up", "--dir", str(directory),
                       "--authorities", "3", "--followers", "1"),
        # Wide enough for the table's 42-character addresses on one line each.
        cwd=directory.parent, env={**os.environ, "COLUMNS": "200"}, read_lines=True)
    try:
        launched.wait_for_line("ready", timeout_s=NETWORK_READY_TIMEOUT_S,
                               what="network up never printed ready")
        yield directory, launched
    finally:
        _stop(launched, str(directory))


def _nodes(directory: Path) -> list[dict[str, Any]]:
    nodes: list[dict[str, Any]] = json.loads((directory / "network.json").read_text())["nodes"]
    return nodes


def test_network_up_runs_a_consortium_that_agrees(network: tuple[Path, Launched]) -> None:
    directory, launched = network
    nodes = _nodes(directory)
    assert [(node["name"], node["role"]) for node in nodes] == [
        ("authority1", "authority"), ("authority2", "authority"), ("authority3", "authority"),
        ("follower1", "follower")]
    console = " ".join("".join(launched.lines).split())
    for node in nodes:  # the table: every URL whole
        assert node["rpc"] in console and node["p2p"] in console, console
        assert (directory / "logs" / f"{node['name']}.log").exists()
        assert int(_rpc(node["rpc"], "eth_chainId", []), 16) == 7331
    assert all(node["authority"] in console for node in nodes[:3])

    # A transaction sent to authority2 is sealed by the network and reaches the follower.
    by_name = {node["name"]: node["rpc"] for node in nodes}
    admin = Account.from_key(json.loads(
        (directory / "shared" / "dev-keys.json").read_text())["accounts"]["admin"]["privateKey"])
    authority2 = connect(by_name["authority2"])  # Clique headers: web3 with its POA middleware
    transaction = {"to": admin.address, "value": 0, "gas": 21_000, "chainId": 7331,
                   "nonce": authority2.eth.get_transaction_count(admin.address, "pending"),
                   **fee_params(authority2)}
    sent = authority2.eth.send_raw_transaction(
        admin.sign_transaction(transaction).raw_transaction)
    follower = connect(by_name["follower1"])
    receipt = follower.eth.wait_for_transaction_receipt(sent, timeout=RECEIPT_TIMEOUT_S,
                                                        poll_latency=0.2)
    assert receipt["status"] == 1

    # The network goes idle after it (no empty blocks): all four settle on one head that
    # holds the transaction's block.
    def same_head() -> bool:
        heads = {(block["number"], block["hash"]) for block in (
            _rpc(node["rpc"], "eth_getBlockByNumber", ["latest", False]) for node in nodes)}
        return len(heads) == 1 and int(next(iter(heads))[0], 16) >= receipt["blockNumber"]

    _wait_for(same_head, SAME_HEAD_TIMEOUT_S, "all four nodes on the same head",
              launched.output)
    mined_in = {_block_hash(node["rpc"], receipt["blockNumber"]) for node in nodes}
    assert len(mined_in) == 1

    status = CliRunner().invoke(app, ["network", "status", "--dir", str(directory)])
    assert status.exit_code == 0, status.output
    assert "OK: all 4 nodes answer" in " ".join(status.output.split())


def test_a_directory_without_a_network_or_another_layout_is_refused(
        network: tuple[Path, Launched], tmp_path: Path) -> None:
    empty = tmp_path / "no-network"
    empty.mkdir()
    status = CliRunner().invoke(app, ["network", "status", "--dir", str(empty)])
    assert status.exit_code == 1
    assert "holds no network (network.json missing)" in " ".join(status.output.split())
    joined = CliRunner().invoke(app, ["up", "--data-dir", str(tmp_path / "data"),
                                      "--peers", str(empty)])
    assert joined.exit_code == 1
    assert "--peers" in joined.output and "holds no network" in " ".join(joined.output.split())
    assert not (tmp_path / "data").exists()  # refused before anything was made

    directory, _launched = network
    other = CliRunner().invoke(app, ["network", "up", "--dir", str(directory),
                                     "--authorities", "2"])
    assert other.exit_code == 1
    assert "--authorities 2 (it has 3)" in " ".join(other.output.split())

    # A data dir whose log is anchored on another chain does not join (in a process of its
    # own: `up` takes over the signal handlers of the process it runs in).
    own_chain = tmp_path / "own-chain"
    (own_chain / "node").mkdir(parents=True)
    (own_chain / "node" / "deployment.json").write_text("{}")
    other_network = tmp_path / "other-network"
    other_network.mkdir()
    (other_network / "joined-network.json").write_text(json.dumps(
        {"directory": "/elsewhere", "genesisHash": "0x" + "00" * 32}))
    for data_dir, refusal in ((own_chain, "runs a chain of its own"),
                              (other_network, "joined another network")):
        refused = subprocess.run(
            python_command("traceledger_cli.main", "up", "--data-dir", str(data_dir),
                           "--peers", str(directory)),
            capture_output=True, text=True, timeout=120, check=False)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert refusal in " ".join(refused.stdout.split())


def test_up_with_peers_joins_the_network_and_anchors_there(
        network: tuple[Path, Launched], tmp_path: Path) -> None:
    directory, network_process = network
    nodes = _nodes(directory)
    data_dir = tmp_path / "data"
    api_port = free_port()
    system = Launched(
        python_command("traceledger_cli.main", "up", "--data-dir", str(data_dir), "--peers",
                       str(directory), "--log-port", str(free_port()), "--api-port",
                       str(api_port), "--witness-port", str(free_port())),
        cwd=tmp_path, read_lines=True)
    try:
        system.wait_for_line("ready", timeout_s=SYSTEM_READY_TIMEOUT_S,
                             what="up --peers never printed ready")
        console = " ".join("".join(system.lines).split())
        assert "ledger node" not in console  # no node of its own: the network's instead
        assert not (data_dir / "node").exists()
        for node in nodes:
            assert node["rpc"] in console, console
        assert (data_dir / "dev-api-keys.json").exists()  # the network's dev accounts

        api = f"http://127.0.0.1:{api_port}"
        health = httpx.get(f"{api}/healthz", timeout=30)
        assert health.status_code == 200, health.text
        assert health.json()["chainId"] == 7331
        assert health.json()["services"]["node"]["status"] == "up"

        bundle = _capture_and_wait_until_anchored(api, (data_dir / "admin.key").read_text().strip(),
                                                  system.output)
        # The anchoring transaction is mined on the network: every node has its receipt,
        # in the block the bundle names.
        anchor = bundle["anchor"]
        for node in nodes:
            def mined(url: str = node["rpc"]) -> bool:
                receipt = _rpc(url, "eth_getTransactionReceipt", [anchor["transactionHash"]])
                return (receipt is not None and receipt["status"] == "0x1"
                        and receipt["blockHash"] == anchor["blockHash"])

            _wait_for(mined, RECEIPT_TIMEOUT_S, f"the anchoring transaction on {node['name']}",
                      network_process.output)

        system.stop(signal.SIGTERM, timeout_s=STOP_TIMEOUT_S, whole_group=False)
        assert system.process.returncode == 0, system.output()[-4000:]
        assert "stopped" in system.output()
    finally:
        _stop(system, str(data_dir))


def _capture_and_wait_until_anchored(api: str, admin_key: str,
                                     output: Callable[[], str]) -> dict[str, Any]:
    """A custodial enterprise registered through the API (a transaction, sent to an
    authority) captures one event; returns its proof bundle once it is anchored."""
    farm, proof_url = capture_one_event(api, admin_key, "Consortium Farm")
    bundles: list[dict[str, Any]] = []

    def anchored() -> bool:
        response = httpx.get(proof_url, headers=farm, timeout=30)
        assert response.status_code == 200, response.text
        bundles.append(response.json())
        return bundles[-1]["status"] == "anchored"

    _wait_for(anchored, ANCHOR_TIMEOUT_S, "the captured event to be anchored", output)
    return bundles[-1]
