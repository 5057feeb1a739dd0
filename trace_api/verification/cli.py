"""`traceledger verify FILE --url URL`: verify trace records from the command line.

FILE holds one of:

- an EPCIS 2.0 event (JSON / JSON-LD): verified against its bundle on the API;
- an EPCIS document: each event in `epcisBody.eventList`, with the document's `@context`;
- `{"event": ..., "bundle": ...}` or a proof bundle carrying its `event` member.

By default the API at `--url` verifies (`POST /v1/verify`). With `--rpc` the verdict is
computed here, trusting only the given node and TraceAnchor address (and `--log-key` if
given): the API, if used at all, only supplies bundles the file does not hold.

Exit codes: 0 every event verified; 1 some event pending or failed; 2 bad input or
nothing reachable.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import httpx
import typer
from rich.console import Console
from rich.table import Table

from trace_api.proofs.bundle import BUNDLE_FORMAT, ProofBundle, parse_bundle
from trace_api.verification.chain_reader import ChainReadError
from trace_api.verification.service import TraceRecordVerifier, verify

console = Console()

HTTP_TIMEOUT_S = 30.0
STATUS_STYLE = {"ok": "green", "failed": "bold red", "pending": "yellow", "skipped": "dim"}
VERDICT_STYLE = {"verified": "bold green", "pending": "bold yellow", "failed": "bold red"}


def _items(document: Any) -> list[tuple[dict[str, Any], dict[str, Any] | None, Any]]:
    """(event, bundle or None, document @context or None) for everything FILE holds."""
    if not isinstance(document, dict):
        raise ValueError("the file must hold a JSON object")  # noqa: TRY004 - bad input, exit 2
    if document.get("type") == "EPCISDocument":
        events = document.get("epcisBody", {}).get("eventList")
        if not isinstance(events, list) or not events:
            raise ValueError("the EPCIS document has no events in epcisBody.eventList")
        return [(event, None, document.get("@context")) for event in events]
    if isinstance(document.get("event"), dict) and isinstance(document.get("bundle"), dict):
        return [(document["event"], document["bundle"], None)]
    if document.get("format") == BUNDLE_FORMAT:
        event = document.get("event")
        if not isinstance(event, dict):
            raise ValueError("the proof bundle carries no `event` member: give the event too")
        return [(event, document, None)]
    if isinstance(document.get("type"), str) and document["type"].endswith("Event"):
        return [(document, None, None)]
    raise ValueError("expected an EPCIS event, an EPCIS document or {event, bundle}")


def _print(result: dict[str, Any], label: str) -> None:
    table = Table(title=f"{label}: {result.get('eventHashId') or 'unknown event'}",
                  title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("check")
    table.add_column("status")
    table.add_column("detail", overflow="fold")
    for step in result["steps"]:
        style = STATUS_STYLE.get(step["status"], "")
        table.add_row(str(step["number"]), step.get("title", step["name"]),
                      f"[{style}]{step['status']}[/]", step["detail"])
    console.print(table)
    verdict = result["verdict"]
    failed = result.get("failedStep")
    suffix = f" at step {failed['number']} ({failed['name']})" if failed else ""
    console.print(f"[{VERDICT_STYLE[verdict]}]{verdict}{suffix}[/]", highlight=False)


def _api_verify(client: httpx.Client, url: str, event: dict[str, Any],
                bundle: dict[str, Any] | None, context: Any) -> dict[str, Any]:
    response = client.post(f"{url}/v1/verify",
                           json={"event": event, "bundle": bundle, "context": context})
    if response.status_code != 200:
        raise RuntimeError(f"POST /v1/verify answered {response.status_code}: {response.text[:500]}")
    return response.json()  # type: ignore[no-any-return]


def verify_command(
    file: Annotated[Path, typer.Argument(help="Event, EPCIS document, or {event, bundle} JSON.")],
    url: Annotated[str | None, typer.Option(help="The trace API, e.g. http://127.0.0.1:8000.")] = None,
    rpc: Annotated[str | None, typer.Option(
        help="Verify here against this JSON-RPC node instead of asking the API.")] = None,
    trace_anchor: Annotated[str | None, typer.Option(
        help="TraceAnchor address to trust (needed with --rpc).")] = None,
    log_key: Annotated[str | None, typer.Option(
        help="The log's note verifier key to trust (default: the key the bundle names).")] = None,
    api_key: Annotated[str | None, typer.Option(
        envvar="TRACELEDGER_API_KEY", help="API key, to fetch your own records' bundles.")] = None,
) -> None:
    """Verify every event in FILE step by step; exit 0 only if all are verified."""
    try:
        items = _items(json.loads(file.read_text(encoding="utf-8")))
    except (OSError, ValueError) as exc:
        console.print(f"[red]error:[/] {file}: {exc}")
        raise typer.Exit(2) from None
    if url is None and rpc is None:
        console.print("[red]error:[/] give --url (the API) or --rpc (a node) to verify against")
        raise typer.Exit(2)
    if rpc is not None and trace_anchor is None:
        console.print("[red]error:[/] --rpc needs --trace-anchor: the contract you trust")
        raise typer.Exit(2)
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    base = url.rstrip("/") if url else None
    verdicts: list[str] = []
    with httpx.Client(timeout=HTTP_TIMEOUT_S, headers=headers) as client:
        verifier = None
        if rpc is not None:

            def bundle_from_api(hash_id: str, leaf_index: int | None) -> ProofBundle | None:
                if base is None:
                    return None
                params = {"leafIndex": leaf_index} if leaf_index is not None else {}
                response = client.get(f"{base}/v1/events/{quote(hash_id, safe='')}/proof",
                                      params=params)
                return parse_bundle(response.json()) if response.status_code == 200 else None

            verifier = TraceRecordVerifier.offline(rpc, str(trace_anchor), log_verifier_key=log_key,
                                        bundle_source=bundle_from_api)
        try:
            for position, (event, bundle, context) in enumerate(items, start=1):
                label = f"event {position} of {len(items)}"
                if verifier is not None:
                    result = verify(verifier, event, bundle, context=context).to_json()
                else:
                    assert base is not None
                    result = _api_verify(client, base, event, bundle, context)
                _print(result, label)
                verdicts.append(result["verdict"])
        except (httpx.HTTPError, RuntimeError, ChainReadError) as exc:
            console.print(f"[red]error:[/] {exc}")
            raise typer.Exit(2) from None
        finally:
            if verifier is not None:
                verifier.close()
    verified = verdicts.count("verified")
    console.print(f"{verified} of {len(verdicts)} event(s) verified", highlight=False)
    if verified != len(verdicts):
        raise typer.Exit(1)
