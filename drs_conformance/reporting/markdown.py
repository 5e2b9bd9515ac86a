"""conformance.md: a short, link-free summary for a CI job summary or a pull-request comment."""

from __future__ import annotations

import re
from typing import Any

from drs_conformance.catalogue import LEVELS
from drs_conformance.reporting.verdicts import VERDICTS

__all__ = ["MAX_ROWS", "render_markdown", "one_line"]

MAX_ROWS = 50  # rows of the failure table; a pull-request comment holds at most 65,536 characters
_REASON_CHARS = 160
_ATTENTION = ("fail", "warn", "fixed")
_MARK = {"conformant": "✅ CONFORMANT", "non-conformant": "❌ NON-CONFORMANT"}
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|#~!])")


def one_line(text: str | None, limit: int = _REASON_CHARS) -> str:
    """The first non-empty line of a message, shortened to `limit` characters."""
    line = next((line.strip() for line in (text or "").splitlines() if line.strip()), "")
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


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
    """The summary: verdict line, run line, counts by level, then the requirements needing attention."""
    run, summary = report["run"], report["summary"]
    target = run["target"]
    strict = "strict" if run["strict"] else "not strict"
    lines = [
        f"## DRS batch-pause-task conformance: {_MARK[summary['verdict']]}",
        "",
        f"Target {_code(target['base_url'])} ({_cell(target['mode'])}), project {_code(target['project_id'])}; "
        f"kit {_cell(run['kit_version'])}, spec {_cell(run['spec_version'])}, "
        f"seed {_code(run['seed'] or 'none')}, {strict}; {run['duration_s']:.1f} s, "
        f"{summary['tests']['total']} tests.",
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
    expected = [r["id"] for r in report["requirements"] if r["verdict"] == "expected-fail"]
    if expected:
        lines += ["", "Known deviations still failing (expected-fail): " + ", ".join(_code(i) for i in expected) + "."]
    for expired in report["deviations"]["expired"]:
        lines += ["", f"⚠️ {_cell(expired['note'])}."]
    if summary["reasons"]:
        lines += ["", "Non-conformant because: " + _cell("; ".join(summary["reasons"])) + "."]
    lines += [
        "",
        "Details, requests, responses and curl lines: conformance.html and conformance.json in the report artifact.",
    ]
    return "\n".join(lines) + "\n"
