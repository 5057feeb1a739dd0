"""`traceledger bench network` keeps working: the whole command (a real 3-authority network
and follower, the load driver, the newHeads watch, the table) at a tiny load, 50 tx/s for
3 s, without the single-node comparison and without touching bench/README.md.

No speed is asserted (the figures live in bench/README.md); only that every offered
transaction is accounted for and each figure was produced.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from bench import network_bench
from bench.cli import app

NODES = {"authority1", "authority2", "authority3", "follower1"}


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_network_bench_runs_end_to_end(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(network_bench, "DRAIN_S", 20.0)  # 150 transactions need far less
    outcome = CliRunner().invoke(app, ["network", "--rate", "50", "--seconds", "3",
                                       "--no-compare", "--no-record"])
    assert outcome.exit_code == 0, outcome.output
    result = json.loads(outcome.stdout)
    network = result["network"]
    assert network["offered_tx"] == 150
    assert network["included_tx"] + network["rejected_tx"] == 150, network
    assert network["latency_p50_s"] is not None
    propagation = network["propagation"]
    assert propagation["blocks_with_txs"] > 0
    assert propagation["to_follower"]["samples"] > 0
    assert set(network["cpu_percent_of_one_core"]) == NODES | {"bench"}
    assert "single_node" not in result
    assert "traceledger bench network" in outcome.stderr  # the table's title
