"""`traceledger bench`, loaded only when invoked.

The benches (bench/) and the test tooling they run on (testing/) are tools of the source
checkout: they start anvil, dev nodes and whole systems and write bench/README.md. They
are not installed with the package and the production CLI never imports them; this
placeholder group names the command in `traceledger --help` and imports `bench.cli` when
`traceledger bench …` runs (from the checkout next to this package if it is not
importable, e.g. under the installed console script).
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path
from typing import Any

import click
import typer

CHECKOUT = Path(__file__).resolve().parents[1]
BENCH_HELP = "Measure throughput; figures go to bench/README.md."


def load_bench_group() -> click.Group:
    """The real `bench` click group (bench/cli.py's Typer app). Raises click.UsageError
    when neither an importable `bench` nor a source checkout holding it is found."""
    try:
        module = importlib.import_module("bench.cli")
    except ModuleNotFoundError as exc:
        if exc.name not in ("bench", "testing") or not (CHECKOUT / "bench" / "cli.py").exists():
            raise click.UsageError(
                "`traceledger bench` runs from a source checkout: bench/ and testing/ are "
                "not installed with the package") from exc
        sys.path.insert(0, str(CHECKOUT))
        module = importlib.import_module("bench.cli")
    return typer.main.get_group(module.app)


class LazyBenchGroup(click.Group):
    """Stands in for `bench` in the command list; the real group parses and runs it."""

    def __init__(self) -> None:
        super().__init__(name="bench", help=BENCH_HELP, no_args_is_help=True)

    def make_context(self, info_name: str | None, args: list[str],
                     parent: click.Context | None = None, **extra: Any) -> click.Context:
        return load_bench_group().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return load_bench_group().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return load_bench_group().get_command(ctx, cmd_name)


class CommandsWithLazyBench(typer.core.TyperGroup):
    """The top-level group: our sub-commands plus `bench` after `indexer` (where the help
    listed it when it was imported eagerly)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        commands = dict(self.commands)
        self.commands.clear()
        for name, command in commands.items():
            self.commands[name] = command
            if name == "indexer":
                self.commands["bench"] = LazyBenchGroup()
        self.commands.setdefault("bench", LazyBenchGroup())
