"""What a run selected: the requirements its tests carry, what -k / -m left out, how tests were chosen.

The verdict needs it to say why a requirement was not judged (not selected, or selected and stopped
before it ran). Collection happens where the tests run: on an xdist worker, the plan travels to the
controller in `workeroutput`.
"""

from __future__ import annotations

import shlex
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from drs_conformance.contract.checks import checked_requirements

__all__ = ["COMMON_CHECKS", "Plan", "requirements_of", "selection_text"]

# Requirements the common checks judge on every answer (checks.check_response): any test with traffic tests them.
COMMON_CHECKS: tuple[str, ...] = tuple(dict.fromkeys((*checked_requirements(200), *checked_requirements(400))))


def requirements_of(item: pytest.Item) -> tuple[str, ...]:
    """The requirement ids of a test's `requirement` markers, in order, without repeats."""
    ids: list[str] = []
    for marker in item.iter_markers("requirement"):
        ids.extend(str(arg) for arg in marker.args)  # Req members are str; xdist hands plain str on
    return tuple(dict.fromkeys(ids))


def _count(items: Iterable[pytest.Item]) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for item in items:
        marked = requirements_of(item)
        if marked:  # a suite test: its own requirements, and the common checks of its traffic
            counts.update(dict.fromkeys((*marked, *COMMON_CHECKS), 1))
    return dict(counts)


def selection_text(config: pytest.Config, suite_roots: Iterable[Path] = (), requirements: Iterable[str] = ()) -> str:
    """How this run chose its tests, for reasons: "-k documented_example", "the named test paths" or ""."""
    parts = [f"--requirement {requirement}" for requirement in requirements]
    if config.option.keyword:
        parts.append(f"-k {shlex.quote(config.option.keyword)}")
    if config.option.markexpr:
        parts.append(f"-m {shlex.quote(config.option.markexpr)}")
    roots = {root.resolve() for root in suite_roots}
    if any(Path(arg.split("::", 1)[0]).resolve() not in roots for arg in config.args):
        parts.append("the named test paths")
    return ", ".join(parts)


@dataclass(frozen=True, kw_only=True)
class Plan:
    """The selected tests of a run, by requirement, and the ones -k / -m deselected."""

    selected: Mapping[str, int] = field(default_factory=dict)
    deselected: Mapping[str, int] = field(default_factory=dict)
    collected: int = 0
    selection: str = ""

    @classmethod
    def of(cls, items: Iterable[pytest.Item], deselected: Iterable[pytest.Item], selection: str) -> Plan:
        items = list(items)
        return cls(selected=_count(items), deselected=_count(deselected), collected=len(items), selection=selection)

    def to_dict(self) -> dict[str, Any]:
        return {
            "selected": dict(self.selected),
            "deselected": dict(self.deselected),
            "collected": self.collected,
            "selection": self.selection,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Plan:
        return cls(
            selected=dict(data["selected"]),
            deselected=dict(data["deselected"]),
            collected=int(data["collected"]),
            selection=str(data["selection"]),
        )
