"""Compile the node's test contracts (Probe.sol, TodaysEvm.sol) with the repo's pinned npm
solc and solc's *default* settings: no EVM target, no optimizer, as a user who deploys
with ethers after `solc --bin` would. The chain must run what solc emits by default."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@lru_cache(maxsize=4)
def default_solc_artifact(contract: str) -> dict[str, Any]:
    """{"abi", "bytecode", "deployedBytecode", "evmVersion"} of tests/ledger_node/<contract>.sol,
    compiled with solc's default settings (evmVersion is what solc chose)."""
    source_name = f"{contract}.sol"
    standard_input = {
        "language": "Solidity",
        "sources": {source_name: {"content": (HERE / source_name).read_text()}},
        "settings": {
            "outputSelection": {
                "*": {"*": ["abi", "metadata", "evm.bytecode.object",
                            "evm.deployedBytecode.object"]},
            },
        },
    }
    completed = subprocess.run(
        ["node", str(REPO / "contracts" / "compile.mjs")],
        input=json.dumps(standard_input).encode(),
        capture_output=True,
        check=True,
        cwd=REPO / "contracts",
        timeout=120,
    )
    output = json.loads(completed.stdout)
    errors = [e for e in output.get("errors", []) if e["severity"] == "error"]
    if errors:
        raise RuntimeError(errors)
    compiled = output["contracts"][source_name][contract]
    return {
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
        "evmVersion": json.loads(compiled["metadata"])["settings"]["evmVersion"],
    }


def probe_artifact() -> dict[str, Any]:
    """The Probe contract (storage, events, returns, reverts) of the conformance suite."""
    return default_solc_artifact("Probe")


def todays_evm_artifact() -> dict[str, Any]:
    """The TodaysEvm contract: PUSH0, transient storage, MCOPY, BLOBBASEFEE, PREVRANDAO."""
    return default_solc_artifact("TodaysEvm")
