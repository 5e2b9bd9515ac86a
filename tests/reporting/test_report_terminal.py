"""The end-of-run terminal summary (exact text: a change of wording is a visible diff)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from drs_conformance.catalogue import catalogue
from drs_conformance.redaction import Redactor
from drs_conformance.reporting import build_report, summary_lines

PATHS = {"json": "reports/conformance.json", "md": "reports/conformance.md", "html": "reports/conformance.html"}


def test_summary_lines_of_the_mixed_run(mixed_report: dict[str, Any], redactor: Redactor) -> None:
    lines = summary_lines(mixed_report, PATHS, redactor=redactor)
    assert lines[0].startswith("DRS conformance: NON-CONFORMANT (MUST: 3 fail, 2 skip, ")
    assert lines[1:10] == [
        "  FAIL          MUST   JOB-ID-RULE                suites/test_ids.py::test_job_id_rule[upper]: Received: 200 / Documented: 400 (token [REDACTED], sk [REDACTED])",
        "  FAIL          MUST   AUTH-REQUIRED              suites/test_auth.py::test_signed_request: signature [REDACTED] was accepted for AK [REDACTED]",
        "  FAIL          MUST   NO-5XX                     suites/test_body.py::test_not_json[array]: Received: 500 / Documented: 400",
        "  WARN          SHOULD CONTENT-TYPE-415           suites/test_headers.py::test_content_type_415: Received: 400 / Documented: 415 | <b>not bold</b> *not italic*",
        "  FIXED         SHOULD AUTH-STATUS-401            suites/test_auth.py::test_status_401: known deviation passed; remove it from the deviations file",
        "  EXPECTED-FAIL SHOULD ERROR-CODE-DOCUMENTED      suites/test_errors.py::test_documented_code: error_code DRS.X999 is not documented",
        "  SKIP          MUST   BODY-SHAPE                 not reached: suites/test_body.py::test_not_json[array] failed on NO-5XX",
        "  SKIP          MUST   BATCH-100                  the inventory names 12 jobs; 100 are needed",
        f"  NOT-TESTED ({len(catalogue()) - 9}, no test selected in this run): JOB-ID-WELL-FORMED, ITEM-SHAPE, PAUSE-MODE-VALUES,",
    ]
    assert lines[-3:] == [
        "  PASS (1): DOC-EXAMPLE",
        "  note: deviation JOB-ID-RULE expired on 2025-12-31: counted as a failure again",
        "reports: reports/conformance.json, reports/conformance.md, reports/conformance.html",
    ]
    assert all(len(line) <= 100 for line in lines if line.startswith("    "))  # wrapped id lists
    listed = " ".join(lines)
    assert all(rid in listed for rid in catalogue().ids)


def test_a_conformant_run_is_two_lines_plus_paths(samples: SimpleNamespace) -> None:
    from drs_conformance.catalogue import Catalogue

    only = Catalogue((catalogue()["DOC-EXAMPLE"],))
    report = build_report(samples.run_info(), [samples.outcome("t::a", "DOC-EXAMPLE")], only, today=samples.TODAY)
    assert summary_lines(report, {"json": "r/conformance.json"}) == [
        "DRS conformance: CONFORMANT (MUST: 1 pass)",
        "  PASS (1): DOC-EXAMPLE",
        "reports: r/conformance.json",
    ]
