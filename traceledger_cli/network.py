"""`traceledger network ...`: a consortium of several authority nodes and followers on
one machine, for development and tests, in one command.

- `up --dir DIR`: lays out the network in DIR on first start
  (`ledger_node.consortium.create_local_network`: authority1 founds the chain and holds the
  dev accounts, every other node joins from its genesis; each node its own data dir and
  keys; `network.json`, `peers.json` and `shared/` beside them), or reuses the one DIR
  holds, so a restart keeps the chain. Then it runs every node as `up` runs its services
  (`foreground.py`: each waited for until it answers `eth_chainId`, restarted when it
  crashes, all stopped on Ctrl-C or SIGTERM), logs in DIR/logs/<name>.log.
- `status --dir DIR`: each node's head, and whether all answering nodes hold the same
  block at the lowest head among them; exit 1 when a node is down or they disagree.

`traceledger up --peers DIR` joins such a network instead of running its own chain
(system.py); both read the directory with `network_directory.read_network`.
"""

from __future__ import annotations

import contextlib
import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from contracts.rpc_client import JsonRpcClient, RpcClientError
from traceledger_cli.foreground import (
    SUPERVISOR_LOG,
    log_to_file,
    make_private_data_dir,
    run_until_stopped,
)
from traceledger_cli.network_directory import Network, NetworkError, NetworkNode, read_network
from traceledger_cli.private_files import restrict_new_files
from traceledger_cli.service_process import Service, traceledger_command
from traceledger_cli.supervisor import StartupError

app = typer.Typer(no_args_is_help=True, add_completion=False)
console = Console()

DEFAULT_NETWORK_DIR = Path(".traceledger/network")
DEFAULT_AUTHORITIES = 3
DEFAULT_FOLLOWERS = 1
DEFAULT_PERIOD_S = 1
START_TIMEOUT_S = 120.0
"""For all nodes together; each opens its chain and the authorities start their sealers."""
STATUS_TIMEOUT_S = 5.0
"""Per node and request: a node slower than this counts as not answering."""
HIGHEST_PORT = 65535

DirOption = Annotated[
    Path, typer.Option("--dir", help="The network's directory (network.json, peers.json, "
                       "shared/, one data dir per node, logs/).")
]


def _choose_ports(count: int, base_port: int | None) -> tuple[list[int], list[int]]:
    """(RPC ports, peer-link ports) of `count` nodes on 127.0.0.1: from base_port on, all
    RPC ports first and then the peer-link ports, each checked free; else ports the
    kernel says are free."""
    if base_port is None:
        with contextlib.ExitStack() as held:
            # All held open together, so the kernel hands out 2 * count different ports.
            probes = [held.enter_context(socket.socket()) for _ in range(2 * count)]
            for probe in probes:
                probe.bind(("127.0.0.1", 0))
            ports = [int(probe.getsockname()[1]) for probe in probes]
    else:
        ports = list(range(base_port, base_port + 2 * count))
        if ports[-1] > HIGHEST_PORT:
            raise NetworkError(f"--base-port {base_port}: {2 * count} ports from it go "
                               f"beyond {HIGHEST_PORT}")
        taken = [port for port in ports if not _port_is_free(port)]
        if taken:
            raise NetworkError(f"port {', '.join(map(str, taken))} on 127.0.0.1 already in "
                               f"use; {count} nodes need {ports[0]}-{ports[-1]}: choose "
                               "another --base-port")
    return ports[:count], ports[count:]


def _port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        # As uvicorn binds: a port left in TIME_WAIT by a stopped node is usable.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def _lay_out(directory: Path, authorities: int, followers: int, period_s: int,
             base_port: int | None) -> None:
    """Write a new network into `directory` and say which ports it got."""
    # Lazily: py-evm (see read_network).
    from ledger_node.consortium import create_local_network
    from ledger_node.errors import LedgerNodeError

    count = authorities + followers
    rpc_ports, p2p_ports = _choose_ports(count, base_port)
    nodes = _nodes(authorities, followers)
    with console.status(f"laying out a network of {nodes} in {directory}"):
        try:
            create_local_network(directory, authorities, followers, rpc_ports, p2p_ports,
                                 period=period_s)
        except LedgerNodeError as exc:
            raise NetworkError(f"laying out the network in {directory} failed: {exc}; "
                               "remove what it wrote there (authority*/, follower*/, "
                               "shared/) before trying again") from exc
    console.print(f"[green]✓[/] laid out {nodes} (JSON-RPC ports {_ranges(rpc_ports)}, "
                  f"peer-link ports {_ranges(p2p_ports)})", highlight=False)


def _ranges(ports: list[int]) -> str:
    consecutive = ports == list(range(ports[0], ports[0] + len(ports)))
    return f"{ports[0]}-{ports[-1]}" if consecutive and len(ports) > 1 else \
        ", ".join(map(str, ports))


def _check_reuse(network: Network, asked: dict[str, tuple[int | None, int]]) -> None:
    """Refuse options that ask for another layout than the one already on disk."""
    different = [f"--{option} {wanted} (it has {actual})"
                 for option, (wanted, actual) in asked.items()
                 if wanted is not None and wanted != actual]
    if different:
        raise NetworkError(
            f"{network.directory} already holds a network, laid out differently: "
            f"{'; '.join(different)}. Drop the option to reuse it (its chain is kept), or "
            "remove the directory for a new one")


def _node_service(network: Network, node: NetworkNode, logs: Path) -> Service:
    if not node.data_dir.is_dir():
        raise NetworkError(f"{node.name}'s data dir {node.data_dir} is missing (was the "
                           f"network moved? network.json names absolute paths)")
    follower = ["--follower"] if node.role == "follower" else []
    return Service(
        node.name,
        traceledger_command("node", "run", "--data-dir", str(node.data_dir), "--rpc-port",
                            str(node.rpc_port), "--p2p-port", str(node.p2p_port), "--peers",
                            str(network.peers_file), *follower),
        logs / f"{node.name}.log",
        ready_url=node.rpc_url,
        ready_body={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
    )


def _short(value: str) -> str:
    """1234abcd…9f3e: enough to tell ids and hashes apart in a table."""
    return value if len(value) <= 16 else f"{value[:8]}…{value[-4:]}"


def _nodes(authorities: int, followers: int) -> str:
    """"3 authorities and 1 follower"."""
    return (f"{authorities} {'authority' if authorities == 1 else 'authorities'} and "
            f"{followers} {'follower' if followers == 1 else 'followers'}")


def _add_column(table: Table, header: str) -> None:
    """URLs whole on one line; anything else folded rather than cut short (…)."""
    whole = header in ("JSON-RPC", "peer link")
    table.add_column(header, no_wrap=whole, overflow="fold", min_width=22 if whole else None)


def _print_nodes(network: Network) -> None:
    table = Table(title=f"Consortium network, chain {network.chain_id} "
                        f"(in {network.directory.resolve()}, logs in logs/)")
    for column in ("node", "role", "JSON-RPC", "peer link", "node id", "authority address"):
        _add_column(table, column)
    for node in network.nodes:
        table.add_row(node.name, node.role, node.rpc_url, node.p2p_url, _short(node.node_id),
                      node.authority or "-")
    console.print(table)


@app.command("up")
def network_up(
    directory: DirOption = DEFAULT_NETWORK_DIR,
    authorities: Annotated[
        int | None, typer.Option(min=1, help=f"Sealing nodes of a new network "
                                 f"(default: {DEFAULT_AUTHORITIES}).")
    ] = None,
    followers: Annotated[
        int | None, typer.Option(min=0, help=f"Read-only verifying nodes of a new network "
                                 f"(default: {DEFAULT_FOLLOWERS}).")
    ] = None,
    period: Annotated[
        int | None, typer.Option(min=1, help=f"Clique block period of a new network, "
                                 f"seconds (default: {DEFAULT_PERIOD_S}).")
    ] = None,
    base_port: Annotated[
        int | None, typer.Option(min=1, help="A new network's ports, consecutive from this "
                                 "one: every JSON-RPC port, then every peer-link port "
                                 "(default: free ports).")
    ] = None,
) -> None:
    """Run a local consortium network (laid out in DIR on first start, reused after) and
    keep its nodes running: restart what crashes, stop all on Ctrl-C/SIGTERM."""
    restrict_new_files()
    directory = directory.resolve()  # network.json names absolute data dirs
    try:
        make_private_data_dir(directory, console)
        network = _network_to_run(directory, authorities, followers, period, base_port)
    except NetworkError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    log_to_file(directory / "logs" / SUPERVISOR_LOG)

    def prepare() -> list[Service]:
        try:
            return [_node_service(network, node, directory / "logs") for node in network.nodes]
        except NetworkError as exc:
            raise StartupError(str(exc)) from exc

    exit_code = run_until_stopped(prepare, lambda _services: _print_nodes(network),
                                  console=console, start_timeout_s=START_TIMEOUT_S)
    if exit_code:
        raise typer.Exit(code=exit_code)


def _network_to_run(directory: Path, authorities: int | None, followers: int | None,
                    period: int | None, base_port: int | None) -> Network:
    """The network in `directory`, laid out first if there is none."""
    from ledger_node.consortium import NETWORK_FILE

    if (directory / NETWORK_FILE).exists():
        network = read_network(directory)
        _check_reuse(network, {
            "authorities": (authorities, len(network.authorities)),
            "followers": (followers, len(network.followers)),
            "period": (period, network.period_s),
            "base-port": (base_port, network.nodes[0].rpc_port),
        })
        console.print(f"reusing the network in {directory} "
                      f"({_nodes(len(network.authorities), len(network.followers))}, "
                      f"chain {network.chain_id})", highlight=False)
        return network
    _lay_out(directory, authorities or DEFAULT_AUTHORITIES,
             DEFAULT_FOLLOWERS if followers is None else followers,
             period or DEFAULT_PERIOD_S, base_port)
    return read_network(directory)


@dataclass(frozen=True)
class NodeHead:
    """What one node said: its head, or why it did not answer."""

    node: NetworkNode
    number: int | None
    hash: str | None
    error: str | None = None


def _block(client: JsonRpcClient, tag: str) -> tuple[int, str]:
    block: Any = client.call("eth_getBlockByNumber", [tag, False])
    if not isinstance(block, dict):
        raise RpcClientError(f"no block {tag}")
    return int(block["number"], 16), str(block["hash"])


def _head_of(node: NetworkNode) -> NodeHead:
    try:
        with JsonRpcClient(node.rpc_url, timeout_s=STATUS_TIMEOUT_S) as client:
            number, block_hash = _block(client, "latest")
    except (RpcClientError, KeyError, ValueError) as exc:
        return NodeHead(node, None, None, str(exc) or type(exc).__name__)
    return NodeHead(node, number, block_hash)


def _hash_at(node: NetworkNode, number: int) -> str | None:
    try:
        with JsonRpcClient(node.rpc_url, timeout_s=STATUS_TIMEOUT_S) as client:
            return _block(client, hex(number))[1]
    except (RpcClientError, KeyError, ValueError):
        return None


def _compare(heads: list[NodeHead]) -> tuple[int | None, dict[str, str | None], list[str]]:
    """(lowest head among the answering nodes, each answering node's block hash at that
    height, the problems: nodes down, a block not served, two hashes at one height)."""
    problems = [f"{head.node.name} ({head.node.rpc_url}) does not answer: {head.error}"
                for head in heads if head.number is None]
    common = min((head.number for head in heads if head.number is not None), default=None)
    if common is None:
        return None, {}, problems
    # Nodes a block apart are normal while blocks travel; two hashes at one height is a fork.
    at_common = {head.node.name: _hash_at(head.node, common)
                 for head in heads if head.number is not None}
    if any(block_hash is None for block_hash in at_common.values()):
        problems.append(f"not every node served block {common}")
    if len({block_hash for block_hash in at_common.values() if block_hash}) > 1:
        problems.append(f"the nodes disagree on block {common}: " + ", ".join(
            f"{name} {block_hash}" for name, block_hash in at_common.items()))
    return common, at_common, problems


@app.command("status")
def network_status(directory: DirOption = DEFAULT_NETWORK_DIR) -> None:
    """Each node's head; exit 0 when every node answers and all hold the same block at the
    lowest head among them, else 1 (a node down, or a fork). A snapshot: while a
    reorganisation is under way, ask again."""
    try:
        network = read_network(directory)
    except NetworkError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        raise typer.Exit(code=1) from exc
    heads = [_head_of(node) for node in network.nodes]
    common, at_common, problems = _compare(heads)
    table = Table(title=f"Consortium network, chain {network.chain_id} ({directory})")
    for column in ("node", "role", "JSON-RPC", "answers", "head",
                   "common block" if common is None else f"block {common}"):
        _add_column(table, column)
    for head in heads:
        table.add_row(head.node.name, head.node.role, head.node.rpc_url,
                      "yes" if head.number is not None else "[red]no[/]",
                      f"{head.number} {_short(head.hash or '')}" if head.number is not None
                      else "-", _short(at_common.get(head.node.name) or "-"))
    console.print(table)
    if problems:
        for problem in problems:
            console.print(f"[red]problem:[/] {problem}", highlight=False)
        raise typer.Exit(code=1)
    console.print(f"OK: all {len(heads)} nodes answer and hold the same block {common} "
                  f"({next(iter(at_common.values()))})", highlight=False)
