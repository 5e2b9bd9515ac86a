"""`drs-conformance requirements`: the catalogue as a person reads it (or as JSON), with the tests if asked."""

from __future__ import annotations

import json
import shutil
import textwrap
from collections.abc import Sequence
from typing import Any, TextIO

from drs_conformance.contract.catalogue import Requirement, catalogue

__all__ = ["catalogue_data", "catalogue_lines", "print_catalogue"]


def catalogue_data(
    levels: Sequence[str] | None = None, tests: dict[str, list[str]] | None = None
) -> list[dict[str, Any]]:
    """The requirements as JSON-ready dicts, in catalogue order (with their tests when `tests` is given)."""
    chosen = [r for r in catalogue() if not levels or r.level in levels]
    data = []
    for requirement in chosen:
        entry: dict[str, Any] = {
            "id": requirement.id,
            "level": requirement.level,
            "title": requirement.title,
            "quote": requirement.quote,
            "source": requirement.source,
            "options": list(requirement.options),
            "not_tested": requirement.not_tested,
        }
        if tests is not None:
            entry["tests"] = tests.get(requirement.id, [])
        data.append(entry)
    return data


def _block(requirement: Requirement, width: int, tests: list[str] | None) -> list[str]:
    lines = [f"{requirement.id}  {requirement.level}  {requirement.title}"]
    wrap = textwrap.TextWrapper(
        width=width, initial_indent="    ", subsequent_indent="    ", break_long_words=False, break_on_hyphens=False
    )
    lines += wrap.wrap(f"\u201c{requirement.quote}\u201d ({requirement.source})")
    if requirement.options:
        lines += wrap.wrap("accepted: " + "; ".join(requirement.options))
    if requirement.not_tested:
        lines += wrap.wrap(f"not tested: {requirement.not_tested}")
    if tests is not None:
        lines += [f"    test: {node}" for node in tests] or [
            "    test: none marked (judged on every answer)" if not requirement.not_tested else "    test: none"
        ]
    return lines


def catalogue_lines(
    levels: Sequence[str] | None = None, width: int = 100, tests: dict[str, list[str]] | None = None
) -> list[str]:
    """Each requirement: 'ID  LEVEL  title', then the document's sentence indented; a blank line between."""
    chosen = [r for r in catalogue() if not levels or r.level in levels]
    lines: list[str] = []
    for requirement in chosen:
        lines += [*_block(requirement, width, None if tests is None else tests.get(requirement.id, [])), ""]
    counts = {level: sum(1 for r in chosen if r.level == level) for level in ("MUST", "EITHER", "SHOULD")}
    lines.append(
        f"{len(chosen)} requirements: "
        + ", ".join(f"{n} {level}" for level, n in counts.items() if n)
        + ". Run one with: drs-conformance run --requirement ID"
    )
    return lines


def print_catalogue(
    out: TextIO, *, as_json: bool = False, levels: Sequence[str] | None = None, with_tests: bool = False
) -> int:
    """Print the catalogue (text or JSON); exit code 0."""
    tests = None
    if with_tests:
        from drs_conformance.cli.catalogue_doc import collect_requirement_tests

        tests = collect_requirement_tests()[0]
    if as_json:
        print(json.dumps(catalogue_data(levels, tests), indent=2, ensure_ascii=False), file=out)
    else:
        width = min(max(shutil.get_terminal_size((100, 24)).columns, 60), 120)
        print("\n".join(catalogue_lines(levels, width, tests)), file=out)
    return 0
