"""The compact summary printed at the end of the terminal output."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drs_conformance.catalogue import LEVELS
from drs_conformance.redaction import Redactor
from drs_conformance.reporting.markdown import one_line
from drs_conformance.reporting.verdicts import VERDICTS

__all__ = ["summary_lines"]

_DETAILED = ("fail", "warn", "fixed", "expected-fail", "skip")


def _counts_text(counts: Mapping[str, Mapping[str, int]]) -> str:
    parts = []
    for level in LEVELS:
        figures = ", ".join(f"{counts[level][v]} {v}" for v in VERDICTS if counts[level][v])
        if figures:
            parts.append(f"{level}: {figures}")
    return "; ".join(parts)


def _detail(requirement: Mapping[str, Any]) -> str:
    if requirement["failures"]:
        failure = requirement["failures"][0]
        more = f" (+{len(requirement['failures']) - 1} more)" if len(requirement["failures"]) > 1 else ""
        return f"{failure['nodeid']}: {one_line(failure['message'], 120) or 'failed'}{more}"
    fixed = next((t for t in requirement["tests"] if t["verdict"] == "fixed"), None)
    if fixed is not None:
        return f"{fixed['nodeid']}: known deviation passed; remove it from the deviations file"
    return one_line("; ".join(requirement["reasons"]), 120)


def _id_list(title: str, ids: list[str], width: int) -> list[str]:
    return textwrap.wrap(
        ", ".join(ids),
        width=width,
        initial_indent=f"  {title}: ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=False,
    )


def summary_lines(
    report: Mapping[str, Any],
    paths: Mapping[str, Path | str] | None = None,
    *,
    redactor: Redactor | None = None,
    width: int = 100,
) -> list[str]:
    """Verdict line; a line per failed, warned, fixed, expected-fail or skipped requirement (worst first)
    with its test and reason; not-tested ids by reason and passed ids in brief; the report paths."""
    summary, requirements = report["summary"], report["requirements"]
    id_width = max((len(r["id"]) for r in requirements), default=0)
    lines = [f"DRS conformance: {summary['verdict'].upper()} ({_counts_text(summary['counts'])})"]
    for verdict in _DETAILED:
        for requirement in (r for r in requirements if r["verdict"] == verdict):
            name = f"{requirement['id']:<{id_width}}"
            lines.append(f"  {verdict.upper():<13} {requirement['level']:<6} {name}  {_detail(requirement)}")
    not_tested: dict[str, list[str]] = {}
    for requirement in (r for r in requirements if r["verdict"] == "not-tested"):
        reason = one_line("; ".join(requirement["reasons"]), 80) or "no reason given"
        not_tested.setdefault(reason, []).append(requirement["id"])
    for reason, ids in not_tested.items():
        lines += _id_list(f"NOT-TESTED ({len(ids)}, {reason})", ids, width)
    passed = [r["id"] for r in requirements if r["verdict"] == "pass"]
    if passed:
        lines += _id_list(f"PASS ({len(passed)})", passed, width)
    for expired in report["deviations"]["expired"]:
        lines.append(f"  note: {expired['note']}")
    if paths:
        lines.append("reports: " + ", ".join(str(p) for p in paths.values()))
    redactor = redactor or Redactor()
    return [redactor.text(line) for line in lines]
