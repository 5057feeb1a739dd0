"""A dev-mode ledger node and anvil as real subprocesses on free loopback ports, behind one
`Backend` shape, so a suite or bench can run the same calls against both.

Used by tests/ledger_node (the RPC conformance suite runs on both), tests/anchoring and
the node and indexer benches. The node is run as a user runs it: `python -m ledger_node
init --dev` and `run` in subprocesses.
"""

from __future__ import annotations

import json
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from testing.anvil import Anvil
from testing.processes import REPO, Launched, free_port, python_command, repo_env, stop_process

__all__ = ["ANVIL_CHAIN_ID", "Backend", "free_port", "init_dev_dir", "rpc", "start_anvil",
           "start_ledger_node", "wait_for_rpc", "wait_receipt"]

ANVIL_CHAIN_ID = 31337
READY_TIMEOUT_S = 60.0
RECEIPT_POLL_S = 0.1


def rpc(url: str, method: str, params: list[Any] | None = None, timeout: float = 30) -> Any:
    """One JSON-RPC call; raises RuntimeError with the error object on an error response."""
    response = httpx.post(
        url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []},
        timeout=timeout,
    )
    body = response.json()
    if "error" in body:
        raise RuntimeError(body["error"])
    return body["result"]


def wait_receipt(backend: Backend, tx_hash: str, timeout: float = 30) -> dict[str, Any]:
    """The receipt of `tx_hash` once it is mined; TimeoutError after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        receipt = rpc(backend.url, "eth_getTransactionReceipt", [tx_hash])
        if receipt is not None:
            return receipt  # type: ignore[no-any-return]
        time.sleep(RECEIPT_POLL_S)
    raise TimeoutError(tx_hash)


def answers_rpc(url: str) -> bool:
    """True once `url` answers eth_blockNumber (the readiness check of every node here)."""
    rpc(url, "eth_blockNumber", timeout=2)
    return True


def wait_for_rpc(url: str, launched: Launched, timeout: float = READY_TIMEOUT_S) -> None:
    """Return once `url` answers eth_blockNumber; ProcessNotReady if the process dies or
    time runs out."""
    launched.wait_until(lambda: answers_rpc(url), timeout_s=timeout, what=f"node at {url}",
                        poll_s=0.2)


@dataclass
class Backend:
    """A running JSON-RPC node under test."""

    name: str
    url: str
    ws_url: str
    chain_id: int
    process: subprocess.Popen[bytes]
    accounts: dict[str, dict[str, str]]  # role -> {"address", "privateKey"}
    data_dir: Path | None = None
    deployment: dict[str, Any] | None = None
    log_path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process group (SIGKILL with sig=signal.SIGKILL) and wait for it."""
        stop_process(self.process, sig)


def init_dev_dir(
    data_dir: Path, period: int = 1, extra_args: list[str] | None = None
) -> dict[str, Any]:
    """`init --dev` into data_dir (in a subprocess, as a user would); returns deployment.json."""
    subprocess.run(
        python_command("ledger_node", "init", "--data-dir", str(data_dir), "--dev",
                       "--period", str(period), *(extra_args or [])),
        check=True, cwd=REPO, env=repo_env(), capture_output=True, timeout=120,
    )
    return json.loads((data_dir / "deployment.json").read_text())  # type: ignore[no-any-return]


def start_ledger_node(
    data_dir: Path, port: int | None = None, extra_args: list[str] | None = None
) -> Backend:
    """Run `python -m ledger_node run` over an initialised data_dir; wait until it answers
    (ProcessNotReady quoting the node's log if it does not)."""
    port = port or free_port()
    log_path = data_dir / f"node-{port}.log"
    launched = Launched(
        python_command("ledger_node", "run", "--data-dir", str(data_dir), "--rpc-port",
                       str(port), *(extra_args or [])),
        env=repo_env(), log_path=log_path)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_rpc(url, launched)
    except Exception:
        launched.stop(signal.SIGKILL)
        raise
    accounts = json.loads((data_dir / "dev-keys.json").read_text())["accounts"]
    deployment = json.loads((data_dir / "deployment.json").read_text())
    return Backend(
        name="ledger", url=url, ws_url=f"ws://127.0.0.1:{port}", chain_id=deployment["chainId"],
        process=launched.process, accounts=accounts, data_dir=data_dir, deployment=deployment,
        log_path=log_path,
    )


def start_anvil(accounts: dict[str, dict[str, str]], extra_args: list[str] | None = None) -> Backend:
    """Run anvil (Cancun, base fee 0, like our chain's rules) and fund `accounts` on it."""
    anvil = Anvil.started(extra_args=["--base-fee", "0", "--gas-price", "0", "--chain-id",
                                      str(ANVIL_CHAIN_ID), *(extra_args or [])])
    for entry in accounts.values():
        rpc(anvil.url, "anvil_setBalance", [entry["address"], hex(10**24)])
    return Backend(
        name="anvil", url=anvil.url, ws_url=anvil.ws_url, chain_id=ANVIL_CHAIN_ID,
        process=anvil.process, accounts=accounts,
    )
