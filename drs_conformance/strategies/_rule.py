"""The job-id rule, read from the contract's pattern: alphabet, groups and separator."""

from __future__ import annotations

import functools
import re
import string
from dataclasses import dataclass

from drs_conformance.contract.spec import contract

__all__ = ["IdRule", "id_rule"]

# One group of the pattern: a character class and a fixed count, e.g. `[0-9a-z]{8}`.
_GROUP = re.compile(r"\[([^\]]+)\]\{(\d+)\}")


@dataclass(frozen=True)
class IdRule:
    """The UUID rule of the contract, taken apart so strategies can build and break ids."""

    pattern: str
    character_class: str
    alphabet: str
    group_sizes: tuple[int, ...]
    separator: str

    @functools.cached_property
    def regex(self) -> re.Pattern[str]:
        return re.compile(self.pattern)

    @property
    def length(self) -> int:
        return sum(self.group_sizes) + len(self.separator) * (len(self.group_sizes) - 1)

    @property
    def characters(self) -> int:
        """How many characters of the alphabet a well-formed id has (32 for 8-4-4-4-12)."""
        return sum(self.group_sizes)

    @property
    def grouping(self) -> str:
        return "-".join(str(size) for size in self.group_sizes)

    @functools.cached_property
    def hex_alphabet(self) -> str:
        return "".join(c for c in self.alphabet if c in string.hexdigits)

    @functools.cached_property
    def digits(self) -> str:
        return "".join(c for c in self.alphabet if c in string.digits)

    @functools.cached_property
    def non_hex_letters(self) -> str:
        return "".join(c for c in self.alphabet if c not in string.hexdigits)

    @property
    def separator_positions(self) -> tuple[int, ...]:
        """Where the separators of a well-formed id stand (8, 13, 18, 23 for 8-4-4-4-12)."""
        positions, at = [], 0
        for size in self.group_sizes[:-1]:
            at += size
            positions.append(at)
            at += len(self.separator)
        return tuple(positions)

    def describe(self) -> str:
        """The rule in words, for fault reasons."""
        return f"{self.length} characters in groups of {self.grouping} over [{self.character_class}]"

    def matches(self, value: object) -> bool:
        """Whether value is a well-formed job id (the whole string, as JSON Schema means it)."""
        return isinstance(value, str) and self.regex.fullmatch(value) is not None

    def join(self, characters: str) -> str:
        """Group `characters` (exactly `self.characters` of them) into a well-formed id."""
        assert len(characters) == self.characters, characters
        groups, at = [], 0
        for size in self.group_sizes:
            groups.append(characters[at : at + size])
            at += size
        return self.separator.join(groups)

    def group_of(self, index: int) -> int:
        """The 1-based group that character `index` of a well-formed id belongs to."""
        at = 0
        for number, size in enumerate(self.group_sizes, start=1):
            if index < at + size:
                return number
            at += size + len(self.separator)
        return len(self.group_sizes)

    def character_positions(self) -> tuple[int, ...]:
        """Indices of a well-formed id that hold alphabet characters (not separators)."""
        separators = set(self.separator_positions)
        return tuple(i for i in range(self.length) if i not in separators)


@functools.cache
def id_rule() -> IdRule:
    """The job-id rule of the contract (parsed once, on first use)."""
    pattern = contract().job_id_pattern
    body = pattern.removeprefix("^").removesuffix("$")
    groups = _GROUP.findall(body)
    separators = set(_GROUP.split(body)[3::3][:-1]) if groups else set()
    classes = {cls for cls, _ in groups}
    rebuilt = (next(iter(separators)) if separators else "").join(f"[{c}]{{{n}}}" for c, n in groups)
    if len(classes) != 1 or len(separators) != 1 or rebuilt != body:
        raise ValueError(
            f"The contract's job-id pattern {pattern!r} is not of the shape ^[class]{{n}}-[class]{{n}}...$"
            " that drs_conformance.strategies knows how to build and break"
        )
    character_class = classes.pop()
    matcher = re.compile(f"[{character_class}]")
    alphabet = "".join(chr(code) for code in range(0x20, 0x7F) if matcher.fullmatch(chr(code)))
    return IdRule(
        pattern=pattern,
        character_class=character_class,
        alphabet=alphabet,
        group_sizes=tuple(int(n) for _, n in groups),
        separator=separators.pop(),
    )
