"""`report compare`: regressions, fixes, exit codes, and one line for an unusable file."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drs_conformance.errors import ExitCode, UsageError
from drs_conformance.reporting import build_report, compare_reports, run_compare


@pytest.fixture
def baseline(samples: SimpleNamespace) -> dict[str, Any]:
    return build_report(samples.run_info(), samples.mixed_outcomes(), today=samples.TODAY)


def _with(report: dict[str, Any], **verdicts: str) -> dict[str, Any]:
    changed = copy.deepcopy(report)
    for requirement in changed["requirements"]:
        key = requirement["id"].replace("-", "_")
        if key in verdicts:
            requirement["verdict"] = verdicts[key]
    return changed


@pytest.mark.parametrize(
    ("old", "new", "bucket"),
    [
        pytest.param("pass", "fail", "regressed", id="pass-fail"),
        pytest.param("pass", "warn", "regressed", id="pass-warn"),
        pytest.param("skip", "fail", "regressed", id="skip-fail"),
        pytest.param("expected-fail", "fail", "regressed", id="expected-fail-fail"),
        pytest.param("not-tested", "warn", "regressed", id="not-tested-warn"),
        pytest.param("fixed", "fail", "regressed", id="fixed-fail"),
        pytest.param("warn", "fail", "regressed", id="warn-fail"),
        pytest.param("fail", "pass", "fixed", id="fail-pass"),
        pytest.param("warn", "pass", "fixed", id="warn-pass"),
        pytest.param("expected-fail", "fixed", "fixed", id="expected-fail-fixed"),
        pytest.param("fail", "warn", "changed", id="fail-warn"),
        pytest.param("fail", "expected-fail", "changed", id="fail-now-a-deviation"),
        pytest.param("pass", "skip", "regressed", id="pass-skip-loses-coverage"),
        pytest.param("fail", "not-tested", "regressed", id="fail-not-tested-loses-coverage"),
        pytest.param("expected-fail", "skip", "regressed", id="expected-fail-skip-loses-coverage"),
        pytest.param("fixed", "not-tested", "regressed", id="fixed-not-tested-loses-coverage"),
        pytest.param("warn", "skip", "regressed", id="warn-skip-loses-coverage"),
        pytest.param("skip", "not-tested", "changed", id="skip-not-tested"),
        pytest.param("not-tested", "pass", "changed", id="newly-judged"),
        pytest.param("pass", "pass", None, id="unchanged"),
        pytest.param("fail", "fail", None, id="still-failing-is-no-regression"),
    ],
)
def test_verdict_changes(baseline: dict[str, Any], old: str, new: str, bucket: str | None) -> None:
    comparison = compare_reports(_with(baseline, DOC_EXAMPLE=old), _with(baseline, DOC_EXAMPLE=new))
    buckets = {name: [c.id for c in getattr(comparison, name)] for name in ("regressed", "fixed", "changed")}
    assert buckets == {name: (["DOC-EXAMPLE"] if name == bucket else []) for name in buckets}
    assert comparison.exit_code == (1 if bucket == "regressed" else 0)


def test_new_and_removed_requirements(baseline: dict[str, Any]) -> None:
    old = copy.deepcopy(baseline)
    old["requirements"] = [r for r in old["requirements"] if r["id"] not in ("NO-5XX", "DOC-EXAMPLE")]
    new = copy.deepcopy(baseline)
    new["requirements"] = [r for r in new["requirements"] if r["id"] != "HTTP-METHODS"]
    comparison = compare_reports(old, new)
    assert [(c.id, c.old, c.new) for c in comparison.added] == [("DOC-EXAMPLE", None, "pass"), ("NO-5XX", None, "fail")]
    assert [c.id for c in comparison.regressed] == ["NO-5XX"]  # a failure appearing is a regression
    assert [(c.id, c.old, c.new) for c in comparison.removed] == [("HTTP-METHODS", "not-tested", None)]


def test_a_lost_requirement_says_why_it_was_not_judged(samples: SimpleNamespace) -> None:
    old = build_report(samples.run_info(), samples.passing_outcomes(), today=samples.TODAY)
    outcomes = [o for o in samples.passing_outcomes() if o.requirements[0] != "BATCH-100"]
    outcomes.append(
        samples.outcome("t::b", "BATCH-100", "skipped", message="needs jobs it may pause: give --control-api")
    )
    comparison = compare_reports(old, build_report(samples.run_info(), outcomes, today=samples.TODAY))
    (change,) = comparison.regressed
    assert (change.id, change.old, change.new) == ("BATCH-100", "pass", "skip")
    assert change.detail == "no longer judged (needs-option: needs jobs it may pause: give --control-api)"
    assert comparison.verdict == "conformant -> incomplete"
    assert comparison.exit_code == 1
    lines = comparison.lines()
    assert "Verdict regressed: conformant -> incomplete." in lines
    assert (
        "note: coverage differs: 28 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged (old) / "
        "27 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged (new)" in lines
    )
    assert lines[-1] == "Result: 2 regression(s) since the baseline."


@pytest.mark.parametrize(
    ("old", "new", "regression"),
    [
        pytest.param("conformant", "incomplete", "conformant -> incomplete", id="conformant-incomplete"),
        pytest.param("conformant", "interrupted", "conformant -> interrupted", id="conformant-interrupted"),
        pytest.param("conformant", "non-conformant", "conformant -> non-conformant", id="conformant-non-conformant"),
        pytest.param("incomplete", "conformant", None, id="incomplete-conformant"),
        pytest.param("incomplete", "interrupted", None, id="incomplete-interrupted"),
        pytest.param("conformant", "conformant", None, id="unchanged"),
    ],
)
def test_the_run_verdict_changes(baseline: dict[str, Any], old: str, new: str, regression: str | None) -> None:
    before, now = copy.deepcopy(baseline), copy.deepcopy(baseline)
    before["summary"]["verdict"], now["summary"]["verdict"] = old, new
    comparison = compare_reports(before, now)
    assert comparison.verdict == regression
    assert comparison.exit_code == (1 if regression else 0)


def test_a_baseline_of_report_format_1_still_compares(tmp_path: Path, samples: SimpleNamespace) -> None:
    """A conformance.json written by an older kit (format 1) is a usable baseline."""
    old_path = Path(__file__).parent / "data" / "conformance-v1.json"
    new = build_report(samples.run_info(), samples.passing_outcomes(), today=samples.TODAY)
    out = io.StringIO()
    assert run_compare(old_path, _write(tmp_path, "new.json", new), out) == 0, out.getvalue()
    text = out.getvalue()
    assert "Fixed (5):" in text and "  JOB-ID-RULE                MUST    fail -> pass" in text
    assert "note: coverage differs: not recorded (report format 1) (old) / 28 of 28 MUST judged" in text
    out = io.StringIO()
    assert run_compare(_write(tmp_path, "old.json", new), old_path, out) == 1, "format 1 as the new report"
    assert "Verdict regressed: conformant -> non-conformant." in out.getvalue()


def _write(tmp_path: Path, name: str, document: Any) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(document) if not isinstance(document, str) else document, encoding="utf-8")
    return path


def test_run_compare_prints_regressions_and_fixes_and_exits_1(tmp_path: Path, baseline: dict[str, Any]) -> None:
    new = _with(baseline, DOC_EXAMPLE="fail", JOB_ID_RULE="pass")
    new["run"]["spec_version"] = "1.1.0"
    old_path, new_path = _write(tmp_path, "old.json", baseline), _write(tmp_path, "new.json", new)
    out = io.StringIO()
    assert run_compare(old_path, new_path, out) == 1
    assert out.getvalue().splitlines() == [
        f"Baseline {old_path} (non-conformant, 2026-01-15T10:00:42.500000+00:00) -> {new_path} (non-conformant, 2026-01-15T10:00:42.500000+00:00)",
        "note: spec version differs: 1.0.0 (old) / 1.1.0 (new)",
        "Regressed (1):",
        "  DOC-EXAMPLE  MUST    pass -> fail",
        "Fixed (1):",
        "  JOB-ID-RULE  MUST    fail -> pass",
        f"Unchanged: {len(baseline['requirements']) - 2} requirements.",
        "Result: 1 regression(s) since the baseline.",
    ]


def test_run_compare_with_a_failure_detail_and_no_regression(tmp_path: Path, baseline: dict[str, Any]) -> None:
    old = _with(baseline, JOB_ID_RULE="pass")
    out = io.StringIO()
    assert run_compare(_write(tmp_path, "a.json", baseline), _write(tmp_path, "b.json", baseline), out) == 0
    assert out.getvalue().splitlines()[-1] == "Result: no regression since the baseline (0 fixed)."
    out = io.StringIO()
    assert run_compare(_write(tmp_path, "old.json", old), _write(tmp_path, "new.json", baseline), out) == 1
    assert (
        "  JOB-ID-RULE  MUST    pass -> fail                suites/test_ids.py::test_job_id_rule[upper]: Received: 200 / Documented: 400"
        in out.getvalue()
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        pytest.param(None, "cannot read {path}: No such file or directory", id="missing"),
        pytest.param(
            "{not json",
            "{path}: not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            id="not-json",
        ),
        pytest.param(
            {"format": "junit"},
            '{path}: not a conformance.json report (it has no "format": "drs-conformance-report")',
            id="not-a-report",
        ),
        pytest.param(
            "BROKEN",
            "{path}: not a conformance.json report: requirements[0].verdict: 'great' is not one of",
            id="bad-verdict",
        ),
        pytest.param([], '{path}: not a conformance.json report (it has no "format"', id="a-list"),
    ],
)
def test_unusable_files_exit_2_with_one_line(
    tmp_path: Path, baseline: dict[str, Any], content: Any, message: str
) -> None:
    good = _write(tmp_path, "good.json", baseline)
    if content == "BROKEN":
        content = _with(baseline, DOC_EXAMPLE="great")
    bad = tmp_path / "bad.json" if content is None else _write(tmp_path, "bad.json", content)
    for old, new in ((bad, good), (good, bad)):
        out = io.StringIO()
        with pytest.raises(UsageError) as raised:
            run_compare(old, new, out)
        assert raised.value.exit_code == ExitCode.USAGE
        assert out.getvalue() == ""
        (line,) = str(raised.value).splitlines()
        assert line.startswith(message.format(path=bad))
