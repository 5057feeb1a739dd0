"""`traceledger`: the one console entry point. Each service adds a sub-command group here."""

from __future__ import annotations

import typer

from bench.cli import app as bench_app
from traceledger_cli.core_commands import app as core_app
from traceledger_cli.system import up

app = typer.Typer(
    name="traceledger",
    help="Tamper-evident trace records for food and special equipment.",
    no_args_is_help=True,
    add_completion=False,
)
app.add_typer(core_app, name="core", help="Event hash IDs, canonical JSON and proof checks.")
app.add_typer(bench_app, name="bench", help="Measure throughput; figures go to bench/README.md.")
app.command(name="up")(up)


@app.command()
def version() -> None:
    """Print the TraceLedger version."""
    from importlib.metadata import version as package_version

    typer.echo(package_version("traceledger"))


if __name__ == "__main__":  # pragma: no cover
    app()
