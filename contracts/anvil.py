"""The pinned anvil (npm `@foundry-rs/anvil`, see package.json): where it is and how we run it.

anvil is the independent EVM every chain-facing test suite and benchmark also runs against.
One command line for all of them, so they all compare against the same rules: London (the
EVM version the contracts are compiled for), loopback only, quiet.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from pathlib import Path

ANVIL_BINARY = Path(__file__).resolve().parent / "node_modules" / ".bin" / "anvil"
ANVIL_HARDFORK = "london"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def anvil_command(port: int, *, accounts: int = 10, extra_args: Sequence[str] = ()) -> list[str]:
    """The anvil command line: London rules on 127.0.0.1:port with `accounts` funded accounts."""
    return [
        str(ANVIL_BINARY),
        "--host", "127.0.0.1",
        "--port", str(port),
        "--silent",
        "--hardfork", ANVIL_HARDFORK,
        "--accounts", str(accounts),
        *extra_args,
    ]  # fmt: skip
