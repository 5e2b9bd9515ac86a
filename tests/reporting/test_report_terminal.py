"""The end-of-run terminal summary (exact text: a change of wording is a visible diff)."""

from __future__ import annotations

import signal
from types import SimpleNamespace
from typing import Any

from drs_conformance.catalogue import Catalogue, catalogue
from drs_conformance.redaction import Redactor
from drs_conformance.reporting import RunScope, build_report, summary_lines

PATHS = {"json": "reports/conformance.json", "md": "reports/conformance.md", "html": "reports/conformance.html"}


def test_summary_lines_of_the_mixed_run(mixed_report: dict[str, Any], redactor: Redactor) -> None:
    lines = summary_lines(mixed_report, PATHS, redactor=redactor)
    assert lines[0].startswith("DRS conformance: NON-CONFORMANT (MUST: 3 fail, 2 skip, ")
    assert lines[1:12] == [
        "  coverage: 4 of 28 MUST judged, 0 of 5 EITHER judged, 3 of 10 SHOULD judged",
        "  FAIL          MUST   JOB-ID-RULE                suites/test_ids.py::test_job_id_rule[upper]: Received: 200 / Documented: 400 (token [REDACTED], sk [REDACTED])",
        "  FAIL          MUST   AUTH-REQUIRED              suites/test_auth.py::test_signed_request: signature [REDACTED] was accepted for AK [REDACTED]",
        "  FAIL          MUST   NO-5XX                     suites/test_body.py::test_not_json[array]: Received: 500 / Documented: 400",
        "  WARN          SHOULD CONTENT-TYPE-415           suites/test_headers.py::test_content_type_415: Received: 400 / Documented: 415 | <b>not bold</b> *not italic*",
        "  FIXED         SHOULD AUTH-STATUS-401            suites/test_auth.py::test_status_401: known deviation passed; remove it from the deviations file",
        "  EXPECTED-FAIL SHOULD ERROR-CODE-DOCUMENTED      suites/test_errors.py::test_documented_code: error_code DRS.X999 is not documented",
        "  SKIP          MUST   BODY-SHAPE                 not reached: suites/test_body.py::test_not_json[array] failed on NO-5XX",
        "  SKIP          MUST   BATCH-100                  the inventory names 12 jobs; 100 are needed",
        "  PASS (1): DOC-EXAMPLE",
        "  NOT JUDGED (27, not-selected: no test selected in this run): JOB-ID-WELL-FORMED, ITEM-SHAPE,",
    ]
    assert lines[-8:] == [
        "  NOT JUDGED (1, not-reached: not reached: suites/test_body.py::test_not_json[array] failed on NO-5XX): BODY-SHAPE",
        "  NOT JUDGED (1, skipped: the inventory names 12 jobs; 100 are needed): BATCH-100",
        "  NOT JUDGED, SHOULD (7, not-selected: no test selected in this run): DUPLICATE-CODE,",
        "    AUTH-PROJECT-STATUS, INFERRED-CONSTRAINTS, FAILED-STATUS-WORD, FAILED-ERROR-DETAILS,",
        "    LANGUAGE-MESSAGES, HTTP-METHODS",
        "  note: deviation JOB-ID-RULE expired on 2025-12-31: counted as a failure again",
        "NON-CONFORMANT: a requirement that fails the run failed (exit 1)",
        "reports: reports/conformance.json, reports/conformance.md, reports/conformance.html",
    ]
    assert all(len(line) <= 100 for line in lines if line.startswith("    "))  # wrapped id lists
    listed = " ".join(lines)
    assert all(rid in listed for rid in catalogue().ids)


def test_a_conformant_run_says_its_coverage(samples: SimpleNamespace) -> None:
    only = Catalogue((catalogue()["DOC-EXAMPLE"],))
    report = build_report(samples.run_info(), [samples.outcome("t::a", "DOC-EXAMPLE")], only, today=samples.TODAY)
    assert summary_lines(report, {"json": "r/conformance.json"}) == [
        "DRS conformance: CONFORMANT (MUST: 1 pass)",
        "  coverage: 1 of 1 MUST judged, 0 of 0 EITHER judged, 0 of 0 SHOULD judged",
        "  PASS (1): DOC-EXAMPLE",
        "CONFORMANT: every MUST and EITHER requirement was judged and held (exit 0)",
        "reports: r/conformance.json",
    ]


def test_an_incomplete_run_names_what_it_did_not_judge_and_why(samples: SimpleNamespace) -> None:
    only = Catalogue(tuple(catalogue()[rid] for rid in ("DOC-EXAMPLE", "BATCH-100", "CONTENT-TYPE-415")))
    outcomes = [samples.outcome("t::a", "DOC-EXAMPLE"),
                samples.outcome("t::b", "BATCH-100", "skipped", message="needs jobs it may pause: give --control-api")]
    report = build_report(samples.run_info(), outcomes, only, today=samples.TODAY)
    assert summary_lines(report) == [
        "DRS conformance: INCOMPLETE (MUST: 1 skip, 1 pass; SHOULD: 1 not-tested)",
        "  coverage: 1 of 2 MUST judged, 0 of 0 EITHER judged, 0 of 1 SHOULD judged",
        "  SKIP          MUST   BATCH-100         needs jobs it may pause: give --control-api",
        "  PASS (1): DOC-EXAMPLE",
        "  NOT JUDGED (1, needs-option: needs jobs it may pause: give --control-api): BATCH-100",
        "  NOT JUDGED, SHOULD (1, not-selected: no test selected in this run): CONTENT-TYPE-415",
        ("INCOMPLETE: no failure, but not every MUST/EITHER requirement was judged: see NOT JUDGED (exit 0; "
         "--require-complete makes an incomplete run exit 5)"),
    ]


def test_an_interrupted_run_with_unanswered_tests(samples: SimpleNamespace) -> None:
    only = Catalogue(tuple(catalogue()[rid] for rid in ("DOC-EXAMPLE", "BATCH-100")))
    outcomes = [samples.outcome("t::a", "DOC-EXAMPLE"), samples.unanswered("t::b", "BATCH-100", 2)]
    report = build_report(samples.run_info(), outcomes, only, today=samples.TODAY,
                          scope=RunScope(stopped_by=signal.SIGINT, collected=5))
    assert summary_lines(report) == [
        "DRS conformance: INTERRUPTED (MUST: 1 skip, 1 pass)",
        "  coverage: 1 of 2 MUST judged, 0 of 0 EITHER judged, 0 of 0 SHOULD judged",
        "  SKIP          MUST   BATCH-100    the target did not answer (2 requests)",
        "  PASS (1): DOC-EXAMPLE",
        "  NOT JUDGED (1, unanswered: the target did not answer (2 requests)): BATCH-100",
        "  UNANSWERED (1 test, 2 requests without an answer; no requirement charged):",
        "    t::b: the target did not answer: POST /v3/p/jobs/batch-pause-task: connection reset",
        "INTERRUPTED: stopped by SIGINT after 2 of 5 tests ran; nothing is claimed about what did not run (exit 130)",
    ]
