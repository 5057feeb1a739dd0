"""Compile tests/ledger_node/Probe.sol with the repo's pinned npm solc (EVM target london)."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


@lru_cache(maxsize=1)
def probe_artifact() -> dict[str, Any]:
    """{"abi": [...], "bytecode": "0x..."} of the Probe contract."""
    source = (HERE / "Probe.sol").read_text()
    standard_input = {
        "language": "Solidity",
        "sources": {"Probe.sol": {"content": source}},
        "settings": {
            "evmVersion": "london",
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
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
    contract = output["contracts"]["Probe.sol"]["Probe"]
    return {"abi": contract["abi"], "bytecode": "0x" + contract["evm"]["bytecode"]["object"]}
