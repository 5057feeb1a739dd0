"""`traceledger indexer ...`: run the indexer, or verify a mirror against the chain."""

from __future__ import annotations

import logging
import sys
from typing import Annotated

import typer

app = typer.Typer(no_args_is_help=True, help="Mirror the chain into SQL and audit the mirror.")

RpcOption = Annotated[
    str, typer.Option("--rpc", envvar="TRACELEDGER_RPC_URL", help="Node JSON-RPC URL (http).")
]
DbOption = Annotated[
    str,
    typer.Option(
        "--db",
        envvar="TRACELEDGER_INDEXER_DB",
        help="Mirror database URL (sqlite:///file.db or postgresql://...).",
    ),
]
RegistryOption = Annotated[
    str | None,
    typer.Option(
        "--member-registry", envvar="TRACELEDGER_MEMBER_REGISTRY", help="MemberRegistry address."
    ),
]
AnchorOption = Annotated[
    str | None,
    typer.Option("--trace-anchor", envvar="TRACELEDGER_TRACE_ANCHOR", help="TraceAnchor address."),
]
RecallOption = Annotated[
    str | None,
    typer.Option(
        "--recall-registry", envvar="TRACELEDGER_RECALL_REGISTRY", help="RecallRegistry address."
    ),
]


def _configure_logging(verbose: bool) -> None:
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:  # one line per HTTP request drowns the indexer's own lines
        logging.getLogger("httpx").setLevel(logging.WARNING)


def _contracts(registry: str | None, anchor: str | None, recalls: str | None) -> dict[str, str]:
    from indexer.source.parse import parse_address

    contracts = {
        name: address
        for name, address in (
            ("MemberRegistry", registry),
            ("TraceAnchor", anchor),
            ("RecallRegistry", recalls),
        )
        if address
    }
    try:
        return {name: parse_address(address.lower()) for name, address in contracts.items()}
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


def _ws_url(rpc: str, ws: str | None, no_ws: bool) -> str | None:
    if no_ws:
        return None
    if ws:
        return ws
    if rpc.startswith(("http://", "https://")):
        return "ws" + rpc[len("http") :]
    return None


@app.command()
def run(
    rpc: RpcOption,
    db: DbOption,
    member_registry: RegistryOption = None,
    trace_anchor: AnchorOption = None,
    recall_registry: RecallOption = None,
    from_block: Annotated[int, typer.Option(help="First block to mirror (on first run).")] = 0,
    confirmations: Annotated[int, typer.Option(help="Blocks on top before rows are final.")] = 12,
    blocks_per_range: Annotated[int, typer.Option(help="Blocks per fetch and transaction.")] = 2000,
    follow: Annotated[
        bool, typer.Option(help="Keep following the head after the backfill.")
    ] = True,
    until_block: Annotated[int | None, typer.Option(help="Stop once this block is stored.")] = None,
    ws: Annotated[
        str | None, typer.Option(help="WebSocket URL for newHeads (default: the RPC URL as ws://).")
    ] = None,
    no_ws: Annotated[bool, typer.Option("--no-ws", help="Poll; do not subscribe.")] = False,
    poll_interval: Annotated[float, typer.Option(help="Seconds between polls.")] = 1.0,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Backfill the mirror from the chain, then follow the head (Ctrl-C to stop)."""
    from indexer.config import IndexerSettings
    from indexer.errors import IndexerError
    from indexer.service import open_indexer

    _configure_logging(verbose)
    contracts = _contracts(member_registry, trace_anchor, recall_registry)
    settings = IndexerSettings(
        contracts=contracts,
        start_block=from_block,
        confirmations=confirmations,
        blocks_per_range=blocks_per_range,
        poll_interval_s=poll_interval,
        ws_url=_ws_url(rpc, ws, no_ws),
    )
    try:
        with open_indexer(rpc, db, settings) as indexer:
            stats = indexer.run(follow=follow, until_block=until_block)
    except IndexerError as exc:
        logging.getLogger("indexer").error("stopped: %s", exc)
        raise typer.Exit(code=1) from exc
    except KeyboardInterrupt:
        raise typer.Exit(code=130) from None
    typer.echo(
        f"stored {stats.blocks} blocks, {stats.events} events in {stats.ranges} ranges; {stats.reorgs} reorgs"
    )


@app.command()
def verify(
    rpc: RpcOption,
    db: DbOption,
    json_output: Annotated[
        bool, typer.Option("--json", help="Print discrepancies as JSON lines.")
    ] = False,
    verbose: Annotated[bool, typer.Option("--verbose", "-v")] = False,
) -> None:
    """Re-read the chain and report every missing, extra or altered mirror row.

    Exits 0 if the mirror matches the chain up to its checkpoint, 1 otherwise.
    """
    import json

    from indexer.audit import audit_mirror
    from indexer.errors import IndexerError
    from indexer.service import open_source_and_store

    _configure_logging(verbose)
    try:
        with open_source_and_store(rpc, db) as (source, store):
            report = audit_mirror(source, store)
    except IndexerError as exc:
        logging.getLogger("indexer").error("verify failed: %s", exc)
        raise typer.Exit(code=2) from exc
    for discrepancy in report.discrepancies:
        typer.echo(json.dumps(discrepancy.as_dict()) if json_output else discrepancy.format())
    typer.echo(report.summary(), err=True)
    if report.discrepancies:
        raise typer.Exit(code=1)


def main() -> None:  # pragma: no cover - `python -m indexer.cli`
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
