"""conformance.html without a browser: self-contained, escaped, one row per requirement, filter controls."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser
from types import SimpleNamespace
from typing import Any

import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.reporting import build_report, render_html

_VOID = {"meta", "link", "br", "img", "input", "hr", "col", "wbr", "source"}


class _Page(HTMLParser):
    """Collects elements, attributes and script/style text, and checks that tags are balanced."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.stack: list[str] = []
        self.blocks: dict[str, list[str]] = {"script": [], "style": []}
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        if tag not in _VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1] if self.stack else None}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] in self.blocks:
            self.blocks[self.stack[-1]].append(data)
        self.text.append(data)


@pytest.fixture
def page(mixed_report: dict[str, Any]) -> tuple[str, _Page]:
    text = render_html(mixed_report)
    parser = _Page()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return text, parser


def test_self_contained_no_external_reference(page: tuple[str, _Page]) -> None:
    text, parser = page
    for tag, attrs in parser.elements:
        for name in ("src", "href", "action", "srcset", "poster"):
            value = attrs.get(name)
            if value is not None:
                assert value.startswith(("#", "data:")), f"<{tag} {name}={value!r}> refers outside the page"
    assert not any(tag in ("iframe", "object", "embed", "base", "form") for tag, _ in parser.elements)
    styles = "".join(parser.blocks["style"])
    assert "url(" not in styles and "@import" not in styles
    assert not re.search(r"https?://(?!127\.0\.0\.1:8765)", text), "only the target's own URL may appear"


def test_csp_allows_exactly_the_pages_own_style_and_script(page: tuple[str, _Page]) -> None:
    _, parser = page
    (csp,) = [
        a["content"] for t, a in parser.elements if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert csp.startswith("default-src 'none';")
    for kind in ("script", "style"):
        (block,) = parser.blocks[kind]
        digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
        assert f"{kind}-src 'sha256-{digest}';" in csp
    assert [t for t, _ in parser.elements].count("script") == 1


def test_hostile_bodies_and_messages_are_text(page: tuple[str, _Page], samples: SimpleNamespace) -> None:
    text, parser = page
    assert "window.__pwned" not in "".join(parser.blocks["script"])
    assert "<script>window" not in text and "<img src=x" not in text
    assert "&lt;script&gt;window.__pwned = 1; console.error(&quot;pwned&quot;)&lt;/script&gt;" in text
    assert samples.HOSTILE in "".join(parser.text)  # shown, literally, to the reader
    assert not any(t == "img" for t, _ in parser.elements)
    assert "&lt;b&gt;not bold&lt;/b&gt;" in text


def test_one_row_per_requirement_with_filter_data(page: tuple[str, _Page], mixed_report: dict[str, Any]) -> None:
    _, parser = page
    rows = [a for t, a in parser.elements if t == "tr" and a.get("class") == "req"]
    order = ("fail", "warn", "fixed", "expected-fail", "skip", "not-tested", "pass")  # what needs attention first
    by_verdict = sorted(mixed_report["requirements"], key=lambda r: order.index(r["verdict"]))  # stable: catalogue
    assert [r["id"] for r in rows] == [f"req-{r['id']}" for r in by_verdict]
    assert [r["data-verdict"] for r in rows][:4] == ["fail", "fail", "fail", "warn"]
    expected = {r["id"]: (r["verdict"], r["level"]) for r in mixed_report["requirements"]}
    assert {r["id"][4:]: (r["data-verdict"], r["data-level"]) for r in rows} == expected
    requirement_details = [a for t, a in parser.elements if t == "details" and not a.get("class")]
    assert len(requirement_details) == len(catalogue())
    opened = [a for a in requirement_details if "open" in a]
    assert len(opened) == 3, "the failed rows are open: their first example shows without a click"


def test_filter_buttons_for_present_verdicts_and_every_level(page: tuple[str, _Page]) -> None:
    _, parser = page
    buttons = [(a["data-filter"], a["data-value"]) for t, a in parser.elements if t == "button" and "data-filter" in a]
    assert buttons == [
        ("verdict", ""),
        ("verdict", "fail"),
        ("verdict", "warn"),
        ("verdict", "fixed"),
        ("verdict", "expected-fail"),
        ("verdict", "skip"),
        ("verdict", "not-tested"),
        ("verdict", "pass"),
        ("level", ""),
        ("level", "MUST"),
        ("level", "SHOULD"),
        ("level", "EITHER"),
    ]


def test_banner_counts_quote_request_response_curl(page: tuple[str, _Page], mixed_report: dict[str, Any]) -> None:
    text, parser = page
    body = "".join(parser.text)
    assert "NON-CONFORMANT" in body and 'class="banner non-conformant"' in text
    assert '<table class="counts" id="counts">' in text
    assert catalogue()["NO-5XX"].quote in body
    assert "Request 1 (pause)" in body and "Response 1" in body and "curl 1" in body
    assert '-H "X-Auth-Token: $DRS_AUTH_TOKEN"' in body
    assert "deviation JOB-ID-RULE expired on 2025-12-31: counted as a failure again" in body


def _failing(samples: SimpleNamespace, count: int) -> list[Any]:
    same = [
        samples.outcome(
            f"suites/t.py::test_x[{i}]",
            "COUNT-EQUALS-RESULTS",
            "failed",
            message=f"[COUNT-EQUALS-RESULTS] received count {i} with {i + 1} results",
            exchanges=(samples.token_exchange(),),
            reproduce=f"drs-conformance run -- t{i}",
        )
        for i in range(count)
    ]
    partly = [
        samples.outcome("suites/t.py::test_one", "ONE-RESULT-PER-ITEM"),
        samples.outcome(
            "suites/t.py::test_two",
            "ONE-RESULT-PER-ITEM",
            "failed",
            failed_requirement="COUNT-EQUALS-RESULTS",
            message="received count 9 with 1 results",
            exchanges=(samples.token_exchange(),),
        ),
    ]
    return [*same, *partly]


def test_failures_of_one_shape_show_one_example_and_a_count(samples: SimpleNamespace) -> None:
    text = render_html(build_report(samples.run_info(), _failing(samples, 60), today=samples.TODAY))
    parser = _Page()
    parser.feed(text)
    groups = [a["id"] for t, a in parser.elements if t == "div" and a.get("class") == "failure-group"]
    assert groups == ["req-COUNT-EQUALS-RESULTS-1", "req-COUNT-EQUALS-RESULTS-2"]
    assert text.count('<div class="failure">') == 2, "one example per group, not one per failure"
    assert text.count('<pre class="request">') == 2
    body = "".join(parser.text)
    assert "60 tests: [COUNT-EQUALS-RESULTS] received count N with N results" in body
    assert "and 59 more tests like it" in body
    assert "suites/t.py::test_x[59]" in body  # every test is still named, behind the count
    assert "61 failures in 2 kinds; one example of each:" in body


def test_a_pass_says_its_other_tests_failed_elsewhere(samples: SimpleNamespace) -> None:
    report = build_report(samples.run_info(), _failing(samples, 2), today=samples.TODAY)
    parser = _Page()
    parser.feed(render_html(report))
    cells = [data for data in parser.text if "tests passed" in data or "test passed" in data]
    assert "1 of 2 tests passed; 1 failed on COUNT-EQUALS-RESULTS" in cells
    assert "0 of 3 tests passed; 3 failed" in cells


def test_the_banner_names_an_injected_defect_and_a_scope(samples: SimpleNamespace) -> None:
    from drs_conformance.reporting import RunScope

    info = samples.run_info(options={"sandbox_defect": "count-wrong"})
    report = build_report(
        info,
        [samples.outcome("t::a", "DOC-EXAMPLE")],
        today=samples.TODAY,
        scope=RunScope(chosen=frozenset({"DOC-EXAMPLE"})),
    )
    text = render_html(report)
    assert '<p id="injected"><strong>Sandbox changed on purpose: injected defect count-wrong</strong></p>' in text
    assert (
        '<p id="scope">Scope: 1 requirement chosen with --requirement (DOC-EXAMPLE); 42 others not covered by '
        "this verdict</p>"
    ) in text
    assert "CONFORMANT for the 1 requirement chosen with --requirement (DOC-EXAMPLE)" in text
    assert "finished 2026-01-15 10:00:42 UTC" in text and ".500000" not in text  # no microseconds shown


def test_a_conformant_banner(samples: SimpleNamespace) -> None:
    report = build_report(samples.run_info(), samples.passing_outcomes(), today=samples.TODAY)
    text = render_html(report)
    assert 'class="banner conformant"' in text and ">CONFORMANT</h1>" in text
    assert '<p id="coverage">Coverage: 28 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged</p>' in text
    assert 'id="not-judged"' not in text and 'id="unanswered"' not in text


def _parsed(report: dict[str, Any]) -> tuple[str, _Page]:
    text = render_html(report)
    parser = _Page()
    parser.feed(text)
    parser.close()
    assert parser.stack == [], f"unclosed: {parser.stack}"
    return text, parser


def test_an_incomplete_banner_lists_what_was_not_judged(samples: SimpleNamespace) -> None:
    outcomes = [o for o in samples.passing_outcomes() if o.requirements[0] != "BATCH-100"]
    outcomes.append(
        samples.outcome("t::b", "BATCH-100", "skipped", message="needs jobs it may pause: give --control-api")
    )
    text, parser = _parsed(build_report(samples.run_info(), outcomes, today=samples.TODAY))
    assert 'class="banner incomplete"' in text and ">INCOMPLETE</h1>" in text
    assert "Coverage: 27 of 28 MUST judged" in text
    body = " ".join(parser.text)
    assert "1 MUST/EITHER requirement not judged: BATCH-100 (needs-option)" in body
    links = [a.get("href") for tag, a in parser.elements if tag == "a"]
    assert "#req-BATCH-100" in links, "the not-judged table links to the requirement's row"
    assert "needs jobs it may pause: give --control-api" in body


def test_an_interrupted_banner_and_the_unanswered_tests(samples: SimpleNamespace) -> None:
    import signal

    from drs_conformance.reporting import RunScope

    outcomes = [*samples.passing_outcomes(), samples.unanswered("t::<b>x</b>", "BODY-SHAPE", 2)]
    report = build_report(samples.run_info(), outcomes, today=samples.TODAY, scope=RunScope(stopped_by=signal.SIGTERM))
    text, parser = _parsed(report)
    assert 'class="banner interrupted"' in text and ">INTERRUPTED</h1>" in text
    body = " ".join(parser.text)
    assert "The target did not answer (1 test, 2 requests)" in body and "t::<b>x</b>" in body
    assert "<b>x</b>" not in text, "node ids are escaped"
    assert "stopped by SIGTERM after" in body
