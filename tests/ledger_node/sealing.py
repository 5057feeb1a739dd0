"""A dev node that seals every period, and the checks the hardening tests make of it after
each probe: still answering, still sealing (a transaction's receipt: testing.devnet)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from testing.devnet import Backend, init_dev_dir, rpc, start_ledger_node

PERIOD_S = 1
LOAD_SLACK_S = 2.0
"""Beyond the two periods: the suites share 2 cores with other test processes."""


def sealing_dev_node(data_dir: Path) -> Iterator[Backend]:
    """A dev node in `data_dir` sealing a block every `PERIOD_S`, work or not (a fixture
    body: yield the backend, stop it after)."""
    init_dev_dir(data_dir, period=PERIOD_S)
    backend = start_ledger_node(data_dir, extra_args=["--empty-blocks"])
    yield backend
    backend.stop()


def assert_alive_and_sealing(backend: Backend) -> None:
    """The node answers eth_blockNumber and seals a block within two periods."""
    assert backend.process.poll() is None, "node process died"
    start = int(rpc(backend.url, "eth_blockNumber", timeout=5), 16)
    deadline = time.monotonic() + 2 * PERIOD_S + LOAD_SLACK_S
    while int(rpc(backend.url, "eth_blockNumber", timeout=5), 16) <= start:
        assert time.monotonic() < deadline, f"no block sealed after {start}"
        time.sleep(0.1)
