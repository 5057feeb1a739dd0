"""anchoring.core is pure: no I/O, no clock, no randomness (issue #2, DESIGN.md).

Checked on the source, so a stray `import time` or `open(...)` fails here before it can
make a proof depend on the machine that computed it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[3] / "anchoring" / "core"

FORBIDDEN_MODULES = {
    "os", "io", "sys", "time", "random", "secrets", "socket", "subprocess", "pathlib",
    "shutil", "tempfile", "urllib", "http", "requests", "httpx", "logging", "threading",
    "asyncio", "sqlite3", "uuid",
}
FORBIDDEN_CALLS = {"open", "input", "print", "exec", "eval", "__import__"}
FORBIDDEN_ATTRIBUTES = {"now", "utcnow", "today", "urandom", "token_bytes", "generate"}


def _core_sources() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


@pytest.mark.parametrize("source", _core_sources(), ids=lambda path: str(path.relative_to(CORE)))
def test_core_module_is_pure(source: Path) -> None:
    tree = ast.parse(source.read_text(encoding="utf-8"), filename=str(source))
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            names = []
        for name in names:
            if name.split(".")[0] in FORBIDDEN_MODULES:
                problems.append(f"line {node.lineno}: imports {name}")
        if isinstance(node, ast.Call):
            if isinstance(node.func, ast.Name) and node.func.id in FORBIDDEN_CALLS:
                problems.append(f"line {node.lineno}: calls {node.func.id}()")
            if isinstance(node.func, ast.Attribute) and node.func.attr in FORBIDDEN_ATTRIBUTES:
                problems.append(f"line {node.lineno}: calls .{node.func.attr}()")
    assert not problems, f"{source.name} is not pure: " + "; ".join(problems)


def test_core_has_sources() -> None:
    assert len(_core_sources()) >= 8, "anchoring/core should hold the core modules"
