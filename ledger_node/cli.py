"""`traceledger node ...`: initialise a data directory, run a node, vote on signers."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger_node.errors import LedgerNodeError

app = typer.Typer(no_args_is_help=True, add_completion=False)

DataDir = Annotated[Path, typer.Option("--data-dir", help="Node data directory.")]
PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        "--passphrase-file",
        help="File whose first line is the keystore passphrase "
        "(default: $TRACELEDGER_NODE_PASSPHRASE).",
    ),
]


@app.command()
def init(
    data_dir: DataDir,
    dev: Annotated[bool, typer.Option("--dev", help="Development network with plain keys.")] = False,
    chain_id: Annotated[int, typer.Option("--chain-id")] = 7331,
    period: Annotated[int, typer.Option("--period", help="Clique block period, seconds.")] = 1,
    passphrase_file: PassphraseFile = None,
    key_dir: Annotated[
        Path | None,
        typer.Option("--key-dir", help="Use the keystores <role>.json found here (same "
                     "passphrase) instead of creating keys: sealer, admin, anchorer, regulator."),
    ] = None,
    signers: Annotated[
        int, typer.Option("--signers", min=1, help="Clique authority keys the node holds.")
    ] = 1,
    genesis_signers: Annotated[
        int | None,
        typer.Option("--genesis-signers", min=1,
                     help="How many of them are signers at genesis (default: all)."),
    ] = None,
    authority: Annotated[
        list[str] | None,
        typer.Option("--authority", help="Address of a genesis signer whose key another "
                     "organisation holds on its own node (repeatable): a consortium."),
    ] = None,
) -> None:
    """Write genesis, keys and the bootstrap block (contracts) into DATA_DIR."""
    from ledger_node.genesis import init_data_dir

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        result = init_data_dir(
            data_dir, dev=dev, chain_id=chain_id, period=period,
            passphrase_file=passphrase_file, key_dir=key_dir, signers=signers,
            genesis_signers=genesis_signers, other_authorities=tuple(authority or ()),
        )
    except LedgerNodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(result.deployment, indent=2))
    for path in result.key_files:
        typer.echo(f"keys: {path}")


@app.command()
def run(
    data_dir: DataDir,
    rpc_port: Annotated[int, typer.Option("--rpc-port")] = 8545,
    host: Annotated[str, typer.Option("--host", help="Bind address.")] = "127.0.0.1",
    passphrase_file: PassphraseFile = None,
    empty_blocks: Annotated[
        bool, typer.Option("--empty-blocks", help="Seal a block every period even when idle.")
    ] = False,
    log_level: Annotated[str, typer.Option("--log-level")] = "info",
    cors_origin: Annotated[
        list[str] | None,
        typer.Option("--cors-origin", help="Browser origin allowed to call the RPC (repeatable)."),
    ] = None,
    rpc_vhost: Annotated[
        list[str] | None,
        typer.Option("--rpc-vhost", help="Host header value accepted besides loopback names and "
                     "--host (repeatable; '*' accepts any), as geth's --http.vhosts."),
    ] = None,
    known_authority: Annotated[
        list[str] | None,
        typer.Option("--known-authority", help="Address another node seals with; Clique votes "
                     "may add it (repeatable)."),
    ] = None,
    in_process_sealer: Annotated[
        bool,
        typer.Option("--in-process-sealer", help="Build blocks in a thread, not a child process."),
    ] = False,
    follow: Annotated[
        list[str] | None,
        typer.Option("--follow", help="Run as a read-only follower of this node's JSON-RPC URL "
                     "(repeatable: the first that answers and serves valid blocks is used). "
                     "Every block is re-executed and checked before it is stored."),
    ] = None,
    genesis: Annotated[
        Path | None,
        typer.Option("--genesis", help="With --follow or --follower and a new DATA_DIR: the "
                     "network's genesis.json (block 0 is built from it and checked against "
                     "its hash)."),
    ] = None,
    peers: Annotated[
        Path | None,
        typer.Option("--peers", help="The consortium's nodes, [{name, url, nodeId}] "
                     "(peers.json; this node's own entry is skipped): blocks and "
                     "transactions are exchanged with them, signed, over --p2p-port."),
    ] = None,
    p2p_port: Annotated[
        int | None, typer.Option("--p2p-port", help="Port of the peer link (with --peers).")
    ] = None,
    follower: Annotated[
        bool,
        typer.Option("--follower", help="With --peers: hold no key, seal nothing; verify and "
                     "store the peers' blocks and serve read-only JSON-RPC."),
    ] = False,
) -> None:
    """Serve JSON-RPC (HTTP + WebSocket) on HOST:RPC_PORT, the admin socket
    DATA_DIR/admin.sock, and seal blocks (or, with --follow / --follower, verify and store
    other nodes')."""
    import asyncio

    import uvicorn
    from eth_utils import is_address, to_canonical_address

    from ledger_node.node import LedgerNode, NodeSettings
    from ledger_node.recursion import apply_node_recursion_limit
    from ledger_node.rpc.admin import (
        SideServer,
        admin_socket_path,
        bind_admin_socket,
        create_admin_app,
    )
    from ledger_node.rpc.server import MAX_REQUEST_BYTES, create_app

    apply_node_recursion_limit()  # after the imports above (py-evm, py_ecc)
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s"
    )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # a follower polls every 0.25 s
    bad = [a for a in known_authority or () if not is_address(a)]
    if bad:
        typer.echo(f"error: --known-authority {bad[0]!r} is not an address", err=True)
        raise typer.Exit(2)
    if bool(peers) != (p2p_port is not None) or (follower and not peers) or (follow and peers):
        typer.echo("error: --peers and --p2p-port go together; --follower needs --peers; "
                   "--follow (JSON-RPC upstreams) and --peers (the peer link) exclude each "
                   "other", err=True)
        raise typer.Exit(2)
    try:
        if (follow or follower) and not (data_dir / "chain.sqlite").exists():
            from ledger_node.block_file import create_chain_from_genesis

            if genesis is None:
                raise LedgerNodeError(f"{data_dir} holds no chain: give --genesis genesis.json")
            create_chain_from_genesis(data_dir, genesis)
        peer_list = _read_peers(peers, data_dir) if peers else ()
        node = LedgerNode(
            NodeSettings(
                data_dir=data_dir,
                passphrase_file=passphrase_file,
                empty_blocks=empty_blocks,
                sealer_process=not in_process_sealer,
                known_authorities=frozenset(
                    to_canonical_address(a) for a in known_authority or ()),
                follow=tuple(follow or ()),
                peers=peer_list,
                verify_only=follower,
            )
        )
        admin_socket = bind_admin_socket(admin_socket_path(data_dir))
    except LedgerNodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    config = uvicorn.Config(
        create_app(node, cors_origins=cors_origin or (),
                   allowed_hosts=[host, *(rpc_vhost or ())]),
        host=host,
        port=rpc_port,
        log_level="warning",
        access_log=False,
        ws_max_size=MAX_REQUEST_BYTES,
        lifespan="on",
    )
    admin_config = uvicorn.Config(
        create_admin_app(node), log_level="warning", access_log=False, lifespan="off")
    peer_server = None
    if node.link is not None:
        peer_server = SideServer(uvicorn.Config(
            node.link.app(node.protocol.handle), host=host, port=p2p_port,
            log_level="warning", access_log=False, lifespan="off"))
    asyncio.run(_serve(uvicorn.Server(config), SideServer(admin_config), admin_socket,
                       peer_server))


def _read_peers(path: Path, data_dir: Path) -> tuple[Any, ...]:
    """The peers in `path` other than this node (a consortium can share one peers.json)."""
    from coincurve import PrivateKey

    from ledger_node.keys import load_node_key
    from ledger_node.peer_messages import PeerBook, node_id

    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LedgerNodeError(f"--peers {path}: {exc}") from exc
    own = node_id(PrivateKey(load_node_key(data_dir)))
    return tuple(p for p in PeerBook.from_json(document).by_id.values() if p.node_id != own)


async def _serve(public: Any, admin: Any, admin_socket: Any, peer: Any = None) -> None:
    import asyncio

    admin_task = asyncio.create_task(admin.serve(sockets=[admin_socket]))
    peer_task = asyncio.create_task(peer.serve()) if peer is not None else None
    try:
        await public.serve()
    finally:
        admin.should_exit = True
        await admin_task
        if peer_task is not None:
            peer.should_exit = True
            await peer_task


vote_app = typer.Typer(no_args_is_help=True, add_completion=False,
                       help="Clique votes, over the running node's admin socket.")
app.add_typer(vote_app, name="vote")
Address = Annotated[str, typer.Argument(help="Signer address (0x...).")]


def _admin_call(data_dir: Path, method: str, params: list[object]) -> object:
    from ledger_node.rpc.admin import admin_rpc

    try:
        return admin_rpc(data_dir, method, params)
    except LedgerNodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


@vote_app.command("propose")
def vote_propose(
    address: Address,
    data_dir: DataDir,
    drop: Annotated[bool, typer.Option("--drop", help="Vote to drop ADDRESS (default: add).")] = False,
) -> None:
    """Have this node's signers vote ADDRESS in (or out with --drop) until discarded."""
    _admin_call(data_dir, "clique_propose", [address, not drop])
    typer.echo(json.dumps(_admin_call(data_dir, "clique_getProposals", [])))


@vote_app.command("discard")
def vote_discard(address: Address, data_dir: DataDir) -> None:
    """Forget the proposal about ADDRESS."""
    _admin_call(data_dir, "clique_discard", [address])
    typer.echo(json.dumps(_admin_call(data_dir, "clique_getProposals", [])))


@vote_app.command("list")
def vote_list(data_dir: DataDir) -> None:
    """Print the standing proposals (address -> authorize)."""
    typer.echo(json.dumps(_admin_call(data_dir, "clique_getProposals", [])))


@app.command("id")
def show_node_id(data_dir: DataDir) -> None:
    """Print this node's id (the public half of DATA_DIR/node-key, made if missing): what
    the other organisations put in their peers.json."""
    from coincurve import PrivateKey

    from ledger_node.keys import load_node_key
    from ledger_node.peer_messages import node_id

    try:
        typer.echo(node_id(PrivateKey(load_node_key(data_dir))))
    except LedgerNodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc


peers_app = typer.Typer(no_args_is_help=True, add_completion=False,
                        help="The peer link, over the running node's admin socket.")
app.add_typer(peers_app, name="peers")
NodeId = Annotated[str, typer.Argument(help="A configured peer's node id (hex).")]


@peers_app.command("list")
def peers_list(data_dir: DataDir) -> None:
    """Print this node's id, its peers (connected, last heard, last error) and refusals."""
    typer.echo(json.dumps(_admin_call(data_dir, "admin_peers", []), indent=2))


@peers_app.command("remove")
def peers_remove(peer_id: NodeId, data_dir: DataDir) -> None:
    """Cut a configured peer off until `peers add` (nothing sent, nothing accepted)."""
    if not _admin_call(data_dir, "admin_removePeer", [peer_id]):
        typer.echo("error: not a configured peer", err=True)
        raise typer.Exit(1)


@peers_app.command("add")
def peers_add(peer_id: NodeId, data_dir: DataDir) -> None:
    """Reconnect a configured peer that `peers remove` cut off."""
    if not _admin_call(data_dir, "admin_addPeer", [peer_id]):
        typer.echo("error: not a configured peer", err=True)
        raise typer.Exit(1)


@app.command()
def verify(
    genesis: Annotated[Path, typer.Option("--genesis", help="genesis.json written by init.")],
    upstream: Annotated[str, typer.Option("--upstream", help="JSON-RPC URL of a node.")],
    to_block: Annotated[int | None, typer.Option("--to-block")] = None,
) -> None:
    """Re-execute every block a node serves, as a follower would, and check seals and roots."""
    from ledger_node.follower import verify_upstream

    try:
        result = verify_upstream(genesis, upstream, to_block)
    except LedgerNodeError as exc:
        typer.echo(f"FAILED: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"verified": [result.first, result.last], "head": result.head_hash,
                           "stateRoot": result.state_root}))


# ---------------------------------------------------------------------- block files, backups


def _progress() -> Any:
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    # On stderr: stdout carries the command's JSON result.
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), transient=True, console=Console(stderr=True))


@app.command("export")
def export_blocks(
    data_dir: DataDir,
    output: Annotated[Path, typer.Option("--output", help="Block file (.gz: gzip).")],
    first: Annotated[int, typer.Option("--first", min=0)] = 1,
    last: Annotated[int | None, typer.Option("--last", help="Default: the head.")] = None,
) -> None:
    """Write blocks FIRST..LAST as consecutive RLP blocks (geth's export format); safe while
    the node runs."""
    from ledger_node.block_file import export_block_file

    with _progress() as progress:
        task = progress.add_task("exporting blocks", total=None)

        def advance(number: int, last_number: int) -> None:
            progress.update(task, completed=number - first + 1, total=last_number - first + 1)

        try:
            done = export_block_file(data_dir, output, first, last, advance)
        except LedgerNodeError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(json.dumps({"exported": list(done), "file": str(output)}))


@app.command("import")
def import_blocks(
    data_dir: DataDir,
    block_file: Annotated[Path, typer.Argument(help="Block file written by `node export`.")],
    genesis: Annotated[
        Path | None,
        typer.Option("--genesis", help="The network's genesis.json (needed for a new data dir)."),
    ] = None,
) -> None:
    """Verify every block of BLOCK_FILE (seal, signer rules, re-execution, roots) and add it
    to the chain in DATA_DIR; stops at the first block that fails, saying why."""
    from ledger_node.block_file import import_block_file

    logging.basicConfig(level=logging.WARNING)
    with _progress() as progress:
        task = progress.add_task("verifying and importing blocks", total=None)
        try:
            result = import_block_file(
                data_dir, block_file, genesis, lambda number: progress.update(task, advance=1))
        except LedgerNodeError as exc:
            typer.echo(f"REFUSED: {exc}", err=True)
            raise typer.Exit(1) from exc
    typer.echo(json.dumps({"read": result.read, "alreadyPresent": result.already_present,
                           "imported": result.imported, "head": result.head_number,
                           "headHash": result.head_hash}))


@app.command("backup")
def backup(
    data_dir: DataDir,
    output: Annotated[Path, typer.Option("--output", help="Backup archive (.tar.gz) to write.")],
) -> None:
    """Copy the node's store (consistently, while it runs), genesis, deployment and
    encrypted keystores into one archive with a SHA-256 manifest."""
    from ledger_node.backup import backup_node

    try:
        manifest = backup_node(data_dir, output)
    except LedgerNodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"file": str(output), "head": manifest.head_number,
                           "headHash": manifest.head_hash, "files": sorted(manifest.files)}))


@app.command("restore")
def restore(
    backup_file: Annotated[Path, typer.Argument(help="Archive written by `node backup`.")],
    data_dir: DataDir,
) -> None:
    """Restore a backup into an empty DATA_DIR after checking every file's SHA-256, the
    store's integrity and its head."""
    from ledger_node.backup import restore_node

    try:
        manifest = restore_node(backup_file, data_dir)
    except LedgerNodeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps({"restored": str(data_dir), "head": manifest.head_number,
                           "headHash": manifest.head_hash}))
