"""`traceledger core ...`: the pure core from the command line, for enterprises and auditors
who want to check an event hash or a canonical form without running any service."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from anchoring.core import CoreError, canonicalize_json_text, document_events

app = typer.Typer(no_args_is_help=True)
console = Console()
error_console = Console(stderr=True)


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        error_console.print(f"[red]cannot read {path}: {exc}[/]")
        raise typer.Exit(code=2) from exc


@app.command("event-hash")
def event_hash_command(
    document: Annotated[Path, typer.Argument(help="EPCIS 2.0 JSON/JSON-LD document or event.")],
    prehash: Annotated[bool, typer.Option(help="Also print each pre-hash string.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Print the CBV 2.0 Event Hash ID (GS1 CBV 2.0 §8.9) of every event in DOCUMENT."""
    rows = []
    try:
        for position, item in enumerate(document_events(_read_json(document))):
            row = {"index": position, "type": item.event.get("type"), "eventHashID": item.hash_id()}
            if prehash:
                row["prehash"] = item.prehash()
            rows.append(row)
    except (CoreError, ValueError) as exc:
        error_console.print(f"[red]{document}: {exc}[/]")
        raise typer.Exit(code=1) from exc
    if as_json:
        typer.echo(json.dumps(rows, indent=2))
        return
    table = Table(title=str(document))
    for column in ("index", "type", "eventHashID"):
        table.add_column(column)
    for row in rows:
        table.add_row(str(row["index"]), str(row["type"]), row["eventHashID"])
    console.print(table)
    for row in rows if prehash else ():
        console.print(f"[bold]{row['index']}[/] {row['prehash']}", soft_wrap=True)


@app.command("canonicalize")
def canonicalize_command(
    document: Annotated[Path, typer.Argument(help="A JSON file ('-' for standard input).")],
) -> None:
    """Write the RFC 8785 (JCS) canonical form of a JSON document to standard output."""
    try:
        text = sys.stdin.read() if str(document) == "-" else document.read_text(encoding="utf-8")
        canonical = canonicalize_json_text(text)
    except (OSError, UnicodeDecodeError) as exc:
        error_console.print(f"[red]cannot read {document}: {exc}[/]")
        raise typer.Exit(code=2) from exc
    except (CoreError, ValueError) as exc:
        error_console.print(f"[red]{document}: {exc}[/]")
        raise typer.Exit(code=1) from exc
    sys.stdout.buffer.write(canonical + b"\n")
