"""`traceledger bench ...`: run a benchmark, print JSON, append the figures to bench/README.md."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

import typer
from rich.console import Console

from bench.machine import describe_machine
from bench.report import append_section, print_rows

app = typer.Typer(no_args_is_help=True)
console = Console(stderr=True)


def _measured(
    status: str, run: Callable[[], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Describe the machine, run the bench under a console status line, print its JSON
    (the machine included); return (result, machine)."""
    machine = describe_machine()
    with console.status(status):
        result = run()
    result["machine"] = machine
    typer.echo(json.dumps(result, indent=2))
    return result, machine


def _append(
    title: str, machine: dict[str, Any], rows: list[tuple[str, str, str]], command: str
) -> None:
    """Append the figures as a section of bench/README.md and say so."""
    append_section(title, machine, rows, command)
    console.print("[green]appended to bench/README.md[/]")

_FIGURE_NAMES = {
    "leaf_appends_per_s": "leaf appends/s through the compact range",
    "inclusion_verifications_per_s": "inclusion proofs verified/s (tree of {tree_size:,} leaves)",
    "event_hashes_per_s": "CBV 2.0 event hashes/s ({example_events} GS1 example events)",
    "eip712_recoveries_per_s": "EIP-712 record signer recoveries/s (one core)",
    "eip712_recoveries_per_s_all_cores": "EIP-712 record signer recoveries/s (one process per core)",
}


@app.command("core")
def core(
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Measure anchoring.core throughput (one core) and print the figures as JSON."""
    from bench.core import run_core_bench

    result, machine = _measured("measuring anchoring.core (about a minute)", run_core_bench)
    if record:
        rows = [
            (
                _FIGURE_NAMES[name].format(**result),
                f"{measured:,}",
                f">= {result['targets'][name]:,}",
            )
            for name, measured in result["figures"].items()
        ]
        _append("anchoring.core", machine, rows, "traceledger bench core")


_LOG_FIGURE_NAMES = {
    "entries_integrated_per_s": "log entries integrated/s incl. durable tile writes (SQLite, fsync)",
    "entries_submitted_per_s": "log entries durably queued/s (submit, batches of 1,000)",
    "postgres_entries_integrated_per_s": "log entries integrated/s on PostgreSQL 15 (local, 100k)",
    "postgres_entries_submitted_per_s": "log entries durably queued/s on PostgreSQL 15 (local, 100k)",
    "tile_bytes_per_entry": "tile + entry-bundle bytes per entry",
    "hash_tile_bytes_per_entry": "hash-tile bytes per entry",
    "db_bytes_per_entry": "SQLite file bytes per entry (after WAL checkpoint, VACUUM)",
    "offered_entries_per_s": "offered load, entries/s",
    "anchored_fraction": "fraction of offered entries anchored",
    "anchor_latency_p50_s": "accept-to-anchored latency p50, s (anvil, 1 s blocks)",
    "anchor_latency_p99_s": "accept-to-anchored latency p99, s (anvil, 1 s blocks)",
    "anchored_heads": "heads anchored during the latency run",
}


@app.command("log")
def log_bench(
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
    latency_seconds: Annotated[float, typer.Option(help="Length of the offered-load run.")] = 30.0,
) -> None:
    """Measure the trace log and anchorer (issue #5) and print the figures as JSON."""
    from bench.log_bench import run_log_bench

    result, machine = _measured(
        "measuring the log and the anchorer (about two minutes)",
        lambda: run_log_bench(latency_seconds=latency_seconds),
    )
    if record:
        targets = result["targets"]
        rows = []
        for name, measured in result["figures"].items():
            target = targets.get(name)
            if target is None:
                shown = ""
            elif name.startswith("anchor_latency"):
                shown = f"<= {target}"
            else:
                shown = f">= {target:,}"
            rows.append((_LOG_FIGURE_NAMES.get(name, name), f"{measured:,}", shown))
        rows.append(
            (
                "load average during run (1/5/15 min)",
                " / ".join(f"{value:.1f}" for value in result["load_average"]),
                "shared machine",
            )
        )
        _append("trace log and anchorer", machine, rows, "traceledger bench log")


@app.command("node")
def node_bench(
    rate: Annotated[int, typer.Option(help="Offered signed transactions per second.")] = 1_200,
    seconds: Annotated[float, typer.Option(help="Length of the offered-load run.")] = 15.0,
    senders: Annotated[int, typer.Option(help="Distinct sending accounts.")] = 5,
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Our ledger node against anvil: sustained included tx/s and inclusion latency."""
    from bench.node_bench import record_node_bench, run_node_bench

    with console.status("measuring our node and anvil (about a minute)"):
        result = run_node_bench(rate=rate, seconds=seconds, senders=senders)
    typer.echo(json.dumps(result, indent=2))
    if record:
        record_node_bench(result)
        console.print("[green]appended to bench/README.md[/]")


@app.command("network")
def network_bench(
    rate: Annotated[int, typer.Option(help="Offered signed transactions per second.")] = 1_200,
    seconds: Annotated[float, typer.Option(help="Length of the offered-load run.")] = 30.0,
    compare: Annotated[bool, typer.Option(
        help="Also run `bench node`'s single node and anvil at the same load.")] = True,
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """A 3-authority network (+1 follower) under the node bench's load spread over the
    authorities: included tx/s and inclusion latency on the follower, block propagation."""

    from bench.network_bench import report_rows, run_network_bench

    result, machine = _measured(
        "measuring the network" + (", then one node and anvil" if compare else ""),
        lambda: run_network_bench(rate=rate, seconds=seconds, compare=compare))
    rows = report_rows(result)
    print_rows(console, "traceledger bench network", rows)
    if record:
        _append("Consortium network", machine, rows,
                f"traceledger bench network --rate {rate} --seconds {seconds:g}"
                + ("" if compare else " --no-compare"))


@app.command("indexer")
def indexer_bench(
    events: Annotated[
        int, typer.Option(help="Contract events on the chain to backfill.")
    ] = 100_000,
    empty_blocks: Annotated[
        int, typer.Option(help="Blocks without events, for blocks/s.")
    ] = 20_000,
    nodes: Annotated[str, typer.Option(help="Comma-separated: anvil,ledger_node.")] = (
        "anvil,ledger_node"
    ),
    save: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Indexer backfill throughput (events/s, blocks/s) into SQLite and PostgreSQL."""
    from bench.indexer_bench import indexer_command  # heavy: only when this bench runs

    indexer_command(events=events, empty_blocks=empty_blocks, nodes=nodes, save=save)


_LABEL_FIGURE_NAMES = {
    "svg_labels_per_s": ("SVG labels/s (one core)", None),
    "png_labels_per_s": ("PNG labels/s (one core)", None),
    "pdf_sheet_1000_labels_s": ("1,000-label A4 PDF sheet, s", "< {target} s"),
    "resolver_303_serial_per_s": ("resolver 303 for a recorded serial, requests/s", None),
    "resolver_303_walk_up_per_s": ("resolver 303 after walking up from an unknown serial, requests/s", None),
    "resolver_linkset_per_s": ("resolver RFC 9264 linkset, requests/s", None),
    "consumer_lookup_per_s": ("consumer view (/v1/public/lookup), requests/s", None),
}


@app.command("labels")
def labels_bench(
    count: Annotated[int, typer.Option(help="Labels per rate measurement.")] = 1000,
    resolver: Annotated[bool, typer.Option(help="Also measure the resolver on a live API.")] = True,
    api_url: Annotated[str | None, typer.Option(
        help="A running API for the resolver figures (default: start traceledger up --dev).")] = None,
    admin_key_file: Annotated[str | None, typer.Option(help="Admin API key file of --api-url.")] = None,
    seconds: Annotated[float, typer.Option(help="Length of each resolver run.")] = 10.0,
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """Labels/s (SVG, PNG), a 1,000-label PDF sheet, and resolver requests/s (issue #9)."""
    from pathlib import Path

    from bench.labels_bench import live_api, run_labels_bench, run_resolver_bench

    if api_url is not None and admin_key_file is None:
        raise typer.BadParameter("--api-url needs --admin-key-file", param_hint="--admin-key-file")
    machine = describe_machine()
    with console.status("rendering labels (about a minute)"):
        result = run_labels_bench(count=count)
    if resolver:
        with console.status("measuring the resolver on a live API"):
            if api_url is not None and admin_key_file is not None:
                admin_key = Path(admin_key_file).read_text(encoding="utf-8").strip()
                result["figures"].update(run_resolver_bench(api_url, admin_key, seconds=seconds))
            else:
                with live_api() as (live_url, admin_key):
                    result["figures"].update(run_resolver_bench(live_url, admin_key, seconds=seconds))
    result["machine"] = machine
    typer.echo(json.dumps(result, indent=2))
    if record:
        rows = []
        for name, measured in result["figures"].items():
            label, target_format = _LABEL_FIGURE_NAMES.get(name, (name, None))
            target = result["targets"].get(name)
            shown = target_format.format(target=target) if target_format and target is not None else ""
            rows.append((label, f"{measured:,}", shown))
        _append("labels and resolver", machine, rows, "traceledger bench labels")


_EPCIS_FIGURE_NAMES = {
    "ours_examples_events_per_s": "trace_api.epcis: GS1 example documents, events/s",
    "ours_1000_example_events_document_events_per_s": "trace_api.epcis: 1,000 example events in one document, events/s",
    "ours_1000_typical_events_document_events_per_s": "trace_api.epcis: 1,000 typical shipping events, events/s",
    "jsonschema_examples_events_per_s": "jsonschema (Draft 7): GS1 examples, events/s",
    "jsonschema_typical_events_per_s": "jsonschema (Draft 7): typical document, events/s",
    "fastjsonschema_examples_events_per_s": "fastjsonschema: GS1 examples, events/s",
    "fastjsonschema_typical_events_per_s": "fastjsonschema: typical document, events/s",
}


@app.command("epcis")
def epcis_bench(
    seconds: Annotated[float, typer.Option(help="Length of each best-of-three timing.")] = 1.0,
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """EPCIS 2.0 validation throughput (one core), with schema validators for context."""
    from bench.epcis_bench import run_epcis_bench

    result, machine = _measured(
        "validating EPCIS documents (about half a minute)", lambda: run_epcis_bench(seconds=seconds)
    )
    if record:
        # Validation must leave headroom for the rest of capture, so ours is held to the
        # end-to-end capture target; the schema validators are yardsticks, not targets.
        target = f">= {result['target_capture_events_per_s']:,}"
        rows = [(label, f"{result[name]:,}", target if name.startswith("ours_") else "")
                for name, label in _EPCIS_FIGURE_NAMES.items()]
        _append("EPCIS 2.0 validation", machine, rows, "traceledger bench epcis")


# Light to import: Chromium, Playwright and the test ledger load only when the bench runs.
from bench.scan_bench import scan_command

app.command("scan")(scan_command)
from bench.trace_bench import trace_command

app.command("trace")(trace_command)

from bench.api_bench import api_command

app.command("api")(api_command)
from bench.export_bench import export_command

app.command("export")(export_command)


@app.command("follower")
def follower_bench(
    blocks: Annotated[int, typer.Option(help="Length of the chain the follower syncs.")] = 100_000,
    txs_per_block: Annotated[int, typer.Option(help="Value transfers per block.")] = 1,
    record: Annotated[bool, typer.Option(help="Append the figures to bench/README.md.")] = True,
) -> None:
    """A follower from genesis to the head of a BLOCKS-block chain over loopback JSON-RPC
    (every block re-executed and checked), and `node import` of the same chain: blocks/s
    and tx/s."""
    from bench.follower_bench import run_follower_bench

    machine = describe_machine()
    result = run_follower_bench(blocks, txs_per_block)  # shows its own progress bars
    result["machine"] = machine
    typer.echo(json.dumps(result, indent=2))
    if record:
        rows = [
            ("chain", (f"{result['blocks']:,} blocks, {result['transactions']:,} transfers "
                      f"({txs_per_block}/block)"), ""),
            ("follower sync from genesis (RPC, loopback)", f"{result['sync_s']:,} s",
             f"{result['sync_blocks_per_s']:,} blocks/s, {result['sync_txs_per_s']:,} tx/s"),
            ("`node import` of the block file", f"{result['import_s']:,} s",
             f"{result['import_blocks_per_s']:,} blocks/s, {result['import_txs_per_s']:,} tx/s"),
            ("blocks refused", str(result["rejections"]), "0 expected"),
        ]
        _append("follower sync", machine, rows,
                f"traceledger bench follower --blocks {blocks} --txs-per-block {txs_per_block}")
