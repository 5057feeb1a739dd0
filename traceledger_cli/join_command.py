"""`traceledger node join`: make a data directory a node of a consortium another
organisation founded, from the two files the founder published.

The founder's `node init` wrote genesis.json (block 0) and deployment.json (contract
addresses, the genesis hash). Joining builds block 0 from the genesis, checks it against
the published hash, and keeps the deployment beside it
(`ledger_node.consortium.join_network`); `node run --peers` then syncs every later block
from the peers, verifying each. The joining organisation's own keys (node key, authority
keystore) stay where it made them; nothing secret comes from the founder.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer


def join(
    data_dir: Annotated[Path, typer.Option("--data-dir", help="Node data directory.")],
    genesis: Annotated[
        Path, typer.Option("--genesis", help="The network's genesis.json (from its founder).")
    ],
    deployment: Annotated[
        Path, typer.Option("--deployment", help="The network's deployment.json (from its "
                           "founder; must name the same genesis hash).")
    ],
) -> None:
    """Make DATA_DIR a node of the network of GENESIS: block 0 built and checked against
    the published hash, the deployment beside it; `node run --peers` syncs the rest."""
    # Lazily: ledger_node.consortium loads py-evm, which other commands never need.
    from ledger_node.consortium import join_network
    from ledger_node.errors import LedgerNodeError

    try:
        join_network(data_dir, genesis, deployment)
    except (LedgerNodeError, OSError, ValueError, KeyError) as exc:
        typer.echo(f"error: cannot join with {genesis} and {deployment}: {exc}", err=True)
        raise typer.Exit(1) from exc
    genesis_hash = json.loads(deployment.read_text(encoding="utf-8"))["genesisHash"]
    typer.echo(json.dumps({"joined": str(data_dir), "genesisHash": genesis_hash}))
