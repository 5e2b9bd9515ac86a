"""The deviation policy: a declared deviation covers a failure only when it covers every requirement that failure
broke; a passing test of a deviated requirement is an unexpected pass; an expired deviation covers nothing."""

from __future__ import annotations

import datetime as dt

from drs_conformance.reporting import apply_deviations, expected_failure_reason, parse_deviations
from drs_conformance.reporting.outcomes import TestOutcome

DEVIATIONS = parse_deviations(
    {
        "deviations": [
            {"requirement": "CONTENT-TYPE-415", "reason": "gateway answers 400"},
            {"requirement": "HTTP-METHODS", "reason": "fixed in 2.1", "expires": "2026-01-14"},
        ]
    }
)
TODAY = dt.date(2026, 1, 15)


def _apply(failed: str, also: tuple[str, ...] = (), outcome: str = "failed") -> TestOutcome:
    test = TestOutcome(
        nodeid="t.py::t",
        requirements=(failed,),
        outcome=outcome,  # type: ignore[arg-type]
        failed_requirement=failed if outcome == "failed" else None,
        also_failed=also,
    )
    return apply_deviations(test, DEVIATIONS, (failed,), TODAY)


def test_a_failure_of_only_declared_requirements_is_expected() -> None:
    outcome = _apply("CONTENT-TYPE-415")
    assert outcome.outcome == "xfailed", f"received {outcome.outcome}"
    assert expected_failure_reason(outcome) == "known deviation (CONTENT-TYPE-415): gateway answers 400", (
        expected_failure_reason(outcome)
    )


def test_an_undeclared_requirement_broken_beside_a_declared_one_keeps_the_test_failed() -> None:
    outcome = _apply("CONTENT-TYPE-415", ("NO-5XX",))
    assert outcome.outcome == "failed", f"received {outcome.outcome}"
    assert outcome.failed_requirement == "NO-5XX" and outcome.also_failed == (), (
        f"counted against {outcome.failed_requirement} (also {outcome.also_failed}), expected the undeclared NO-5XX"
    )
    assert outcome.also_covered == ("CONTENT-TYPE-415",), f"the declared failure was dropped: {outcome.also_covered}"


def test_a_passing_test_of_a_deviated_requirement_is_an_unexpected_pass() -> None:
    outcome = _apply("CONTENT-TYPE-415", outcome="passed")
    assert (outcome.outcome, outcome.failed_requirement, outcome.deviation) == (
        "xpassed",
        "CONTENT-TYPE-415",
        "gateway answers 400",
    ), f"received {outcome}"


def test_an_expired_deviation_covers_no_failure() -> None:
    outcome = _apply("HTTP-METHODS")
    assert outcome.outcome == "failed" and outcome.deviation is None, (
        f"received {outcome.outcome} ({outcome.deviation})"
    )
