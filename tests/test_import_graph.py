"""The import graph of our packages has no cycles, and its layers point downward (issue 14).

Built from the source with `ast`, so a cycle hidden in a function-level import counts as
much as one at the top of a module; only `if TYPE_CHECKING:` blocks are left out (they
never run). An edge goes to the module an import names: `from a.b import c` reaches
`a.b.c` if that is a module of ours, else `a.b` (so a package `__init__` that re-exports
a name is on the path, as it is at run time).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from itertools import pairwise
from pathlib import Path

import pytest

from trace_api.provenance.graph import cycles_in  # iterative Tarjan, one copy in the tree

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = (
    "anchoring", "gs1", "indexer", "ledger_node", "trace_api", "traceledger_cli", "contracts",
    "scanner_app", "bench", "testing",
)

Graph = dict[str, dict[str, int]]
"""module -> {imported module of ours: line of the first such import}."""


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _sources() -> dict[str, Path]:
    sources: dict[str, Path] = {}
    for package in PACKAGES:
        directory = ROOT / package
        if not directory.is_dir():
            continue  # e.g. `testing` before it exists
        for path in sorted(directory.rglob("*.py")):
            if "node_modules" not in path.parts:
                sources[_module_name(path)] = path
    return sources


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement that can run: top level and in functions, not under
    `if TYPE_CHECKING:` (its `else:` branch does run)."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                yield from _imports(ast.Module(body=[child], type_ignores=[]))
            continue
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        yield from _imports(node)


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool,
             known: set[str]) -> Iterator[str]:
    if isinstance(node, ast.Import):
        for alias in node.names:
            yield alias.name
        return
    if node.level:
        base = module.split(".") if is_package else module.split(".")[:-1]
        base = base[: len(base) - (node.level - 1)]
        origin = ".".join(base + ([node.module] if node.module else []))
    else:
        origin = node.module or ""
    for alias in node.names:
        submodule = f"{origin}.{alias.name}"
        yield submodule if submodule in known else origin


@cache
def _all_imports() -> dict[str, dict[str, int]]:
    """module -> {every module name it imports, ours or not: line of the first import}."""
    sources = _sources()
    known = set(sources)
    imports: dict[str, dict[str, int]] = {}
    for module, path in sources.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names: dict[str, int] = {}
        for node in _imports(tree):
            for target in _targets(node, module, path.name == "__init__.py", known):
                if target != module:
                    names.setdefault(target, node.lineno)
        imports[module] = names
    return imports


@cache
def import_graph() -> Graph:
    known = set(_all_imports())
    return {module: {target: line for target, line in names.items() if target in known}
            for module, names in _all_imports().items()}


def _cycle_in(component: list[str], graph: Graph) -> list[str]:
    """One concrete cycle through the component's first module, for the message."""
    members = set(component)
    start = component[0]
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node]):
                if child == start:
                    return paths[node] + [start]
                if child in members and child not in paths:
                    paths[child] = paths[node] + [child]
                    following.append(child)
        frontier = following
    return component


def _describe(cycle: list[str], graph: Graph) -> str:
    return " -> ".join(
        f"{module} (line {graph[module][following]})"
        for module, following in pairwise(cycle)
    ) + f" -> {cycle[-1]}"


def test_the_graph_covers_our_packages() -> None:
    graph = import_graph()
    assert len(graph) > 250
    assert graph["trace_api.app"], "trace_api.app imports modules of ours"


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [_describe(_cycle_in(component, graph), graph)
              for component in cycles_in(graph)]
    assert not cycles, "import cycles:\n" + "\n".join(cycles)


def test_cycle_finder_finds_a_cycle_through_a_package_init() -> None:
    graph: Graph = {"p": {"p.a": 1}, "p.a": {"q": 2}, "q": {"p": 3}, "r": {"p": 1}}
    assert cycles_in(graph) == [["p", "p.a", "q"]]
    assert _describe(_cycle_in(["p", "p.a", "q"], graph), graph) == (
        "p (line 1) -> p.a (line 2) -> q (line 3) -> p")


def test_imports_under_type_checking_do_not_count_but_function_level_ones_do() -> None:
    tree = ast.parse(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from x import hidden\n"
        "def f():\n    from y import z\n    import w.v\n")
    assert [(type(node).__name__, node.lineno) for node in _imports(tree)] == [
        ("ImportFrom", 1), ("ImportFrom", 5), ("Import", 6)]


LAYERS: list[tuple[str, tuple[str, ...]]] = [
    # (importer, what it must not import): each points downward / upstream only.
    ("anchoring.core", ("anchoring.store", "anchoring.anchorer", "indexer", "ledger_node",
                        "trace_api", "traceledger_cli", "bench", "testing")),
    ("anchoring", ("indexer", "trace_api", "traceledger_cli", "bench", "testing")),
    ("contracts", ("anchoring", "indexer", "ledger_node", "trace_api", "traceledger_cli",
                   "bench", "testing")),
    ("gs1", ("anchoring.store", "anchoring.anchorer", "contracts", "indexer", "ledger_node",
             "trace_api", "traceledger_cli", "bench", "testing")),
    ("indexer", ("trace_api", "traceledger_cli", "bench", "testing")),
    ("ledger_node", ("trace_api", "indexer", "traceledger_cli", "bench")),
    ("trace_api", ("traceledger_cli", "bench", "testing")),
]


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


@pytest.mark.parametrize(("importer", "forbidden"), LAYERS, ids=[layer for layer, _ in LAYERS])
def test_layers_point_downward(importer: str, forbidden: tuple[str, ...]) -> None:
    graph = import_graph()
    wrong = [
        f"{module} imports {target} (line {line})"
        for module, edges in sorted(graph.items()) if _within(module, importer)
        for target, line in sorted(edges.items())
        if any(_within(target, below) for below in forbidden)
    ]
    assert not wrong, f"{importer} must not import {', '.join(forbidden)}:\n" + "\n".join(wrong)


HTTP_FRAMEWORKS = ("fastapi", "starlette")
_ASGI_CALL = ["self", "scope", "receive", "send"]


def _is_http_layer(module: str, names: dict[str, int]) -> bool:
    """Uses the web framework (routes, dependencies) or is ASGI middleware itself
    (`async def __call__(self, scope, receive, send)`)."""
    if any(_within(name, framework) for name in names for framework in HTTP_FRAMEWORKS):
        return True
    tree = ast.parse(_sources()[module].read_text(encoding="utf-8"))
    return any(isinstance(node, ast.AsyncFunctionDef) and node.name == "__call__"
               and [arg.arg for arg in node.args.args] == _ASGI_CALL for node in ast.walk(tree))


def test_domain_code_raises_domain_errors_not_http_problems() -> None:
    """Only HTTP-layer code (routes, middleware, auth dependencies) may build
    `trace_api.problems.Problem`; services, stores, rules and parsers raise
    `trace_api.errors` domain errors, which the one handler maps (issue 14)."""
    wrong = [
        f"{module} imports trace_api.problems (line {names['trace_api.problems']})"
        for module, names in sorted(_all_imports().items())
        if _within(module, "trace_api") and "trace_api.problems" in names
        and not _is_http_layer(module, names)
    ]
    assert not wrong, "domain modules importing HTTP problems:\n" + "\n".join(wrong)


_SQL_METHODS = {"connect", "begin", "execute", "exec", "scalars", "query"}
_SQL_BUILDERS = {"text", "select", "insert", "update", "delete", "Session"}


def _sql_calls(tree: ast.AST) -> Iterator[tuple[int, str]]:
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        if isinstance(node.func, ast.Attribute) and node.func.attr in _SQL_METHODS:
            yield node.lineno, f".{node.func.attr}()"
        elif isinstance(node.func, ast.Name) and node.func.id in _SQL_BUILDERS:
            yield node.lineno, f"{node.func.id}()"


def test_route_modules_run_no_sql() -> None:
    """Routes parse, authorise, call a service and shape the answer; queries live in services
    and stores (issue 14: permission queries had crept into route modules)."""
    wrong = [
        f"{module} line {line}: {call}"
        for module, path in sorted(_sources().items())
        if module.endswith(".routes")
        for line, call in _sql_calls(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert not wrong, "SQL in route modules:\n" + "\n".join(wrong)


def test_sql_call_finder() -> None:
    tree = ast.parse("with engine.connect() as c:\n    c.execute(text('SELECT 1'))\nf(x)\n")
    assert sorted(_sql_calls(tree)) == [(1, ".connect()"), (2, ".execute()"), (2, "text()")]


def _function_level_imports(tree: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for inner in ast.walk(node):
                if isinstance(inner, ast.Import | ast.ImportFrom):
                    yield inner


def test_trace_api_imports_its_dependencies_at_the_top() -> None:
    """A function-level import of our own code hides an edge of the graph (and used to hide
    cycles); only command-line entry modules (`*.cli`) load lazily, for start-up time."""
    graph = import_graph()
    wrong = sorted(
        f"{module} line {node.lineno}"
        for module, path in _sources().items()
        if _within(module, "trace_api") and not module.endswith(".cli")
        for node in _function_level_imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(target in graph for target in _targets(node, module, path.name == "__init__.py",
                                                         set(graph)))
    )
    assert not wrong, "function-level imports of our modules:\n" + "\n".join(wrong)
