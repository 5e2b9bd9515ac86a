"""The registry of fault kinds: each kind declared once, by the module that builds it; this core names none of them.

A fault module takes a kind set for its public strategy and declares every kind on the function
that builds its faults; that function receives the declaration, so a fault cannot carry another
kind's name or requirement:

    KINDS = REGISTRY.kind_set("malformed_job_ids", scope="item")

    @KINDS.kind("job-id/empty", Req.JOB_ID_RULE, "refuse-400", "the empty string")
    def _empty(kind: FaultKind) -> st.SearchStrategy[Fault]:
        return st.builds(lambda mode: kind.fault(reason="...", value="", body=...), pause_modes())

    def malformed_job_ids(*, kinds=None):
        return KINDS.strategy_for(kinds)

The package's `__init__` imports the fault modules and fixes the order of their strategies with
`REGISTRY.arrange(...)`: `fault_kinds()` lists the kinds in that order and the combined strategies
(`item_faults()`, `request_faults()`) draw them in it. A duplicate kind or strategy, an unknown
expect or scope, a strategy left out of `arrange` or a kind declared after it fails at import.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any, Literal, get_args

from hypothesis import strategies as st

from ._checks import check_choices
from .faults import EXPECTS, Expect, Fault

__all__ = [
    "REGISTRY",
    "SCOPES",
    "FaultKind",
    "FaultRegistry",
    "KindSet",
    "Scope",
    "fault_kinds",
    "fault_kinds_table",
]

Scope = Literal["item", "request", "job"]

#: Where a fault sits, which decides the combined strategies that draw it.
SCOPES: dict[Scope, str] = {
    "item": "in one item of jobs, sent as a one-item batch: item_faults() and one_fault_batches() draw it",
    "request": "in the whole request (its body, content type or size): request_faults() draws it",
    "job": "in the job to seed, with no request body: only its own strategy draws it",
}
assert set(SCOPES) == set(get_args(Scope))

#: A builder receives its kind's declaration (and the options of its public strategy, if any).
Builder = Callable[..., st.SearchStrategy[Fault]]


@dataclass(frozen=True)
class FaultKind:
    """The declaration of one fault kind: which rule it breaks, what the server must do, where it sits."""

    kind: str
    requirement: str
    expect: Expect
    summary: str
    strategy: str
    scope: Scope

    def fault(self, **fields: Any) -> Fault:
        """A `Fault` of this kind: its name, requirement and expectation come from the declaration."""
        return Fault(requirement=self.requirement, kind=self.kind, expect=self.expect, **fields)


class KindSet:
    """The fault kinds one public strategy makes, each with the function that builds its strategy."""

    def __init__(self, strategy: str, scope: Scope, registry: FaultRegistry) -> None:
        self.strategy = strategy
        self.scope = scope
        self._registry = registry
        self._kinds: dict[str, FaultKind] = {}
        self._builders: dict[str, Builder] = {}

    def __repr__(self) -> str:
        return f"KindSet({self.strategy!r}, kinds={list(self._kinds)!r})"

    def kind(
        self, kind: str, requirement: str, expect: Expect, summary: str, *, scope: Scope | None = None
    ) -> Callable[[Builder], Builder]:
        """Declare a kind (scope: the set's unless given); the decorated function builds its strategy."""
        declared = FaultKind(kind, requirement, expect, summary, self.strategy, self.scope if scope is None else scope)

        def register(builder: Builder) -> Builder:
            self._registry._declare(declared)
            self._kinds[kind] = declared
            self._builders[kind] = builder
            return builder

        return register

    def __iter__(self) -> Iterator[FaultKind]:
        return iter(self._kinds.values())

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(self._kinds)

    def select(self, kinds: Collection[str] | None) -> frozenset[str]:
        """Validate a `kinds=` option (None means all)."""
        if kinds is None:
            return frozenset(self._kinds)
        return check_choices("kinds", kinds, self.names, owner=f"{self.strategy}() makes")

    def strategy_for(self, kinds: Collection[str] | None, **options: Any) -> st.SearchStrategy[Fault]:
        """One strategy over the chosen kinds, in declaration order (so shrinking goes to the first).

        `options` go to every builder (a strategy's own options, such as sizes).
        """
        chosen = self.select(kinds)
        return st.one_of([self._builders[name](self._kinds[name], **options) for name in self.names if name in chosen])


class FaultRegistry:
    """Every fault kind of the package, grouped by the public strategy that makes it."""

    def __init__(self) -> None:
        self._sets: dict[str, KindSet] = {}
        self._kinds: dict[str, FaultKind] = {}
        self._arranged = False

    def kind_set(self, strategy: str, *, scope: Scope) -> KindSet:
        """The kind set of a public fault strategy (one per strategy), its kinds in `scope` unless they say."""
        self._check_open(f"the fault strategy {strategy}()")
        if strategy in self._sets:
            raise ValueError(
                f"the fault strategy {strategy}() has two kind sets; take one and declare every kind on it"
            )
        self._check_scope(scope, f"the fault strategy {strategy}()")
        kind_set = KindSet(strategy, scope, self)
        self._sets[strategy] = kind_set
        return kind_set

    def _declare(self, declared: FaultKind) -> None:
        what = f"the fault kind {declared.kind!r} of {declared.strategy}()"
        self._check_open(what)
        first = self._kinds.get(declared.kind)
        if first is not None:
            raise ValueError(
                f"the fault kind {declared.kind!r} is declared twice, by {first.strategy}() and by "
                f"{declared.strategy}(); give each kind its own name"
            )
        if declared.expect not in EXPECTS:
            raise ValueError(f"{what} expects {declared.expect!r}; an expect is one of: {', '.join(EXPECTS)}")
        self._check_scope(declared.scope, what)
        self._kinds[declared.kind] = declared

    def _check_open(self, what: str) -> None:
        if self._arranged:
            raise RuntimeError(
                f"{what} is declared after the fault strategies were arranged; import its module from "
                "strategies/__init__.py and list its strategy in REGISTRY.arrange(...) there"
            )

    @staticmethod
    def _check_scope(scope: str, what: str) -> None:
        if scope not in SCOPES:
            raise ValueError(f"{what} has the scope {scope!r}; a scope is one of: {', '.join(SCOPES)}")

    def arrange(self, *strategies: Callable[..., Any]) -> None:
        """Fix the order of the public fault strategies (and so of their kinds); no kind may be declared after."""
        names = [strategy.__name__ for strategy in strategies]
        twice = sorted({name for name in names if names.count(name) > 1})
        unknown = [name for name in names if name not in self._sets]
        left_out = [name for name in self._sets if name not in names]
        empty = [name for name in names if name in self._sets and not self._sets[name].names]
        problems = [
            *(f"{name}() is listed twice" for name in twice),
            *(f"{name}() has no kind set" for name in unknown),
            *(f"{name}() is not listed" for name in left_out),
            *(f"{name}() declares no fault kind" for name in empty),
        ]
        if problems:
            raise ValueError(f"REGISTRY.arrange(...) in strategies/__init__.py: {'; '.join(problems)}")
        self._sets = {name: self._sets[name] for name in names}
        self._arranged = True

    def kind_sets(self) -> tuple[KindSet, ...]:
        """The kind sets in their arranged order."""
        if not self._arranged:
            raise RuntimeError("the fault strategies are not arranged yet: import drs_conformance.strategies first")
        return tuple(self._sets.values())

    def kinds(self) -> tuple[FaultKind, ...]:
        """Every declared kind: kind sets in their arranged order, kinds in declaration order."""
        return tuple(kind for kind_set in self.kind_sets() for kind in kind_set)


#: The registry the fault modules of this package declare their kinds in.
REGISTRY = FaultRegistry()


def fault_kinds(*, expects: Collection[Expect] | None = None) -> tuple[FaultKind, ...]:
    """Every fault kind the package makes, in a stable order (optionally only those with given expects)."""
    chosen = (
        frozenset(EXPECTS)
        if expects is None
        else check_choices("expects", expects, EXPECTS, owner="an expect is one of")
    )
    return tuple(kind for kind in REGISTRY.kinds() if kind.expect in chosen)


def fault_kinds_table() -> str:
    """The fault kinds as a Markdown table (the one in strategies/README.md)."""
    lines = [
        "| kind | requirement | expect | strategy | the value |",
        "|---|---|---|---|---|",
    ]
    for kind in fault_kinds():
        lines.append(f"| `{kind.kind}` | {kind.requirement} | `{kind.expect}` | `{kind.strategy}()` | {kind.summary} |")
    return "\n".join(lines)
