"""The house's rules that a reader would otherwise check by hand (docs/architecture.md):

- imports point downwards: no circle between modules, lazy imports included (imports for type
  checking only excluded);
- no function passes 80 lines of code (blank lines, comments and the docstring not counted)
  without saying why in its docstring ("long because");
- no module reads another module's private names (``obj._name`` where ``_name`` is not its own,
  ``from m import _name``) beyond the few exceptions listed, each with its reason, in
  docs/architecture.md;
- no module decides by a built-in's name: "is this a classification loss" and the like are
  declared by the built-in (core/registry.py) and read from it;
- the package picture in docs/architecture.md names every package and module there is.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGE = ROOT / "src" / "ffnn"
ARCHITECTURE = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
MODULES = sorted(PACKAGE.rglob("*.py"))


def _name(path: Path) -> str:
    """``ffnn.core.network`` for src/ffnn/core/network.py, ``ffnn.io`` for its __init__
    (a file elsewhere, in a check's own test: its stem)."""
    if PACKAGE not in path.parents:
        return path.stem
    parts = ["ffnn", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


NAMES = {_name(p): p for p in MODULES}


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def _typing_only(tree: ast.Module) -> set[int]:
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            ids.update(id(n) for n in ast.walk(node))
    return ids


def _imports(path: Path) -> set[str]:
    """The package modules that ``path`` imports anywhere in it, except imports for type
    checking. ``from a.b import c`` depends on the module ``a.b.c`` when there is one (the
    package ``a.b`` then only runs its ``__init__``, which reads nothing at import time),
    on ``a.b`` otherwise."""
    tree, me = _tree(path), _name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    skip, found = _typing_only(tree), set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and (node.level or
                                                 (node.module or "").startswith("ffnn")):
            if node.level:
                parts = package.split(".")
                base = ".".join(parts[: len(parts) - node.level + 1]
                                + ([node.module] if node.module else []))
            else:
                base = node.module
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in NAMES else base)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ffnn"))
    return (found & set(NAMES)) - {me, "ffnn"}


def test_no_import_circle_inside_the_package():
    graph = {name: _imports(path) for name, path in NAMES.items() if name != "ffnn"}
    visiting, done = [], set()

    def visit(module: str) -> None:
        if module in done:
            return
        assert module not in visiting, " -> ".join(visiting[visiting.index(module):] + [module])
        visiting.append(module)
        for dependency in sorted(graph.get(module, ())):
            visit(dependency)
        visiting.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)


def _code_lines(lines: list[str], node) -> int:
    first = node.body[0]
    docstring = set()
    if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
            and isinstance(first.value.value, str):
        docstring = set(range(first.lineno, first.end_lineno + 1))
    return sum(1 for i in range(node.lineno, node.end_lineno + 1)
               if i not in docstring and lines[i - 1].strip()
               and not lines[i - 1].strip().startswith("#"))


def test_no_function_over_80_lines_of_code_without_a_reason():
    long = []
    for path in MODULES:
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(_tree(path)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = _code_lines(lines, node)
                if n > 80 and "long because" not in (ast.get_docstring(node) or "").lower():
                    long.append(f"{_name(path)}.{node.name} ({n} lines)")
    assert not long, long


def _own_names(tree: ast.Module) -> set[str]:
    """Every name a module defines or assigns: its own privates."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.attr)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
    return names


def private_reads(modules=None) -> list[str]:
    """``module: expression`` for each read of a private name that its module does not
    define itself (dunders, ``self._x``, ``cls._x`` and ``super()._x`` are the module's own)."""
    found = []
    for path in modules or MODULES:
        tree = _tree(path)
        own = _own_names(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                found += [f"{_name(path)}: import {node.module}.{a.name}" for a in node.names
                          if a.name.startswith("_") and not a.name.startswith("__")]
            elif isinstance(node, ast.Attribute) and node.attr.startswith("_") \
                    and not node.attr.startswith("__") and node.attr not in own:
                base = node.value
                if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                    continue
                if isinstance(base, ast.Call) and getattr(base.func, "id", "") == "super":
                    continue
                found.append(f"{_name(path)}: {ast.unparse(node)}")
    return found


def test_modules_do_not_read_each_others_privates():
    """At most five, each listed (module and expression) in docs/architecture.md."""
    found = private_reads()
    section = ARCHITECTURE.split("## Private names read across modules", 1)[-1]
    section = section.split("\n## ", 1)[0]
    unlisted = [read for read in found if f"`{read.split(': ', 1)[1]}`" not in section
                or f"`{read.split(': ', 1)[0]}`" not in section]
    assert not unlisted, unlisted
    assert len(found) <= 5, found


def test_the_private_reads_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("from ffnn.core import _hidden\n\ndef f(net):\n    return net._shapes\n")
    assert private_reads([bad]) == ["bad: import ffnn.core._hidden", "bad: net._shapes"]


def _builtin_names() -> set[str]:
    from ffnn.core.activations import ACTIVATIONS
    from ffnn.core.losses import LOSSES
    from ffnn.optim.optimizers import OPTIMIZERS
    from ffnn.optim.schedules import SCHEDULES

    return {name for registry in (ACTIVATIONS, LOSSES, OPTIMIZERS, SCHEDULES)
            for cls in registry for name in (cls.name, *cls.aliases)}


#: Words that are a built-in's name and also mean something else where they are compared,
#: with what they mean there.
OTHER_MEANINGS = {
    ("ffnn.sklearn.estimators", "sgd"): "scikit-learn's solver='sgd' (SGD with its momentum "
                                        "and nesterovs_momentum), its own vocabulary",
    ("ffnn.sklearn.estimators", "constant"): "scikit-learn's learning_rate values",
    ("ffnn.sklearn.estimators", "invscaling"): "scikit-learn's learning_rate values",
    ("ffnn.sklearn.stopping", "invscaling"): "scikit-learn's learning_rate values",
    ("ffnn.sklearn.persistence", "sgd"): "scikit-learn's solver='sgd'",
    ("ffnn.plotting", "linear"): "a matplotlib axis scale",
    ("ffnn.optim.optimizers", "step"): "the optimizer state's step counter",
    ("ffnn.backends.jax_engine", "step"): "the optimizer state's step counter",
    ("ffnn.io.networks", "step"): "the optimizer state's step counter",
}


def name_comparisons(modules=None) -> list[str]:
    """``module:line: comparison`` for each ``==``/``!=``/``in``/``not in``/``match``
    against a string that is a built-in's name or alias."""
    names, found = _builtin_names(), []
    for path in modules or MODULES:
        for node in ast.walk(_tree(path)):
            if not isinstance(node, (ast.Compare, ast.Match)):
                continue
            operands = [node.left, *node.comparators] if isinstance(node, ast.Compare) else \
                [p for case in node.cases for p in ast.walk(case.pattern)]
            words = set()
            for operand in operands:
                for leaf in ast.walk(operand):
                    if isinstance(leaf, ast.Constant) and isinstance(leaf.value, str):
                        words.add(leaf.value)
            hits = {w for w in words & names if (_name(path), w) not in OTHER_MEANINGS}
            if hits:
                found.append(f"{_name(path)}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_decides_by_a_builtin_name():
    assert not name_comparisons()


def test_the_name_check_can_fail(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("def f(loss):\n    return loss.name in ('cross_entropy', 'x')\n")
    assert name_comparisons([bad]) == ["bad:2: loss.name in ('cross_entropy', 'x')"]


def test_the_picture_names_every_package_and_module():
    picture = ARCHITECTURE.split("```", 2)[1]
    missing = []
    for path in MODULES:
        relative = path.relative_to(PACKAGE)
        if relative.name in ("__init__.py", "__main__.py"):
            continue
        if relative.parent != Path(".") and f"{relative.parent}/" not in picture:
            missing.append(f"{relative.parent}/")
        if not re.search(rf"\b{re.escape(relative.stem)}\b", picture):
            missing.append(str(relative))
    assert not missing, sorted(set(missing))


@pytest.mark.parametrize("package", sorted({p.parent for p in MODULES if p.parent != PACKAGE}))
def test_every_package_says_its_job(package):
    doc = ast.get_docstring(_tree(package / "__init__.py"))
    assert doc and len(doc.split()) >= 8, package
