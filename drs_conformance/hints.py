"""What one-line error messages add so a person can fix the input: "did you mean", where in a YAML file."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

import yaml

__all__ = ["closest", "did_you_mean", "yaml_problem"]


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (case-insensitive), or None when none is close."""
    by_folded = {choice.casefold(): choice for choice in choices}
    if word.casefold() in by_folded:
        return by_folded[word.casefold()]
    found = difflib.get_close_matches(word.casefold(), list(by_folded), n=1, cutoff=0.6)
    return by_folded[found[0]] if found else None


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """'; did you mean 'count-wrong'?' for the closest choice, or '' when none is close."""
    match = closest(word, choices)
    return f"; did you mean {match!r}?" if match is not None and match != word else ""


def yaml_problem(exc: yaml.YAMLError) -> str:
    """'line 3, column 5: expected <block end>, but found ...' from a YAML error (its problem_mark, if any)."""
    problem = getattr(exc, "problem", None) or getattr(exc, "context", None)
    text = str(problem) if problem else (str(exc).splitlines() or [type(exc).__name__])[0]
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    if mark is None:
        return text
    return f"line {mark.line + 1}, column {mark.column + 1}: {text}"
