"""The committed artifacts are exactly what the pinned toolchain builds from contracts/src/."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from contracts.artifacts import Artifact, load_artifact
from contracts.build import (
    BUILD_DIR,
    CONTRACT_NAMES,
    CONTRACTS_DIR,
    EVM_VERSION,
    NODE_MODULES,
    OPTIMIZER_RUNS,
    SOLC_VERSION,
)
from contracts.cli import app
from contracts.errors import UnknownArtifactError
from ledger_node.vm import clique_vm_class

PUSH1, PUSH32 = 0x60, 0x7F


def _toolchain_present() -> bool:
    return shutil.which("node") is not None and (NODE_MODULES / "solc" / "package.json").is_file()


needs_toolchain = pytest.mark.skipif(
    not _toolchain_present(), reason="node or npm solc missing: run `npm ci --prefix contracts`"
)


@needs_toolchain
def test_rebuild_is_byte_identical_to_committed_artifacts(tmp_path: Path) -> None:
    """`traceledger contracts build` (which calls `build_contracts`) into a temp dir
    reproduces contracts/build/ byte for byte."""
    result = CliRunner().invoke(app, ["build", "--out-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    written = sorted(path.name for path in tmp_path.iterdir())
    assert written == sorted(f"{name}.json" for name in CONTRACT_NAMES)
    assert sorted(path.name for path in BUILD_DIR.glob("*.json")) == written
    for name in written:
        assert (tmp_path / name).read_bytes() == (BUILD_DIR / name).read_bytes(), (
            f"{name} differs from contracts/build/: run `traceledger contracts build` "
            "and commit the result"
        )


def test_cli_build_without_node_fails_clearly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("contracts.build.shutil.which", lambda name: None)
    result = CliRunner().invoke(app, ["build", "--out-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "node" in result.output and "npm ci --prefix contracts" in result.output
    assert not list(tmp_path.iterdir())


def test_package_json_pins_exact_versions() -> None:
    package = json.loads((CONTRACTS_DIR / "package.json").read_text())
    assert package["dependencies"]["solc"] == SOLC_VERSION
    assert package["dependencies"]["@foundry-rs/anvil"] == "1.7.1"
    lock = json.loads((CONTRACTS_DIR / "package-lock.json").read_text())
    assert lock["packages"]["node_modules/solc"]["version"] == SOLC_VERSION


@pytest.mark.parametrize("name", CONTRACT_NAMES)
def test_artifacts_record_pinned_settings_and_use_only_the_chains_opcodes(name: str) -> None:
    artifact = load_artifact(name)
    assert isinstance(artifact, Artifact) and artifact.name == name
    document = json.loads((BUILD_DIR / f"{name}.json").read_text())
    metadata = json.loads(document["metadata"])
    assert metadata["compiler"]["version"].startswith(SOLC_VERSION + "+")
    assert metadata["settings"]["evmVersion"] == EVM_VERSION
    assert metadata["settings"]["optimizer"] == {"enabled": True, "runs": OPTIMIZER_RUNS}
    # Every opcode must exist in the EVM the ledger chain runs (ledger_node/vm.py): solc's
    # default target is newer (osaka's CLZ), which is why the build names its target.
    chain_opcodes = set(clique_vm_class().get_state_class().computation_class.opcodes)
    for code in (artifact.bytecode, artifact.deployed_bytecode):
        unknown = {hex(op) for op in _opcodes(bytes.fromhex(code[2:]))} - {
            hex(op) for op in chain_opcodes} - {"0xfe"}  # INVALID: solc's deliberate trap
        assert not unknown, f"{name} uses opcodes the chain lacks: {sorted(unknown)}"


def test_unknown_artifact() -> None:
    with pytest.raises(UnknownArtifactError):
        load_artifact("NoSuchContract")


def _opcodes(code: bytes) -> list[int]:
    """Opcodes of the runtime or creation code, skipping PUSH data and the CBOR metadata."""
    metadata_length = int.from_bytes(code[-2:], "big") + 2
    body = code[:-metadata_length] if metadata_length < len(code) else code
    opcodes, position = [], 0
    while position < len(body):
        opcode = body[position]
        opcodes.append(opcode)
        position += 1 + (opcode - PUSH1 + 1 if PUSH1 <= opcode <= PUSH32 else 0)
    return opcodes
