"""The production CLI does not import the benches or the test tooling: `bench` and
`testing` are loaded only when `traceledger bench …` runs."""

from __future__ import annotations

import subprocess
import sys

from typer.testing import CliRunner

from traceledger_cli.main import app

NOT_LOADED = (
    "import sys, {module}\n"
    "loaded = sorted(m for m in sys.modules if m in ('bench', 'testing')"
    " or m.startswith(('bench.', 'testing.')))\n"
    "assert not loaded, loaded\n"
)


def _imports_neither_bench_nor_testing(module: str) -> None:
    # A fresh interpreter: this test process has long imported both (tests use testing/).
    result = subprocess.run([sys.executable, "-c", NOT_LOADED.format(module=module)],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_importing_the_cli_imports_neither_bench_nor_testing() -> None:
    _imports_neither_bench_nor_testing("traceledger_cli.main")


def test_importing_the_api_app_imports_neither_bench_nor_testing() -> None:
    _imports_neither_bench_nor_testing("trace_api.app")


def test_top_level_help_lists_bench_without_loading_it() -> None:
    script = ("import sys\nfrom typer.testing import CliRunner\nfrom traceledger_cli.main import app\n"
              "result = CliRunner().invoke(app, ['--help'])\n"
              "assert result.exit_code == 0 and 'bench' in result.output, result.output\n"
              "assert 'bench' not in sys.modules and 'testing' not in sys.modules\n")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 0, result.stderr


def test_bench_sub_commands_load_when_invoked() -> None:
    result = CliRunner().invoke(app, ["bench", "--help"])
    assert result.exit_code == 0, result.output
    for command in ("core", "log", "node", "indexer", "trace", "api", "export"):
        assert command in result.output
    node_help = CliRunner().invoke(app, ["bench", "node", "--help"])
    assert node_help.exit_code == 0 and "--rate" in node_help.output
