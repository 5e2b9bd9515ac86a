"""The registry of fault kinds: declared once, checked at import, filled by fault modules the core never imports."""

from __future__ import annotations

import ast
from collections.abc import Callable, Collection, Container
from pathlib import Path
from typing import Any

import pytest
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from drs_conformance import strategies
from drs_conformance.contract.catalogue import catalogue
from drs_conformance.strategies.faults import Fault
from drs_conformance.strategies.registry import REGISTRY, FaultKind, FaultRegistry, KindSet

PACKAGE = Path(strategies.__file__).parent
# The modules every fault module builds on; they may import nothing else of the package.
CORE = {"faults", "registry", "_checks"}


def _kinds_named(registry: FaultRegistry) -> Collection[str]:
    return [kind.kind for kind in registry.kinds()]


def _declare(kind_set: KindSet, name: str, requirement: str = "ITEM-SHAPE", expect: Any = "refuse-400") -> None:
    @kind_set.kind(name, requirement, expect, "a value")
    def build(kind: FaultKind) -> st.SearchStrategy[Fault]:
        return st.just(kind.fault(reason="a reason.", value=None))


def unknown_requirements(kinds: Collection[FaultKind], known: Container[str]) -> list[str]:
    """One line per kind whose requirement is not in the catalogue, naming the kind."""
    return [
        f"{kind.kind} ({kind.strategy}()) declares {kind.requirement}, which is not in drs_conformance/contract/requirements.yaml"
        for kind in kinds
        if kind.requirement not in known
    ]


# --- declarations are checked when they are made --------------------------------------------------


def test_a_kind_declared_twice_fails_at_declaration_naming_it_and_both_strategies() -> None:
    registry = FaultRegistry()
    _declare(registry.kind_set("first_faults", scope="item"), "item/twice")
    second = registry.kind_set("second_faults", scope="request")
    with pytest.raises(
        ValueError, match=r"'item/twice' is declared twice, by first_faults\(\) and by second_faults\(\)"
    ):
        _declare(second, "item/twice")


def test_a_kind_declared_twice_in_one_set_fails_too() -> None:
    kind_set = FaultRegistry().kind_set("some_faults", scope="item")
    _declare(kind_set, "item/again")
    with pytest.raises(ValueError, match="'item/again' is declared twice"):
        _declare(kind_set, "item/again")


def test_an_unknown_expect_fails_at_declaration_naming_the_kind() -> None:
    kind_set = FaultRegistry().kind_set("some_faults", scope="item")
    with pytest.raises(ValueError, match=r"'item/odd' of some_faults\(\) expects 'refuse-500'; an expect is one of"):
        _declare(kind_set, "item/odd", expect="refuse-500")


@pytest.mark.parametrize(
    ("declare", "message"),
    [
        pytest.param(
            lambda registry: registry.kind_set("some_faults", scope="body"),
            r"some_faults\(\) has the scope 'body'; a scope is one of: item, request, job",
            id="set",
        ),
        pytest.param(
            lambda registry: registry.kind_set("some_faults", scope="item").kind(
                "item/where", "ITEM-SHAPE", "refuse-400", "a value", scope="header"
            )(lambda kind: st.nothing()),
            r"'item/where' of some_faults\(\) has the scope 'header'",
            id="kind",
        ),
    ],
)
def test_an_unknown_scope_fails_at_declaration(declare: Callable[[FaultRegistry], Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        declare(FaultRegistry())


def test_a_strategy_gets_one_kind_set() -> None:
    registry = FaultRegistry()
    registry.kind_set("some_faults", scope="item")
    with pytest.raises(ValueError, match=r"some_faults\(\) has two kind sets"):
        registry.kind_set("some_faults", scope="request")


def test_a_refused_declaration_leaves_nothing_behind() -> None:
    registry = FaultRegistry()
    kind_set = registry.kind_set("some_faults", scope="item")
    with pytest.raises(ValueError, match="an expect is one of"):
        _declare(kind_set, "item/odd", expect="refuse-500")
    assert kind_set.names == (), "a refused kind was kept"
    _declare(kind_set, "item/odd")  # not "declared twice": the refused one left no trace
    assert kind_set.names == ("item/odd",)


# --- arranging: every strategy listed once, nothing declared after ------------------------------


# Stand-ins for public fault strategies: arrange() goes by their names.
def some_faults() -> None: ...
def other_faults() -> None: ...
def empty_faults() -> None: ...


def test_arrange_lists_every_strategy_once_and_names_what_is_wrong() -> None:
    registry = FaultRegistry()
    _declare(registry.kind_set("some_faults", scope="item"), "item/a")
    _declare(registry.kind_set("other_faults", scope="item"), "item/b")
    registry.kind_set("empty_faults", scope="item")
    with pytest.raises(ValueError, match=r"REGISTRY\.arrange") as raised:
        registry.arrange(some_faults, some_faults, empty_faults, strategies.batches)
    message = str(raised.value)
    for part in (
        "some_faults() is listed twice",
        "batches() has no kind set",
        "other_faults() is not listed",
        "empty_faults() declares no fault kind",
    ):
        assert part in message, f"{part!r} missing from: {message}"


def test_arrange_sets_the_order_and_closes_the_registry() -> None:
    registry = FaultRegistry()
    some, other = registry.kind_set("some_faults", scope="item"), registry.kind_set("other_faults", scope="request")
    _declare(some, "item/a")
    _declare(other, "body/b")
    _declare(some, "item/c")
    with pytest.raises(RuntimeError, match="not arranged yet"):
        registry.kinds()
    registry.arrange(other_faults, some_faults)
    assert _kinds_named(registry) == ["body/b", "item/a", "item/c"]
    with pytest.raises(RuntimeError, match=r"'item/late' of some_faults\(\) is declared after .* REGISTRY.arrange"):
        _declare(some, "item/late")
    with pytest.raises(RuntimeError, match=r"the fault strategy late_faults\(\) is declared after"):
        registry.kind_set("late_faults", scope="item")


def test_a_builder_receives_its_declaration_and_options(collect: Any) -> None:
    registry = FaultRegistry()
    kind_set = registry.kind_set("sized_faults", scope="request")
    received: list[tuple[FaultKind, int]] = []

    @kind_set.kind("batch/sized", "BATCH-OVER-100", "either-large", "a count", scope="request")
    def build(kind: FaultKind, *, size: int = 1) -> st.SearchStrategy[Fault]:
        received.append((kind, size))
        return st.just(kind.fault(reason="too many.", value=size))

    strategy = kind_set.strategy_for(None, size=7)
    [fault] = collect(strategy, 1)
    declared = received[0][0]
    assert received == [(declared, 7)], received
    assert (declared.kind, declared.strategy, declared.scope) == ("batch/sized", "sized_faults", "request"), declared
    assert (fault.kind, fault.requirement, fault.expect, fault.value) == (
        "batch/sized",
        "BATCH-OVER-100",
        "either-large",
        7,
    ), fault


# --- the package's own registry -------------------------------------------------------------------


def test_every_requirement_of_a_fault_kind_is_in_the_catalogue() -> None:
    problems = unknown_requirements(strategies.fault_kinds(), catalogue())
    assert not problems, "\n".join(problems)


def test_an_unknown_requirement_is_reported_with_its_kind() -> None:
    registry = FaultRegistry()
    _declare(registry.kind_set("some_faults", scope="item"), "item/unlisted", requirement="NO-SUCH-RULE")
    registry.arrange(some_faults)
    assert unknown_requirements(registry.kinds(), catalogue()) == [
        "item/unlisted (some_faults()) declares NO-SUCH-RULE, which is not in drs_conformance/contract/requirements.yaml"
    ]


def test_the_registry_holds_every_kind_once_in_the_arranged_order() -> None:
    kinds = REGISTRY.kinds()
    assert len(kinds) == 50 and len({kind.kind for kind in kinds}) == 50, f"{len(kinds)} kinds"
    assert kinds == strategies.fault_kinds()
    order = [kind_set.strategy for kind_set in REGISTRY.kind_sets()]
    assert order == [
        "malformed_job_ids", "wrong_pause_modes", "malformed_items", "extra_fields", "malformed_bodies",
        "not_json_bodies", "duplicate_id_batches", "oversized_batches", "oversized_bodies", "wrong_content_types",
        "non_pausable_job_specs",
    ], order  # fmt: skip
    assert set(order) <= set(strategies.__all__), f"not exported: {set(order) - set(strategies.__all__)}"


@pytest.mark.parametrize("kind", [pytest.param(kind, id=kind.kind) for kind in strategies.fault_kinds()])
def test_each_kind_sits_where_its_scope_says(kind: FaultKind, collect: Any) -> None:
    strategy = strategies.non_pausable_job_specs if kind.scope == "job" else strategies.request_faults
    for fault in collect(strategy(kinds=[kind.kind]), 10):
        assert fault.kind == kind.kind, f"{kind.kind}'s builder made a {fault.kind} fault"
        if kind.scope == "item":
            assert fault.index == 0 and fault.path is not None and fault.path[:2] == ("jobs", 0), fault
            assert fault.json() == {"jobs": [fault.json()["jobs"][0]]}, f"{kind.kind}: not a one-item batch"
        elif kind.scope == "request":
            assert fault.body is not None and fault.index != 0, f"{kind.kind} sits in the first item: scope item?"
        else:
            assert fault.body is None, f"{kind.kind} has a body, yet its scope is job"
    if kind.scope == "item":
        strategies.item_faults(kinds=[kind.kind])
    else:
        with pytest.raises(InvalidArgument, match=f"Unknown kind '{kind.kind}'"):
            strategies.item_faults(kinds=[kind.kind])


# --- the core names no fault module ------------------------------------------------------------------


def _imports(path: Path) -> set[str]:
    """The modules of this package a module imports (relative imports), wherever the statement stands."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            found.update([node.module] if node.module else [alias.name for alias in node.names])
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            name = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            assert not (name or "").startswith("drs_conformance.strategies"), f"{path.name} imports {name} absolutely"
    return found


def _kind_sets_of(path: Path) -> set[str]:
    """The module-level names a module binds to `REGISTRY.kind_set(...)` (its kind sets)."""
    names: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            called = node.value.func
            if isinstance(called, ast.Attribute) and called.attr == "kind_set":
                names.update(target.id for target in node.targets if isinstance(target, ast.Name))
    return names


def _fault_modules() -> dict[str, set[str]]:
    """The modules that declare fault kinds, each with the names of its kind sets."""
    found = {path.stem: _kind_sets_of(path) for path in PACKAGE.glob("*.py")}
    return {module: names for module, names in found.items() if names}


def _identifiers(path: Path) -> set[str]:
    """Every name the code of a module uses (variables, attributes, imported names), docstrings aside."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Name):
            found.add(node.id)
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
        elif isinstance(node, ast.alias):
            found.update(node.name.split("."))
    return found


def test_the_core_imports_no_fault_module_and_names_none_of_their_names() -> None:
    plugins = _fault_modules()
    assert set(plugins) >= {"job_id_faults", "mode_faults", "shape_faults", "bodies", "jobs"}, plugins
    forbidden = set(plugins).union(*plugins.values())
    for core in sorted(CORE):
        path = PACKAGE / f"{core}.py"
        assert _imports(path) <= CORE, f"{core}.py imports {sorted(_imports(path) - CORE)} beside the core"
        named = sorted(_identifiers(path) & forbidden)
        assert not named, f"{core}.py names {named} of the fault modules; the fault modules register themselves"


def test_every_fault_module_is_imported_by_the_package_face() -> None:
    face = _imports(PACKAGE / "__init__.py")
    missing = set(_fault_modules()) - face
    assert not missing, f"fault modules strategies/__init__.py does not import: {sorted(missing)}"
