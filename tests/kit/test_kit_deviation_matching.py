"""A declared deviation covers a failure only when it covers every requirement that failure broke."""

from __future__ import annotations

from types import SimpleNamespace

from drs_conformance.outcomes import TestOutcome
from drs_conformance.plugin import _with_deviation
from drs_conformance.reporting import parse_deviations

DEVIATIONS = parse_deviations({"deviations": [{"requirement": "CONTENT-TYPE-415", "reason": "gateway answers 400"}]})


def _apply(failed: str, also: tuple[str, ...]) -> tuple[TestOutcome, SimpleNamespace]:
    outcome = TestOutcome(nodeid="t.py::t", requirements=(failed,), outcome="failed", failed_requirement=failed,
                          also_failed=also)
    report = SimpleNamespace(outcome="failed", wasxfail=None)
    return _with_deviation(outcome, report, SimpleNamespace(deviations=DEVIATIONS), (failed,)), report  # type: ignore[arg-type]


def test_a_failure_of_only_declared_requirements_is_expected() -> None:
    outcome, report = _apply("CONTENT-TYPE-415", ())
    assert outcome.outcome == "xfailed" and report.outcome == "skipped", f"received {outcome.outcome}"


def test_an_undeclared_requirement_broken_beside_a_declared_one_keeps_the_test_failed() -> None:
    outcome, report = _apply("CONTENT-TYPE-415", ("NO-5XX",))
    assert outcome.outcome == "failed" and report.outcome == "failed", f"received {outcome.outcome}"
    assert outcome.failed_requirement == "NO-5XX" and outcome.also_failed == (), (
        f"counted against {outcome.failed_requirement} (also {outcome.also_failed}), expected the undeclared NO-5XX"
    )
    assert outcome.also_covered == ("CONTENT-TYPE-415",), f"the declared failure was dropped: {outcome.also_covered}"
