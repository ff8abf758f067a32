"""The import graph of the project's own modules, read from their source (ast; nothing is imported).

Three rules keep the layout one a newcomer can follow:

- no cycles: a module never reaches itself through the modules it imports (imports inside
  functions count: a cycle hidden behind a lazy import is still a cycle in the design; imports
  under ``if TYPE_CHECKING:`` do not, as they never run);
- floors: the library packages never import an application package or a top-level script, so the
  library can be read, tested and reused without the commands above it;
- the command line in one room: only cli/ and the top-level scripts import argparse.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The floor: pure building blocks that know nothing of the commands using them.
LIBRARY = {"config", "dataset", "evaluation", "features", "kts", "models", "utils", "video"}
# Applications: each puts the library together for one job.
APPLICATIONS = {"builder", "cli", "engine", "sources", "summarize", "webapp"}
# The commands a user runs; the command line is theirs (and cli/'s).
SCRIPTS = {"ablate", "app", "build_dataset", "generate_video", "inference", "score", "train"}
NOT_PROJECT_CODE = {"bench", "tests"}  # benchmarks and tests may import anything


def project_modules(root: Path = ROOT) -> dict[str, Path]:
    """Dotted name -> file of every module of the project: top-level modules and the packages' files."""
    modules = {path.stem: path for path in root.glob("*.py")}
    for init in sorted(root.glob("*/__init__.py")):
        package = init.parent
        if package.name in NOT_PROJECT_CODE:
            continue
        for path in package.rglob("*.py"):
            parts = path.relative_to(root).with_suffix("").parts
            if all((root.joinpath(*parts[:i]) / "__init__.py").is_file() for i in range(1, len(parts))):
                modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _runtime_nodes(tree: ast.AST) -> Iterable[ast.AST]:
    """Every node of ``tree`` except the bodies of ``if TYPE_CHECKING:`` blocks (annotations only: never run)."""
    pending = [tree]
    while pending:
        node = pending.pop()
        yield node
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            pending.extend(node.orelse)
            continue
        pending.extend(ast.iter_child_nodes(node))


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def imported_names(path: Path, module: str) -> set[str]:
    """Every name ``path`` imports when it runs, anywhere in it (inside functions too), as dotted
    names; ``from a import b`` gives both ``a`` and ``a.b`` (b may be a module)."""
    names: set[str] = set()
    is_package = path.name == "__init__.py"
    for node in _runtime_nodes(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Module -> the project modules it imports (a name that is not a module counts as its module)."""
    graph = {}
    for module, path in modules.items():
        targets = set()
        for name in imported_names(path, module):
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != module:
                targets.add(name)
        graph[module] = targets
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []

    def visit(start: str) -> None:  # iterative: the graph is deep enough to worry the recursion limit
        work = [(start, iter(sorted(graph.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph.get(target, ())))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def top(module: str) -> str:
    return module.split(".")[0]


def upward_imports(graph: Mapping[str, Iterable[str]]) -> list[str]:
    """'a imports b' for each library module a that imports an application or script module b."""
    return sorted(f"{module} imports {target}" for module, targets in graph.items() if top(module) in LIBRARY
                  for target in targets if top(target) in APPLICATIONS | SCRIPTS)


def argparse_users(modules: Mapping[str, Path]) -> set[str]:
    return {module for module, path in modules.items() if "argparse" in imported_names(path, module)}


@pytest.fixture(scope="module")
def modules() -> dict[str, Path]:
    return project_modules()


@pytest.fixture(scope="module")
def graph(modules) -> dict[str, set[str]]:
    return import_graph(modules)


@pytest.fixture(scope="module")
def parsing(modules) -> set[str]:
    """The modules that import argparse."""
    return argparse_users(modules)


def test_every_package_has_a_floor(modules):
    """A new package is placed on purpose: add it to LIBRARY or APPLICATIONS (a script to SCRIPTS)."""
    unplaced = {top(m) for m in modules} - LIBRARY - APPLICATIONS - SCRIPTS
    assert not unplaced, f"place these in tests/test_layout.py: {sorted(unplaced)}"


def test_no_import_cycles(graph):
    found = cycles(graph)
    assert not found, "import cycles (break each, e.g. by moving what both need one floor down):\n" + "\n".join(
        " <-> ".join(component) for component in found)


def test_the_library_never_imports_the_applications_or_the_scripts(graph):
    upward = upward_imports(graph)
    assert not upward, "library modules importing upwards:\n" + "\n".join(upward)


def test_the_summariser_and_the_data_set_builder_share_only_the_library(graph):
    """Two applications side by side: what both need (frame analysis, shots, finding videos) lives in
    features/ and utils/, so each can change without the other."""
    sideways = sorted(f"{module} imports {target}" for module, targets in graph.items() for target in targets
                      if {top(module), top(target)} == {"builder", "summarize"})
    assert not sideways, "\n".join(sideways)


@pytest.mark.parametrize("module", ["features.segmentation", "utils.paths", "video.containers", "evaluation.random_draws"])
def test_what_the_command_lines_offer_as_choices_loads_no_heavy_library(module):
    """--segmentation, --ext, --format and the draws' default come from the library itself (one
    declaration each), read before any heavy import so that --help answers at once."""
    code = f"import sys, {module}; print(sorted(m for m in ('numpy', 'av', 'torch', 'scipy') if m in sys.modules))"
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]", f"{module} loads {loaded}"


def test_argparse_is_only_on_the_command_line(parsing):
    below = sorted(m for m in parsing if top(m) not in SCRIPTS | {"cli"})
    assert not below, f"argparse below the command-line room (parse in cli/ or a script; pass a dataclass down): {below}"


def test_the_checks_see_a_cycle_an_upward_import_and_argparse(tmp_path):
    """The rules above read real imports: planted problems are found, and type-only imports are not run."""
    for package in ("utils", "engine"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    (tmp_path / "utils" / "a.py").write_text("from utils import b\n")
    (tmp_path / "utils" / "b.py").write_text("def f():\n    import utils.a  # lazy, still a cycle\n")
    (tmp_path / "utils" / "c.py").write_text("from engine.job import run\n")
    (tmp_path / "engine" / "job.py").write_text("from . import helper\nimport argparse\nif TYPE_CHECKING:\n    import utils.c\n")
    (tmp_path / "engine" / "helper.py").write_text("")
    modules = project_modules(tmp_path)
    graph = import_graph(modules)
    assert cycles(graph) == [["utils.a", "utils.b"]]  # engine.job -> utils.c is type-only: no cycle with utils.c
    assert graph["engine.job"] == {"engine", "engine.helper"}  # the relative import, resolved
    assert upward_imports(graph) == ["utils.c imports engine.job"]
    assert argparse_users(modules) == {"engine.job"}
