"""The requirement catalogue: ids, levels and the sentences they come from, read from requirements.yaml."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Literal

import yaml

__all__ = ["Catalogue", "Level", "Requirement", "catalogue"]

Level = Literal["MUST", "SHOULD", "EITHER"]
LEVELS: tuple[Level, ...] = ("MUST", "SHOULD", "EITHER")


@dataclass(frozen=True)
class Requirement:
    """One requirement: what is demanded, how strongly, and where the document says it."""

    id: str
    level: Level
    title: str
    source: str
    quote: str
    options: tuple[str, ...] = ()
    not_tested: str | None = None

    @property
    def fails_run(self) -> bool:
        """MUST and EITHER violations fail a run; SHOULD violations only warn (unless strict)."""
        return self.level != "SHOULD"


@dataclass(frozen=True)
class Catalogue:
    """All requirements, in catalogue order, addressable by id."""

    requirements: tuple[Requirement, ...]
    _by_id: dict[str, Requirement] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        by_id: dict[str, Requirement] = {}
        for requirement in self.requirements:
            assert requirement.id not in by_id, f"requirement {requirement.id} is listed twice"
            assert requirement.level in LEVELS, (
                f"requirement {requirement.id}: level {requirement.level!r} is not one of {LEVELS}"
            )
            by_id[requirement.id] = requirement
        object.__setattr__(self, "_by_id", by_id)

    def __iter__(self) -> Iterator[Requirement]:
        return iter(self.requirements)

    def __len__(self) -> int:
        return len(self.requirements)

    def __contains__(self, requirement_id: object) -> bool:
        return requirement_id in self._by_id

    def __getitem__(self, requirement_id: str) -> Requirement:
        try:
            return self._by_id[requirement_id]
        except KeyError:
            raise KeyError(f"unknown requirement id {requirement_id!r}") from None

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self._by_id)


@functools.cache
def catalogue() -> Catalogue:
    """The catalogue shipped with the kit, parsed once."""
    text = (resources.files("drs_conformance.contract") / "requirements.yaml").read_text(encoding="utf-8")
    entries = yaml.safe_load(text)["requirements"]
    return Catalogue(tuple(Requirement(**{**entry, "options": tuple(entry.get("options", ()))}) for entry in entries))
