"""`traceledger log ...`, `traceledger anchorer ...`, `traceledger witness ...`.

Secrets (passphrases) come from a file or the TRACELEDGER_KEY_PASSPHRASE environment
variable, never from the command line (it would show in `ps`) and never in output.
Exit codes: 0 ok, 1 verification failed or bad input, 2 witness alarm / fork detected.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from pathlib import Path
from typing import Annotated

import typer

from anchoring.keys import (
    create_key_file,
    load_log_signer,
    load_witness_cosigner,
    read_passphrase,
)

KEYSTORE_SCRYPT_N = 2**15
"""scrypt N of Ethereum keystores written here (~0.1 s to open; geth's "light" setting is 2**12)."""
ROUND_JOIN_TIMEOUT_S = 10.0
"""How long `witness serve` waits for a pull round under way when it stops (a round waits
at most `anchoring.witness.RECEIPT_TIMEOUT_S` for a receipt; the state is safe either way)."""

log_app = typer.Typer(no_args_is_help=True, help="The trace log: keys, serving, verification.")
anchorer_app = typer.Typer(no_args_is_help=True, help="Anchor the log's tree heads on chain.")
witness_app = typer.Typer(no_args_is_help=True, help="Check and cosign the log's checkpoints.")

DatabaseUrl = Annotated[
    str,
    typer.Option(envvar="TRACELEDGER_LOG_DATABASE_URL", help="sqlite:///path or postgresql://..."),
]
TablePrefix = Annotated[str, typer.Option(help="Prefix of the log's tables.")]
PassphraseFile = Annotated[
    Path | None,
    typer.Option(
        help="File whose first line is the passphrase (else $TRACELEDGER_KEY_PASSPHRASE)."
    ),
]


def _logging() -> None:
    logging.basicConfig(
        level=os.environ.get("TRACELEDGER_LOG_LEVEL", "INFO"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


# ---------------------------------------------------------------------- log


@log_app.command("keygen")
def log_keygen(
    name: Annotated[
        str, typer.Option(help="Key name = checkpoint origin, e.g. log.example.com/trace")
    ],
    key_file: Annotated[Path, typer.Option(help="Where to write the encrypted key.")],
    passphrase_file: PassphraseFile = None,
    witness: Annotated[
        bool, typer.Option(help="Make a witness cosignature key (type 0x04).")
    ] = False,
) -> None:
    """Create an encrypted Ed25519 note key; print its public verifier key."""
    typer.echo(create_key_file(key_file, name, read_passphrase(passphrase_file), witness=witness))


@log_app.command("serve")
def log_serve(
    database_url: DatabaseUrl,
    key_file: Annotated[Path, typer.Option(help="The log's encrypted signing key.")],
    table_prefix: TablePrefix = "tl_",
    passphrase_file: PassphraseFile = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    sequence: Annotated[bool, typer.Option(help="Also run the sequencer in this process.")] = True,
    witness: Annotated[
        list[str] | None,
        typer.Option(help="'<add-checkpoint URL prefix> <witness verifier key>'; repeatable."),
    ] = None,
) -> None:
    """Serve /log/... per C2SP tlog-tiles (and integrate queued entries)."""
    import uvicorn

    from anchoring.http import LogServeSettings, create_app
    from anchoring.sequencer import Sequencer, SequencerConfig
    from anchoring.store import LogStore

    _logging()
    store = LogStore.open(database_url, table_prefix=table_prefix)
    app = create_app(
        LogServeSettings(database_url=database_url, table_prefix=table_prefix), store=store
    )
    sequencer = None
    if sequence:
        signer = load_log_signer(key_file, read_passphrase(passphrase_file))
        sequencer = Sequencer(store, signer, SequencerConfig(origin=signer.name))
        sequencer.integrate_once()  # publish the first checkpoint (size 0) if there is none
        sequencer.start()
    collector = None
    if witness:
        from anchoring.core.cosignature import WitnessVerifier
        from anchoring.cosigning import CosignatureCollector, WitnessEndpoint

        endpoints = []
        for item in witness:
            url, _, vkey = item.strip().partition(" ")
            endpoints.append(WitnessEndpoint(url, WitnessVerifier.from_verifier_key(vkey.strip())))
        collector = CosignatureCollector(store, endpoints)
        collector.start()
    try:
        uvicorn.run(app, host=host, port=port, log_level="info")
    finally:
        if collector is not None:
            collector.stop()
        if sequencer is not None:
            sequencer.stop()
        store.close()


@log_app.command("verify")
def log_verify(
    url: Annotated[str, typer.Option(help="The log prefix, e.g. http://127.0.0.1:8080/log")],
    log_key: Annotated[
        str | None, typer.Option(help="The log's verifier key (else the signature is not checked).")
    ] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC URL of the chain.")] = None,
    anchor_address: Annotated[
        str | None, typer.Option(help="TraceAnchor contract address.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Download checkpoint and tiles, recompute the root, check every anchored head; print a verdict."""
    import httpx

    from anchoring.core.errors import VerificationError
    from anchoring.errors import AnchoringError
    from anchoring.verify_log import verify_log

    try:
        report = verify_log(
            url, verifier_key=log_key, rpc_url=rpc_url, anchor_address=anchor_address
        )
    except (AnchoringError, VerificationError, ValueError, httpx.HTTPError) as exc:
        typer.echo(f"FAILED: {type(exc).__name__}: {exc}")
        raise typer.Exit(1) from exc
    if as_json:
        typer.echo(
            json.dumps(
                {
                    "verdict": "ok",
                    "tree_size": report.tree_size,
                    "root_hash": report.root_hash.hex(),
                    "signature_checked": report.signature_checked,
                    "anchored_heads_checked": report.anchored_heads_checked,
                }
            )
        )
    else:
        typer.echo(report.verdict())


# ---------------------------------------------------------------------- anchorer


def _load_account(keystore: Path, passphrase_file: Path | None):  # type: ignore[no-untyped-def]
    from eth_account import Account

    return Account.from_key(
        Account.decrypt(json.loads(keystore.read_text()), read_passphrase(passphrase_file))
    )


@anchorer_app.command("keygen")
def anchorer_keygen(
    keystore: Annotated[
        Path, typer.Option(help="Where to write the Ethereum keystore (scrypt + AES).")
    ],
    passphrase_file: PassphraseFile = None,
) -> None:
    """Create an Ethereum keystore for the anchorer (or a witness); print its address."""
    from eth_account import Account

    if keystore.exists():
        typer.echo(f"{keystore} exists", err=True)
        raise typer.Exit(1)
    account = Account.create()
    document = Account.encrypt(
        account.key, read_passphrase(passphrase_file), kdf="scrypt", iterations=KEYSTORE_SCRYPT_N
    )
    descriptor = os.open(keystore, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(document, handle)
    typer.echo(account.address)


@anchorer_app.command("run")
def anchorer_run(
    database_url: DatabaseUrl,
    rpc_url: Annotated[list[str], typer.Option(
        help="JSON-RPC URL of a node of the chain; repeat it for the other nodes, tried in "
             "turn when the current one cannot be reached.")],
    anchor_address: Annotated[str, typer.Option(help="TraceAnchor contract address.")],
    keystore: Annotated[Path, typer.Option(help="The anchorer's Ethereum keystore.")],
    table_prefix: TablePrefix = "tl_",
    passphrase_file: PassphraseFile = None,
) -> None:
    """Anchor each new checkpoint; runs until interrupted. Exits 2 on a fork."""
    from anchoring.anchorer import Anchorer, AnchorerConfig
    from anchoring.errors import AnchorConflictError
    from anchoring.store import LogStore

    _logging()
    store = LogStore.open(database_url, table_prefix=table_prefix)
    anchorer = Anchorer(
        store,
        _load_account(keystore, passphrase_file),
        AnchorerConfig(rpc_url=rpc_url[0], fallback_rpc_urls=tuple(rpc_url[1:]),
                       anchor_address=anchor_address),
    )
    try:
        anchorer.run()
    except AnchorConflictError as exc:
        typer.echo(f"FORK: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass


# ---------------------------------------------------------------------- witness


@witness_app.command("run")
def witness_run(
    log_url: Annotated[str, typer.Option(help="The log prefix, e.g. http://host/log")],
    log_key: Annotated[str, typer.Option(help="The log's verifier key.")],
    key_file: Annotated[Path, typer.Option(help="The witness's encrypted cosignature key.")],
    state: Annotated[
        Path, typer.Option(help="Where the witness keeps the last accepted checkpoint.")
    ],
    rpc_url: Annotated[
        str | None, typer.Option(help="JSON-RPC URL (to witness heads on chain).")
    ] = None,
    anchor_address: Annotated[
        str | None, typer.Option(help="TraceAnchor contract address.")
    ] = None,
    keystore: Annotated[Path | None, typer.Option(help="The witness's Ethereum keystore.")] = None,
    passphrase_file: PassphraseFile = None,
    once: Annotated[bool, typer.Option(help="Run one round and exit.")] = False,
) -> None:
    """Check, cosign and witness the log; exits 2 (after logging at ERROR) on rollback or fork."""
    from anchoring.errors import WitnessAlarm
    from anchoring.witness import Witness, WitnessConfig

    _logging()
    cosigner = load_witness_cosigner(key_file, read_passphrase(passphrase_file))
    account = _load_account(keystore, passphrase_file) if keystore else None
    config = WitnessConfig(
        log_url=log_url,
        log_verifier_key=log_key,
        state_path=state,
        rpc_url=rpc_url,
        anchor_address=anchor_address,
    )
    witness = Witness(config, cosigner, account)
    try:
        if once:
            result = witness.step()
            typer.echo(f"accepted tree size {result.tree_size} root {result.root_hash.hex()}")
        else:
            witness.run()
    except WitnessAlarm as exc:
        typer.echo(f"ALARM: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyboardInterrupt:
        pass
    finally:
        witness.close()


@witness_app.command("serve")
def witness_serve(
    log_key: Annotated[str, typer.Option(help="The log's verifier key.")],
    key_file: Annotated[Path, typer.Option(help="The witness's encrypted cosignature key.")],
    state: Annotated[
        Path, typer.Option(help="Where the witness keeps the last cosigned checkpoint.")
    ],
    passphrase_file: PassphraseFile = None,
    host: str = "127.0.0.1",
    port: int = 8081,
    log_url: Annotated[
        str | None,
        typer.Option(help="Also pull: the log prefix, e.g. http://host/log (as `witness run`)."),
    ] = None,
    rpc_url: Annotated[
        str | None, typer.Option(help="JSON-RPC URL (with --log-url: witness heads on chain).")
    ] = None,
    anchor_address: Annotated[
        str | None, typer.Option(help="TraceAnchor contract address.")
    ] = None,
    keystore: Annotated[Path | None, typer.Option(help="The witness's Ethereum keystore.")] = None,
) -> None:
    """Serve c2sp.org/tlog-witness `POST /add-checkpoint` (push mode) for one log; with
    --log-url, also run `witness run`'s rounds (pull, cosign, witness on chain) in this
    process, on the same state. Exits 2 (after logging at ERROR) on rollback or fork."""
    import uvicorn

    from anchoring.errors import WitnessAlarm
    from anchoring.witness import Witness, WitnessConfig
    from anchoring.witness_http import create_witness_app

    if (rpc_url or anchor_address or keystore) and not (
        log_url and rpc_url and anchor_address and keystore
    ):
        typer.echo(
            "error: witnessing on chain needs --log-url, --rpc-url, --anchor-address and "
            "--keystore together",
            err=True,
        )
        raise typer.Exit(1)
    _logging()
    cosigner = load_witness_cosigner(key_file, read_passphrase(passphrase_file))
    account = _load_account(keystore, passphrase_file) if keystore else None
    config = WitnessConfig(
        log_url=log_url or "",
        log_verifier_key=log_key,
        state_path=state,
        rpc_url=rpc_url,
        anchor_address=anchor_address,
    )
    witness = Witness(config, cosigner, account)
    server = uvicorn.Server(
        uvicorn.Config(create_witness_app(witness), host=host, port=port, log_level="info")
    )
    alarms: list[WitnessAlarm] = []

    def pull_rounds() -> None:
        try:
            witness.run()
        except WitnessAlarm as exc:  # logged at ERROR by the witness; stop serving too
            alarms.append(exc)
            server.should_exit = True

    rounds = threading.Thread(target=pull_rounds, name="witness-rounds", daemon=True)
    if log_url:
        rounds.start()
    try:
        # Returns once an alarm set should_exit. On SIGTERM uvicorn shuts down, then
        # re-raises the signal, which ends the process: every state write is atomic.
        server.run()
    except KeyboardInterrupt:
        pass
    finally:
        witness.stop()
        if rounds.is_alive():
            rounds.join(ROUND_JOIN_TIMEOUT_S)
        witness.close()
    if alarms:
        typer.echo(f"ALARM: {alarms[0]}", err=True)
        raise typer.Exit(2) from alarms[0]
