"""No module of the kit reaches into another's private names (`_name`): what one module uses of another is public.

Read from the source with `ast` over drs_conformance/, strategies/, suites/ and tests/. A reach is
- `from x import _name` where `x` is a module of the kit (relative imports included);
- `x._name` where `x` is a module of the kit bound by an import;
- `anything._name` (an object of another module: `jobs._require_control(...)`) where `_name` is a member
  (method, class attribute, assigned attribute) of a class or object in another file of the kit and not in this one
  (`parser._actions` of argparse is not the kit's business).
Dunder names and a module's use of its own names are not reaches. A name that is needed elsewhere gets a
public name that says what it does, or moves to the module that uses it.
"""

from __future__ import annotations

import ast
import textwrap
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
ROOTS = ("drs_conformance", "tests")  # the strategies and suites are drs_conformance.strategies and .suites
SELF = ("self", "cls")


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_kit(module: str | None, level: int) -> bool:
    return level > 0 or (module or "").split(".")[0] in ROOTS


def member_names(tree: ast.AST) -> set[str]:
    """The private names a file gives objects: methods and class attributes, and attributes it assigns."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                    names.add(member.name)
                elif isinstance(member, ast.Assign):
                    names.update(target.id for target in member.targets if isinstance(target, ast.Name))
                elif isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
                    names.add(member.target.id)
        elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
            names.add(node.attr)
    return {name for name in names if _private(name)}


def reaches(tree: ast.AST, own: set[str], elsewhere: set[str]) -> Iterator[tuple[int, str]]:
    """(line, what) for every reach of this file into another module's private names."""
    modules: set[str] = set()  # local names bound to modules (or packages) of the kit
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and _is_kit(node.module, node.level):
            for alias in node.names:
                if _private(alias.name):
                    yield node.lineno, f"from {'.' * node.level}{node.module or ''} import {alias.name}"
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if _is_kit(alias.name, 0):
                    modules.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or not _private(node.attr):
            continue
        value = node.value
        if isinstance(value, ast.Name) and value.id in SELF:
            continue
        of_a_module = isinstance(value, ast.Name) and value.id in modules
        if of_a_module or (node.attr not in own and node.attr in elsewhere):
            yield node.lineno, ast.unparse(node)


def _files(roots: Iterable[Path]) -> dict[Path, ast.AST]:
    return {
        path: ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for root in roots
        for path in sorted(root.rglob("*.py"))
    }


def all_reaches(roots: Iterable[Path]) -> list[str]:
    trees = _files(roots)
    defined = {path: member_names(tree) for path, tree in trees.items()}
    found = []
    for path, tree in trees.items():
        elsewhere = set().union(*(names for other, names in defined.items() if other != path))
        for line, what in reaches(tree, defined[path], elsewhere):
            found.append(f"{path}:{line}: {what}")
    return found


def test_no_module_of_the_kit_reaches_into_another_modules_private_names() -> None:
    roots = [REPO / root for root in ROOTS]
    assert all((root / "__init__.py").is_file() or root.name == "tests" for root in roots), roots
    found = [line.replace(f"{REPO}/", "") for line in all_reaches(roots)]
    assert not found, (
        "private names used across modules (give them a public name that says what they do, or move them to the "
        "module that uses them):\n" + "\n".join(found)
    )


# --- the scan itself ---------------------------------------------------------------------------

FIXTURE = {
    "owner.py": """
        _LIMIT = 3
        __version__ = "1"
        class Jobs:
            def _require_control(self, what):
                return self._helper(what)
            def _helper(self, what):
                return what
        def _judge(x):
            return _LIMIT
        def _replace(x):  # a module-level function: no object's member
            return x
    """,
    "user.py": """
        from tests import owner
        from tests.owner import _judge, __version__
        from .owner import _LIMIT
        import tests.owner as o
        def f(jobs, parts):
            jobs._require_control("x")
            parts._replace(a=1)  # a namedtuple's documented method: defined by no file of the kit
            owner.__doc__
            return o._LIMIT
    """,
}


@pytest.mark.parametrize(
    "expected",
    [
        pytest.param((3, "from tests.owner import _judge"), id="from-import"),
        pytest.param((4, "from .owner import _LIMIT"), id="relative"),
        pytest.param((7, "jobs._require_control"), id="method-of-an-object"),
        pytest.param((10, "o._LIMIT"), id="module-attribute"),
    ],
)
def test_the_scan_finds_each_kind_of_reach(tmp_path: Path, expected: tuple[int, str]) -> None:
    for name, text in FIXTURE.items():
        (tmp_path / name).write_text(textwrap.dedent(text), encoding="utf-8")
    trees = _files([tmp_path])
    owner, user = tmp_path / "owner.py", tmp_path / "user.py"
    found = list(reaches(trees[user], member_names(trees[user]), member_names(trees[owner])))
    assert expected in found, f"received {found}, expected {expected} among them"
    assert len(found) == 4, f"received {found}: the dunder, the namedtuple method and self's own names are no reach"
    assert not list(reaches(trees[owner], member_names(trees[owner]), member_names(trees[user]))), (
        "a module's use of its own private names is no reach"
    )
