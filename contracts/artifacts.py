"""Loading the committed contract artifacts from contracts/build/ (no Node.js needed)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from contracts.errors import UnknownArtifactError

BUILD_DIR = Path(__file__).resolve().parent / "build"


@dataclass(frozen=True)
class Artifact:
    """A compiled contract: its ABI, creation and runtime bytecode (0x-prefixed hex), and
    solc's `methodIdentifiers` ({function signature: 8 hex digits})."""

    name: str
    abi: tuple[dict[str, Any], ...]
    bytecode: str
    deployed_bytecode: str
    method_identifiers: dict[str, str]


@cache
def load_artifact(name: str, build_dir: Path = BUILD_DIR) -> Artifact:
    """Return the artifact of contract `name` (e.g. "TraceAnchor") from `build_dir`.

    Raises `UnknownArtifactError` if there is no `<build_dir>/<name>.json`.
    """
    path = build_dir / f"{name}.json"
    try:
        document = json.loads(path.read_text(encoding="ascii"))
    except FileNotFoundError as exc:
        raise UnknownArtifactError(
            f"no artifact {path}; run `traceledger contracts build`"
        ) from exc
    return Artifact(
        name=name,
        abi=tuple(document["abi"]),
        bytecode=document["bytecode"],
        deployed_bytecode=document["deployedBytecode"],
        method_identifiers=dict(document.get("methodIdentifiers", {})),
    )
