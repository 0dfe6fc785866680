"""The house's rules that a reader would otherwise check by hand: imports point downwards
(no circle, lazy imports included) and no function grows past ~120 lines of code without
saying why in its docstring."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "ffnn"


def _imports(path: Path) -> set[str]:
    """The package modules that ``path`` imports, anywhere in it, except those imported
    only for type checking."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            typing_only.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1 and id(node) not in typing_only:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(alias.name for alias in node.names)
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    return (found & modules) - {path.stem, "__init__"}


def test_no_import_circle_inside_the_package():
    graph = {p.stem: _imports(p) for p in PACKAGE.glob("*.py")}
    visiting, done = [], set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join(visiting[visiting.index(module):] + [module])
        visiting.append(module)
        for dependency in sorted(graph[module]):
            visit(dependency)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def test_no_function_over_120_lines_without_a_reason():
    long = []
    for path in sorted(PACKAGE.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            docstring = ast.get_docstring(node) or ""
            lines = node.end_lineno - node.lineno + 1
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                lines -= first.end_lineno - first.lineno + 1  # the docstring is no code
            if lines > 120 and "long because" not in docstring.lower():
                long.append(f"{path.name}:{node.name} ({lines} lines)")
    assert not long, long
