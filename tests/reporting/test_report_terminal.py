"""The end-of-run terminal summary (exact text: a change of wording is a visible diff)."""

from __future__ import annotations

import re
import signal
from types import SimpleNamespace
from typing import Any

from drs_conformance.contract.catalogue import Catalogue, catalogue
from drs_conformance.reporting import RunScope, build_report, summary_lines
from drs_conformance.transport.redaction import Redactor

PATHS = {"json": "reports/conformance.json", "md": "reports/conformance.md", "html": "reports/conformance.html"}


def test_summary_lines_of_the_mixed_run(mixed_report: dict[str, Any], redactor: Redactor) -> None:
    lines = summary_lines(mixed_report, PATHS, redactor=redactor)
    assert lines[0].startswith("DRS conformance: NON-CONFORMANT (MUST: 3 fail, 2 skip, ")
    assert lines[1:14] == [
        "  coverage: 4 of 28 MUST judged, 0 of 5 EITHER judged, 3 of 10 SHOULD judged",
        "  FAIL  MUST   JOB-ID-RULE: A job_id that breaks the UUID rule is refused with 400 (1 test)",
        "    document: \u201cThe value of job_id must comply with the UUID rule.\u201d (seed, Table 3; notes 1)",
        "    failed: Received: 200 / Documented: 400 (token [REDACTED], sk [REDACTED])",
        "        test:     suites/test_ids.py::test_job_id_rule[upper]",
        (
            "        request:  POST /v3/0123456789abcdef0123456789abcdef/jobs/batch-pause-task?trace=[REDACTED]  "
            '{"jobs": [{"job_id": "X"}]}'
        ),
        "        response: 200  {}",
        (
            "        curl -sS -i -X POST 'http://127.0.0.1:8765/v3/0123456789abcdef0123456789abcdef/jobs/batch-pause-task"
            "?trace=[REDACTED]' \\"
        ),
        "          -H 'Content-Type: application/json' \\",
        '          -H "X-Auth-Token: $DRS_AUTH_TOKEN" \\',
        "          -H 'X-Trace: token=[REDACTED]' \\",
        """          --data-binary '{"jobs": [{"job_id": "X"}]}'""",
        "  FAIL  MUST   AUTH-REQUIRED: A missing or invalid token gets a 4xx and changes nothing (1 test)",
    ]
    assert "        rerun:    drs-conformance run --auth-token [REDACTED] -k test_not_json" in lines
    assert "  WARN  SHOULD CONTENT-TYPE-415: A Content-Type other than application/json gets 415 (1 test)" in lines
    assert lines[-8:] == [
        "  NOT JUDGED (1, not-reached: not reached: suites/test_body.py::test_not_json[array] failed on NO-5XX): BODY-SHAPE",
        "  NOT JUDGED (1, skipped: the inventory names 12 jobs; 100 are needed): BATCH-100",
        "  NOT JUDGED, SHOULD (7, not-selected: no test selected in this run): DUPLICATE-CODE,",
        "    AUTH-PROJECT-STATUS, INFERRED-CONSTRAINTS, FAILED-STATUS-WORD, FAILED-ERROR-DETAILS,",
        "    LANGUAGE-MESSAGES, HTTP-METHODS",
        "  note: deviation JOB-ID-RULE expired on 2025-12-31: counted as a failure again",
        "NON-CONFORMANT: a requirement that fails the run failed (exit 1)",
        "reports in reports: conformance.json, conformance.md, conformance.html",
    ]
    assert (
        "  FIXED         SHOULD AUTH-STATUS-401            suites/test_auth.py::test_status_401: known deviation "
        "passed; remove it from the deviations file"
    ) in lines
    wrapped = [line for line in lines if re.fullmatch(r"    [A-Z0-9-]+(, [A-Z0-9-]+)*,?", line)]
    assert wrapped and all(len(line) <= 100 for line in wrapped)  # wrapped id lists
    listed = " ".join(lines)
    assert all(rid in listed for rid in catalogue().ids)


def _many_failures(samples: SimpleNamespace, count: int) -> list[Any]:
    """`count` tests failing COUNT-EQUALS-RESULTS the same way (different numbers), and one another way."""
    failing = [
        samples.outcome(
            f"suites/t.py::test_x[{i}]",
            "COUNT-EQUALS-RESULTS",
            "failed",
            message=f"[COUNT-EQUALS-RESULTS] received count {i} with {i + 1} results, documented count == len(results)",
            exchanges=(samples.token_exchange(),),
            reproduce=f"drs-conformance run -- 'suites/t.py::test_x[{i}]'",
        )
        for i in range(count)
    ]
    other = samples.outcome(
        "suites/t.py::test_five", "COUNT-EQUALS-RESULTS", "failed", message="received count 1 and 5 results for 5 items"
    )
    return [*failing, other, samples.outcome("suites/t.py::test_doc", "DOC-EXAMPLE")]


def test_failures_of_one_shape_are_shown_once(samples: SimpleNamespace) -> None:
    report = build_report(samples.run_info(), _many_failures(samples, 61), today=samples.TODAY)
    lines = summary_lines(report, redactor=Redactor(samples.SECRETS.values()))
    text = "\n".join(lines)
    assert (
        "  FAIL  MUST   COUNT-EQUALS-RESULTS: count equals the number of results (62 tests, 2 kinds of failure)"
        in lines
    )
    assert (
        "    [1] 61 tests: [COUNT-EQUALS-RESULTS] received count 0 with 1 results, documented count == len(results)"
        in lines
    )
    assert "        test:     suites/t.py::test_x[0]" in lines
    assert "        rerun:    drs-conformance run -- 'suites/t.py::test_x[0]'" in lines
    assert "        and 60 more tests like it" in lines
    assert "    [2] 1 test: received count 1 and 5 results for 5 items" in lines
    assert text.count("suites/t.py::test_x[") == 2, "each test of the group was listed"
    assert len(lines) < 40


def test_groups_beyond_the_examples_get_a_line_each(samples: SimpleNamespace) -> None:
    outcomes = [
        samples.outcome(
            f"suites/t.py::test_{kind}",
            "NO-5XX",
            "failed",
            message=f"Received: 500 ({kind})",
            exchanges=(samples.token_exchange(),),
        )
        for kind in "abcdefgh"
    ]
    lines = summary_lines(build_report(samples.run_info(), outcomes, today=samples.TODAY))
    assert sum(line.startswith("        test:") for line in lines) == 3  # MAX_EXAMPLES_PER_REQUIREMENT
    assert "    [4] 1 test: Received: 500 (d) (e.g. suites/t.py::test_d)" in lines
    assert "    [8] 1 test: Received: 500 (h) (e.g. suites/t.py::test_h)" in lines


def test_partial_passes_say_what_their_other_tests_failed_on(samples: SimpleNamespace) -> None:
    outcomes = [
        samples.outcome("suites/t.py::test_a", "ONE-RESULT-PER-ITEM"),
        samples.outcome(
            "suites/t.py::test_b",
            "ONE-RESULT-PER-ITEM",
            "failed",
            failed_requirement="COUNT-EQUALS-RESULTS",
            message="count",
        ),
    ]
    lines = summary_lines(build_report(samples.run_info(), outcomes, today=samples.TODAY))
    assert (
        "  PASS on the tests that reached it (1; their other tests failed on COUNT-EQUALS-RESULTS first): "
        "ONE-RESULT-PER-ITEM (1 of 2)"
    ) in lines


def test_an_injected_defect_and_the_report_files_are_named(samples: SimpleNamespace) -> None:
    info = samples.run_info(options={"sandbox_defect": "count-wrong", "sandbox_variants": ["duplicates=refuse"]})
    report = build_report(info, [samples.outcome("t::a", "DOC-EXAMPLE")], today=samples.TODAY)
    paths = {"junit": "out/junit.xml", "allure": "out/allure-results", "json": "out/conformance.json"}
    lines = summary_lines(report, paths)
    assert lines[1] == (
        "  sandbox: injected defect count-wrong; variant duplicates=refuse (the embedded sandbox was "
        "changed on purpose)"
    )
    assert lines[-1] == "reports in out: junit.xml, allure-results/, conformance.json"


def test_the_verdict_line_is_coloured(samples: SimpleNamespace) -> None:
    from drs_conformance.reporting import styled_summary_lines

    failing = build_report(samples.run_info(), samples.passing_outcomes("NO-5XX"), today=samples.TODAY)
    styled = styled_summary_lines(failing)
    assert styled[0][1] == {"red": True, "bold": True}
    assert styled[-1] == (
        "NON-CONFORMANT: a requirement that fails the run failed (exit 1)",
        {"red": True, "bold": True},
    )
    passing = build_report(samples.run_info(), samples.passing_outcomes(), today=samples.TODAY)
    assert styled_summary_lines(passing)[0][1] == {"green": True, "bold": True}


def test_a_conformant_run_says_its_coverage(samples: SimpleNamespace) -> None:
    only = Catalogue((catalogue()["DOC-EXAMPLE"],))
    report = build_report(samples.run_info(), [samples.outcome("t::a", "DOC-EXAMPLE")], only, today=samples.TODAY)
    assert summary_lines(report, {"json": "r/conformance.json"}) == [
        "DRS conformance: CONFORMANT (MUST: 1 pass)",
        "  coverage: 1 of 1 MUST judged, 0 of 0 EITHER judged, 0 of 0 SHOULD judged",
        "  PASS (1): DOC-EXAMPLE",
        "CONFORMANT: every MUST and EITHER requirement was judged and held (exit 0)",
        "reports in r: conformance.json",
    ]


def test_an_incomplete_run_names_what_it_did_not_judge_and_why(samples: SimpleNamespace) -> None:
    only = Catalogue(tuple(catalogue()[rid] for rid in ("DOC-EXAMPLE", "BATCH-100", "CONTENT-TYPE-415")))
    outcomes = [
        samples.outcome("t::a", "DOC-EXAMPLE"),
        samples.outcome("t::b", "BATCH-100", "skipped", message="needs jobs it may pause: give --control-api"),
    ]
    report = build_report(samples.run_info(), outcomes, only, today=samples.TODAY)
    assert summary_lines(report) == [
        "DRS conformance: INCOMPLETE (MUST: 1 skip, 1 pass; SHOULD: 1 not-tested)",
        "  coverage: 1 of 2 MUST judged, 0 of 0 EITHER judged, 0 of 1 SHOULD judged",
        "  PASS (1): DOC-EXAMPLE",
        "  NOT JUDGED (1, needs-option: needs jobs it may pause: give --control-api): BATCH-100",
        "  NOT JUDGED, SHOULD (1, not-selected: no test selected in this run): CONTENT-TYPE-415",
        (
            "INCOMPLETE: no failure, but not every MUST/EITHER requirement was judged: see NOT JUDGED (exit 0; "
            "--require-complete makes an incomplete run exit 5)"
        ),
    ]


def test_an_interrupted_run_with_unanswered_tests(samples: SimpleNamespace) -> None:
    only = Catalogue(tuple(catalogue()[rid] for rid in ("DOC-EXAMPLE", "BATCH-100")))
    outcomes = [samples.outcome("t::a", "DOC-EXAMPLE"), samples.unanswered("t::b", "BATCH-100", 2)]
    report = build_report(
        samples.run_info(), outcomes, only, today=samples.TODAY, scope=RunScope(stopped_by=signal.SIGINT, collected=5)
    )
    assert summary_lines(report) == [
        "DRS conformance: INTERRUPTED (MUST: 1 skip, 1 pass)",
        "  coverage: 1 of 2 MUST judged, 0 of 0 EITHER judged, 0 of 0 SHOULD judged",
        "  PASS (1): DOC-EXAMPLE",
        "  NOT JUDGED (1, unanswered: the target did not answer (2 requests)): BATCH-100",
        "  UNANSWERED (1 test, 2 requests without an answer; no requirement charged):",
        "    t::b: the target did not answer: POST /v3/p/jobs/batch-pause-task: connection reset",
        "INTERRUPTED: stopped by SIGINT after 2 of 5 tests ran; nothing is claimed about what did not run (exit 130)",
    ]
