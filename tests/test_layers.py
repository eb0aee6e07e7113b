"""The package's shape: layers import downwards only, the build never imports the analysis layer,
one module owns paths, and modules and functions stay small enough to read in one sitting."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from pipeline.settings import PACKAGE_DIR

MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 80


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports, anywhere in it (lazy imports included)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        else:
            continue
        found.update(n for n in names if n in MODULES)
    return found


GRAPH = {name: _imports(path) - {name} for name, path in MODULES.items()}


def _cycle() -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(GRAPH[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(GRAPH):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_import_graph_has_no_circle():
    assert len(MODULES) > 30
    assert _cycle() is None, " -> ".join(_cycle() or [])


def test_the_build_never_imports_the_analysis_layer():
    """Charts and notebooks read a built warehouse; a build does not depend on them (and the
    extraction cache key leaves them out, see pipeline.extract.cache.package_files)."""
    offenders = {
        name: sorted(n for n in imports if n.startswith("pipeline.analysis"))
        for name, imports in GRAPH.items()
        if not name.startswith("pipeline.analysis") and name != "pipeline.cli"
    }
    assert {k: v for k, v in offenders.items() if v} == {}


def test_one_module_owns_the_root_of_the_checkout():
    defined = [
        name
        for name, path in MODULES.items()
        if re.search(r"^\s*ROOT\s*=", path.read_text(encoding="utf-8"), re.M)
    ]
    assert defined == ["pipeline.settings"]
    others = [
        name
        for name, path in MODULES.items()
        if name != "pipeline.settings" and "Path(__file__)" in path.read_text(encoding="utf-8")
    ]
    # only files that read data beside their own code (labels, SQL) may locate themselves
    assert set(others) <= {"pipeline.analysis.labels", "pipeline.marts"}, others


@pytest.mark.parametrize("name", sorted(MODULES))
def test_modules_and_functions_are_short(name: str):
    source = MODULES[name].read_text(encoding="utf-8")
    assert source.count("\n") <= MAX_MODULE_LINES, f"{name} has {source.count(chr(10))} lines"
    long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno - node.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert not long, f"{name}: {', '.join(long)}"
