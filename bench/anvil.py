"""An anvil process for benchmarks and tests: London rules, a free port, stop/restart with state."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.types import Wei

from contracts.abi import Role
from contracts.anvil import anvil_command, free_port
from contracts.artifacts import load_artifact


class Anvil:
    """An anvil process on a fixed port, which tests may stop and restart (same state file)."""

    def __init__(
        self, state_dir: Path, *, block_time: float | None = None, gas_limit: int | None = None
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.state_file = state_dir / "anvil-state.json"
        self.block_time = block_time
        self.gas_limit = gas_limit
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start anvil (London rules), loading the state file if a previous run dumped one."""
        command = anvil_command(self.port, extra_args=["--state", str(self.state_file)])
        if self.block_time is not None:
            command += ["--block-time", str(self.block_time)]
        if self.gas_limit is not None:
            command += ["--gas-limit", str(self.gas_limit)]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        probe = Web3(Web3.HTTPProvider(self.url))
        deadline = time.monotonic() + 20
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"anvil exited: {self.process.stderr.read().decode() if self.process.stderr else ''}"
                )
            try:
                _ = probe.eth.chain_id
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        """Stop anvil gracefully (it dumps its state to the state file)."""
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self.process = None


def deploy_contracts(w3: Web3, admin: str, anchorer: str, witnesses: list[str]) -> tuple[Any, Any]:
    """Deploy MemberRegistry + TraceAnchor from unlocked `admin`, grant roles; return both.

    For tests, benchmarks and local set-ups on a dev node with unlocked accounts.
    """

    def deploy(name: str, *args: Any) -> Any:
        artifact = load_artifact(name)
        factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        receipt = w3.eth.wait_for_transaction_receipt(
            factory.constructor(*args).transact({"from": admin})
        )
        return w3.eth.contract(address=receipt["contractAddress"], abi=artifact.abi)

    registry = deploy("MemberRegistry", [admin], 1)
    anchor = deploy("TraceAnchor", registry.address)
    for account, role in [(anchorer, Role.ANCHORER), *((w, Role.WITNESS) for w in witnesses)]:
        tx = registry.functions.proposeRoleChange(account, role).transact({"from": admin})
        if w3.eth.wait_for_transaction_receipt(tx)["status"] != 1:
            raise RuntimeError(f"granting role {role} to {account} failed")
        if w3.eth.get_balance(Web3.to_checksum_address(account)) < 10**18:
            w3.eth.wait_for_transaction_receipt(
                w3.eth.send_transaction({"from": admin, "to": account, "value": Wei(10**19)})
            )
    return registry, anchor
