"""conformance.md: a short, link-free summary for a CI job summary or a pull-request comment."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from drs_conformance.contract.catalogue import LEVELS
from drs_conformance.contract.settle import settle_text
from drs_conformance.reporting.groups import groups_of
from drs_conformance.reporting.verdicts import NOT_JUDGED, VERDICTS

__all__ = [
    "MAX_ROWS",
    "display_time",
    "injected_text",
    "not_judged_groups",
    "one_line",
    "render_markdown",
    "scope_text",
    "tests_text",
]

MAX_ROWS = 50  # rows of the failure table; a pull-request comment holds at most 65,536 characters
MAX_EXAMPLES = 5  # failure groups shown with an example (the first one open)
_EXAMPLE_BODY = 1500
_REASON_CHARS = 160
_ATTENTION = ("fail", "warn", "fixed")
_MARK = {
    "conformant": "✅ CONFORMANT",
    "non-conformant": "❌ NON-CONFORMANT",
    "incomplete": "⚠️ INCOMPLETE",
    "interrupted": "⏹️ INTERRUPTED",
}
_BECAUSE = {
    "conformant": "Note",
    "non-conformant": "Non-conformant because",
    "incomplete": "Incomplete because",
    "interrupted": "Interrupted",
}
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


def display_time(timestamp: str | None) -> str:
    """'2026-11-30 10:21:56 UTC' from an ISO timestamp (conformance.json keeps the full precision)."""
    if not timestamp:
        return "-"
    try:
        moment = dt.datetime.fromisoformat(timestamp)
    except ValueError:
        return timestamp
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S") + (" UTC" if moment.tzinfo is not None else "")


def injected_text(run: dict[str, Any]) -> str:
    """'injected defect count-wrong; variant duplicates=refuse' when the embedded sandbox was changed on purpose."""
    options = run.get("options") or {}
    parts = []
    if options.get("sandbox_defect"):
        parts.append(f"injected defect {options['sandbox_defect']}")
    variants = list(options.get("sandbox_variants") or ())
    if variants:
        parts.append(f"variant{'s' if len(variants) > 1 else ''} {', '.join(variants)}")
    return "; ".join(parts)


def scope_text(summary: dict[str, Any]) -> str:
    """'1 requirement chosen with --requirement (COUNT-EQUALS-RESULTS); 42 others not covered', or ''."""
    scope = summary.get("coverage", {}).get("scope")
    if not scope:
        return ""
    chosen = scope["requirements"]
    return (
        f"{len(chosen)} requirement{'s' if len(chosen) != 1 else ''} chosen with --requirement "
        f"({', '.join(chosen)}); {scope['out_of_scope']} others not covered by this verdict"
    )


_FAILED_ON = re.compile(r"failed on ([A-Z0-9][A-Z0-9-]*)")


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


def _attention_rows(requirement: dict[str, Any]) -> list[tuple[str, str]]:
    """(test cell, reason) per group of failures (`nodeid` and N more like it), or the fixed test, or the reasons."""
    if requirement["failures"]:
        failures = requirement["failures"]
        rows = []
        for group in groups_of(requirement):
            example = failures[group.example]
            more = f" and {group.count - 1} more like it" if group.count > 1 else ""
            rows.append((_code(example["nodeid"]) + more, one_line(example["message"])))
        return rows
    fixed = next((t for t in requirement["tests"] if t["verdict"] == "fixed"), None)
    if fixed is not None:
        return [(_code(fixed["nodeid"]), "known deviation passed: remove it from the deviations file")]
    return [("", one_line("; ".join(requirement["reasons"])))]


def _escaped(text: str) -> str:
    """Text as HTML character data: no tag, no entity, no Markdown link can come from it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace("[", "&#91;").replace("]", "&#93;").replace("`", "&#96;")


def _pre(text: str) -> list[str]:
    """A <pre> block (an HTML block to Markdown: nothing inside is read as Markdown), its text escaped."""
    return [f"<pre>{_escaped(text)}</pre>"]


def _html_text(text: str) -> str:
    return _escaped(" ".join(text.split()))


def _examples(requirements: list[dict[str, Any]]) -> list[str]:
    """One example of each kind of failure (fail, warn): the first open, the others folded; the rest counted."""
    lines: list[str] = []
    groups = [(r, g) for r in requirements if r["verdict"] in ("fail", "warn") for g in groups_of(r)]
    for shown, (requirement, group) in enumerate(groups[:MAX_EXAMPLES]):
        failure = requirement["failures"][group.example]
        more = f" and {group.count - 1} more like it" if group.count > 1 else ""
        summary = f"{requirement['id']} ({requirement['level']}): {failure['nodeid']}{more}"
        lines += ["", f"<details{' open' if shown == 0 else ''}><summary>{_html_text(summary)}</summary>", ""]
        lines += _pre(failure["message"] or "(no message)")
        if failure.get("reproduce"):
            lines += ["", "Run it again:", "", *_pre(failure["reproduce"])]
        exchange = (failure.get("exchanges") or [None])[-1]
        if exchange is not None:
            lines += ["", "The request:", "", *_pre(exchange["curl"] or "")]
            response = exchange.get("response")
            if response is not None:
                body = response["body"] or ""
                clipped = body if len(body) <= _EXAMPLE_BODY else body[:_EXAMPLE_BODY] + " …"
                lines += ["", f"The response ({response['status']}):", "", *_pre(clipped)]
        lines += ["", "</details>"]
    if len(groups) > MAX_EXAMPLES:
        lines += ["", f"… and {len(groups) - MAX_EXAMPLES} more kinds of failure: see conformance.html."]
    return (["", "### One example of each kind of failure", *lines]) if lines else []


def _partly_passed(requirements: list[dict[str, Any]]) -> list[str]:
    """Passed requirements some of whose tests failed on another requirement first (the pass rests on the rest)."""
    entries = []
    for requirement in (r for r in requirements if r["verdict"] == "pass"):
        tests = requirement["tests"]
        good = sum(1 for t in tests if t["verdict"] in ("pass", "fixed"))
        if good < len(tests):
            entries.append(f"{_code(requirement['id'])} ({good} of {len(tests)} tests)")
    if not entries:
        return []
    return [
        "",
        (
            "Passed on the tests that reached them (their other tests failed on another requirement first, or "
            "were skipped): " + ", ".join(entries) + "."
        ),
    ]


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
        blockers = {found for reason in reasons for found in _FAILED_ON.findall(reason)}
        if len(reasons) == 1:
            why = one_line(reasons.pop(), 100)
        elif category == "not-reached" and blockers:
            why = f"their tests failed on {', '.join(sorted(blockers))} first"
        else:
            why = NOT_JUDGED.get(category, category)
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
    lines = [
        "",
        f"### The target did not answer ({count}; no requirement charged)",
        "",
        "| test | requests | error |",
        "|---|---:|---|",
    ]
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
        (
            f"Target {_code(target['base_url'])} ({_cell(target['mode'])}), project {_code(target['project_id'])}; "
            f"kit {_cell(run['kit_version'])}, spec {_cell(run['spec_version'])}, "
            f"seed {_code(run['seed'] or 'none')}, {strict}; {run['duration_s']:.1f} s, "
            f"{tests_text(summary['tests'])}."
        ),
        "",
        f"Coverage: {_cell(summary['coverage']['text'])}.",
        "",
        *([f"Timing: {_cell(settle_text(run['settle']))}.", ""] if run.get("settle") else []),
        *_counts_table(summary["counts"]),
    ]
    injected = injected_text(run)
    if injected:
        lines[1:1] = ["", f"**Sandbox changed on purpose: {_cell(injected)}.**"]
    lines += _live_jobs(run.get("live_jobs"))
    attention = [r for r in report["requirements"] if r["verdict"] in _ATTENTION]
    attention.sort(key=lambda r: _ATTENTION.index(r["verdict"]))
    if attention:
        lines += ["", "### Requirements needing attention", ""]
        lines += ["| requirement | level | verdict | test | reason |", "|---|---|---|---|---|"]
        rows = [(requirement, *row) for requirement in attention for row in _attention_rows(requirement)]
        for requirement, tests, reason in rows[:MAX_ROWS]:
            lines.append(
                f"| {_code(requirement['id'])} | {requirement['level']} | **{requirement['verdict']}** | "
                f"{tests} | {_cell(reason)} |"
            )
        if len(rows) > MAX_ROWS:
            lines.append(f"\n… and {len(rows) - MAX_ROWS} more: see conformance.html.")
        lines += _examples(attention)
    lines += _partly_passed(report["requirements"])
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
