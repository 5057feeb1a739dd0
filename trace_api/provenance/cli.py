"""`traceledger trace ID`: ask the API for a trace and print it as a tree.

Each identifier is shown with its events (time, business step, place, and a verification
mark), and under it the identifiers it leads to in the traced direction: for `backward`
where it came from, for `forward` where it went. Exit status 0 when the chain verdict is
`verified`, 1 when not, 2 on a bad request or an unreachable API. Audit findings on the
traced events follow the tree, most severe first, before the verdict line (the first `FINDINGS_SHOWN`; `--json`
has all). They do not change the exit status: the verdict is about proofs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Annotated, Any

import typer

IDENTIFIER_RELATIONS = ("contains", "member", "input", "output")
_MARK = {True: "[green]✔[/]", False: "[yellow]…[/]"}
FINDINGS_SHOWN = 20
_SEVERITY_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan"}


def trace_command(
    identifier: Annotated[str, typer.Argument(help="EPC URI, EPC class URI or GS1 Digital Link URI.")],
    url: Annotated[str, typer.Option(help="Trace API base URL.", envvar="TRACELEDGER_API_URL")]
    = "http://127.0.0.1:8000",
    api_key: Annotated[str | None, typer.Option(help="API key or bearer token.", envvar="TRACELEDGER_API_KEY")]
    = None,
    direction: Annotated[str, typer.Option(help="backward, forward or both.")] = "both",
    depth: Annotated[int, typer.Option(help="Maximum identifier hops (0-25).")] = 10,
    at: Annotated[str | None, typer.Option(help="RFC 3339 time: the graph as of then.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the API's JSON instead of a tree.")] = False,
) -> None:
    """Trace an identifier backward, forward or both, and print the verified chain as a tree."""
    import httpx
    from rich.console import Console

    console = Console()
    params: dict[str, Any] = {"id": identifier, "direction": direction, "depth": depth}
    if at:
        params["at"] = at
    headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
    try:
        response = httpx.get(f"{url.rstrip('/')}/v1/trace", params=params, headers=headers, timeout=60)
    except httpx.HTTPError as exc:
        typer.echo(f"error: cannot reach {url}: {exc.__class__.__name__}", err=True)
        raise typer.Exit(2) from exc
    if response.status_code != 200:
        try:
            problem = response.json()
            message = problem.get("detail") or problem.get("title")
        except ValueError:
            message = response.text[:200]
        typer.echo(f"error: {response.status_code}: {message}", err=True)
        raise typer.Exit(2)
    body = response.json()
    if as_json:
        typer.echo(json.dumps(body, indent=2))
    else:
        console.print(render_tree(body))
        findings = body.get("findings", [])
        for line in findings_lines(findings):
            console.print(line)
        summary = (f"verdict: [bold]{body['verdict']}[/] — {body['counts']['verifiedEvents']}"
                   f"/{body['counts']['events']} events verified, {body['counts']['nodes']} nodes")
        if body["truncated"]:
            summary += f" — [yellow]cut ({body['truncationReason']})[/]"
        if body["cycles"]:
            summary += f" — [red]{len(body['cycles'])} cycle(s)[/]"
        if findings:
            summary += f" — [red]{len(findings)} audit finding(s)[/]"
        console.print(summary)
    raise typer.Exit(0 if body["verdict"] == "verified" else 1)


def findings_lines(findings: list[dict[str, Any]]) -> list[str]:
    """One rich line per finding (severity, rule, message, event), then how many were left out."""
    from rich.markup import escape

    if not findings:
        return []
    lines = [f"findings: {len(findings)}"]
    for finding in findings[:FINDINGS_SHOWN]:
        style = _SEVERITY_STYLE.get(finding["severity"], "bold")
        event = f" [dim]{escape(finding['eventHashId'])}[/]" if finding.get("eventHashId") else ""
        lines.append(f"  [{style}]{finding['severity']}[/] {escape(finding['rule'])}: "
                     f"{escape(finding['message'])}{event}")
    if len(findings) > FINDINGS_SHOWN:
        lines.append(f"  … {len(findings) - FINDINGS_SHOWN} more (--json lists all)")
    return lines


def render_tree(body: dict[str, Any]) -> Any:
    """A rich Tree of a `/v1/trace` answer (see the module docstring)."""
    from rich.markup import escape
    from rich.tree import Tree

    events = {e["eventHashId"]: e for e in body["events"]}
    kinds = {n["id"]: n["kind"] for n in body["nodes"]}
    depths = {n["id"]: n["depth"] for n in body["nodes"]}
    places: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    neighbours: dict[str, dict[str, set[str]]] = {"backward": defaultdict(set), "forward": defaultdict(set)}
    for edge in body["edges"]:
        source, target = edge["source"], edge["target"]
        if edge["relation"] in IDENTIFIER_RELATIONS:
            for direction in ("backward", "forward"):
                source_depth = depths.get(source, {}).get(direction)
                target_depth = depths.get(target, {}).get(direction)
                if source_depth is None or target_depth is None:
                    continue
                if edge["relation"] in ("input", "output"):  # lineage: the walk's direction decides
                    near, far = (target, source) if direction == "backward" else (source, target)
                elif source_depth != target_depth:  # containment: from the nearer to the farther
                    near, far = (source, target) if source_depth < target_depth else (target, source)
                else:
                    continue
                neighbours[direction][near].add(far)
        else:
            places[source][edge["eventHashId"]].append(f"{edge['relation']} {target}")

    def label(node: str) -> str:
        return f"[bold]{escape(node)}[/] [dim]({kinds.get(node, '?')})[/]"

    def add_events(branch: Any, node: str) -> None:
        for hash_id in sorted(places[node], key=lambda h: (events[h]["eventTime"] if h in events else "", h)):
            event = events.get(hash_id)
            if event is None:
                continue
            mark = _MARK[bool(event["verification"]["verified"])]
            step = event["bizStep"] or event["eventType"]
            where = ", ".join(sorted(set(places[node][hash_id])))
            branch.add(f"{mark} {event['eventTime']} {escape(step)} [dim]{escape(where)}[/]")

    root = Tree(label(body["id"]) + f"  verdict: [bold]{body['verdict']}[/]")
    add_events(root, body["id"])
    for direction in ("backward", "forward"):
        if direction not in depths.get(body["id"], {}):
            continue
        branch = root.add(f"[cyan]{direction}[/]")
        seen = {body["id"]}

        def grow(parent_branch: Any, node: str, direction: str = direction, seen: set[str] = seen) -> None:
            for child in sorted(neighbours[direction][node]):
                if child in seen:
                    continue
                seen.add(child)
                child_branch = parent_branch.add(label(child))
                add_events(child_branch, child)
                grow(child_branch, child)

        grow(branch, body["id"])
    return root
