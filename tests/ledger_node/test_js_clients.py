"""The same conformance checks with ethers v6 and viem (tests/ledger_node/js, `npm ci` there),
against our node and against anvil; contracts compiled with solc's default settings,
including TodaysEvm.sol (PUSH0, transient storage, MCOPY)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from testing.devnet import Backend
from tests.ledger_node.probe import probe_artifact, todays_evm_artifact

JS_DIR = Path(__file__).resolve().parent / "js"
CHECKS = ("deploy", "call", "send_and_logs", "revert_reason", "custom_error",
          "get_logs_filter", "subscribe_logs", "todays_evm")


@pytest.mark.parametrize("role", ["enterprise1"])
def test_ethers_and_viem(backend: Backend, role: str, tmp_path: Path) -> None:
    check_ethers_and_viem(backend, role, tmp_path)


def check_ethers_and_viem(backend: Backend, role: str, tmp_path: Path) -> None:
    """Run every check of conformance.mjs with ethers and with viem against `backend`
    (also used against the nodes of a consortium)."""
    assert (JS_DIR / "node_modules" / "ethers").is_dir(), "run `npm ci` in tests/ledger_node/js"
    artifact = probe_artifact()
    config = {
        "url": backend.url, "wsUrl": backend.ws_url, "chainId": backend.chain_id,
        "privateKey": backend.accounts[role]["privateKey"],
        "abi": artifact["abi"], "bytecode": artifact["bytecode"],
        "todaysEvm": {key: todays_evm_artifact()[key] for key in ("abi", "bytecode")},
    }
    config_path = tmp_path / "config.json"
    config_path.write_text(json.dumps(config))
    completed = subprocess.run(
        ["node", str(JS_DIR / "conformance.mjs"), str(config_path)],
        check=False, cwd=JS_DIR, capture_output=True, text=True, timeout=240,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    results = json.loads(completed.stdout.strip().splitlines()[-1])
    for library in ("ethers", "viem"):
        failures = {k: v for k, v in results[library].items() if v is not True}
        assert not failures, f"{library} on {backend.name}: {failures}"
        assert set(results[library]) == set(CHECKS)
