"""Verdict logic: per test, per requirement (every branch) and for the run."""

from __future__ import annotations

import pytest

from drs_conformance.catalogue import Catalogue, Requirement, catalogue
from drs_conformance.errors import ExitCode
from drs_conformance.outcomes import TestOutcome as Outcome
from drs_conformance.reporting import verdicts


def _requirement(rid: str, level: str, not_tested: str | None = None) -> Requirement:
    return Requirement(id=rid, level=level, title=f"{rid} title", source="notes", quote=f"{rid} quote", not_tested=not_tested)  # type: ignore[arg-type]


CATALOGUE = Catalogue(
    (
        _requirement("M1", "MUST"),
        _requirement("M2", "MUST"),
        _requirement("S1", "SHOULD"),
        _requirement("E1", "EITHER"),
        _requirement("N1", "MUST", not_tested="needs a second region"),
    )
)


def _o(nodeid: str, requirement: str, outcome: str = "passed", **kwargs) -> Outcome:
    return Outcome(nodeid=nodeid, requirements=(requirement,), outcome=outcome, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("outcome", "strict", "expected"),
    [
        pytest.param(_o("t", "M1"), False, "pass", id="passed"),
        pytest.param(_o("t", "M1", "skipped"), False, "skip", id="skipped"),
        pytest.param(_o("t", "M1", "xfailed"), False, "expected-fail", id="xfailed"),
        pytest.param(_o("t", "S1", "xfailed"), True, "expected-fail", id="xfailed-should-strict"),
        pytest.param(_o("t", "M1", "xpassed"), False, "fixed", id="xpassed"),
        pytest.param(_o("t", "M1", "failed", failed_requirement="M1"), False, "fail", id="must-fails"),
        pytest.param(_o("t", "E1", "failed", failed_requirement="E1"), False, "fail", id="either-fails"),
        pytest.param(_o("t", "S1", "failed", failed_requirement="S1"), False, "warn", id="should-warns"),
        pytest.param(_o("t", "S1", "failed", failed_requirement="S1"), True, "fail", id="should-strict-fails"),
        pytest.param(_o("t", "S1", "failed"), False, "warn", id="no-failed-requirement-uses-the-tests-own"),
        pytest.param(_o("t", "S1", "failed", failed_requirement="M1"), False, "fail", id="judged-by-attributed-level"),
        pytest.param(_o("t", "M1", "failed", failed_requirement="S1"), False, "warn", id="must-test-failing-a-should-check"),
        pytest.param(_o("t", "S1", "error", failed_requirement="S1"), False, "warn", id="error-judged-like-failure"),
        pytest.param(_o("t", "M1", "error"), False, "fail", id="error-must"),
        pytest.param(_o("t", "S1", "failed", failed_requirement="NOPE"), False, "warn", id="unknown-id-falls-back-to-the-test"),
        pytest.param(
            Outcome(nodeid="t", requirements=(), outcome="failed", failed_requirement="NOPE"), False, "fail",
            id="unknown-id-and-no-requirement-fails",
        ),
    ],
)
def test_test_verdict(outcome: Outcome, strict: bool, expected: str) -> None:
    assert verdicts.test_verdict(outcome, strict=strict, catalogue=CATALOGUE) == expected


def test_test_verdict_uses_the_shipped_catalogue_by_default() -> None:
    should = next(r for r in catalogue() if r.level == "SHOULD").id
    failing = _o("t", should, "failed", failed_requirement=should)
    assert verdicts.test_verdict(failing, strict=False) == "warn"
    assert verdicts.test_verdict(failing, strict=True) == "fail"


def test_test_verdict_is_not_collected_as_a_test() -> None:
    assert verdicts.test_verdict.__test__ is False


def _verdict_of(outcomes: list[Outcome], rid: str, *, strict: bool = False) -> verdicts.RequirementVerdict:
    result = {v.id: v for v in verdicts.requirement_verdicts(outcomes, CATALOGUE, strict=strict)}
    return result[rid]


@pytest.mark.parametrize(
    ("outcomes", "rid", "strict", "expected", "reasons"),
    [
        pytest.param([_o("a", "M1"), _o("b", "M1")], "M1", False, "pass", (), id="all-passed"),
        pytest.param([_o("a", "M1"), _o("b", "M1", "skipped", message="no jobs")], "M1", False, "pass", (), id="one-passed-one-skipped"),
        pytest.param([_o("a", "M1"), _o("b", "M1", "failed", failed_requirement="M1")], "M1", False, "fail", (), id="one-failed"),
        pytest.param([_o("a", "S1", "failed", failed_requirement="S1")], "S1", False, "warn", (), id="should-warns"),
        pytest.param([_o("a", "S1", "failed", failed_requirement="S1")], "S1", True, "fail", (), id="should-strict-fails"),
        pytest.param([_o("a", "E1", "error")], "E1", False, "fail", (), id="either-error-fails"),
        pytest.param(
            [_o("a", "M1"), _o("b", "M2", "failed", failed_requirement="M1")], "M1", False, "fail", (),
            id="failure-raised-by-another-requirements-test",
        ),
        pytest.param(
            [_o("a", "M1", "failed", failed_requirement="M2")], "M1", False, "skip",
            ("not reached: a failed on M2",), id="not-reached",
        ),
        pytest.param(
            [_o("a", "M1", "skipped", message="no inventory"), _o("b", "M1", "skipped", message="no inventory"),
             _o("c", "M1", "skipped", message="read-only target")],
            "M1", False, "skip", ("no inventory", "read-only target"), id="all-skipped-distinct-reasons",
        ),
        pytest.param(
            [_o("a", "M1", "skipped", message="no inventory"), _o("b", "M1", "failed", failed_requirement="M2")],
            "M1", False, "skip", ("no inventory", "not reached: b failed on M2"), id="skipped-and-not-reached",
        ),
        pytest.param(
            [_o("a", "M1", "xfailed", failed_requirement="M1", deviation="ticket 1"), _o("b", "M1")],
            "M1", False, "expected-fail", ("ticket 1",), id="all-failures-covered",
        ),
        pytest.param(
            [_o("a", "M1", "xfailed", deviation="ticket 1"), _o("b", "M1", "failed", failed_requirement="M1")],
            "M1", False, "fail", (), id="covered-and-uncovered-failure-fails",
        ),
        pytest.param([_o("a", "M1", "xpassed", deviation="ticket 1")], "M1", False, "fixed", (), id="deviation-passed"),
        pytest.param(
            [_o("a", "M1", "xpassed"), _o("b", "M1", "xfailed")], "M1", False, "expected-fail", (),
            id="one-deviation-passed-one-still-failing",
        ),
        pytest.param([_o("a", "M1")], "M2", False, "not-tested", ("no test selected in this run",), id="not-selected"),
        pytest.param([], "N1", False, "not-tested", ("needs a second region",), id="not-tested-catalogue-reason"),
        pytest.param(
            [_o("a", "M1", "skipped")], "M1", False, "skip", ("skipped (no reason given)",), id="skip-without-reason",
        ),
    ],
)
def test_requirement_verdict(outcomes: list[Outcome], rid: str, strict: bool, expected: str, reasons: tuple[str, ...]) -> None:
    result = _verdict_of(outcomes, rid, strict=strict)
    assert result.verdict == expected
    assert result.reasons == reasons


def test_requirement_verdicts_follow_the_catalogue_order_and_cover_every_requirement() -> None:
    result = verdicts.requirement_verdicts([], CATALOGUE, strict=False)
    assert [v.id for v in result] == list(CATALOGUE.ids)


def test_a_failure_is_listed_under_the_requirement_it_is_attributed_to() -> None:
    failing = _o("a", "M2", "failed", failed_requirement="M1")
    m1, m2 = _verdict_of([failing], "M1"), _verdict_of([failing], "M2")
    assert [t.outcome.nodeid for t in m1.failures] == ["a"]
    assert [t.outcome.nodeid for t in m1.tests] == ["a"]
    assert m2.failures == ()
    assert [(t.outcome.nodeid, t.verdict) for t in m2.tests] == [("a", "fail")]


def test_every_requirement_one_failure_broke_fails_even_where_another_test_passed() -> None:
    """A test that broke M1 and also M2 fails M2 too, though M2's own test passed (nothing is lost)."""
    outcomes = [_o("a", "M2", "failed", failed_requirement="M1", also_failed=("M2",)), _o("b", "M2")]
    m2 = _verdict_of(outcomes, "M2")
    assert m2.verdict == "fail", f"M2 judged {m2.verdict!r}, though test a broke it"
    assert [t.outcome.nodeid for t in m2.failures] == ["a"], "the failure is not listed under M2"
    assert _verdict_of(outcomes, "M1").verdict == "fail"


def test_a_declared_requirement_broken_beside_an_undeclared_one_stays_expected_not_fixed() -> None:
    """Test a failed on M1 (undeclared) and on M2 (declared): M2 is an expected failure, never 'fixed'."""
    outcomes = [_o("a", "M2", "failed", failed_requirement="M1", also_covered=("M2",)),
                _o("b", "M2", "xpassed", failed_requirement="M2")]
    m2 = _verdict_of(outcomes, "M2")
    assert m2.verdict == "expected-fail", f"M2 judged {m2.verdict!r}; its declared failure in test a still happens"
    assert _verdict_of(outcomes, "M1").verdict == "fail"


@pytest.mark.parametrize(
    ("verdict_by_id", "strict", "expected", "reasons"),
    [
        pytest.param({"M1": "pass"}, False, "conformant", (), id="all-pass"),
        pytest.param({"M1": "fail"}, False, "non-conformant", ("M1 (MUST) failed",), id="must-fail"),
        pytest.param({"E1": "fail"}, False, "non-conformant", ("E1 (EITHER) failed",), id="either-fail"),
        pytest.param({"S1": "warn"}, False, "conformant", (), id="should-warn"),
        pytest.param({"S1": "warn"}, True, "non-conformant", ("S1 (SHOULD) failed (strict: SHOULD counts)",), id="should-warn-strict"),
        pytest.param({"M1": "fixed"}, False, "conformant", (), id="fixed"),
        pytest.param({"M1": "fixed"}, True, "non-conformant", ("M1: a known deviation passed; remove it from the deviations file (strict)",), id="fixed-strict"),
        pytest.param({"M1": "expected-fail", "M2": "skip", "N1": "not-tested"}, True, "conformant", (), id="expected-skip-not-tested"),
    ],
)
def test_overall_verdict(verdict_by_id: dict[str, str], strict: bool, expected: str, reasons: tuple[str, ...]) -> None:
    items = [verdicts.RequirementVerdict(requirement=CATALOGUE[rid], verdict=v) for rid, v in verdict_by_id.items()]  # type: ignore[arg-type]
    overall = verdicts.overall_verdict(items, strict=strict)
    assert overall.verdict == expected
    assert overall.exit_code == (ExitCode.CONFORMANT if expected == "conformant" else ExitCode.NON_CONFORMANT)
    assert overall.reasons == reasons


def test_a_deviation_still_failing_in_one_test_is_not_fixed_by_another() -> None:
    """One test of the deviated requirement passes, another still fails on it: the deviation is still needed."""
    outcomes = [_o("a", "M1", "xpassed"), _o("b", "M1", "xfailed")]
    items = verdicts.requirement_verdicts(outcomes, CATALOGUE, strict=True)
    assert items[0].verdict == "expected-fail", items[0]
    assert verdicts.overall_verdict(items, strict=True).verdict == "conformant"
    assert verdicts.overall_verdict(items, strict=False).verdict == "conformant"
