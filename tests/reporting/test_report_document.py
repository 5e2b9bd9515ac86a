"""conformance.json: what build_report puts in it, and the JSON Schema that documents it."""

from __future__ import annotations

import copy
import json
import signal
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import jsonschema
import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.reporting import (
    RunInfo,
    RunScope,
    build_report,
    parse_deviations,
    redacted_options,
    report_errors,
    report_schema,
    validate_report,
)
from drs_conformance.transport.redaction import REDACTED, Redactor


def test_the_schema_is_valid_draft_2020_12() -> None:
    schema = report_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_built_report_validates(mixed_report: dict[str, Any]) -> None:
    assert report_errors(mixed_report) == []
    validate_report(mixed_report)
    validate_report(json.loads(json.dumps(mixed_report)))  # as read back from the file


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = [int(p) if p.isdigit() else p for p in path.split(".")]
        target = document
        for part in parents:
            target = target[part]
        target[last] = value

    return mutate


def _delete(path: str) -> Callable[[dict[str, Any]], None]:
    def mutate(document: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target = document
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        del target[last]

    return mutate


@pytest.mark.parametrize(
    ("mutate", "where"),
    [
        pytest.param(_delete("summary"), "(top level)", id="summary-missing"),
        pytest.param(_set("format_version", 3), "format_version", id="future-format"),
        pytest.param(_delete("summary.coverage"), "summary", id="coverage-missing"),
        pytest.param(
            _set("summary.coverage.not_judged.0.category", "lazy"),
            "summary.coverage.not_judged[0].category",
            id="bad-category",
        ),
        pytest.param(_set("summary.exit_code", 2), "summary.exit_code", id="bad-exit-code"),
        pytest.param(_set("extra", 1), "(top level)", id="unknown-top-level-key"),
        pytest.param(_set("summary.verdict", "ok"), "summary.verdict", id="bad-overall-verdict"),
        pytest.param(_set("requirements.0.verdict", "passed"), "requirements[0].verdict", id="bad-verdict"),
        pytest.param(_set("requirements.0.level", "MAY"), "requirements[0].level", id="bad-level"),
        pytest.param(_set("summary.counts.MUST.fail", -1), "summary.counts.MUST.fail", id="negative-count"),
        pytest.param(_delete("requirements.1.failures"), "requirements[1]", id="failures-missing"),
        pytest.param(_set("run.target.mode", "prod"), "run.target.mode", id="bad-target-mode"),
        pytest.param(
            _set("deviations.expired.0.expires", "2025-13-01"), "deviations.expired[0].expires", id="bad-date"
        ),
    ],
)
def test_a_broken_report_does_not_validate(
    mixed_report: dict[str, Any], mutate: Callable[[dict[str, Any]], None], where: str
) -> None:
    broken = copy.deepcopy(mixed_report)
    mutate(broken)
    errors = report_errors(broken)
    assert errors and any(line.startswith(where + ":") for line in errors), errors
    with pytest.raises(jsonschema.ValidationError):
        validate_report(broken)


def test_a_failure_without_its_curl_line_does_not_validate(mixed_report: dict[str, Any]) -> None:
    broken = copy.deepcopy(mixed_report)
    no5xx = next(r for r in broken["requirements"] if r["id"] == "NO-5XX")
    del no5xx["failures"][0]["exchanges"][0]["curl"]
    assert report_errors(broken)


def test_verdicts_reasons_and_counts_of_the_mixed_run(mixed_report: dict[str, Any]) -> None:
    by_id = {r["id"]: r for r in mixed_report["requirements"]}
    assert list(by_id) == list(catalogue().ids)
    tested = {rid: r["verdict"] for rid, r in by_id.items() if r["verdict"] != "not-tested"}
    assert tested == {
        "DOC-EXAMPLE": "pass",
        "BODY-SHAPE": "skip",
        "JOB-ID-RULE": "fail",
        "ERROR-CODE-DOCUMENTED": "expected-fail",
        "AUTH-REQUIRED": "fail",
        "AUTH-STATUS-401": "fixed",
        "CONTENT-TYPE-415": "warn",
        "BATCH-100": "skip",
        "NO-5XX": "fail",
    }
    assert by_id["BODY-SHAPE"]["reasons"] == ["not reached: suites/test_body.py::test_not_json[array] failed on NO-5XX"]
    assert by_id["JOB-ID-RULE"]["reasons"] == [
        "deviation JOB-ID-RULE expired on 2025-12-31: counted as a failure again"
    ]
    assert by_id["BATCH-100"]["reasons"] == ["the inventory names 12 jobs; 100 are needed"]
    assert by_id["HTTP-METHODS"]["reasons"] == ["no test selected in this run"]
    assert by_id["ERROR-CODE-DOCUMENTED"]["failures"][0]["deviation"] == "gateway code; ticket DRS-1"

    summary = mixed_report["summary"]
    assert summary["verdict"] == "non-conformant" and summary["exit_code"] == 1
    assert summary["reasons"] == ["JOB-ID-RULE (MUST) failed", "AUTH-REQUIRED (MUST) failed", "NO-5XX (MUST) failed"]
    assert sum(summary["counts"]["total"].values()) == len(catalogue())
    assert summary["counts"]["SHOULD"] | {} == {
        "fail": 0,
        "warn": 1,
        "fixed": 1,
        "expected-fail": 1,
        "skip": 0,
        "pass": 0,
        "not-tested": sum(1 for r in catalogue() if r.level == "SHOULD") - 3,
    }
    assert summary["tests"] == {
        "passed": 1,
        "failed": 4,
        "error": 0,
        "skipped": 1,
        "xfailed": 1,
        "xpassed": 1,
        "unanswered": 0,
        "total": 8,
        "run": 8,
        "collected": None,
    }
    assert summary["coverage"]["text"] == "4 of 28 MUST judged, 0 of 5 EITHER judged, 3 of 10 SHOULD judged"
    assert summary["coverage"]["complete"] is False
    not_judged = {entry["id"]: (entry["category"], entry["reason"]) for entry in summary["coverage"]["not_judged"]}
    assert not_judged["BODY-SHAPE"] == (
        "not-reached",
        "not reached: suites/test_body.py::test_not_json[array] failed on NO-5XX",
    )
    assert not_judged["BATCH-100"] == ("skipped", "the inventory names 12 jobs; 100 are needed")
    assert not_judged["HTTP-METHODS"] == ("not-selected", "no test selected in this run")
    assert len(not_judged) == len(catalogue()) - 7
    assert by_id["BATCH-100"]["not_judged"] == [
        {"category": "skipped", "reason": "the inventory names 12 jobs; 100 are needed"}
    ]
    assert by_id["DOC-EXAMPLE"]["not_judged"] == []
    assert summary["unanswered"] == [] and summary["interruption"] is None


def test_failures_carry_exchanges_and_curl_lines(mixed_report: dict[str, Any]) -> None:
    job_id_rule = next(r for r in mixed_report["requirements"] if r["id"] == "JOB-ID-RULE")
    (failure,) = job_id_rule["failures"]
    assert [e["request"]["body"] for e in failure["exchanges"]][1] == '{"jobs": [{"job_id": "X"}]}'
    assert all(e["curl"].startswith("curl -sS -i -X POST") for e in failure["exchanges"])
    assert failure["curl"] == failure["exchanges"][-1]["curl"]
    assert failure["verdict"] == "fail" and failure["outcome"] == "failed"
    assert job_id_rule["quote"] == catalogue()["JOB-ID-RULE"].quote
    assert job_id_rule["anchor"] == "req-JOB-ID-RULE"


def test_run_section(mixed_report: dict[str, Any]) -> None:
    run = mixed_report["run"]
    assert run["target"] == {
        "base_url": "http://127.0.0.1:8765",
        "mode": "control-api",
        "project_id": "0123456789abcdef0123456789abcdef",
    }
    assert run["seed"] == "1234567" and run["hypothesis_profile"] == "ci" and run["strict"] is False
    assert run["duration_s"] == 42.5
    assert run["started_at"] == "2026-01-15T10:00:00+00:00"
    assert run["spec_version"] == "1.0.0"


def test_strict_turns_warnings_into_failures(samples: SimpleNamespace) -> None:
    report = build_report(samples.run_info(), samples.mixed_outcomes(), strict=True, today=samples.TODAY)
    by_id = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert by_id["CONTENT-TYPE-415"] == "fail"
    assert report["run"]["strict"] is True
    assert (
        "AUTH-STATUS-401: a known deviation passed; remove it from the deviations file (strict)"
        in report["summary"]["reasons"]
    )


def test_a_conformant_run(samples: SimpleNamespace) -> None:
    """Every requirement judged; a SHOULD warning does not stop it from being conformant."""
    report = build_report(samples.run_info(), samples.passing_outcomes("FAILED-STATUS-WORD"), today=samples.TODAY)
    assert report["summary"]["verdict"] == "conformant" and report["summary"]["exit_code"] == 0
    assert report["summary"]["coverage"]["text"] == "28 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged"
    assert report["summary"]["coverage"]["not_judged"] == [] and report["summary"]["reasons"] == []
    assert report["deviations"] == {"file": None, "declared": 0, "expired": [], "unused": []}
    validate_report(report)


@pytest.mark.parametrize(
    ("require_complete", "code"),
    [
        pytest.param(False, 0, id="incomplete-exits-0"),
        pytest.param(True, 5, id="require-complete-exits-5"),
    ],
)
def test_a_subset_run_is_incomplete_never_conformant(
    samples: SimpleNamespace, require_complete: bool, code: int
) -> None:
    outcomes = [o for o in samples.passing_outcomes() if o.requirements[0] != "BATCH-100"]
    outcomes.append(
        samples.outcome(
            "suites/t.py::test_batch",
            "BATCH-100",
            "skipped",
            message="needs jobs it may pause: give --inventory FILE or --control-api",
        )
    )
    report = build_report(samples.run_info(require_complete=require_complete), outcomes, today=samples.TODAY)
    summary = report["summary"]
    assert (summary["verdict"], summary["exit_code"]) == ("incomplete", code)
    assert summary["reasons"] == ["1 MUST/EITHER requirement not judged: BATCH-100 (needs-option)"]
    assert summary["coverage"]["text"] == "27 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged"
    assert report["run"]["require_complete"] is require_complete
    validate_report(report)


def test_an_interrupted_run(samples: SimpleNamespace) -> None:
    report = build_report(
        samples.run_info(),
        samples.passing_outcomes(),
        today=samples.TODAY,
        scope=RunScope(stopped_by=signal.SIGTERM, collected=180),
    )
    summary = report["summary"]
    assert (summary["verdict"], summary["exit_code"]) == ("interrupted", 143)
    assert summary["interruption"] == {"signal": "SIGTERM", "tests_run": len(catalogue()), "tests_collected": 180}
    assert summary["reasons"][0] == f"stopped by SIGTERM after {len(catalogue())} of 180 tests ran"
    assert summary["tests"]["collected"] == 180
    validate_report(report)


def test_unanswered_tests_are_listed_apart_and_charged_to_no_requirement(samples: SimpleNamespace) -> None:
    outcomes = [o for o in samples.passing_outcomes() if o.requirements[0] != "BODY-SHAPE"]
    outcomes += [
        samples.unanswered("suites/t.py::test_body", "BODY-SHAPE", 2),
        samples.unanswered("suites/t.py::test_ids", "JOB-ID-RULE"),
    ]
    report = build_report(samples.run_info(), outcomes, today=samples.TODAY)
    summary = report["summary"]
    assert (summary["verdict"], summary["exit_code"]) == ("incomplete", 3)
    assert summary["tests"]["unanswered"] == 2
    assert [(u["nodeid"], u["requests"]) for u in summary["unanswered"]] == [
        ("suites/t.py::test_body", 2),
        ("suites/t.py::test_ids", 1),
    ]
    assert summary["unanswered"][0]["message"].startswith("the target did not answer: ")
    by_id = {r["id"]: r for r in report["requirements"]}
    assert by_id["BODY-SHAPE"]["verdict"] == "skip" and by_id["BODY-SHAPE"]["failures"] == []
    assert by_id["BODY-SHAPE"]["not_judged"] == [
        {"category": "unanswered", "reason": "the target did not answer (2 requests)"}
    ]
    assert by_id["JOB-ID-RULE"]["verdict"] == "pass", "judged by its other test"
    assert [t["verdict"] for t in by_id["JOB-ID-RULE"]["tests"]] == ["pass", "unanswered"]
    assert (
        "the target did not answer 3 requests (2 tests ended without an answer; they judge no requirement)"
        in summary["reasons"]
    )
    validate_report(report)


def test_a_report_of_format_1_still_validates() -> None:
    """conformance.json of an older kit (format 1, tests/reporting/data) is still read, e.g. as a baseline."""
    old = json.loads((Path(__file__).parent / "data" / "conformance-v1.json").read_text(encoding="utf-8"))
    assert old["format_version"] == 1
    validate_report(old)
    old["summary"]["verdict"] = "incomplete"
    assert report_errors(old) == ["summary.verdict: 'incomplete' is not one of ['conformant', 'non-conformant']"]


def test_unused_deviations_are_listed(samples: SimpleNamespace) -> None:
    deviations = parse_deviations(
        [
            {"requirement": "HTTP-METHODS", "reason": "no 405"},
            {"requirement": "DOC-EXAMPLE", "test": "test_other", "reason": "x"},
        ]
    )
    report = build_report(samples.run_info(), samples.mixed_outcomes(), deviations=deviations, today=samples.TODAY)
    assert [(d["requirement"], d["test"]) for d in report["deviations"]["unused"]] == [
        ("HTTP-METHODS", None),
        ("DOC-EXAMPLE", "test_other"),
    ]


def test_build_report_with_a_redactor_leaves_no_secret(samples: SimpleNamespace, redactor: Redactor) -> None:
    report = build_report(
        samples.run_info(),
        samples.mixed_outcomes(),
        deviations=samples.mixed_deviations(),
        today=samples.TODAY,
        redactor=redactor,
    )
    text = json.dumps(report, ensure_ascii=False)
    for core in samples.SECRET_CORES:
        assert core not in text


def test_run_info_rejects_an_unknown_mode(samples: SimpleNamespace) -> None:
    with pytest.raises(ValueError, match="mode='prod' is not one of"):
        samples.run_info(mode="prod")


def test_redacted_options_mask_credentials_by_name_and_by_value() -> None:
    options = {
        "auth_token": "abc",
        "DRS_AUTH_TOKEN": "",
        "ak": "AKVALUE",
        "secret-key": "s",
        "password": None,
        "tasks": 3,  # "sk" inside a word is not a credential name
        "base_url": "http://h/?x=SECRETVALUE",
        "headers": {"X-Auth-Token": "t", "Accept": ["SECRETVALUE", "ok"]},
        "markers": {"b", "a"},
    }
    assert redacted_options(options, Redactor(["SECRETVALUE"])) == {
        "auth_token": REDACTED,
        "DRS_AUTH_TOKEN": "",
        "ak": REDACTED,
        "secret-key": REDACTED,
        "password": None,
        "tasks": 3,
        "base_url": f"http://h/?x={REDACTED}",
        "headers": {"X-Auth-Token": REDACTED, "Accept": [REDACTED, "ok"]},
        "markers": ["a", "b"],
    }


def test_run_info_defaults_come_from_the_kit(samples: SimpleNamespace) -> None:
    from drs_conformance import __version__
    from drs_conformance.contract.spec import contract

    info = RunInfo(
        base_url="http://x",
        mode="embedded",
        project_id="p",
        started_at=samples.run_info().started_at,
        finished_at=samples.run_info().started_at,
    )
    assert info.kit_version == __version__ and info.spec_version == contract().version and info.duration_s == 0


def test_run_info_takes_epoch_seconds_and_any_option_values(samples: SimpleNamespace) -> None:
    from pathlib import Path

    info = RunInfo(
        base_url="http://x",
        mode="inventory",
        project_id="p",
        started_at=1_768_471_200.0,
        finished_at=1_768_471_212.25,
        options={"inventory": Path("ci/inventory.yaml"), "markers": ("a", "b"), "workers": 2},
    )
    report = build_report(info, [], today=samples.TODAY)
    assert report["run"]["started_at"] == "2026-01-15T10:00:00+00:00"
    assert report["run"]["duration_s"] == 12.25
    assert report["run"]["options"] == {"inventory": "ci/inventory.yaml", "markers": ["a", "b"], "workers": 2}
    validate_report(json.loads(json.dumps(report)))
    with pytest.raises(TypeError, match="started_at must be a datetime or seconds since the epoch"):
        RunInfo(base_url="x", mode="embedded", project_id="p", started_at="yesterday", finished_at=0.0)  # type: ignore[arg-type]
