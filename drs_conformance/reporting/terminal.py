"""The compact summary printed at the end of the terminal output."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drs_conformance.catalogue import LEVELS
from drs_conformance.redaction import Redactor
from drs_conformance.reporting.markdown import not_judged_groups, one_line
from drs_conformance.reporting.verdicts import VERDICTS

__all__ = ["summary_lines", "verdict_note"]

_DETAILED = ("fail", "warn", "fixed", "expected-fail", "skip")
_MAX_UNANSWERED = 10  # unanswered tests listed one per line; the rest are counted


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


def _not_judged_lines(report: Mapping[str, Any], width: int) -> list[str]:
    """Requirements not judged, one group per category (with the reason when they all share it)."""
    lines: list[str] = []
    for levels, category, why, ids in not_judged_groups(report["summary"]["coverage"]):
        title = "NOT JUDGED, SHOULD" if levels == "SHOULD" else "NOT JUDGED"
        lines += _id_list(f"{title} ({len(ids)}, {category}: {one_line(why, 80)})", ids, width)
    return lines


def _unanswered_lines(summary: Mapping[str, Any]) -> list[str]:
    tests = summary["unanswered"]
    if not tests:
        return []
    requests = sum(test["requests"] for test in tests)
    count = f"{len(tests)} test{'s' if len(tests) != 1 else ''}, {requests} request{'s' if requests != 1 else ''}"
    lines = [f"  UNANSWERED ({count} without an answer; no requirement charged):"]
    lines += [f"    {test['nodeid']}: {one_line(test['message'], 120)}" for test in tests[:_MAX_UNANSWERED]]
    if len(tests) > _MAX_UNANSWERED:
        lines.append(f"    ... and {len(tests) - _MAX_UNANSWERED} more (conformance.json: summary.unanswered)")
    return lines


def _requests_lines(requests: Mapping[str, Any] | None, width: int) -> list[str]:
    """The run's load on the target: requests sent by operation (the API's first, then the control API's)."""
    if not requests or not requests["total"]:
        return []
    counts = requests["by_operation"]
    api = [f"{name} {n:,}" for name, n in counts.items() if not name.startswith("control ")]
    control = [f"{name.removeprefix('control ')} {n:,}" for name, n in counts.items() if name.startswith("control ")]
    text = ", ".join(api) + (f"; control API: {', '.join(control)}" if control else "")
    return textwrap.wrap(f"requests sent: {requests['total']:,} ({text})", width=width, initial_indent="  ",
                         subsequent_indent="    ", break_on_hyphens=False, break_long_words=False)


def verdict_note(report: Mapping[str, Any]) -> str:
    """What the verdict means for this run and its exit code, in one line."""
    summary = report["summary"]
    verdict, code = summary["verdict"], summary["exit_code"]
    run = report["run"]
    if verdict == "interrupted":
        return f"INTERRUPTED: {summary['reasons'][0]}; nothing is claimed about what did not run (exit {code})"
    if verdict == "non-conformant":
        return f"NON-CONFORMANT: a requirement that fails the run failed (exit {code})"
    if code == 3:
        return f"{verdict.upper()}, but the target did not answer every request: see UNANSWERED (exit 3)"
    if verdict == "incomplete":
        hint = "" if run.get("require_complete") else "; --require-complete makes an incomplete run exit 5"
        return (f"INCOMPLETE: no failure, but not every MUST/EITHER requirement was judged: see NOT JUDGED "
                f"(exit {code}{hint})")
    return f"CONFORMANT: every MUST and EITHER requirement was judged and held (exit {code})"


def summary_lines(
    report: Mapping[str, Any],
    paths: Mapping[str, Path | str] | None = None,
    *,
    redactor: Redactor | None = None,
    width: int = 100,
) -> list[str]:
    """Verdict and coverage lines; a line per failed, warned, fixed, expected-fail or skipped requirement
    (worst first) with its test and reason; passed ids in brief; the requirements not judged by
    category; the tests the target did not answer; what the verdict means; the report paths."""
    summary, requirements = report["summary"], report["requirements"]
    id_width = max((len(r["id"]) for r in requirements), default=0)
    lines = [
        f"DRS conformance: {summary['verdict'].upper()} ({_counts_text(summary['counts'])})",
        f"  coverage: {summary['coverage']['text']}",
    ]
    for verdict in _DETAILED:
        for requirement in (r for r in requirements if r["verdict"] == verdict):
            name = f"{requirement['id']:<{id_width}}"
            lines.append(f"  {verdict.upper():<13} {requirement['level']:<6} {name}  {_detail(requirement)}")
    passed = [r["id"] for r in requirements if r["verdict"] == "pass"]
    if passed:
        lines += _id_list(f"PASS ({len(passed)})", passed, width)
    lines += _not_judged_lines(report, width)
    lines += _unanswered_lines(summary)
    lines += _requests_lines(report["run"].get("requests"), width)
    for expired in report["deviations"]["expired"]:
        lines.append(f"  note: {expired['note']}")
    lines.append(verdict_note(report))
    if paths:
        lines.append("reports: " + ", ".join(str(p) for p in paths.values()))
    redactor = redactor or Redactor()
    return [redactor.text(line) for line in lines]
