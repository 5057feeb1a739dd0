"""`traceledger up`: the whole embedded system in one command.

Initialises what is missing on first start (chain, keys, log key, the custodial-key
master key, a bootstrap admin API key), then starts every service as its own process —
ledger node, trace log (tile serving + sequencer), with `--dev` a witness, anchorer,
indexer, trace API — waits until each answers, prints the URLs and `ready`, and keeps them
running: a service that crashes is restarted with backoff (`supervisor.py`, policy in
`restart_policy.py`); one that keeps failing stops the system with a non-zero exit, so a
half-running system is never mistaken for a working one. Ctrl-C or SIGTERM stops
everything, newest first.

The data directory is owner-only: the process umask is 0077 (so every file the services
create is 0600, every directory 0700), and a data directory left group- or
world-accessible by an older version is tightened on start, with a note on the console.

The bootstrap admin key is written once to DATA_DIR/admin.key (mode 0600); only its
scrypt hash is in the database and it is never printed or logged. With `--dev`, the dev
chain's genesis enterprises (enterprise1, enterprise2 of node/dev-keys.json) are added to
the API once, with an API key each in DATA_DIR/dev-api-keys.json (0600).

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
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from anchoring.keys import read_verifier_key
from traceledger_cli.private_files import (
    PRIVATE_FILE_MODE,
    make_private_dir,
    restrict_new_files,
    tighten_tree,
)
from traceledger_cli.service_process import Service
from traceledger_cli.supervisor import ServiceFailed, StartupError, Supervisor

console = Console()
logger = logging.getLogger(__name__)

DEFAULT_DATA_DIR = Path(".traceledger")
LOG_ORIGIN = "localhost/traceledger-log"
WITNESS_NAME = "localhost/traceledger-witness"
"""The dev witness's cosignature key name (what proof bundles and the scan page show)."""
START_TIMEOUT_S = 120.0
ADMIN_KEY_FILE = "admin.key"
DEV_API_KEYS_FILE = "dev-api-keys.json"  # trace_api.enterprises.dev_import.DEV_API_KEYS_FILE
SUPERVISOR_LOG = "supervisor.log"


@dataclass(frozen=True)
class Ports:
    """Loopback ports of the services that listen."""

    rpc: int
    log: int
    api: int
    witness: int


class StopRequested(Exception):
    """Ctrl-C or SIGTERM: stop every service and exit cleanly."""


def _request_stop(signum: int, _frame: object) -> None:
    raise StopRequested(signal.Signals(signum).name)


def _traceledger(*args: str) -> list[str]:
    return [sys.executable, "-m", "traceledger_cli.main", *args]


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


def _initialise(data_dir: Path, dev: bool) -> dict[str, Path]:
    """Create whatever is missing in data_dir; return the paths the services need."""
    paths = {
        "passphrase": data_dir / "secrets" / "passphrase",
        "node": data_dir / "node",
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
    if not paths["passphrase"].exists():
        # One passphrase for the embedded system's key files, kept beside them with mode
        # 0600; a server deployment supplies its own through the same files or env vars.
        _write_secret(paths["passphrase"], secrets.token_urlsafe(32) + "\n")
    passphrase_args = ["--passphrase-file", str(paths["passphrase"])]
    init_log = paths["logs"] / "init.log"
    if not (paths["node"] / "deployment.json").exists():
        dev_args = ["--dev"] if dev else []
        _run_step(
            "initialising the ledger node (genesis, keys, contracts)",
            _traceledger("node", "init", "--data-dir", str(paths["node"]), *dev_args,
                         *passphrase_args),
            init_log,
        )
    if not paths["log_key"].exists():
        _run_step(
            "creating the log's Ed25519 signing key",
            _traceledger("log", "keygen", "--name", LOG_ORIGIN, "--key-file",
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
        _traceledger("api", "key", "create", "--role", "admin", "--name", "bootstrap admin",
                     "--output-file", str(paths["admin_key"]), "--database-url", log_db),
        paths["logs"] / "init.log",
    )


def _import_dev_enterprises(paths: dict[str, Path], log_db: str) -> None:
    """Dev chains: make the genesis enterprises usable through the API, keys in a 0600 file."""
    if paths["dev_api_keys"].exists() or not (paths["node"] / "dev-keys.json").exists():
        return
    _run_step(
        "adding the dev enterprises to the API",
        _traceledger("api", "dev-enterprises", "--node-data-dir", str(paths["node"]),
                     "--output-file", str(paths["dev_api_keys"]), "--database-url", log_db),
        paths["logs"] / "init.log",
    )


def _initialise_dev_witness(paths: dict[str, Path], passphrase_args: list[str],
                            init_log: Path) -> None:
    """The dev witness's cosignature key and, if the dev chain has a witness account (chains
    initialised before it had one do not), its Ethereum keystore."""
    if not paths["witness_key"].exists():
        _run_step(
            "creating the dev witness's cosignature key",
            _traceledger("log", "keygen", "--witness", "--name", WITNESS_NAME, "--key-file",
                         str(paths["witness_key"]), *passphrase_args),
            init_log,
        )
    if not paths["witness_keystore"].exists() and _dev_accounts(paths).get("witness"):
        _create_keystore(paths, "witness", paths["witness_keystore"])


def _dev_accounts(paths: dict[str, Path]) -> dict[str, dict[str, str]]:
    """The dev chain's accounts by role (node/dev-keys.json); empty for a non-dev chain."""
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
    private_key = bytes.fromhex(_dev_accounts(paths)[role]["privateKey"].removeprefix("0x"))
    document = Account.encrypt(private_key, passphrase, kdf="scrypt")
    _write_secret(keystore, json.dumps(document))


def _services(paths: dict[str, Path], ports: Ports, db: str | None, data_dir: Path,
              dev: bool) -> list[Service]:
    deployment = json.loads((paths["node"] / "deployment.json").read_text(encoding="utf-8"))
    contracts = {name: entry["address"] for name, entry in deployment["contracts"].items()}
    rpc_port, log_port = ports.rpc, ports.log
    rpc_url = f"http://127.0.0.1:{rpc_port}"
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
    # After the log (its pull rounds need it), before the others.
    witness = [_witness_service(paths, ports, contracts["TraceAnchor"])] if witness_key else []
    return [
        Service(
            "ledger node",
            _traceledger("node", "run", "--data-dir", str(paths["node"]), "--rpc-port",
                         str(rpc_port), *passphrase_args),
            logs / "node.log",
            ready_url=rpc_url,
            ready_body={"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []},
        ),
        Service(
            "trace log",
            _traceledger("log", "serve", "--database-url", log_db, "--key-file",
                         str(paths["log_key"]), "--port", str(log_port), *log_witness_args,
                         *passphrase_args),
            logs / "log.log",
            ready_url=f"http://127.0.0.1:{log_port}/log/checkpoint",
        ),
        *witness,
        Service(
            "anchorer",
            _traceledger("anchorer", "run", "--database-url", log_db, "--rpc-url", rpc_url,
                         "--anchor-address", contracts["TraceAnchor"], "--keystore",
                         str(paths["anchorer_keystore"]), *passphrase_args),
            logs / "anchorer.log",
        ),
        Service(
            "indexer",
            _traceledger("indexer", "run", "--rpc", rpc_url, "--db", mirror_db,
                         "--member-registry", contracts["MemberRegistry"],
                         "--trace-anchor", contracts["TraceAnchor"],
                         "--recall-registry", contracts["RecallRegistry"]),
            logs / "indexer.log",
        ),
        Service(
            # Records live with the log (one transaction per capture); the mirror is read only.
            "trace API",
            _traceledger("api", "serve", "--database-url", log_db, "--mirror-database-url",
                         mirror_db, "--rpc-url", rpc_url, "--node-data-dir", str(paths["node"]),
                         "--master-key-file", str(paths["master_key"]), "--log-key-file",
                         str(paths["log_key"]), "--public-base-url",
                         f"http://127.0.0.1:{ports.api}", "--port", str(ports.api),
                         *passphrase_args),
            logs / "api.log",
            # 200 while the API and its database answer; the body reports the others.
            ready_url=f"http://127.0.0.1:{ports.api}/healthz",
            # The log's URL and the witness keys have no `api serve` option; settings read
            # them from the environment.
            env=api_env,
        ),
    ]


def _witness_service(paths: dict[str, Path], ports: Ports, trace_anchor: str) -> Service:
    """The dev witness: tlog-witness push endpoint, pull rounds and, if the dev chain has a
    witness account, on-chain witnessing, in one `witness serve` process."""
    chain_args = (["--rpc-url", f"http://127.0.0.1:{ports.rpc}", "--anchor-address",
                   trace_anchor, "--keystore", str(paths["witness_keystore"])]
                  if paths["witness_keystore"].exists() else [])
    return Service(
        "witness",
        _traceledger("witness", "serve", "--log-key", read_verifier_key(paths["log_key"]),
                     "--key-file", str(paths["witness_key"]), "--state",
                     str(paths["witness_state"]), "--port", str(ports.witness), "--log-url",
                     f"http://127.0.0.1:{ports.log}/log", *chain_args,
                     "--passphrase-file", str(paths["passphrase"])),
        paths["logs"] / "witness.log",
    )


def _print_urls(services: list[Service], ports: Ports, data_dir: Path) -> None:
    table = Table(title=f"TraceLedger (data in {data_dir.resolve()})")
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
    _make_data_dir_private(data_dir)
    _log_to_file(data_dir / "logs" / SUPERVISOR_LOG)
    signal.signal(signal.SIGTERM, _request_stop)
    signal.signal(signal.SIGINT, _request_stop)
    supervisor: Supervisor | None = None
    exit_code = 0
    try:
        paths = _initialise(data_dir, dev)
        _bootstrap_admin_key(paths, _database_urls(data_dir, db)[0])
        if dev:
            _import_dev_enterprises(paths, _database_urls(data_dir, db)[0])
        ports = Ports(rpc=rpc_port, log=log_port, api=api_port, witness=witness_port)
        services = _services(paths, ports, db, data_dir, dev)
        supervisor = Supervisor(services, console=console)
        supervisor.start_all(START_TIMEOUT_S)
        _print_urls(services, ports, data_dir)
        console.print("ready", highlight=False)
        logger.info("ready")
        supervisor.run()
    except StopRequested:
        pass
    except StartupError as exc:
        console.print(f"[red]error:[/] {exc}", highlight=False)
        logger.error("%s", exc)
        exit_code = 1
    except ServiceFailed as exc:  # the supervisor has logged it
        console.print(f"[red]error:[/] {exc}", highlight=False)
        exit_code = 1
    finally:
        # Let the shutdown finish even if the user presses Ctrl-C again.
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        if supervisor is not None:
            with console.status("stopping"):
                supervisor.stop_all()
        console.print("stopped")
        logger.info("stopped (exit code %d)", exit_code)
    if exit_code:
        raise typer.Exit(code=exit_code)


def _make_data_dir_private(data_dir: Path) -> None:
    """Create data_dir 0700; tighten a data dir an older version left readable to others."""
    loosened = tighten_tree(data_dir) if data_dir.exists() else []
    make_private_dir(data_dir)
    if loosened:
        console.print(
            f"[yellow]note:[/] {len(loosened)} files and directories in {data_dir} were "
            "readable by other users (e.g. made by an older version); now owner-only "
            "(directories 0700, files 0600)", highlight=False,
        )


def _log_to_file(log_path: Path) -> None:
    """The supervisor's own log (starts, crashes, restarts), beside the services' logs."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(log_path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    root = logging.getLogger("traceledger_cli")
    root.addHandler(handler)
    root.setLevel(logging.INFO)
