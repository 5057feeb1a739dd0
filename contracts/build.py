"""Compiling the Solidity sources with the pinned solc into committed, byte-stable artifacts.

The compiler is npm `solc` at the exact version in `contracts/package.json` (installed with
`npm ci --prefix contracts`), driven through `compile.mjs` with standard-JSON input. Every
setting that changes bytecode is fixed here: compiler version, EVM version, optimizer,
metadata hash. Changing any of them changes the committed artifacts, which the tests
rebuild and compare byte for byte.
"""

from __future__ import annotations

import json
import logging
import shutil
import subprocess
from pathlib import Path
from typing import Any

from contracts.abi import Contract
from contracts.errors import CompilationError, ToolchainMissingError

logger = logging.getLogger(__name__)

CONTRACTS_DIR = Path(__file__).resolve().parent
SOURCE_DIR = CONTRACTS_DIR / "src"
BUILD_DIR = CONTRACTS_DIR / "build"
COMPILE_SCRIPT = CONTRACTS_DIR / "compile.mjs"
NODE_MODULES = CONTRACTS_DIR / "node_modules"

#: Exact solc release; must equal the version pinned in contracts/package.json.
SOLC_VERSION = "0.8.37"
#: The fork the ledger chain executes (ledger_node/vm.py: Cancun under Clique), and anvil
#: with `--hardfork cancun` beside it. Named rather than solc's default (osaka in 0.8.37),
#: so the bytecode never uses an opcode the chain does not have yet (CLZ).
EVM_VERSION = "cancun"
#: Optimizer runs: anchor() and verifyInclusion() are called often, deployed once.
OPTIMIZER_RUNS = 200
#: The contracts that get an artifact (Roles.sol only holds shared types).
CONTRACT_NAMES = tuple(str(contract) for contract in Contract)
#: How long solcjs (a WebAssembly compiler) may take before we give up.
COMPILE_TIMEOUT_S = 300


def standard_json_input() -> dict[str, Any]:
    """Return the solc standard-JSON input for every source under contracts/src/.

    Source unit names are `src/<file>.sol`, so the metadata does not depend on where the
    checkout lives.
    """
    sources = {
        f"src/{path.name}": {"content": path.read_text(encoding="utf-8")}
        for path in sorted(SOURCE_DIR.glob("*.sol"))
    }
    return {
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "evmVersion": EVM_VERSION,
            "optimizer": {"enabled": True, "runs": OPTIMIZER_RUNS},
            "metadata": {"bytecodeHash": "ipfs", "useLiteralContent": False},
            "outputSelection": {
                "*": {
                    "*": [
                        "abi",
                        "evm.bytecode.object",
                        "evm.deployedBytecode.object",
                        "evm.methodIdentifiers",
                        "metadata",
                    ]
                }
            },
        },
    }


def compile_sources(solc_input: dict[str, Any]) -> dict[str, Any]:
    """Run the pinned solc on `solc_input` and return its standard-JSON output.

    Raises `ToolchainMissingError` if node or the npm packages are absent, and
    `CompilationError` if solc reports any error.
    """
    node = shutil.which("node")
    if node is None:
        raise ToolchainMissingError("node (Node.js >= 20) is not on PATH")
    if not (NODE_MODULES / "solc" / "package.json").is_file():
        raise ToolchainMissingError(
            f"npm solc is not installed in {NODE_MODULES}: run `npm ci --prefix contracts`"
        )
    try:
        completed = subprocess.run(
            [node, str(COMPILE_SCRIPT), SOLC_VERSION],
            input=json.dumps(solc_input).encode("utf-8"),
            capture_output=True,
            cwd=CONTRACTS_DIR,
            timeout=COMPILE_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise CompilationError([f"solc did not finish within {COMPILE_TIMEOUT_S} s"]) from exc
    if completed.returncode != 0:
        stderr = completed.stderr.decode("utf-8", "replace").strip()
        if completed.returncode == 3:
            raise ToolchainMissingError(stderr)
        raise CompilationError([f"compile.mjs exited with {completed.returncode}: {stderr}"])
    output: dict[str, Any] = json.loads(completed.stdout)
    errors = [
        entry.get("formattedMessage", entry.get("message", ""))
        for entry in output.get("errors", [])
        if entry.get("severity") == "error"
    ]
    if errors:
        raise CompilationError(errors)
    for entry in output.get("errors", []):
        logger.warning("solc: %s", entry.get("formattedMessage", entry.get("message", "")).strip())
    return output


def encode_artifact(name: str, compiled: dict[str, Any]) -> bytes:
    """Return the artifact file bytes for contract `name`: sorted keys, two-space indent,
    a trailing newline, so equal compiler output always gives equal bytes."""
    document = {
        "contractName": name,
        "abi": compiled["abi"],
        "bytecode": "0x" + compiled["evm"]["bytecode"]["object"],
        "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
        "metadata": compiled["metadata"],
        # solc's own {signature: selector} table; contracts.abi is checked against it.
        "methodIdentifiers": compiled["evm"]["methodIdentifiers"],
    }
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=True) + "\n").encode(
        "ascii"
    )


def build_contracts(out_dir: Path = BUILD_DIR) -> list[Path]:
    """Compile contracts/src/ and write `<out_dir>/<Name>.json` for each of CONTRACT_NAMES.

    Returns the written paths. Raises `ToolchainMissingError` or `CompilationError`; writes
    nothing unless every contract compiled.
    """
    output = compile_sources(standard_json_input())
    by_name: dict[str, dict[str, Any]] = {}
    for contracts in output.get("contracts", {}).values():
        for name, compiled in contracts.items():
            by_name[name] = compiled
    missing = [name for name in CONTRACT_NAMES if name not in by_name]
    if missing:
        raise CompilationError([f"solc produced no output for {', '.join(missing)}"])
    encoded = {name: encode_artifact(name, by_name[name]) for name in CONTRACT_NAMES}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, data in encoded.items():
        path = out_dir / f"{name}.json"
        path.write_bytes(data)
        written.append(path)
        logger.info("wrote artifact", extra={"contract": name, "path": str(path)})
    return written
