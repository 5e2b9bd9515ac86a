"""No import cycle among the kit's modules, and no import against the layering, counting every import statement.

The graph is read from the source with `ast`, not by importing it: an import inside a function or
under `if TYPE_CHECKING:` ties two modules together as much as one at the top, and a cycle that
only exists at run time of a function is still a cycle for the next engineer. The edges are the
statements themselves: `from pkg import name` leads to `pkg.name` when that is a module, else to
`pkg`; a module does not depend on its parent package merely by being inside it.

The layering (issue 21): `contract` imports nothing of the kit, `transport` only `contract`, `live` only
those two; `sandbox` and `reporting` never import `plugin`, `live` or `cli`; `plugin` never imports `cli`;
nothing imports `cli` but `cli` and the package's `__main__`. The root's shared modules (`errors`, `hints`)
import nothing of the kit and every layer may import them. The arrows that break the rule today are listed in
KNOWN_WRONG_ARROWS with the seam that removes each; one more fails the test, one fewer too (strike it).
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


# --- the layering ---------------------------------------------------------------------------------

SHARED = frozenset({"errors", "hints"})  # the package root's modules every layer may import
LAYERS = frozenset(
    {"contract", "transport", "live", "plugin", "selftest", "cli", "sandbox", "reporting", "strategies"}
    | {"schemathesis_suite", "suites", "openapi", "evidence"}
)
ONLY = {  # a layer -> the only layers it may import (itself and the shared modules always)
    "contract": frozenset(),
    "transport": frozenset({"contract"}),
    "live": frozenset({"contract", "transport"}),
    "shared": frozenset(),
}
NEVER = {  # a layer -> layers it must not import
    "sandbox": frozenset({"plugin", "live", "cli"}),
    "reporting": frozenset({"plugin", "live", "cli"}),
    "plugin": frozenset({"cli"}),
    "evidence": frozenset({"cli", "selftest"}),
    "selftest": frozenset({"cli"}),
    "strategies": frozenset({"transport", "live", "plugin", "cli", "sandbox", "reporting"}),
}
# (importing module, imported module) -> why it is still there and what removes it.
KNOWN_WRONG_ARROWS = {
    (f"{TOP}.live.target", f"{TOP}.plugin.options"): "Target keeps the run's KitOptions; seam: live reads a "
    "run configuration of its own, the plugin's option table builds it",
    (f"{TOP}.live.putback", f"{TOP}.plugin.options"): "restore_command(options) spells the run's flags; seam: "
    "the command line is the plugin's to write",
    (f"{TOP}.live.target", f"{TOP}.sandbox"): "the embedded target starts the sandbox; seam: the plugin starts "
    "it and hands live a base URL",
    (f"{TOP}.live.target", f"{TOP}.sandbox.defects"): "the same: the embedded sandbox's defect",
    (f"{TOP}.live.target", f"{TOP}.sandbox.variants"): "the same: the embedded sandbox's variants",
    (f"{TOP}.live.jobs", f"{TOP}.strategies"): "Jobs.fresh(fault) retargets a strategies.Fault at fresh jobs; "
    "seam: the suites pass the body, not the Fault",
}


def layer_of(module: str) -> str:
    """The layer a module of the kit belongs to: its subpackage, `shared`, or `root` (the package, `__main__`)."""
    parts = module.split(".")
    if len(parts) == 1:
        return "root"
    if parts[1] in LAYERS:
        return parts[1]
    return "shared" if parts[1] in SHARED else "root"


def wrong_arrows(edges: Iterable[Edge]) -> dict[tuple[str, str], Edge]:
    """Each (importing, imported) pair of modules that goes against the layering, with one statement that makes it."""
    wrong: dict[tuple[str, str], Edge] = {}
    for edge in edges:
        source, target = layer_of(edge.source), layer_of(edge.target)
        if source == target or (target == "shared" and source != "root"):
            continue
        if target == "shared":
            continue
        allowed = ONLY.get(source)
        broken = (allowed is not None and target not in allowed) or target in NEVER.get(source, frozenset())
        broken = broken or (target == "cli" and source != "root")
        if broken:
            wrong.setdefault((edge.source, edge.target), edge)
    return wrong


def test_every_module_belongs_to_a_layer_or_is_one_of_five_at_the_root(kit_modules: dict[str, Path]) -> None:
    at_root = sorted(name for name in kit_modules if layer_of(name) in {"root", "shared"})
    assert len(at_root) <= 5, f"received {len(at_root)} modules at the package root, at most 5 allowed: {at_root}"
    unplaced = [name for name in at_root if name not in {TOP, f"{TOP}.__main__"} and layer_of(name) != "shared"]
    assert not unplaced, f"modules at the package root outside SHARED: {unplaced}; move each into its layer"


def test_imports_follow_the_layering(kit_modules: dict[str, Path]) -> None:
    wrong = wrong_arrows(import_edges(kit_modules))
    new = {pair: edge for pair, edge in wrong.items() if pair not in KNOWN_WRONG_ARROWS}
    assert not new, "imports against the layering (see this module's docstring); pass the object in, or move " + (
        "the name to the lower layer:\n" + "\n".join(f"    {edge}" for edge in new.values())
    )
    paid = sorted(f"{source} -> {target}" for source, target in KNOWN_WRONG_ARROWS if (source, target) not in wrong)
    assert not paid, f"arrows no longer there: strike them from KNOWN_WRONG_ARROWS: {paid}"


@pytest.mark.parametrize(
    ("source", "target", "wrong"),
    [
        pytest.param(f"{TOP}.contract.spec", f"{TOP}.transport.client", True, id="contract-imports-transport"),
        pytest.param(f"{TOP}.contract.spec", f"{TOP}.errors", False, id="contract-imports-errors"),
        pytest.param(f"{TOP}.transport.client", f"{TOP}.contract.checks", False, id="transport-imports-contract"),
        pytest.param(f"{TOP}.transport.client", f"{TOP}.live.jobs", True, id="transport-imports-live"),
        pytest.param(f"{TOP}.live.jobs", f"{TOP}.transport.client", False, id="live-imports-transport"),
        pytest.param(f"{TOP}.live.jobs", f"{TOP}.reporting.verdicts", True, id="live-imports-reporting"),
        pytest.param(f"{TOP}.sandbox.app", f"{TOP}.plugin.options", True, id="sandbox-imports-plugin"),
        pytest.param(f"{TOP}.sandbox.app", f"{TOP}.contract.spec", False, id="sandbox-imports-contract"),
        pytest.param(f"{TOP}.reporting.markdown", f"{TOP}.live.journal", True, id="reporting-imports-live"),
        pytest.param(f"{TOP}.plugin.hooks", f"{TOP}.cli.program", True, id="plugin-imports-cli"),
        pytest.param(f"{TOP}.plugin.hooks", f"{TOP}.live.target", False, id="plugin-imports-live"),
        pytest.param(f"{TOP}.errors", f"{TOP}.contract.spec", True, id="shared-imports-contract"),
        pytest.param(f"{TOP}.__main__", f"{TOP}.cli.program", False, id="main-imports-cli"),
    ],
)
def test_the_layering_rule_judges_one_arrow(source: str, target: str, wrong: bool) -> None:
    judged = bool(wrong_arrows([Edge(source, target, "here:1")]))
    assert judged == wrong, f"{source} -> {target}: received wrong={judged}, the layering says wrong={wrong}"


def test_a_wrong_import_in_the_tree_fails_the_layering(kit_modules: dict[str, Path], tmp_path: Path) -> None:
    """A copy of the contract layer's spec module that imports the plugin is caught, with its line."""
    planted = tmp_path / "spec.py"
    planted.write_text(
        kit_modules[f"{TOP}.contract.spec"].read_text(encoding="utf-8") + f"\nfrom {TOP}.plugin import options\n",
        encoding="utf-8",
    )
    modules = {**kit_modules, f"{TOP}.contract.spec": planted}
    wrong = wrong_arrows(import_edges(modules))
    assert (f"{TOP}.contract.spec", f"{TOP}.plugin.options") in wrong, sorted(wrong)


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
