"""`traceledger scan-page ...`: the consumer scan page as a static bundle another origin hosts.

- `anchors --out FILE [--api URL] [--rpc URL]`: the running platform's trust anchors
  (`GET <api>/scan/trust-anchors.json`), checked against the node they name (chain id,
  genesis hash, contracts), written for a regulator to review and pin.
- `build --out DIR --anchors FILE [--api URL] [--rpc URL] [--name TEXT] [--check-rpc URL]`:
  the page, its modules, the vendored libraries and `anchors.js` with FILE's anchors pinned,
  every URL relative (scanner_app/bundle.py).

Exit status: 0 done, 1 the node or platform disagrees or does not answer, 2 bad input.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urljoin

import httpx
import typer
from rich.console import Console
from rich.table import Table

from anchoring.anchor_contract import connect
from scanner_app.bundle import write_bundle
from scanner_app.errors import BundleError, NodeMismatchError, TrustAnchorsError
from scanner_app.trust_anchors import (
    MAX_DOCUMENT_BYTES,
    TrustAnchors,
    format_trust_anchors,
    load_trust_anchors,
    parse_trust_anchors_json,
    verify_deployment,
    verify_node,
)

app = typer.Typer(no_args_is_help=True)
console = Console()
error_console = Console(stderr=True)

DEFAULT_API = "http://127.0.0.1:8000"
ANCHORS_PATH = "/scan/trust-anchors.json"
HTTP_TIMEOUT_S = 15.0


def _fail(message: str, code: int) -> typer.Exit:
    error_console.print(f"[red]error:[/] {message}", highlight=False)
    return typer.Exit(code=code)


def _summary(anchors: TrustAnchors) -> Table:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_row("name", anchors.name)
    table.add_row("chain id", str(anchors.chain_id))
    table.add_row("genesis", anchors.genesis_hash)
    table.add_row("TraceAnchor", anchors.trace_anchor)
    table.add_row("MemberRegistry", anchors.member_registry)
    table.add_row("RecallRegistry", anchors.recall_registry)
    table.add_row("log", f"{anchors.log_origin}  {anchors.log_verifier_key}")
    for witness in anchors.witnesses:
        table.add_row("witness", witness.verifier_key)
    if not anchors.witnesses:
        table.add_row("witness", "(none)")
    table.add_row("API", anchors.endpoints.api or "(the page's own origin)")
    table.add_row("RPC", anchors.endpoints.rpc)
    return table


def _check_node(anchors: TrustAnchors, rpc_url: str) -> None:
    """Chain id, genesis hash and contracts on `rpc_url`; exits 1 on a mismatch or silence."""
    with console.status(f"checking chain id, genesis hash and contracts on {rpc_url} ..."):
        try:
            w3 = connect(rpc_url)
            verify_node(anchors, w3)
            verify_deployment(anchors, w3)
        except NodeMismatchError as exc:
            raise _fail(f"{rpc_url}: {exc}", 1) from exc
        except Exception as exc:  # connection refused, timeout, not JSON-RPC: web3's errors vary
            raise _fail(f"{rpc_url} did not answer as a JSON-RPC node ({type(exc).__name__})", 1) from exc
    console.print(f"[green]✓[/] {rpc_url} serves chain {anchors.chain_id} with genesis "
                  f"{anchors.genesis_hash[:18]}… and the pinned contracts")


def _absolute(base: str, url: str) -> str:
    return urljoin(base + "/", url.lstrip("/")) if url.startswith("/") else url


@app.command("anchors")
def anchors_command(
    out: Annotated[Path, typer.Option(help="Where to write the anchors (JSON) for review.")],
    api: Annotated[str, typer.Option(help="The platform's API base URL.")] = DEFAULT_API,
    rpc: Annotated[str, typer.Option(help="Check against this JSON-RPC node instead of the "
                                          "one the anchors name (e.g. your own follower).")] = "",
    force: Annotated[bool, typer.Option(help="Overwrite OUT if it exists.")] = False,
) -> None:
    """Fetch the running platform's trust anchors, check them against the node, write OUT."""
    api = api.rstrip("/")
    if not api.startswith(("http://", "https://")):
        raise _fail(f"--api must be an http(s) URL, not {api!r}", 2)
    if out.exists() and not force:
        raise _fail(f"{out} exists (pass --force to overwrite)", 2)
    url = api + ANCHORS_PATH
    with console.status(f"fetching {url} ..."):
        try:
            response = httpx.get(url, timeout=HTTP_TIMEOUT_S, headers={"accept": "application/json"})
        except httpx.HTTPError as exc:
            raise _fail(f"{url} did not answer ({type(exc).__name__})", 1) from exc
    if response.status_code != 200:
        raise _fail(f"{url} answered HTTP {response.status_code}", 1)
    if len(response.content) > MAX_DOCUMENT_BYTES:
        raise _fail(f"{url} answered more than {MAX_DOCUMENT_BYTES} bytes", 1)
    try:
        served = parse_trust_anchors_json(response.content)
        # Off the platform's origin "" and "/v1/chain/rpc" mean nothing: make them absolute.
        anchors = served.with_overrides(api=served.endpoints.api or api,
                                        rpc=_absolute(api, served.endpoints.rpc))
    except TrustAnchorsError as exc:
        raise _fail(f"{url} served malformed trust anchors: {exc}", 1) from exc
    console.print(f"[green]✓[/] fetched the trust anchors of {anchors.name!r}")
    _check_node(anchors, rpc or anchors.endpoints.rpc)
    try:
        out.write_text(format_trust_anchors(anchors), encoding="utf-8")
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}", 2) from exc
    console.print(_summary(anchors))
    console.print(f"wrote {out}: review it (above), then `traceledger scan-page build --anchors {out}`")


@app.command("build")
def build_command(
    out: Annotated[Path, typer.Option(help="Output directory (new or empty).")],
    anchors_file: Annotated[Path, typer.Option("--anchors", help="Reviewed trust anchors (JSON).")],
    api: Annotated[str | None, typer.Option(help="API the page reads records from (\"\" = the "
                                                 "page's own origin); default: the file's.")] = None,
    rpc: Annotated[str | None, typer.Option(help="JSON-RPC endpoint the page checks the chain "
                                                 "with; default: the file's.")] = None,
    name: Annotated[str | None, typer.Option(help="Whose anchors, as the page shows it; "
                                                  "default: the file's.")] = None,
    check_rpc: Annotated[str | None, typer.Option(help="Before writing, check chain id, genesis "
                                                       "hash and contracts on this node.")] = None,
) -> None:
    """Write the scan page with ANCHORS pinned into OUT, as a static bundle for any origin."""
    try:
        anchors = load_trust_anchors(anchors_file).with_overrides(name=name, api=api, rpc=rpc)
    except TrustAnchorsError as exc:
        raise _fail(f"{anchors_file}: {exc}", 2) from exc
    console.print(f"[green]✓[/] {anchors_file} holds valid trust anchors of {anchors.name!r}")
    if check_rpc:
        _check_node(anchors, check_rpc)
    try:
        bundle = write_bundle(out, anchors)
    except BundleError as exc:
        raise _fail(str(exc), 2) from exc
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}", 2) from exc
    for missing in bundle.missing:
        error_console.print(f"[yellow]warning:[/] scanner_app/{missing} is listed but missing; "
                            "left out of the bundle")
    console.print(_summary(anchors))
    size = sum(len(body) for body in bundle.files.values())
    console.print(f"wrote {len(bundle.files)} files ({size:,} bytes) to {out}; host the folder at "
                  "any path, e.g. https://example.org/trace/ serves index.html")
