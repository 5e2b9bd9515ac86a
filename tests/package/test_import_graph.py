"""No import cycle among the kit's modules, counting every import statement (in functions, under TYPE_CHECKING).

The graph is read from the source with `ast`, not by importing it: an import inside a function or
under `if TYPE_CHECKING:` ties two modules together as much as one at the top, and a cycle that
only exists at run time of a function is still a cycle for the next engineer. The edges are the
statements themselves: `from pkg import name` leads to `pkg.name` when that is a module, else to
`pkg`; a module does not depend on its parent package merely by being inside it.
"""

from __future__ import annotations

import ast
import importlib.util
import textwrap
import tomllib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
TOP = "drs_conformance"


@dataclass(frozen=True)
class Edge:
    """One import statement that makes `source` depend on `target`."""

    source: str
    target: str
    where: str  # path:line of the statement

    def __str__(self) -> str:
        return f"{self.source} -> {self.target} ({self.where})"


def _declared_packages(pyproject: Path) -> list[str]:
    """The packages pyproject.toml lists explicitly, if any (the rest are found under drs_conformance/)."""
    setuptools = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("tool", {}).get("setuptools", {})
    packages = setuptools.get("packages", [])  # a table ({"find": ...}) when setuptools finds them itself
    return [name for name in packages if isinstance(name, str)] if isinstance(packages, list) else []


def _package_dirs(top: str, declared: Iterable[str]) -> dict[str, Path]:
    """Every package of the kit and its directory, as the import system finds them, subpackages included."""
    found: dict[str, Path] = {}
    pending = [top, *declared]
    while pending:
        name = pending.pop()
        if name in found:
            continue
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.submodule_search_locations, f"{name} is not an importable package"
        directory = Path(next(iter(spec.submodule_search_locations)))
        found[name] = directory
        pending.extend(f"{name}.{sub.name}" for sub in directory.iterdir() if (sub / "__init__.py").is_file())
    return found


def modules_of(packages: dict[str, Path]) -> dict[str, Path]:
    """Module name -> source file for every .py file of the given packages."""
    modules: dict[str, Path] = {}
    for package, directory in packages.items():
        for path in sorted(directory.glob("*.py")):
            modules[package if path.stem == "__init__" else f"{package}.{path.stem}"] = path
    return modules


def _absolute(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """The absolute module named by a (possibly relative) `from ... import` statement."""
    if node.level == 0:
        return node.module or ""
    parts = module.split(".") if is_package else module.split(".")[:-1]
    base = parts[: len(parts) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _known(name: str, modules: dict[str, Path]) -> str | None:
    """The longest prefix of a dotted name that is a module of the kit."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in modules:
            return candidate
    return None


def _shown(path: Path) -> Path:
    return path.relative_to(REPO) if path.is_relative_to(REPO) else path


def import_edges(modules: dict[str, Path]) -> Iterator[Edge]:
    """Every import statement of every module that names another module of the kit, wherever it stands."""
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if not isinstance(node, (ast.Import, ast.ImportFrom)):
                continue
            targets: list[str | None] = []
            if isinstance(node, ast.Import):
                targets = [_known(alias.name, modules) for alias in node.names]
            else:
                base = _absolute(module, is_package, node)
                for alias in node.names:
                    submodule = f"{base}.{alias.name}" if base else alias.name
                    targets.append(submodule if submodule in modules else _known(base, modules))
            for target in targets:
                if target is not None and target != module:
                    yield Edge(module, target, f"{_shown(path)}:{node.lineno}")


def cycles(edges: Iterable[Edge]) -> list[tuple[frozenset[str], list[Edge]]]:
    """Each group of modules that import one another (a strongly connected component), with one cycle through it."""
    graph: dict[str, dict[str, Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.source, {}).setdefault(edge.target, edge)
        graph.setdefault(edge.target, {})
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[frozenset[str]] = []

    def visit(node: str) -> None:  # Tarjan's algorithm; the graph is a few hundred modules deep at most
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(frozenset(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [(component, _one_cycle(component, graph)) for component in components]


def _one_cycle(component: frozenset[str], graph: dict[str, dict[str, Edge]]) -> list[Edge]:
    """A shortest cycle through the first module of a component, as the import statements that make it."""
    start = min(component)
    paths: dict[str, list[Edge]] = {start: []}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target, edge in sorted(graph[node].items()):
                if target == start:
                    return [*paths[node], edge]
                if target in component and target not in paths:
                    paths[target] = [*paths[node], edge]
                    following.append(target)
        frontier = following
    raise AssertionError(f"no cycle through {start} in {sorted(component)}")  # a component always has one


def _describe(found: list[tuple[frozenset[str], list[Edge]]]) -> str:
    return "\n".join(
        f"- {', '.join(sorted(component))}:\n" + "\n".join(f"    {edge}" for edge in cycle)
        for component, cycle in found
    )


@pytest.fixture(scope="module")
def kit_modules() -> dict[str, Path]:
    return modules_of(_package_dirs(TOP, _declared_packages(REPO / "pyproject.toml")))


@pytest.fixture(scope="module")
def kit_cycles(kit_modules: dict[str, Path]) -> list[tuple[frozenset[str], list[Edge]]]:
    return cycles(import_edges(kit_modules))


def test_the_graph_covers_every_module_of_the_kit(kit_modules: dict[str, Path]) -> None:
    files = {path.resolve() for path in kit_modules.values()}
    on_disk = {path.resolve() for path in (REPO / "drs_conformance").rglob("*.py")}
    assert on_disk <= files, f"modules the graph misses: {sorted(str(p) for p in on_disk - files)}"
    for name in (
        "drs_conformance.strategies",
        "drs_conformance.strategies.registry",
        "drs_conformance.contract.checks",
    ):
        assert name in kit_modules, f"{name} is not in the graph; found {len(kit_modules)} modules"


def test_the_kit_has_no_import_cycle(kit_cycles: list[tuple[frozenset[str], list[Edge]]]) -> None:
    new = list(kit_cycles)
    assert not new, (
        "import cycles (each listed with the statements that close it); move the shared names to a module "
        f"both can import, or pass the object in:\n{_describe(new)}"
    )


# --- the finder itself ---------------------------------------------------------------------------

FIXTURE_PACKAGE = {
    "__init__.py": "from .a import A\n",
    "a.py": """
        from __future__ import annotations
        from typing import TYPE_CHECKING
        if TYPE_CHECKING:
            from .b import B
        A = 1
    """,
    "b.py": """
        def late():
            from pkg import a  # a function-level import still makes b depend on a
            return a
        B = 2
    """,
    "c.py": "from . import d\n",
    "d.py": "import pkg.c as c\n",
    "e.py": "from pkg.sub import f\n",
    "sub/__init__.py": "",
    "sub/f.py": "from ..e import thing\nfrom .. import b\n",
}


def _write_package(root: Path) -> dict[str, Path]:
    for name, text in FIXTURE_PACKAGE.items():
        path = root / "pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return modules_of({"pkg": root / "pkg", "pkg.sub": root / "pkg" / "sub"})


def test_the_finder_sees_imports_in_functions_under_type_checking_and_relative_ones(tmp_path: Path) -> None:
    modules = _write_package(tmp_path)
    edges = {(edge.source, edge.target) for edge in import_edges(modules)}
    assert edges == {
        ("pkg", "pkg.a"),
        ("pkg.a", "pkg.b"),  # under TYPE_CHECKING
        ("pkg.b", "pkg.a"),  # inside a function
        ("pkg.c", "pkg.d"),  # from . import d
        ("pkg.d", "pkg.c"),  # import pkg.c as c
        ("pkg.e", "pkg.sub.f"),
        ("pkg.sub.f", "pkg.e"),  # from ..e import thing
        ("pkg.sub.f", "pkg.b"),  # from .. import b
    }, edges
    found = {component: [str(edge) for edge in cycle] for component, cycle in cycles(import_edges(modules))}
    assert set(found) == {
        frozenset({"pkg.a", "pkg.b"}),
        frozenset({"pkg.c", "pkg.d"}),
        frozenset({"pkg.e", "pkg.sub.f"}),
    }, found
    assert [edge.split(" (")[0] for edge in found[frozenset({"pkg.a", "pkg.b"})]] == [
        "pkg.a -> pkg.b",
        "pkg.b -> pkg.a",
    ]
    assert all(edge.endswith((":5)", ":3)")) for edge in found[frozenset({"pkg.a", "pkg.b"})]), found
