"""conformance.md: a short, link-free summary for a CI job summary or a pull-request comment."""

from __future__ import annotations

import re
from typing import Any

from drs_conformance.catalogue import LEVELS
from drs_conformance.reporting.verdicts import NOT_JUDGED, VERDICTS

__all__ = ["MAX_ROWS", "render_markdown", "one_line", "tests_text", "not_judged_groups"]

MAX_ROWS = 50  # rows of the failure table; a pull-request comment holds at most 65,536 characters
_REASON_CHARS = 160
_ATTENTION = ("fail", "warn", "fixed")
_MARK = {"conformant": "✅ CONFORMANT", "non-conformant": "❌ NON-CONFORMANT", "incomplete": "⚠️ INCOMPLETE",
         "interrupted": "⏹️ INTERRUPTED"}
_BECAUSE = {"conformant": "Note", "non-conformant": "Non-conformant because", "incomplete": "Incomplete because",
            "interrupted": "Interrupted"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")


def one_line(text: str | None, limit: int = _REASON_CHARS) -> str:
    """The first non-empty line of a message, shortened to `limit` characters."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def tests_text(tests: dict[str, Any]) -> str:
    """'180 tests', or '70 of 180 tests run' when fewer ran than were selected."""
    collected, ran = tests.get("collected"), tests.get("run", tests["total"])
    if collected is not None and collected != ran:
        return f"{ran} of {collected} tests run"
    return f"{tests['total']} tests"


def _cell(text: str) -> str:
    """Text that renders literally in a table cell: no markup, no HTML, no line break."""
    text = " ".join(text.split())
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _code(text: str) -> str:
    """An inline code span (for ids and node ids), safe whatever backticks the text holds."""
    text = " ".join(text.split()).replace("|", "\\|")
    fence = "`" * (max((len(m) for m in re.findall(r"`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"{fence}{text}{fence}"


def _first_failure(requirement: dict[str, Any]) -> tuple[str, str]:
    """The failing (or fixed) test and a one-line reason."""
    if requirement["failures"]:
        failure = requirement["failures"][0]
        extra = f" (+{len(requirement['failures']) - 1} more)" if len(requirement["failures"]) > 1 else ""
        return failure["nodeid"], one_line(failure["message"]) + extra
    fixed = next((t for t in requirement["tests"] if t["verdict"] == "fixed"), None)
    if fixed is not None:
        return fixed["nodeid"], "known deviation passed: remove it from the deviations file"
    return "", one_line("; ".join(requirement["reasons"]))


def _counts_table(counts: dict[str, dict[str, int]]) -> list[str]:
    shown = [v for v in VERDICTS if counts["total"][v]] or ["pass"]
    lines = ["| level | " + " | ".join(shown) + " |", "|---|" + "---:|" * len(shown)]
    for level in (*LEVELS, "total"):
        cells = [str(counts[level][v]) for v in shown]
        name = "**total**" if level == "total" else level
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return lines


def not_judged_groups(coverage: dict[str, Any]) -> list[tuple[str, str, str, list[str]]]:
    """Requirements not judged as (levels, category, why, ids): MUST/EITHER groups first, then SHOULD.

    `why` is the reason when every requirement of the group shares it, else what the category means.
    """
    groups: dict[tuple[bool, str], list[dict[str, Any]]] = {}
    for entry in coverage["not_judged"]:
        groups.setdefault((entry["level"] == "SHOULD", entry["category"]), []).append(entry)
    result = []
    for (should, category), entries in sorted(groups.items(), key=lambda group: group[0][0]):
        reasons = {entry["reason"] for entry in entries}
        why = one_line(reasons.pop(), 100) if len(reasons) == 1 else NOT_JUDGED.get(category, category)
        result.append(("SHOULD" if should else "MUST/EITHER", category, why, [e["id"] for e in entries]))
    return result


def _not_judged_table(coverage: dict[str, Any]) -> list[str]:
    """Requirements not judged, grouped by why (MUST and EITHER first)."""
    groups = not_judged_groups(coverage)
    if not groups:
        return []
    lines = ["", "### Requirements not judged", "", "| levels | why | reason | requirements |", "|---|---|---|---|"]
    for levels, category, why, ids in groups:
        lines.append(f"| {levels} | {_cell(category)} | {_cell(why)} | {', '.join(_code(i) for i in ids)} |")
    return lines


def _unanswered_table(tests: list[dict[str, Any]]) -> list[str]:
    """Tests that ended because the target gave no answer (charged to no requirement)."""
    if not tests:
        return []
    requests = sum(test["requests"] for test in tests)
    count = f"{len(tests)} test{'s' if len(tests) != 1 else ''}, {requests} request{'s' if requests != 1 else ''}"
    lines = ["", f"### The target did not answer ({count}; no requirement charged)",
             "", "| test | requests | error |", "|---|---:|---|"]
    for test in tests[:MAX_ROWS]:
        lines.append(f"| {_code(test['nodeid'])} | {test['requests']} | {_cell(one_line(test['message']))} |")
    if len(tests) > MAX_ROWS:
        lines.append(f"\n… and {len(tests) - MAX_ROWS} more: see conformance.json.")
    return lines


def _live_jobs(live: dict[str, Any] | None) -> list[str]:
    """Jobs of a live target the reader must know about: not put back (with the command), paused by others."""
    if not live:
        return []
    lines = []
    if live["left_paused"]:
        listed = "; ".join(f"{_code(job['job_id'])} ({_cell(job['why'])})" for job in live["left_paused"])
        lines += ["", f"⚠️ **Jobs not put back**: {listed}. Put them back with {_code(live['restore_command'])}."]
    if live["paused_by_others"]:
        listed = ", ".join(_code(job_id) for job_id in live["paused_by_others"])
        lines += ["", f"Paused by someone else (PAUSING before the run, not in its journal; left alone): {listed}."]
    return lines


def render_markdown(report: dict[str, Any]) -> str:
    """The summary: verdict, run and coverage lines, counts by level, the requirements needing attention,
    those not judged, and the tests the target did not answer."""
    run, summary = report["run"], report["summary"]
    target = run["target"]
    strict = "strict" if run["strict"] else "not strict"
    lines = [
        f"## DRS batch-pause-task conformance: {_MARK[summary['verdict']]}",
        "",
        f"Target {_code(target['base_url'])} ({_cell(target['mode'])}), project {_code(target['project_id'])}; "
        f"kit {_cell(run['kit_version'])}, spec {_cell(run['spec_version'])}, "
        f"seed {_code(run['seed'] or 'none')}, {strict}; {run['duration_s']:.1f} s, "
        f"{tests_text(summary['tests'])}.",
        "",
        f"Coverage: {_cell(summary['coverage']['text'])}.",
        "",
        *_counts_table(summary["counts"]),
    ]
    lines += _live_jobs(run.get("live_jobs"))
    attention = [r for r in report["requirements"] if r["verdict"] in _ATTENTION]
    attention.sort(key=lambda r: _ATTENTION.index(r["verdict"]))
    if attention:
        lines += ["", "### Requirements needing attention", ""]
        lines += ["| requirement | level | verdict | test | reason |", "|---|---|---|---|---|"]
        for requirement in attention[:MAX_ROWS]:
            nodeid, reason = _first_failure(requirement)
            lines.append(
                f"| {_code(requirement['id'])} | {requirement['level']} | **{requirement['verdict']}** | "
                f"{_code(nodeid) if nodeid else ''} | {_cell(reason)} |"
            )
        if len(attention) > MAX_ROWS:
            lines.append(f"\n… and {len(attention) - MAX_ROWS} more: see conformance.html.")
    lines += _not_judged_table(summary["coverage"])
    lines += _unanswered_table(summary["unanswered"])
    expected = [r["id"] for r in report["requirements"] if r["verdict"] == "expected-fail"]
    if expected:
        lines += ["", "Known deviations still failing (expected-fail): " + ", ".join(_code(i) for i in expected) + "."]
    for expired in report["deviations"]["expired"]:
        lines += ["", f"⚠️ {_cell(expired['note'])}."]
    if summary["reasons"]:
        lines += ["", f"{_BECAUSE[summary['verdict']]}: " + _cell("; ".join(summary["reasons"])) + "."]
    lines += ["", f"Exit code {summary['exit_code']}."]
    lines += [
        "",
        "Details, requests, responses and curl lines: conformance.html and conformance.json in the report artifact.",
    ]
    return "\n".join(lines) + "\n"
