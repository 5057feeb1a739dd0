"""Reporting measured figures: a table on the console, and a section appended to
bench/README.md with the machine they came from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.machine import format_machine

if TYPE_CHECKING:
    from rich.console import Console

REPORT = Path(__file__).resolve().parent / "README.md"


def append_section(
    title: str,
    machine: dict[str, str | int],
    rows: Sequence[tuple[str, str, str]],
    command: str,
    report: Path = REPORT,
) -> None:
    """Append one '## title' section with a (figure, measured, target) table to the report."""
    lines = [
        "",
        f"### {title} — {machine['date']}",
        "",
        f"Machine: {format_machine(machine)}. Command: `{command}`.",
        "",
        "| figure | measured | target |",
        "|---|---:|---:|",
        *(f"| {name} | {measured} | {target} |" for name, measured, target in rows),
        "",
    ]
    with report.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))


def print_rows(console: Console, title: str, rows: Sequence[Sequence[str]]) -> None:
    """Show a bench's (figure, measured, target) rows as a table on `console` (stderr for
    the benches whose stdout is their JSON result)."""
    from rich.table import Table

    table = Table(title=title)
    for column in ("figure", "measured", "target"):
        table.add_column(column)
    for row in rows:
        table.add_row(*row)
    console.print(table)
