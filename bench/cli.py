"""`traceledger bench ...`: run a benchmark, print JSON, append the figures to bench/README.md."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.console import Console

from bench.machine import describe_machine
from bench.report import append_section

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)

_FIGURE_NAMES = {
    "leaf_appends_per_s": "leaf appends/s through the compact range",
    "inclusion_verifications_per_s": "inclusion proofs verified/s (tree of {tree_size:,} leaves)",
    "event_hashes_per_s": "CBV 2.0 event hashes/s ({example_events} GS1 example events)",
    "eip712_recoveries_per_s": "EIP-712 record signer recoveries/s",
}


@app.command("core")
def core(
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Measure anchoring.core throughput (one core) and print the figures as JSON."""
    from bench.core import run_core_bench

    machine = describe_machine()
    with console.status("measuring anchoring.core (about a minute)"):
        result = run_core_bench()
    result["machine"] = machine
    typer.echo(json.dumps(result, indent=2))
    if record:
        rows = [
            (
                _FIGURE_NAMES[name].format(**result),
                f"{measured:,}",
                f">= {result['targets'][name]:,}",
            )
            for name, measured in result["figures"].items()
        ]
        append_section("anchoring.core", machine, rows, "traceledger bench core")
        console.print("[green]appended to bench/README.md[/]")
