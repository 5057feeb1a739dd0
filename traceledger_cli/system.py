"""`traceledger up`: start the embedded system on its defaults.

The parts arrive issue by issue (ledger node, sequencer + anchorer, indexer, API).
Until a part exists, `up` says so plainly instead of pretending to start it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

console = Console()

DEFAULT_DATA_DIR = Path(".traceledger")

# (part, where it lives, whether this checkout ships it yet)
_PARTS: tuple[tuple[str, str, bool], ...] = (
    ("cryptographic core", "anchoring.core", True),
    ("contract artifacts", "contracts/build", True),
    ("ledger node (py-evm, Clique)", "ledger_node", False),
    ("trace log + anchorer", "anchoring", False),
    ("indexer", "indexer", False),
    ("trace API + scan page", "trace_api, scanner_app", False),
)


def up(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the embedded system keeps its data.")
    ] = DEFAULT_DATA_DIR,
) -> None:
    """Start every part of the embedded system that this checkout ships, on SQLite in DATA_DIR."""
    data_dir.mkdir(parents=True, exist_ok=True)
    table = Table(title=f"TraceLedger parts (data in {data_dir.resolve()})")
    table.add_column("part")
    table.add_column("package")
    table.add_column("state")
    for part, package, shipped in _PARTS:
        table.add_row(part, package, "[green]ready[/]" if shipped else "[yellow]not built yet[/]")
    console.print(table)
    _self_check()
    console.print(
        "No long-running service exists yet in this checkout, so there is nothing to keep running."
    )
    console.print("ready")


def _self_check() -> None:
    """Exercise the core once so a broken install fails here, not at the first real record."""
    from anchoring.core import canonical_json, leaf_hash, root_hash

    canonical = canonical_json({"b": 1, "a": [True, None]})
    # RFC 9162 §2.1.1: a one-leaf tree's root is its leaf hash.
    one_leaf_root = root_hash([leaf_hash(b"traceledger")])
    if canonical != b'{"a":[true,null],"b":1}' or one_leaf_root != leaf_hash(b"traceledger"):
        console.print("[red]core self-check failed: the installed anchoring.core is broken[/]")
        raise typer.Exit(code=1)
    console.print("[green]core self-check passed[/]")
