"""`traceledger`: the one console entry point. Each service adds a sub-command group here."""

from __future__ import annotations

import typer

from anchoring.cli import anchorer_app, log_app, witness_app
from contracts.cli import app as contracts_app
from indexer.cli import app as indexer_app
from ledger_node.cli import app as node_app
from trace_api.cli import app as api_app
from trace_api.provenance.cli import trace_command
from trace_api.verification.cli import verify_command
from traceledger_cli.core_commands import app as core_app
from traceledger_cli.join_command import join as node_join_command
from traceledger_cli.label_commands import app as label_app
from traceledger_cli.lazy_bench import CommandsWithLazyBench
from traceledger_cli.network import app as network_app
from traceledger_cli.private_files import restrict_new_files
from traceledger_cli.scan_page_commands import app as scan_page_app
from traceledger_cli.system import up

app = typer.Typer(
    name="traceledger",
    help="Tamper-evident trace records for food and special equipment.",
    no_args_is_help=True,
    add_completion=False,
    cls=CommandsWithLazyBench,  # `bench` imported only when invoked (traceledger_cli/lazy_bench.py)
    # Tracebacks with local variables could print keys and passphrases into logs.
    pretty_exceptions_show_locals=False,
)
app.add_typer(core_app, name="core", help="Event hash IDs, canonical JSON and proof checks.")
app.add_typer(label_app, name="label", help="GS1 Digital Link QR labels (SVG/PNG/PDF), offline.")
app.add_typer(contracts_app, name="contracts", help="Build the Solidity contracts (needs Node).")
app.add_typer(indexer_app, name="indexer", help="Mirror the chain into SQL; verify the mirror.")
app.add_typer(node_app, name="node", help="The permissioned py-evm ledger node: init, run.")
node_app.command("join")(node_join_command)  # beside `node init`: joining another's network
app.add_typer(network_app, name="network",
              help="A local consortium (several authorities, followers): up, status.")
app.add_typer(log_app, name="log", help="The trace log: keys, tlog-tiles serving, verification.")
app.add_typer(anchorer_app, name="anchorer", help="Anchor the log's tree heads on chain.")
app.add_typer(witness_app, name="witness", help="Check and cosign the log's checkpoints (regulators).")
app.add_typer(api_app, name="api", help="The trace API: serve it; issue and revoke API keys.")
app.add_typer(scan_page_app, name="scan-page",
              help="The consumer scan page as a static bundle with pinned trust anchors.")
app.command(name="up")(up)
app.command(name="verify")(verify_command)
app.command(name="trace")(trace_command)


@app.command()
def version() -> None:
    """Print the TraceLedger version."""
    from importlib.metadata import version as package_version

    typer.echo(package_version("traceledger"))


def main() -> None:
    """The process entry (console script and `python -m traceledger_cli.main`): every file
    a traceledger process creates is owner-only, then the command runs."""
    restrict_new_files()
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
