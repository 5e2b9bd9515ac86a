"""conformance.html: one self-contained page (inline CSS and JS, no external asset, no network).

Everything from the report is escaped (bodies and messages are hostile input), and a Content
Security Policy allows only the page's own style and script, by hash: even a markup mistake could
not run a script that came in a response body.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import json
import re
from collections.abc import Mapping
from html import escape
from importlib import resources
from typing import Any

from drs_conformance.contract.catalogue import LEVELS
from drs_conformance.contract.settle import settle_text
from drs_conformance.reporting.groups import FailureGroup, groups_of, tests_line
from drs_conformance.reporting.markdown import display_time, injected_text, one_line, scope_text, tests_text
from drs_conformance.reporting.run_report import anchor
from drs_conformance.reporting.terminal import verdict_note
from drs_conformance.reporting.verdicts import NOT_JUDGED, VERDICTS

__all__ = ["TEMPLATE_FILENAME", "pretty_body", "render_html"]

TEMPLATE_FILENAME = "page.html"
_PLACEHOLDER = re.compile(r"\{\{(\w+)\}\}")


@functools.cache
def _template() -> tuple[str, str]:
    """The page template and its Content-Security-Policy (hashes of its one style and one script)."""
    text = (resources.files("drs_conformance.reporting") / TEMPLATE_FILENAME).read_text(encoding="utf-8")
    hashes = {}
    for tag in ("style", "script"):
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", text, flags=re.DOTALL)
        assert len(blocks) == 1, f"{TEMPLATE_FILENAME} must hold exactly one <{tag}> block"
        digest = base64.b64encode(hashlib.sha256(blocks[0].encode("utf-8")).digest()).decode("ascii")
        hashes[tag] = f"'sha256-{digest}'"
    csp = (
        f"default-src 'none'; style-src {hashes['style']}; script-src {hashes['script']}; "
        "img-src data:; base-uri 'none'; form-action 'none'"
    )
    return text, csp


def _e(value: Any) -> str:
    return escape("" if value is None else str(value), quote=True)


def _pre(text: str, cls: str) -> str:
    return f'<pre class="{cls}">{_e(text)}</pre>'


def pretty_body(body: str | None) -> str:
    """A JSON body indented for reading; any other body as it is."""
    if body is None:
        return ""
    try:
        return json.dumps(json.loads(body), indent=2, ensure_ascii=False)
    except ValueError:
        return body


def _headers(headers: list[list[str]]) -> str:
    return "\n".join(f"{name}: {value}" for name, value in headers)


def _badge(verdict: str) -> str:
    return f'<span class="badge v-{_e(verdict)}">{_e(verdict)}</span>'


def _exchange(index: int, exchange: dict[str, Any]) -> str:
    request, response = exchange["request"], exchange["response"]
    label = f" ({exchange['label']})" if exchange.get("label") else ""
    request_text = f"{request['method']} {request['url']}\n{_headers(request['headers'])}"
    if request["body"] is not None:
        request_text += "\n\n" + pretty_body(request["body"])
    parts = [f'<div class="exchange"><h5>Request {index}{_e(label)}</h5>', _pre(request_text, "request")]
    if response is not None:
        response_text = f"{response['status']} ({response['elapsed_ms']:.0f} ms)\n{_headers(response['headers'])}"
        response_text += "\n\n" + pretty_body(response["body"])
        parts += [f"<h5>Response {index}</h5>", _pre(response_text, "response")]
    if exchange.get("error"):
        parts += [f"<h5>Transport error {index}</h5>", _pre(exchange["error"], "error")]
    parts += [f"<h5>curl {index}</h5>", _pre(exchange["curl"], "curl"), "</div>"]
    return "\n".join(parts)


def _failure(failure: dict[str, Any]) -> str:
    """One failure in full: message, deviation, rerun command, the failing exchange (earlier ones folded)."""
    parts = [
        '<div class="failure">',
        f"<h4>{_badge(failure['verdict'])} <code>{_e(failure['nodeid'])}</code></h4>",
        _pre(failure["message"] or "(no message)", "message"),
    ]
    if failure["deviation"]:
        parts.append(f'<p class="muted">Known deviation: {_e(failure["deviation"])}</p>')
    if failure["reproduce"]:
        parts += ['<p class="muted">Run it again:</p>', _pre(failure["reproduce"], "reproduce")]
    exchanges = failure["exchanges"]
    if len(exchanges) > 1:
        earlier = "".join(_exchange(i, exchange) for i, exchange in enumerate(exchanges[:-1], 1))
        parts.append(
            f'<details class="earlier"><summary>{len(exchanges) - 1} earlier request'
            f"{'s' if len(exchanges) > 2 else ''} of this test</summary>{earlier}</details>"
        )
    if exchanges:
        parts.append(_exchange(len(exchanges), exchanges[-1]))
    parts.append("</div>")
    return "\n".join(parts)


def _group(group: FailureGroup, failures: list[dict[str, Any]]) -> str:
    """A group of failures: the example in full, the other tests like it behind their count."""
    example = failures[group.example]
    tests = f"{group.count} test{'s' if group.count != 1 else ''}"
    parts = [
        f'<div class="failure-group" id="{_e(anchor(group.id))}">',
        f'<h4 class="group-title">{_e(tests)}: <span class="shape">{_e(group.shape or "(no message)")}</span></h4>',
        _failure(example),
    ]
    others = [failures[i] for i in group.members if i != group.example]
    if others:
        items = "".join(
            f"<li><code>{_e(f['nodeid'])}</code>"
            + (
                f' <span class="muted">{_e(one_line(f["message"], 300))}</span>'
                if one_line(f["message"], 300) != one_line(example["message"], 300)
                else ""
            )
            + "</li>"
            for f in others
        )
        parts.append(
            f'<details class="more"><summary>and {len(others)} more test{"s" if len(others) != 1 else ""} '
            f'like it</summary><ul class="tests">{items}</ul></details>'
        )
    parts.append("</div>")
    return "\n".join(parts)


def _test_items(tests: list[dict[str, Any]]) -> str:
    """The tests of a requirement, one item per test function and verdict: its parameter cases listed inline."""
    items: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for test in tests:
        function = test["nodeid"].split("[", 1)[0]
        items.setdefault((function, test["verdict"]), []).append(test)
    html = []
    for (function, verdict), cases in items.items():
        params = [case["nodeid"][len(function) :] for case in cases if case["nodeid"] != function]
        listed = f' <span class="muted">{_e(" ".join(params))}</span>' if params else ""
        message = (cases[0]["message"] or "").strip().splitlines() if len(cases) == 1 else []
        note = f' <span class="muted">{_e(message[0][:300])}</span>' if message else ""
        count = f" ({len(cases)})" if len(cases) > 1 else ""
        html.append(f"<li>{_badge(verdict)} <code>{_e(function)}</code>{count}{listed}{note}</li>")
    return "".join(html)


def _row(requirement: dict[str, Any]) -> str:
    tests = requirement["tests"]
    details = [
        f"<details{' open' if requirement['verdict'] == 'fail' else ''}><summary>{_e(requirement['title'])}</summary>",
        f"<blockquote>{_e(requirement['quote'])}</blockquote>",
        f'<p class="muted">Source: {_e(requirement["source"])}</p>',
    ]
    if requirement["options"]:
        options = "".join(f"<li>{_e(option)}</li>" for option in requirement["options"])
        details.append(f"<p>Accepted options:</p><ul>{options}</ul>")
    if requirement["reasons"]:
        details.append("<ul>" + "".join(f"<li>{_e(r)}</li>" for r in requirement["reasons"]) + "</ul>")
    groups = groups_of(requirement)
    if groups:
        kinds = f" in {len(groups)} kinds" if len(groups) > 1 else ""
        count = len(requirement["failures"])
        details.append(
            f'<p class="groups-note">{count} failure{"s" if count != 1 else ""}{kinds}; one example of each:</p>'
        )
        details += [_group(group, requirement["failures"]) for group in groups]
    if tests:
        details.append(
            f'<details class="all-tests"><summary>All {len(tests)} test{"s" if len(tests) != 1 else ""}'
            f'</summary><ul class="tests">{_test_items(tests)}</ul></details>'
        )
    details.append("</details>")
    return (
        f'<tr class="req" id="{_e(requirement["anchor"])}" data-verdict="{_e(requirement["verdict"])}" '
        f'data-level="{_e(requirement["level"])}">'
        f'<td><a href="#{_e(requirement["anchor"])}"><code>{_e(requirement["id"])}</code></a></td>'
        f"<td>{_e(requirement['level'])}</td><td>{_badge(requirement['verdict'])}</td>"
        f"<td>{''.join(details)}</td><td class='tests'>{_e(tests_line(requirement))}</td></tr>"
    )


def _sorted_rows(requirements: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows that need attention first (fail, warn, fixed, expected-fail, not judged), then passes; catalogue order
    within a verdict."""
    return sorted(requirements, key=lambda r: VERDICTS.index(r["verdict"]) if r["verdict"] in VERDICTS else 0)


def _counts(counts: dict[str, dict[str, int]]) -> str:
    head = "".join(f"<th>{_badge(v)}</th>" for v in VERDICTS)
    body = []
    for level in (*LEVELS, "total"):
        cells = "".join(f'<td class="n{"" if counts[level][v] else " zero"}">{counts[level][v]}</td>' for v in VERDICTS)
        body.append(f"<tr><th>{_e(level)}</th>{cells}</tr>")
    return (
        f'<table class="counts" id="counts"><thead><tr><th>level</th>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _buttons(group: str, values: list[str], counts: Mapping[str, int]) -> str:
    buttons = [f'<button type="button" data-filter="{group}" data-value="" aria-pressed="true">all</button>']
    for value in values:
        buttons.append(
            f'<button type="button" data-filter="{group}" data-value="{_e(value)}" aria-pressed="false">'
            f"{_e(value)} ({counts.get(value, 0)})</button>"
        )
    return "".join(buttons)


def _not_judged(coverage: dict[str, Any]) -> str:
    """Requirements not judged, MUST and EITHER first: why (category) and the reasons, each linked to its row."""
    entries = sorted(coverage["not_judged"], key=lambda e: e["level"] == "SHOULD")
    if not entries:
        return ""
    rows = "".join(
        f'<tr><td><a href="#{_e(anchor(e["id"]))}"><code>{_e(e["id"])}</code></a></td><td>{_e(e["level"])}</td>'
        f'<td title="{_e(NOT_JUDGED.get(e["category"], ""))}">{_e(e["category"])}</td><td>{_e(e["reason"])}</td></tr>'
        for e in entries
    )
    return (
        f'<h2>Requirements not judged ({len(entries)})</h2><table id="not-judged"><thead><tr><th>Requirement</th>'
        f"<th>Level</th><th>Why</th><th>Reason</th></tr></thead><tbody>{rows}</tbody></table>"
    )


def _unanswered(tests: list[dict[str, Any]]) -> str:
    """Tests that ended because the target gave no answer: shown apart, charged to no requirement."""
    if not tests:
        return ""
    requests = sum(test["requests"] for test in tests)
    items = []
    for test in tests:
        reproduce = _pre(test["reproduce"], "reproduce") if test["reproduce"] else ""
        items.append(
            f"<li>{_badge('unanswered')} <code>{_e(test['nodeid'])}</code> ({test['requests']} requests)"
            f"{_pre(test['message'] or '(no message)', 'message')}{reproduce}</li>"
        )
    return (
        f"<h2>The target did not answer ({len(tests)} test{'s' if len(tests) != 1 else ''}, "
        f"{requests} request{'s' if requests != 1 else ''})</h2>"
        '<p class="muted">These tests ended without an answer (reset or refused connection, truncated body, '
        "timeout): they judge no requirement.</p>"
        f'<ul id="unanswered" class="tests">{"".join(items)}</ul>'
    )


def _deviations(section: dict[str, Any]) -> str:
    if not section["expired"] and not section["unused"]:
        return ""
    items = [f"<li>{_e(d['note'])} (reason: {_e(d['reason'])})</li>" for d in section["expired"]]
    for unused in section["unused"]:
        name = unused["requirement"] + (f" ({unused['test']})" if unused["test"] else "")
        items.append(f"<li>deviation {_e(name)} covered no test of this run</li>")
    return f'<h2>Known deviations</h2><ul id="deviations">{"".join(items)}</ul>'


def _live_jobs(live: dict[str, Any] | None) -> str:
    """Jobs of a live target the reader must know about: not put back (with the command), paused by others."""
    if not live or not (live["left_paused"] or live["paused_by_others"]):
        return ""
    items = [
        f"<li><strong>not put back</strong>: <code>{_e(job['job_id'])}</code> ({_e(job['why'])})</li>"
        for job in live["left_paused"]
    ]
    if live["left_paused"]:
        items.append(f"<li>put them back with: <code>{_e(live['restore_command'])}</code></li>")
    items += [
        f"<li>paused by someone else (PAUSING before the run, not in its journal; left alone): "
        f"<code>{_e(job_id)}</code></li>"
        for job_id in live["paused_by_others"]
    ]
    return f'<h2>Jobs of the target</h2><ul id="live-jobs">{"".join(items)}</ul>'


def _run(run: dict[str, Any]) -> str:
    target = run["target"]
    facts = [
        ("base URL", target["base_url"]),
        ("target mode", target["mode"]),
        ("project", target["project_id"]),
        ("kit version", run["kit_version"]),
        ("spec version", run["spec_version"]),
        ("seed", run["seed"]),
        ("hypothesis profile", run["hypothesis_profile"]),
        ("strict", "yes" if run["strict"] else "no"),
        ("require complete", "yes" if run.get("require_complete") else "no"),
        ("known deviations", run["deviations_file"]),
        ("journal", (run.get("live_jobs") or {}).get("journal")),
        ("started", display_time(run["started_at"])),
        ("finished", display_time(run["finished_at"])),
        ("duration", f"{run['duration_s']:.1f} s"),
        ("effects", settle_text(run["settle"]) if run.get("settle") else None),
    ]
    items = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v if v is not None else '-')}</dd>" for k, v in facts)
    options = json.dumps(run["options"], indent=2, ensure_ascii=False, sort_keys=True)
    return f'<dl class="run">{items}</dl><p class="muted">Options:</p>{_pre(options, "options")}'


def render_html(report: dict[str, Any]) -> str:
    """The whole page, from a conformance.json document."""
    template, csp = _template()
    run, summary = report["run"], report["summary"]
    target = run["target"]
    requirements = report["requirements"]
    verdict_counts = summary["counts"]["total"]
    level_counts: dict[str, int] = {level: sum(summary["counts"][level].values()) for level in LEVELS}
    reasons = f"<p>{_e(verdict_note(report))}</p>"
    injected = injected_text(run)
    if injected:
        reasons = f'<p id="injected"><strong>Sandbox changed on purpose: {_e(injected)}</strong></p>' + reasons
    scope = scope_text(summary)
    if scope:
        reasons += f'<p id="scope">Scope: {_e(scope)}</p>'
    if summary["reasons"]:
        reasons += "<ul>" + "".join(f"<li>{_e(r)}</li>" for r in summary["reasons"]) + "</ul>"
    values = {
        "csp": _e(csp),
        "kit_version": _e(run["kit_version"]),
        "title": _e(f"DRS conformance: {summary['verdict'].upper()} ({target['base_url']})"),
        "verdict_class": _e(summary["verdict"]),
        "verdict_text": _e(summary["verdict"].upper()),
        "target_line": _e(
            f"DRS batch-pause-task at {target['base_url']} ({target['mode']}), project {target['project_id']}"
        ),
        "run_line": _e(
            f"kit {run['kit_version']}, spec {run['spec_version']}, seed {run['seed'] or 'none'}, "
            f"{'strict' if run['strict'] else 'not strict'}, {tests_text(summary['tests'])} in "
            f"{run['duration_s']:.1f} s, finished {display_time(run['finished_at'])}"
        ),
        "coverage_line": _e(f"Coverage: {summary['coverage']['text']}"),
        "reasons": reasons,
        "not_judged": _not_judged(summary["coverage"]),
        "unanswered": _unanswered(summary["unanswered"]),
        "counts": _counts(summary["counts"]),
        "deviations": _deviations(report["deviations"]),
        "live_jobs": _live_jobs(run.get("live_jobs")),
        "verdict_buttons": _buttons("verdict", [v for v in VERDICTS if verdict_counts[v]], verdict_counts),
        "level_buttons": _buttons("level", list(LEVELS), level_counts),
        "rows": "\n".join(_row(r) for r in _sorted_rows(requirements)),
        "run": _run(run),
    }
    return _PLACEHOLDER.sub(lambda match: values[match.group(1)], template)
