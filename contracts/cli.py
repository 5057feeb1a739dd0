"""`traceledger contracts ...`: compile the Solidity sources into contracts/build/."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from contracts.build import BUILD_DIR, EVM_VERSION, OPTIMIZER_RUNS, SOLC_VERSION, build_contracts
from contracts.errors import CompilationError, ToolchainMissingError

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


@app.callback()
def contracts() -> None:
    """Solidity contracts: compile with the pinned solc."""


@app.command("build")
def build(
    out_dir: Annotated[
        Path, typer.Option(help="Where to write <Name>.json artifacts.")
    ] = BUILD_DIR,
) -> None:
    """Compile contracts/src/ with the pinned solc and write the artifacts."""
    console.print(f"solc {SOLC_VERSION}, evmVersion {EVM_VERSION}, optimizer runs {OPTIMIZER_RUNS}")
    try:
        written = build_contracts(out_dir)
    except ToolchainMissingError as exc:
        console.print(f"[red]toolchain missing:[/red] {escape(str(exc))}")
        console.print("install Node.js >= 20, then run `npm ci --prefix contracts`")
        raise typer.Exit(code=2) from exc
    except CompilationError as exc:
        console.print(f"[red]compilation failed:[/red]\n{escape(str(exc))}")
        raise typer.Exit(code=1) from exc
    for path in written:
        console.print(f"wrote {path} ({path.stat().st_size:,} bytes)")
