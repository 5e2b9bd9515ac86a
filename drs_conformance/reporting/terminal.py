"""The summary printed at the end of the terminal output: the verdict, each kind of failure once, what is left.

Failures are shown by group (one requirement, one message shape: `groups.py`): the requirement, the
document's sentence, one example test with its request, response, curl line and rerun command, and how
many more tests failed the same way. Every failure stays in conformance.json and conformance.html.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from drs_conformance.contract.catalogue import LEVELS
from drs_conformance.contract.exchange import Exchange
from drs_conformance.contract.settle import settle_text
from drs_conformance.reporting.curl import curl_line
from drs_conformance.reporting.groups import FailureGroup, groups_of
from drs_conformance.reporting.markdown import injected_text, not_judged_groups, one_line, scope_text
from drs_conformance.reporting.run_report import redact_data
from drs_conformance.reporting.verdicts import VERDICTS
from drs_conformance.transport.redaction import Redactor

__all__ = ["MAX_EXAMPLES", "Styled", "styled_summary_lines", "summary_lines", "verdict_note"]

# Groups shown with their example (request, response, curl, rerun); the others get one line each.
MAX_EXAMPLES = 6
MAX_EXAMPLES_PER_REQUIREMENT = 3
MAX_GROUP_LINES = 20  # one-line groups after the examples; the rest are counted
_BODY_CHARS = 160
_CURL_CHARS = 1200  # a longer curl line (a big batch) is left to conformance.html / .json
_MAX_UNANSWERED = 10  # unanswered tests listed one per line; the rest are counted
_GROUPED = ("fail", "warn")
_ONE_LINE = ("fixed", "expected-fail")
_COLOUR = {"conformant": "green", "non-conformant": "red", "incomplete": "yellow", "interrupted": "yellow"}

# A line and its terminal markup (keywords of pytest's TerminalWriter: red=True, bold=True, ...).
Styled = tuple[str, dict[str, bool]]


def _counts_text(counts: Mapping[str, Mapping[str, int]]) -> str:
    parts = []
    for level in LEVELS:
        figures = ", ".join(f"{counts[level][v]} {v}" for v in VERDICTS if counts[level][v])
        if figures:
            parts.append(f"{level}: {figures}")
    return "; ".join(parts)


def _id_list(title: str, ids: list[str], width: int) -> list[str]:
    """'  TITLE: A, B, ...' wrapped at `width`; an entry ('ID (1 of 6)') is never split."""
    lines = textwrap.wrap(
        ", ".join(entry.replace(" ", "\u00a0") for entry in ids),
        width=width,
        initial_indent=f"  {title}: ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=False,
    )
    return [line.replace("\u00a0", " ") for line in lines]


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
    return textwrap.wrap(
        f"requests sent: {requests['total']:,} ({text})",
        width=width,
        initial_indent="  ",
        subsequent_indent="    ",
        break_on_hyphens=False,
        break_long_words=False,
    )


def verdict_note(report: Mapping[str, Any]) -> str:
    """What the verdict means for this run and its exit code, in one line."""
    summary = report["summary"]
    verdict, code = summary["verdict"], summary["exit_code"]
    run = report["run"]
    scope = scope_text(summary)
    if verdict == "interrupted":
        return f"INTERRUPTED: {summary['reasons'][0]}; nothing is claimed about what did not run (exit {code})"
    if verdict == "non-conformant":
        return f"NON-CONFORMANT: a requirement that fails the run failed (exit {code})"
    if code == 3:
        return f"{verdict.upper()}, but the target did not answer every request: see UNANSWERED (exit 3)"
    if verdict == "incomplete":
        hint = "" if run.get("require_complete") else "; --require-complete makes an incomplete run exit 5"
        if summary["coverage"]["complete"] and summary["reasons"]:  # a shard alone, a merge short of a shard
            return f"INCOMPLETE: not every test of the run is here: {summary['reasons'][0]} (exit {code}{hint})"
        return (
            f"INCOMPLETE: no failure, but not every MUST/EITHER requirement was judged: see NOT JUDGED "
            f"(exit {code}{hint})"
        )
    if scope:
        return f"CONFORMANT for the {scope} (exit {code})"
    return f"CONFORMANT: every MUST and EITHER requirement was judged and held (exit {code})"


def _clip(text: str | None, limit: int = _BODY_CHARS) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _example_lines(failure: Mapping[str, Any], group: FailureGroup, redactor: Redactor) -> list[str]:
    """One failure of a group: its test, the failing request and response, the curl line, the rerun command."""
    pad = "        "
    lines = [f"{pad}test:     {failure['nodeid']}"]
    if one_line(failure["message"]) and len(failure["message"].strip().splitlines()) > 1:
        lines += [f"{pad}          {one_line(line, 200)}" for line in failure["message"].strip().splitlines()[1:3]]
    exchanges = failure.get("exchanges") or []
    if exchanges:
        last = exchanges[-1]
        request, response = last["request"], last["response"]
        path = "/" + request["url"].split("://", 1)[-1].split("/", 1)[-1] if "://" in request["url"] else request["url"]
        lines.append(f"{pad}request:  {request['method']} {path}  {_clip(request['body'])}".rstrip())
        if response is not None:
            lines.append(f"{pad}response: {response['status']}  {_clip(response['body'])}".rstrip())
        elif last.get("error"):
            lines.append(f"{pad}response: none ({_clip(last['error'])})")
        # Made again from the redacted exchange: a secret shell-quoted in a stored curl line is not found by value.
        curl = curl_line(Exchange.from_dict(redact_data(last, redactor)), redactor)
        if curl and len(curl) <= _CURL_CHARS:
            lines += [f"{pad}{line}" for line in curl.splitlines()]
        elif curl:
            lines.append(f"{pad}curl:     too long to print ({len(curl)} characters): see conformance.html")
    if failure.get("reproduce"):
        lines.append(f"{pad}rerun:    {failure['reproduce']}")
    more = group.count - 1
    if more:
        lines.append(f"{pad}and {more} more test{'s' if more != 1 else ''} like it")
    return lines


def _group_header(index: int, group: FailureGroup, failure: Mapping[str, Any], alone: bool) -> str:
    """'[2] 3 tests: <the example's message>'; a requirement's only failure is just 'failed: <message>'."""
    message = one_line(failure["message"], 200) or "(no message)"
    if alone:
        return f"    failed: {message}"
    return f"    [{index}] {group.count} test{'s' if group.count != 1 else ''}: {message}"


def _failure_lines(requirements: list[Mapping[str, Any]], redactor: Redactor) -> list[Styled]:
    """Failed and warned requirements: the sentence, then each group of failures once (examples first)."""
    lines: list[Styled] = []
    examples = one_liners = hidden = 0
    for requirement in requirements:
        groups = groups_of(requirement)
        failures = requirement["failures"]
        colour = {"red": True} if requirement["verdict"] == "fail" else {"yellow": True}
        count = len(failures)
        kinds = f", {len(groups)} kinds of failure" if len(groups) > 1 else ""
        header = (
            f"  {requirement['verdict'].upper():<5} {requirement['level']:<6} {requirement['id']}: "
            f"{requirement['title']} ({count} test{'s' if count != 1 else ''}{kinds})"
        )
        lines.append((header, {**colour, "bold": True}))
        lines.append((f"    document: \u201c{one_line(requirement['quote'], 300)}\u201d ({requirement['source']})", {}))
        alone = len(failures) == 1
        for index, group in enumerate(groups, 1):
            example = failures[group.example]
            if index <= MAX_EXAMPLES_PER_REQUIREMENT and examples < MAX_EXAMPLES:
                examples += 1
                lines.append((_group_header(index, group, example, alone), colour))
                lines += [(line, {}) for line in _example_lines(example, group, redactor)]
            elif one_liners < MAX_GROUP_LINES:
                one_liners += 1
                lines.append((f"{_group_header(index, group, example, alone)} (e.g. {example['nodeid']})", colour))
            else:
                hidden += 1
    if hidden:
        lines.append((f"  ... and {hidden} more kinds of failure: see conformance.html", {}))
    return lines


def _one_line_detail(requirement: Mapping[str, Any]) -> str:
    if requirement["failures"]:
        failure = requirement["failures"][0]
        more = f" (+{len(requirement['failures']) - 1} more)" if len(requirement["failures"]) > 1 else ""
        return f"{failure['nodeid']}: {one_line(failure['message'], 120) or 'failed'}{more}"
    fixed = next((t for t in requirement["tests"] if t["verdict"] == "fixed"), None)
    if fixed is not None:
        return f"{fixed['nodeid']}: known deviation passed; remove it from the deviations file"
    return one_line("; ".join(requirement["reasons"]), 120)


def _pass_lines(requirements: list[Mapping[str, Any]], width: int) -> list[str]:
    """Passed requirements; apart, those some of whose tests failed on another requirement first."""
    passed = [r for r in requirements if r["verdict"] == "pass"]
    clean = [r["id"] for r in passed if all(t["verdict"] in ("pass", "fixed") for t in r["tests"])]
    lines = _id_list(f"PASS ({len(clean)})", clean, width) if clean else []
    partly: dict[str, list[str]] = {}  # the requirements their other tests failed on -> "ID (1 of 6)"
    for requirement in (r for r in passed if r["id"] not in clean):
        tests = requirement["tests"]
        good = sum(1 for t in tests if t["verdict"] in ("pass", "fixed"))
        blockers = sorted(
            {
                str(t["failed_requirement"])
                for t in tests
                if t["verdict"] in ("fail", "warn") and t["failed_requirement"] != requirement["id"]
            }
        )
        why = (
            f"their other tests failed on {', '.join(blockers)} first"
            if blockers
            else "their other tests were skipped or got no answer"
        )
        partly.setdefault(why, []).append(f"{requirement['id']} ({good} of {len(tests)})")
    for why, entries in partly.items():
        lines += _id_list(f"PASS on the tests that reached it ({len(entries)}; {why})", entries, width)
    return lines


def _reports_line(paths: Mapping[str, Path | str]) -> str:
    """'reports in DIR: junit.xml, allure-results/, conformance.json, ...' (full paths when they differ)."""
    shown = [Path(p) for p in paths.values()]
    parents = {p.parent for p in shown}
    if len(parents) == 1:
        names = [p.name + ("/" if key == "allure" else "") for key, p in zip(paths, shown, strict=False)]
        return f"reports in {parents.pop()}: {', '.join(names)}"
    return "reports: " + ", ".join(
        str(p) + ("/" if key == "allure" else "") for key, p in zip(paths, shown, strict=False)
    )


def styled_summary_lines(
    report: Mapping[str, Any],
    paths: Mapping[str, Path | str] | None = None,
    *,
    redactor: Redactor | None = None,
    width: int = 100,
) -> list[Styled]:
    """summary_lines, each with its terminal markup (the verdict coloured, failures red, warnings yellow)."""
    summary, requirements = report["summary"], report["requirements"]
    redactor = redactor or Redactor()
    colour = {_COLOUR[summary["verdict"]]: True, "bold": True}
    lines: list[Styled] = [
        (f"DRS conformance: {summary['verdict'].upper()} ({_counts_text(summary['counts'])})", colour)
    ]
    injected = injected_text(report["run"])
    if injected:
        lines.append((f"  sandbox: {injected} (the embedded sandbox was changed on purpose)", {"bold": True}))
    lines.append((f"  coverage: {summary['coverage']['text']}", {}))
    lines += _failure_lines([r for verdict in _GROUPED for r in requirements if r["verdict"] == verdict], redactor)
    id_width = max((len(r["id"]) for r in requirements), default=0)
    for verdict in _ONE_LINE:
        for requirement in (r for r in requirements if r["verdict"] == verdict):
            line = (
                f"  {verdict.upper():<13} {requirement['level']:<6} {requirement['id']:<{id_width}}  "
                f"{_one_line_detail(requirement)}"
            )
            lines.append((line, {}))
    lines += [(line, {"green": True}) for line in _pass_lines(requirements, width)]
    lines += [(line, {}) for line in _not_judged_lines(report, width)]
    lines += [(line, {}) for line in _unanswered_lines(summary)]
    lines += [(line, {}) for line in _requests_lines(report["run"].get("requests"), width)]
    if report["run"].get("settle"):
        lines.append((f"  {settle_text(report['run']['settle'])}", {}))
    lines += [(f"  note: {expired['note']}", {"yellow": True}) for expired in report["deviations"]["expired"]]
    lines.append((verdict_note(report), colour))
    if paths:
        lines.append((_reports_line(paths), {}))
    return [(redactor.text(line), markup) for line, markup in lines]


def summary_lines(
    report: Mapping[str, Any],
    paths: Mapping[str, Path | str] | None = None,
    *,
    redactor: Redactor | None = None,
    width: int = 100,
) -> list[str]:
    """The verdict and coverage lines (and the injected defect or variant); each failed or warned requirement
    with its sentence and each group of its failures once (an example's request, response, curl line and
    rerun command; how many more); fixed and expected failures in a line each; passed ids in brief (apart:
    those with tests that failed on another requirement); the requirements not judged by category; the
    tests the target did not answer; the requests sent by operation; what the verdict means; the report files."""
    return [line for line, _ in styled_summary_lines(report, paths, redactor=redactor, width=width)]
