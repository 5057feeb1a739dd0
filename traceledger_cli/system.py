"""`traceledger up`: the whole embedded system in one command.

Initialises what is missing on first start (chain, keys, log key, the custodial-key
master key, a bootstrap admin API key), then starts every service as its own process —
ledger node, trace log (tile serving + sequencer), with `--dev` a witness, anchorer,
indexer, trace API — waits until each answers, prints the URLs and `ready`, and keeps them
running: a service that crashes is restarted with backoff (`supervisor.py`, policy in
`restart_policy.py`); one that keeps failing stops the system with a non-zero exit, so a
half-running system is never mistaken for a working one. Ctrl-C or SIGTERM stops
everything, newest first (`foreground.py`).

With `--peers NETWORK_DIR` (a directory `traceledger network up` wrote) the system joins
that consortium instead of running a chain of its own: no ledger node is started and
`node init` never runs; deployment.json, dev-keys.json and keystores are read from
NETWORK_DIR/shared where a system of its own reads DATA_DIR/node. Whatever sends
transactions goes to the authorities — the anchorer gets every authority's URL and fails
over between them, the witness and the API's chain gateway use the first — since a
follower refuses transactions; the indexer and the API's reads go to the first follower
(the first authority if there is none). A data directory stays with the chain its log was
anchored on: one that ran its own node cannot join a network, and one that joined a
network (DATA_DIR/joined-network.json) starts only with `--peers` to that network.

The data directory is owner-only: the process umask is 0077 (so every file the services
create is 0600, every directory 0700), and a data directory left group- or
world-accessible by an older version is tightened on start, with a note on the console.

The bootstrap admin key is written once to DATA_DIR/admin.key (mode 0600); only its
scrypt hash is in the database and it is never printed or logged. With `--dev` (implied by
`--peers` to a network with dev accounts), the dev chain's genesis enterprises
(enterprise1, enterprise2 of dev-keys.json) are added to the API once, with an API key
each in DATA_DIR/dev-api-keys.json (0600).

With `--dev` a witness runs as a regulator's would (`traceledger witness serve`): the log
pushes each checkpoint to it (c2sp.org/tlog-witness) and serves its cosignature on
`/log/checkpoint`; it also pulls the log and witnesses each anchored head on TraceAnchor
with the dev chain's witness key; the API lists its verifier key (proof bundles, the scan
page's trust anchors). Its cosignature key is encrypted with the system passphrase like
the log's. Without `--dev` no witness runs: on a real network it is a regulator's, elsewhere.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from anchoring.keys import read_verifier_key
from traceledger_cli.foreground import (
    SUPERVISOR_LOG,
    log_to_file,
    make_private_data_dir,
    run_until_stopped,
)
from traceledger_cli.network_directory import Network, NetworkError, read_network
from traceledger_cli.private_files import PRIVATE_FILE_MODE, restrict_new_files
from traceledger_cli.service_process import Service, traceledger_command
from traceledger_cli.supervisor import StartupError

console = Console()
logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(".traceledger")
LOG_ORIGIN = "localhost/traceledger-log"
WITNESS_NAME = "localhost/traceledger-witness"
"""The dev witness's cosignature key name (what proof bundles and the scan page show)."""
START_TIMEOUT_S = 120.0
ADMIN_KEY_FILE = "admin.key"
DEV_API_KEYS_FILE = "dev-api-keys.json"  # trace_api.enterprises.dev_import.DEV_API_KEYS_FILE
JOINED_NETWORK_FILE = "joined-network.json"
"""Which network's chain the log of a data dir that joined one is anchored on."""


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the services that listen."""

    rpc: int
    log: int
    api: int
    witness: int


@dataclass(frozen=True)
class Chain:
    """Where the services reach the chain: readers at `read_url`; whatever sends
    transactions at `transaction_urls` (the anchorer tries each in turn, the others use
    the first). `network` is the consortium joined with --peers; None: our own node."""

    read_url: str
    transaction_urls: tuple[str, ...]
    network: Network | None = None

    @classmethod
    def own_node(cls, rpc_port: int) -> Chain:
        url = f"http://127.0.0.1:{rpc_port}"
        return cls(read_url=url, transaction_urls=(url,))

    @classmethod
    def joined(cls, network: Network) -> Chain:
        return cls(read_url=network.read_url, transaction_urls=tuple(network.transaction_urls),
                   network=network)


def _run_step(description: str, command: list[str], log_path: Path) -> None:
    """Run a one-off initialisation command; its output goes to log_path, never the screen."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
    with console.status(description), os.fdopen(descriptor, "ab") as log_file:
        result = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        raise StartupError(f"{description} failed (exit {result.returncode}); see {log_path}")
    console.print(f"[green]✓[/] {description}")


def _write_secret(path: Path, content: str) -> None:
    """Create path with mode 0600 (refusing to overwrite) and write content."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)


def _initialise(data_dir: Path, dev: bool, network: Network | None) -> dict[str, Path]:
    """Create whatever is missing in data_dir; return the paths the services need. A
    system joining `network` reads the node's files from the network's shared dir."""
    paths = {
        "passphrase": data_dir / "secrets" / "passphrase",
        # deployment.json, dev-keys.json or keystore/<role>.json: what the anchorer's and
        # witness's keystores, the API's operator keys and the dev enterprises come from.
        "node": network.shared_dir if network else data_dir / "node",
        "log_key": data_dir / "secrets" / "log-key.json",
        "anchorer_keystore": data_dir / "secrets" / "anchorer-keystore.json",
        "witness_key": data_dir / "secrets" / "witness-key.json",
        "witness_keystore": data_dir / "secrets" / "witness-keystore.json",
        "witness_state": data_dir / "witness" / "state.json",
        "master_key": data_dir / "secrets" / "master.key",
        "admin_key": data_dir / ADMIN_KEY_FILE,
        "dev_api_keys": data_dir / DEV_API_KEYS_FILE,
        "logs": data_dir / "logs",
    }
    _check_chain_of(data_dir, network)
    if not paths["passphrase"].exists():
        # One passphrase for the embedded system's key files, kept beside them with mode
        # 0600; a server deployment supplies its own through the same files or env vars.
        _write_secret(paths["passphrase"], secrets.token_urlsafe(32) + "\n")
    passphrase_args = ["--passphrase-file", str(paths["passphrase"])]
    init_log = paths["logs"] / "init.log"
    if network is not None:
        if not (paths["node"] / "deployment.json").exists():
            raise StartupError(f"{paths['node']} has no deployment.json: the network's "
                               "founder publishes it with genesis.json")
    elif not (paths["node"] / "deployment.json").exists():
        dev_args = ["--dev"] if dev else []
        _run_step(
            "initialising the ledger node (genesis, keys, contracts)",
            traceledger_command("node", "init", "--data-dir", str(paths["node"]), *dev_args,
                                *passphrase_args),
            init_log,
        )
    if not paths["log_key"].exists():
        _run_step(
            "creating the log's Ed25519 signing key",
            traceledger_command("log", "keygen", "--name", LOG_ORIGIN, "--key-file",
                                str(paths["log_key"]), *passphrase_args),
            init_log,
        )
    if not paths["anchorer_keystore"].exists():
        _create_keystore(paths, "anchorer", paths["anchorer_keystore"])
    if dev:
        _initialise_dev_witness(paths, passphrase_args, init_log)
    if not paths["master_key"].exists():
        # AES-256-GCM key for custodial enterprise keys (trace_api.enterprises.custody).
        _write_secret(paths["master_key"], secrets.token_hex(32) + "\n")
    return paths


def _check_chain_of(data_dir: Path, network: Network | None) -> None:
    """A data dir's log is anchored on one chain: its own node's, or the network it joined
    first (recorded in JOINED_NETWORK_FILE). Raises StartupError for any other."""
    joined = data_dir / JOINED_NETWORK_FILE
    if network is None:
        if joined.exists():
            record = json.loads(joined.read_text(encoding="utf-8"))
            raise StartupError(f"{data_dir} joined the network in {record['directory']} and "
                               f"its log is anchored there: start it with --peers "
                               f"{record['directory']}")
        return
    if (data_dir / "node" / "deployment.json").exists():
        raise StartupError(f"{data_dir} runs a chain of its own ({data_dir / 'node'}) and its "
                           "log is anchored there: join the network with another --data-dir")
    if joined.exists():
        record = json.loads(joined.read_text(encoding="utf-8"))
        if record["genesisHash"] != network.genesis_hash:
            raise StartupError(f"{data_dir} joined another network (genesis "
                               f"{record['genesisHash']}, in {record['directory']}) than the "
                               f"one in {network.directory} (genesis {network.genesis_hash})")
        return
    _write_secret(joined, json.dumps({"directory": str(network.directory.resolve()),
                                      "genesisHash": network.genesis_hash}) + "\n")


def _database_urls(data_dir: Path, db: str | None) -> tuple[str, str]:
    """(log + records database, mirror database): SQLite files in data_dir, or `db` for both."""
    log_db = db or f"sqlite:///{(data_dir / 'log.sqlite').resolve()}"
    mirror_db = db or f"sqlite:///{(data_dir / 'mirror.sqlite').resolve()}"
    return log_db, mirror_db


def _bootstrap_admin_key(paths: dict[str, Path], log_db: str) -> None:
    """On first start, issue an admin API key into admin.key (0600); the key never hits a log."""
    if paths["admin_key"].exists():
        return
    _run_step(
        "creating the bootstrap admin API key",
        traceledger_command("api", "key", "create", "--role", "admin", "--name",
                            "bootstrap admin", "--output-file", str(paths["admin_key"]),
                            "--database-url", log_db),
        paths["logs"] / "init.log",
    )


def _import_dev_enterprises(paths: dict[str, Path], log_db: str) -> None:
    """Dev chains: make the genesis enterprises usable through the API, keys in a 0600 file."""
    if paths["dev_api_keys"].exists() or not (paths["node"] / "dev-keys.json").exists():
        return
    _run_step(
        "adding the dev enterprises to the API",
        traceledger_command("api", "dev-enterprises", "--node-data-dir", str(paths["node"]),
                            "--output-file", str(paths["dev_api_keys"]), "--database-url",
                            log_db),
        paths["logs"] / "init.log",
    )


def _initialise_dev_witness(paths: dict[str, Path], passphrase_args: list[str],
                            init_log: Path) -> None:
    """The dev witness's cosignature key and, if the dev chain has a witness account (chains
    initialised before it had one do not), its Ethereum keystore."""
    if not paths["witness_key"].exists():
        _run_step(
            "creating the dev witness's cosignature key",
            traceledger_command("log", "keygen", "--witness", "--name", WITNESS_NAME,
                                "--key-file", str(paths["witness_key"]), *passphrase_args),
            init_log,
        )
    if not paths["witness_keystore"].exists() and _dev_accounts(paths).get("witness"):
        _create_keystore(paths, "witness", paths["witness_keystore"])


def _dev_accounts(paths: dict[str, Path]) -> dict[str, dict[str, str]]:
    """The dev chain's accounts by role (dev-keys.json); empty for a non-dev chain."""
    dev_keys = paths["node"] / "dev-keys.json"
    if not dev_keys.exists():
        return {}
    document = json.loads(dev_keys.read_text(encoding="utf-8"))
    accounts: dict[str, dict[str, str]] = document["accounts"]
    return accounts


def _create_keystore(paths: dict[str, Path], role: str, keystore: Path) -> None:
    """A service's keystore: the node's `role` key (keystore or dev key), in its own file."""
    from eth_account import Account

    passphrase = paths["passphrase"].read_text(encoding="utf-8").splitlines()[0]
    node_keystore = paths["node"] / "keystore" / f"{role}.json"
    if node_keystore.exists():
        _write_secret(keystore, node_keystore.read_text(encoding="utf-8"))
        return
    account = _dev_accounts(paths).get(role)
    if account is None:
        raise StartupError(f"no {role} key: {paths['node']} has neither keystore/{role}.json "
                           f"nor a {role} account in dev-keys.json")
    private_key = bytes.fromhex(account["privateKey"].removeprefix("0x"))
    document = Account.encrypt(private_key, passphrase, kdf="scrypt")
    _write_secret(keystore, json.dumps(document))


def _services(paths: dict[str, Path], ports: Ports, chain: Chain, db: str | None,
              data_dir: Path, dev: bool) -> list[Service]:
    deployment = json.loads((paths["node"] / "deployment.json").read_text(encoding="utf-8"))
    contracts = {name: entry["address"] for name, entry in deployment["contracts"].items()}
    log_port = ports.log
    log_db, mirror_db = _database_urls(data_dir, db)
    passphrase_args = ["--passphrase-file", str(paths["passphrase"])]
    logs = paths["logs"]
    witness_key = read_verifier_key(paths["witness_key"]) if dev else None
    # The log pushes each checkpoint to the witness and serves its cosignatures.
    log_witness_args = (["--witness", f"http://127.0.0.1:{ports.witness} {witness_key}"]
                        if witness_key else [])
    api_env = {"TRACELEDGER_API_LOG_URL": f"http://127.0.0.1:{log_port}/log"}
    if witness_key:
        api_env["TRACELEDGER_API_WITNESS_KEYS"] = json.dumps([witness_key])
    if chain.transaction_urls[0] != chain.read_url:
        # The API reads from a follower, which refuses transactions (trace_api settings).
        api_env["TRACELEDGER_API_TRANSACTION_RPC_URL"] = chain.transaction_urls[0]
    # After the log (its pull rounds need it), before the others.
    witness = ([_witness_service(paths, ports, chain, contracts["TraceAnchor"])]
               if witness_key else [])
    # A joined network's nodes run elsewhere (`traceledger network up`).
    node = [] if chain.network is not None else [
        Service(
            "ledger node",
            traceledger_command("node", "run", "--data-dir", str(paths["node"]), "--rpc-port",
                                str(ports.rpc), *passphrase_args),
            logs / "node.log",
            ready_url=chain.read_url,
            ready_body={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        ),
    ]
    anchorer_rpc_args = [arg for url in chain.transaction_urls for arg in ("--rpc-url", url)]
    return [
        *node,
        Service(
            "trace log",
            traceledger_command("log", "serve", "--database-url", log_db, "--key-file",
                                str(paths["log_key"]), "--port", str(log_port),
                                *log_witness_args, *passphrase_args),
            logs / "log.log",
            ready_url=f"http://127.0.0.1:{log_port}/log/checkpoint",
        ),
        *witness,
        Service(
            "anchorer",
            traceledger_command("anchorer", "run", "--database-url", log_db,
                                *anchorer_rpc_args, "--anchor-address",
                                contracts["TraceAnchor"], "--keystore",
                                str(paths["anchorer_keystore"]), *passphrase_args),
            logs / "anchorer.log",
        ),
        Service(
            "indexer",
            traceledger_command("indexer", "run", "--rpc", chain.read_url, "--db", mirror_db,
                                "--member-registry", contracts["MemberRegistry"],
                                "--trace-anchor", contracts["TraceAnchor"],
                                "--recall-registry", contracts["RecallRegistry"]),
            logs / "indexer.log",
        ),
        Service(
            # Records live with the log (one transaction per capture); the mirror is read only.
            "trace API",
            traceledger_command("api", "serve", "--database-url", log_db,
                                "--mirror-database-url", mirror_db, "--rpc-url", chain.read_url,
                                "--node-data-dir", str(paths["node"]), "--master-key-file",
                                str(paths["master_key"]), "--log-key-file",
                                str(paths["log_key"]), "--public-base-url",
                                f"http://127.0.0.1:{ports.api}", "--port", str(ports.api),
                                *passphrase_args),
            logs / "api.log",
            # 200 while the API and its database answer; the body reports the others.
            ready_url=f"http://127.0.0.1:{ports.api}/healthz",
            # The log's URL, the witness keys and the transaction node have no `api serve`
            # option; settings read them from the environment.
            env=api_env,
        ),
    ]


def _witness_service(paths: dict[str, Path], ports: Ports, chain: Chain,
                     trace_anchor: str) -> Service:
    """The dev witness: tlog-witness push endpoint, pull rounds and, if the dev chain has a
    witness account, on-chain witnessing (at an authority: it sends), in one process."""
    chain_args = (["--rpc-url", chain.transaction_urls[0], "--anchor-address", trace_anchor,
                   "--keystore", str(paths["witness_keystore"])]
                  if paths["witness_keystore"].exists() else [])
    return Service(
        "witness",
        traceledger_command("witness", "serve", "--log-key",
                            read_verifier_key(paths["log_key"]), "--key-file",
                            str(paths["witness_key"]), "--state", str(paths["witness_state"]),
                            "--port", str(ports.witness), "--log-url",
                            f"http://127.0.0.1:{ports.log}/log", *chain_args,
                            "--passphrase-file", str(paths["passphrase"])),
        paths["logs"] / "witness.log",
    )


def _network_rows(network: Network, chain: Chain) -> list[tuple[str, str, str]]:
    """The joined network's nodes as rows of the URLs table: which services use which."""
    rows = []
    for node in network.nodes:
        uses = []
        if node.rpc_url == chain.read_url:
            uses.append("indexer and API read here")
        if node.rpc_url == chain.transaction_urls[0]:
            uses.append("anchorer, witness and API send here")
        elif node.rpc_url in chain.transaction_urls:
            uses.append("anchorer fails over here")
        rows.append((f"{node.name} ({node.role})", f"JSON-RPC {node.rpc_url}"
                     + (f" ({'; '.join(uses)})" if uses else ""),
                     str(network.directory / "logs" / f"{node.name}.log")))
    return rows


def _print_urls(services: list[Service], ports: Ports, chain: Chain, data_dir: Path) -> None:
    title = f"TraceLedger (data in {data_dir.resolve()}"
    if chain.network is not None:
        title += f"; joined the network in {chain.network.directory.resolve()}"
    table = Table(title=title + ")")
    table.add_column("service")
    table.add_column("where")
    table.add_column("log file")
    where = {
        "ledger node": f"JSON-RPC http://127.0.0.1:{ports.rpc} (WebSocket on the same port)",
        "trace log": f"tlog-tiles http://127.0.0.1:{ports.log}/log/checkpoint",
        "witness": f"tlog-witness http://127.0.0.1:{ports.witness} (add-checkpoint); "
                   "cosigns each checkpoint"
                   + (", witnesses each anchored head on TraceAnchor"
                      if (data_dir / "secrets" / "witness-keystore.json").exists()
                      else " (this dev chain has no witness account: nothing on chain)"),
        "anchorer": "anchors each new checkpoint on TraceAnchor",
        "indexer": "mirrors the chain into SQL",
        "trace API": f"http://127.0.0.1:{ports.api} (docs /docs; admin key in "
                     f"{data_dir / ADMIN_KEY_FILE}"
                     + (f", dev enterprise keys in {data_dir / DEV_API_KEYS_FILE})"
                        if (data_dir / DEV_API_KEYS_FILE).exists() else ")"),
    }
    if chain.network is not None:  # in place of the node of our own
        for row in _network_rows(chain.network, chain):
            table.add_row(*row)
    for service in services:
        table.add_row(service.name, where[service.name], str(service.log_path))
    console.print(table)


def up(
    data_dir: Annotated[
        Path, typer.Option("--data-dir", help="Where the embedded system keeps its data.")
    ] = DEFAULT_DATA_DIR,
    dev: Annotated[
        bool, typer.Option("--dev", help="Initialise a development chain (plain dev keys).")
    ] = False,
    peers: Annotated[
        Path | None,
        typer.Option("--peers", help="A network directory written by `traceledger network "
                     "up`: join that consortium instead of running a chain of its own (no "
                     "ledger node here; its dev accounts imply --dev).")
    ] = None,
    rpc_port: Annotated[int, typer.Option(help="Ledger node JSON-RPC port.")] = 8545,
    log_port: Annotated[int, typer.Option(help="Trace log (tlog-tiles) HTTP port.")] = 8080,
    api_port: Annotated[int, typer.Option(help="Trace API HTTP port.")] = 8000,
    witness_port: Annotated[
        int, typer.Option(help="With --dev: the witness's tlog-witness HTTP port.")
    ] = 8081,
    db: Annotated[
        str | None,
        typer.Option(help="postgresql://... for the log and the mirror (default: SQLite)."),
    ] = None,
) -> None:
    """Start the embedded system (node, log, with --dev a witness, anchorer, indexer, API)
    and keep it running: restart what crashes, stop everything when a service keeps failing
    or on Ctrl-C/SIGTERM."""
    restrict_new_files()
    network = None
    if peers is not None:
        try:
            network = read_network(peers)
        except NetworkError as exc:
            console.print(f"[red]error:[/] --peers: {exc}", highlight=False)
            raise typer.Exit(code=1) from exc
        # A dev network's accounts (witness, enterprises) are the system's, as with --dev.
        dev = dev or (network.shared_dir / "dev-keys.json").exists()
    make_private_data_dir(data_dir, console)
    log_to_file(data_dir / "logs" / SUPERVISOR_LOG)
    ports = Ports(rpc=rpc_port, log=log_port, api=api_port, witness=witness_port)
    chain = Chain.joined(network) if network is not None else Chain.own_node(rpc_port)

    def prepare() -> list[Service]:
        paths = _initialise(data_dir, dev, network)
        log_db = _database_urls(data_dir, db)[0]
        _bootstrap_admin_key(paths, log_db)
        if dev:
            _import_dev_enterprises(paths, log_db)
        return _services(paths, ports, chain, db, data_dir, dev)

    exit_code = run_until_stopped(
        prepare, lambda services: _print_urls(services, ports, chain, data_dir),
        console=console, start_timeout_s=START_TIMEOUT_S)
    if exit_code:
        raise typer.Exit(code=exit_code)
