"""Start a dev-mode ledger node and anvil as real subprocesses on free loopback ports.

Used by the tests (tests/ledger_node) and the benchmark (bench/node_bench.py); not by the
node itself. anvil is the npm `@foundry-rs/anvil` binary under contracts/node_modules.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from contracts.anvil import anvil_command, free_port

REPO = Path(__file__).resolve().parents[1]
ANVIL_CHAIN_ID = 31337




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


def wait_for_rpc(url: str, process: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Return once `url` answers eth_blockNumber; raise if the process dies or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"node exited with {process.returncode}")
        try:
            rpc(url, "eth_blockNumber", timeout=2)
            return
        except (httpx.HTTPError, RuntimeError):
            time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer within {timeout}s")


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
        """Stop the process (SIGKILL with sig=signal.SIGKILL) and wait for it."""
        # Each process was started in its own session: signal its group, so a wrapper
        # (anvil's npm launcher) and the binary it spawned stop together.
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        else:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)  # leftovers of the group


def init_dev_dir(
    data_dir: Path, period: int = 1, extra_args: list[str] | None = None
) -> dict[str, Any]:
    """`init --dev` into data_dir (in a subprocess, as a user would); returns deployment.json."""
    subprocess.run(
        [sys.executable, "-m", "ledger_node", "init", "--data-dir", str(data_dir), "--dev",
         "--period", str(period), *(extra_args or [])],
        check=True, cwd=REPO, env=_env(), capture_output=True, timeout=120,
    )
    return json.loads((data_dir / "deployment.json").read_text())


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def start_ledger_node(
    data_dir: Path, port: int | None = None, extra_args: list[str] | None = None
) -> Backend:
    """Run `python -m ledger_node run` over an initialised data_dir; wait until it answers."""
    port = port or free_port()
    log_path = data_dir / f"node-{port}.log"
    log = open(log_path, "ab")  # noqa: SIM115 - lives as long as the process
    process = subprocess.Popen(
        [sys.executable, "-m", "ledger_node", "run", "--data-dir", str(data_dir),
         "--rpc-port", str(port), *(extra_args or [])],
        cwd=REPO, env=_env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_rpc(url, process)
    except Exception:  # noqa: BLE001 - any failure: show the node's log
        process.kill()
        raise RuntimeError(log_path.read_text()[-3000:]) from None
    accounts = json.loads((data_dir / "dev-keys.json").read_text())["accounts"]
    deployment = json.loads((data_dir / "deployment.json").read_text())
    return Backend(
        name="ledger", url=url, ws_url=f"ws://127.0.0.1:{port}", chain_id=deployment["chainId"],
        process=process, accounts=accounts, data_dir=data_dir, deployment=deployment,
        log_path=log_path,
    )


def start_anvil(accounts: dict[str, dict[str, str]], extra_args: list[str] | None = None) -> Backend:
    """Run anvil (London, base fee 0, like our chain's rules) and fund `accounts` on it."""
    port = free_port()
    process = subprocess.Popen(
        anvil_command(port, extra_args=["--base-fee", "0", "--gas-price", "0", "--chain-id",
                                        str(ANVIL_CHAIN_ID), *(extra_args or [])]),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_for_rpc(url, process)
    for entry in accounts.values():
        rpc(url, "anvil_setBalance", [entry["address"], hex(10**24)])
    return Backend(
        name="anvil", url=url, ws_url=f"ws://127.0.0.1:{port}", chain_id=ANVIL_CHAIN_ID,
        process=process, accounts=accounts,
    )
