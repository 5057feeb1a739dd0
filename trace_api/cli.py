"""`traceledger api ...`: serve the trace API; issue, list and revoke API keys offline.

Every `serve` option can also come from the environment (`TRACELEDGER_API_<FIELD>`, see
`trace_api.settings.ApiSettings`); options given on the command line win.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False)
key_app = typer.Typer(no_args_is_help=True, add_completion=False)
app.add_typer(key_app, name="key", help="Issue, list and revoke API keys (needs the database).")

DatabaseUrlOption = Annotated[
    str | None,
    typer.Option(help="Records database (default: $TRACELEDGER_API_DATABASE_URL).",
                 envvar="TRACELEDGER_API_DATABASE_URL"),
]


@app.command("serve")
def serve(
    database_url: DatabaseUrlOption = None,
    mirror_database_url: Annotated[str | None, typer.Option(help="The indexer's mirror DB.")] = None,
    rpc_url: Annotated[str | None, typer.Option(help="JSON-RPC of a ledger node.")] = None,
    node_data_dir: Annotated[Path | None, typer.Option(help="The ledger node's data dir.")] = None,
    passphrase_file: Annotated[Path | None, typer.Option(help="Keystore passphrase file.")] = None,
    master_key_file: Annotated[
        Path | None, typer.Option(help="AES-256-GCM master key for custodial keys.")
    ] = None,
    log_key_file: Annotated[Path | None, typer.Option(help="The log's key file.")] = None,
    public_base_url: Annotated[str | None, typer.Option(help="Base URL printed in labels.")] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
) -> None:
    """Serve the trace API (uvicorn) until SIGTERM or Ctrl-C."""
    import uvicorn
    from pydantic import ValidationError

    from trace_api.app import create_app
    from trace_api.serving import prepare_process, uvicorn_log_config
    from trace_api.settings import ApiSettings

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    given: dict[str, Any] = {
        "database_url": database_url, "mirror_database_url": mirror_database_url,
        "rpc_url": rpc_url, "node_data_dir": node_data_dir, "passphrase_file": passphrase_file,
        "master_key_file": master_key_file, "log_key_file": log_key_file,
        "public_base_url": public_base_url,
    }
    try:
        settings = ApiSettings(**{name: value for name, value in given.items() if value is not None})
    except ValidationError as exc:
        missing = ", ".join(str(error["loc"][0]) for error in exc.errors())
        typer.echo(f"error: missing or invalid settings: {missing}", err=True)
        raise typer.Exit(2) from exc
    application = create_app(settings)
    # The app's modules, routes and models live as long as the process. Moving them to the
    # permanent generation keeps the cyclic collector's full passes from rescanning them
    # while captures allocate: ~25 µs per captured event of a 1,000-event document.
    gc.collect()
    gc.freeze()
    # After every import: a body nested 100,000 deep must be a RecursionError at worst,
    # never a C stack overflow (issue 13); the access log never shows `auth=` values.
    prepare_process()
    uvicorn.run(application, host=host, port=port, log_level="info",
                log_config=uvicorn_log_config(), timeout_graceful_shutdown=10,
                # uvicorn believes X-Forwarded-For from 127.0.0.1 by default: any local
                # client could then choose its rate-limit bucket and clone-alarm place.
                proxy_headers=bool(settings.forwarded_allow_ips),
                forwarded_allow_ips=",".join(settings.forwarded_allow_ips) or None)


@contextlib.contextmanager
def _engine(database_url: str | None) -> Iterator[Any]:
    """The API database's engine with its tables, disposed of when the block ends."""
    from trace_api.auth.api_keys import ApiKeyRow  # noqa: F401  (registers the table)
    from trace_api.db import create_api_tables, create_db_engine

    if not database_url:
        typer.echo("error: --database-url or $TRACELEDGER_API_DATABASE_URL is required", err=True)
        raise typer.Exit(2)
    engine = create_db_engine(database_url)
    try:
        create_api_tables(engine)
        yield engine
    finally:
        engine.dispose()


def _write_private(path: Path, content: str) -> None:
    """Create `path` with mode 0600 (refusing to overwrite) and write `content`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(content)


@key_app.command("create")
def key_create(
    name: Annotated[str, typer.Option(help="What the key is for.")],
    role: Annotated[str, typer.Option(help="admin, regulator or enterprise.")] = "admin",
    enterprise_id: Annotated[
        str | None, typer.Option(help="For enterprise keys: the enterprise id (0x + 64 hex).")
    ] = None,
    output_file: Annotated[
        Path | None,
        typer.Option(help="Write the key to this new file (mode 0600) instead of printing it."),
    ] = None,
    database_url: DatabaseUrlOption = None,
) -> None:
    """Issue an API key. The key is shown once (or written once to --output-file)."""
    from trace_api.auth.api_keys import create_api_key
    from trace_api.auth.principal import Role

    try:
        parsed_role = Role(role)
    except ValueError as exc:
        typer.echo(f"error: unknown role {role!r}", err=True)
        raise typer.Exit(2) from exc
    if output_file is not None and output_file.exists():
        typer.echo(f"error: {output_file} exists; not overwriting a key file", err=True)
        raise typer.Exit(1)
    with _engine(database_url) as engine:
        try:
            issued = create_api_key(engine, role=parsed_role, name=name,
                                    enterprise_id=enterprise_id, created_by="cli")
        except ValueError as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2) from exc
    if output_file is not None:
        _write_private(output_file, issued.key + "\n")
        typer.echo(f"created {parsed_role.value} key {issued.row.key_id} in {output_file}")
    else:
        typer.echo(issued.key)


@app.command("dev-enterprises")
def dev_enterprises(
    node_data_dir: Annotated[Path, typer.Option(help="The dev ledger node's data dir (dev-keys.json).")],
    output_file: Annotated[Path, typer.Option(help="New file (mode 0600) for the enterprises' API keys.")],
    database_url: DatabaseUrlOption = None,
) -> None:
    """Dev chains only: add the genesis enterprises to the API and issue an API key each."""
    from ledger_node.errors import KeyStoreError
    from trace_api.enterprises.dev_import import dev_api_keys_document, import_dev_enterprises

    if output_file.exists():
        typer.echo(f"error: {output_file} exists; not overwriting a key file", err=True)
        raise typer.Exit(1)
    with _engine(database_url) as engine:
        try:
            imported = import_dev_enterprises(engine, node_data_dir)
        except KeyStoreError as exc:
            typer.echo(f"error: not a dev chain: {exc}", err=True)
            raise typer.Exit(2) from exc
    _write_private(output_file, dev_api_keys_document(imported))
    names = ", ".join(f"{e.role} ({e.enterprise_id})" for e in imported)
    typer.echo(f"imported {names}; API keys in {output_file}")


@key_app.command("list")
def key_list(database_url: DatabaseUrlOption = None) -> None:
    """List keys (id, role, enterprise, name, revoked); never their secrets."""
    from trace_api.auth.api_keys import list_api_keys

    with _engine(database_url) as engine:
        for row in list_api_keys(engine):
            state = "revoked" if row.revoked_at_ms is not None else "active"
            typer.echo(f"{row.key_id}\t{row.role}\t{row.enterprise_id or '-'}\t{state}\t{row.name}")


@key_app.command("revoke")
def key_revoke(
    key_id: Annotated[str, typer.Argument(help="The key id (the hex part after tlk_).")],
    database_url: DatabaseUrlOption = None,
) -> None:
    """Revoke a key (a running API notices within its key cache TTL)."""
    from trace_api.auth.api_keys import revoke_api_key

    with _engine(database_url) as engine:
        if revoke_api_key(engine, key_id) is None:
            typer.echo(f"error: no key {key_id}", err=True)
            raise typer.Exit(1)
    typer.echo(f"revoked {key_id}")
