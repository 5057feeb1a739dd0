"""Appending measured figures to bench/README.md, each with the machine it came from."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from bench.machine import format_machine

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
