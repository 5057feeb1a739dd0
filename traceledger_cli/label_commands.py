"""`traceledger label ...`: make GS1 Digital Link QR labels offline (no server needed).

The authenticator key (hex, >= 16 bytes) comes from ``--key-file`` or the
TRACELEDGER_LABEL_KEY environment variable; it is never printed.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gs1 import DEFAULT_STEM, GS1Error, canonical_uri, parse_digital_link
from trace_api.labels import (
    BatchRequest,
    LabelError,
    batch_labels,
    make_label,
    parse_serial_range,
    render_batch,
    render_label,
    verify_authenticator,
)

app = typer.Typer(no_args_is_help=True)
console = Console()
error_console = Console(stderr=True)
KEY_ENV = "TRACELEDGER_LABEL_KEY"


def _fail(message: str, code: int = 1) -> typer.Exit:
    error_console.print(f"[red]{message}[/]")
    return typer.Exit(code=code)


def _load_key(key_file: Path | None) -> bytes:
    text = key_file.read_text(encoding="ascii").strip() if key_file else os.environ.get(KEY_ENV, "")
    if not text:
        raise _fail(f"no authenticator key: pass --key-file or set {KEY_ENV} (hex), or --no-auth", 2)
    try:
        return bytes.fromhex(text)
    except ValueError as exc:
        raise _fail("authenticator key must be hex", 2) from exc


def _write(out: Path, data: bytes) -> None:
    try:
        out.write_bytes(data)
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror}", 2) from exc


@app.command("make")
def make_command(
    uri: Annotated[str, typer.Option(help="GS1 Digital Link URI to encode, exactly as printed.")],
    out: Annotated[Path, typer.Option(help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", help="svg, png or pdf (default: from --out).")] = "",
    product_name: Annotated[str, typer.Option(help="Product name shown under the code.")] = "",
    registration_code: Annotated[str, typer.Option(help="Equipment registration code shown.")] = "",
    emergency_phone: Annotated[str, typer.Option(help="Emergency phone shown (equipment).")] = "",
) -> None:
    """Render one label for URI to OUT."""
    fmt = fmt or out.suffix.lstrip(".").lower()
    try:
        label = make_label(
            uri,
            product_name=product_name or None,
            registration_code=registration_code or None,
            emergency_phone=emergency_phone or None,
        )
        data = render_label(label, fmt)
    except (GS1Error, LabelError) as exc:
        raise _fail(exc.reason) from exc
    _write(out, data)
    console.print(f"wrote {out} ({len(data):,} bytes)")


@app.command("batch")
def batch_command(
    gtin: Annotated[str, typer.Option(help="GTIN-8/12/13/14 with check digit.")],
    lot: Annotated[str, typer.Option(help="Batch/lot (AI 10, GS1 character set 82).")],
    serials: Annotated[str, typer.Option(help="Serial range, e.g. 1-1000.")],
    out: Annotated[Path, typer.Option(help="Output: .pdf (A4 sheets) or .zip.")],
    fmt: Annotated[str, typer.Option("--format", help="pdf, zip-png or zip-svg.")] = "",
    expiry: Annotated[str, typer.Option(help="Expiry date YYYY-MM-DD (AI 17).")] = "",
    product_name: Annotated[str, typer.Option(help="Product name shown under each code.")] = "",
    serial_width: Annotated[int, typer.Option(help="Zero-pad serials to this width.")] = 0,
    stem: Annotated[str, typer.Option(help="Resolver host for the URIs.")] = DEFAULT_STEM,
    key_file: Annotated[Path | None, typer.Option(help="File with the hex authenticator key.")] = None,
    no_auth: Annotated[bool, typer.Option("--no-auth", help="Print without authenticators.")] = False,
) -> None:
    """Render a serialised batch (GTIN + lot + serial range) as A4 PDF sheets or a ZIP."""
    fmt = fmt or ("pdf" if out.suffix.lower() == ".pdf" else "zip-png")
    try:
        expiry_date = dt.date.fromisoformat(expiry) if expiry else None
    except ValueError as exc:
        raise _fail(f"expiry {expiry!r} is not YYYY-MM-DD") from exc
    key = None if no_auth else _load_key(key_file)
    try:
        request = BatchRequest(
            gtin=gtin,
            lot=lot,
            serials=parse_serial_range(serials),
            expiry=expiry_date,
            product_name=product_name or None,
            serial_width=serial_width,
            stem=stem,
        )
        request.verify()
        labels = batch_labels(request, key=key)
        with Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=error_console,
        ) as progress:
            task = progress.add_task(f"rendering {fmt}", total=len(request.serials))
            data = render_batch(labels, fmt, on_label=lambda: progress.advance(task))
    except (GS1Error, LabelError) as exc:
        raise _fail(exc.reason) from exc
    _write(out, data)
    console.print(f"wrote {len(request.serials):,} labels to {out} ({len(data):,} bytes)")


@app.command("check")
def check_command(
    uri: Annotated[str, typer.Option(help="A scanned GS1 Digital Link URI.")],
    key_file: Annotated[Path | None, typer.Option(help="File with the hex authenticator key.")] = None,
) -> None:
    """Validate URI, print its canonical form and, with a key, check its authenticator."""
    try:
        link = parse_digital_link(uri)
        console.print(canonical_uri(uri))
        if key_file is not None or os.environ.get(KEY_ENV):
            verify_authenticator(_load_key(key_file), link)
            console.print("[green]authenticator OK[/]")
    except (GS1Error, LabelError) as exc:
        raise _fail(exc.reason) from exc
