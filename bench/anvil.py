"""An anvil process for benchmarks and tests: London rules, a free port, stop/restart with state."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

from web3 import Web3

ANVIL = Path(__file__).resolve().parents[1] / "contracts" / "node_modules" / ".bin" / "anvil"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


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
        command = [
            str(ANVIL),
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--silent",
            "--hardfork",
            "london",
            "--accounts",
            "10",
            "--state",
            str(self.state_file),
        ]
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
