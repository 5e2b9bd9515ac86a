"""Verdict logic: per test, per requirement (every branch) and for the run, coverage included."""

from __future__ import annotations

import signal

import pytest

from drs_conformance.contract.catalogue import Catalogue, Requirement, catalogue
from drs_conformance.errors import ExitCode
from drs_conformance.reporting import verdicts
from drs_conformance.reporting.outcomes import TestOutcome as Outcome


def _requirement(rid: str, level: str, not_tested: str | None = None) -> Requirement:
    return Requirement(
        id=rid, level=level, title=f"{rid} title", source="notes", quote=f"{rid} quote", not_tested=not_tested
    )  # type: ignore[arg-type]


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
        pytest.param(
            _o("t", "M1", "failed", failed_requirement="S1"), False, "warn", id="must-test-failing-a-should-check"
        ),
        pytest.param(_o("t", "S1", "error", failed_requirement="S1"), False, "warn", id="error-judged-like-failure"),
        pytest.param(_o("t", "M1", "error"), False, "fail", id="error-must"),
        pytest.param(
            _o("t", "S1", "failed", failed_requirement="NOPE"), False, "warn", id="unknown-id-falls-back-to-the-test"
        ),
        pytest.param(_o("t", "M1", "unanswered"), True, "unanswered", id="unanswered"),
        pytest.param(
            Outcome(nodeid="t", requirements=(), outcome="failed", failed_requirement="NOPE"),
            False,
            "fail",
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
        pytest.param(
            [_o("a", "M1"), _o("b", "M1", "skipped", message="no jobs")],
            "M1",
            False,
            "pass",
            (),
            id="one-passed-one-skipped",
        ),
        pytest.param(
            [_o("a", "M1"), _o("b", "M1", "failed", failed_requirement="M1")], "M1", False, "fail", (), id="one-failed"
        ),
        pytest.param([_o("a", "S1", "failed", failed_requirement="S1")], "S1", False, "warn", (), id="should-warns"),
        pytest.param(
            [_o("a", "S1", "failed", failed_requirement="S1")], "S1", True, "fail", (), id="should-strict-fails"
        ),
        pytest.param([_o("a", "E1", "error")], "E1", False, "fail", (), id="either-error-fails"),
        pytest.param(
            [_o("a", "M1"), _o("b", "M2", "failed", failed_requirement="M1")],
            "M1",
            False,
            "fail",
            (),
            id="failure-raised-by-another-requirements-test",
        ),
        pytest.param(
            [_o("a", "M1", "failed", failed_requirement="M2")],
            "M1",
            False,
            "skip",
            ("not reached: a failed on M2",),
            id="not-reached",
        ),
        pytest.param(
            [
                _o("a", "M1", "skipped", message="no inventory"),
                _o("b", "M1", "skipped", message="no inventory"),
                _o("c", "M1", "skipped", message="read-only target"),
            ],
            "M1",
            False,
            "skip",
            ("no inventory", "read-only target"),
            id="all-skipped-distinct-reasons",
        ),
        pytest.param(
            [_o("a", "M1", "skipped", message="no inventory"), _o("b", "M1", "failed", failed_requirement="M2")],
            "M1",
            False,
            "skip",
            ("no inventory", "not reached: b failed on M2"),
            id="skipped-and-not-reached",
        ),
        pytest.param(
            [_o("a", "M1", "xfailed", failed_requirement="M1", deviation="ticket 1"), _o("b", "M1")],
            "M1",
            False,
            "expected-fail",
            ("ticket 1",),
            id="all-failures-covered",
        ),
        pytest.param(
            [_o("a", "M1", "xfailed", deviation="ticket 1"), _o("b", "M1", "failed", failed_requirement="M1")],
            "M1",
            False,
            "fail",
            (),
            id="covered-and-uncovered-failure-fails",
        ),
        pytest.param([_o("a", "M1", "xpassed", deviation="ticket 1")], "M1", False, "fixed", (), id="deviation-passed"),
        pytest.param(
            [_o("a", "M1", "xpassed"), _o("b", "M1", "xfailed")],
            "M1",
            False,
            "expected-fail",
            (),
            id="one-deviation-passed-one-still-failing",
        ),
        pytest.param([_o("a", "M1")], "M2", False, "not-tested", ("no test selected in this run",), id="not-selected"),
        pytest.param([], "N1", False, "not-tested", ("needs a second region",), id="not-tested-catalogue-reason"),
        pytest.param(
            [_o("a", "M1", "skipped")],
            "M1",
            False,
            "skip",
            ("skipped (no reason given)",),
            id="skip-without-reason",
        ),
        pytest.param(
            [_o("a", "M1", "unanswered", unanswered_requests=2), _o("b", "M1", "unanswered")],
            "M1",
            False,
            "skip",
            ("the target did not answer (3 requests)",),
            id="unanswered-judges-nothing",
        ),
        pytest.param(
            [_o("a", "M1", "unanswered"), _o("b", "M1")],
            "M1",
            False,
            "pass",
            (),
            id="unanswered-and-passed",
        ),
    ],
)
def test_requirement_verdict(
    outcomes: list[Outcome], rid: str, strict: bool, expected: str, reasons: tuple[str, ...]
) -> None:
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
    outcomes = [
        _o("a", "M2", "failed", failed_requirement="M1", also_covered=("M2",)),
        _o("b", "M2", "xpassed", failed_requirement="M2"),
    ]
    m2 = _verdict_of(outcomes, "M2")
    assert m2.verdict == "expected-fail", f"M2 judged {m2.verdict!r}; its declared failure in test a still happens"
    assert _verdict_of(outcomes, "M1").verdict == "fail"


@pytest.mark.parametrize(
    ("verdict_by_id", "strict", "expected", "code", "reasons"),
    [
        pytest.param({"M1": "pass"}, False, "conformant", 0, (), id="all-pass"),
        pytest.param({"M1": "fail"}, False, "non-conformant", 1, ("M1 (MUST) failed",), id="must-fail"),
        pytest.param({"E1": "fail"}, False, "non-conformant", 1, ("E1 (EITHER) failed",), id="either-fail"),
        pytest.param({"S1": "warn"}, False, "conformant", 0, (), id="should-warn"),
        pytest.param(
            {"S1": "warn"},
            True,
            "non-conformant",
            1,
            ("S1 (SHOULD) failed (strict: SHOULD counts)",),
            id="should-warn-strict",
        ),
        pytest.param({"M1": "fixed"}, False, "conformant", 0, (), id="fixed"),
        pytest.param(
            {"M1": "fixed"},
            True,
            "non-conformant",
            1,
            ("M1: a known deviation passed; remove it from the deviations file (strict)",),
            id="fixed-strict",
        ),
        pytest.param({"M1": "expected-fail", "E1": "pass"}, True, "conformant", 0, (), id="expected-fail-is-judged"),
        pytest.param({"M1": "pass", "S1": "skip"}, True, "conformant", 0, (), id="should-not-judged-is-complete"),
        pytest.param(
            {"M1": "pass", "M2": "skip"},
            False,
            "incomplete",
            0,
            ("1 MUST/EITHER requirement not judged: M2 (skipped)",),
            id="must-skipped",
        ),
        pytest.param(
            {"M1": "pass", "E1": "not-tested", "N1": "not-tested"},
            True,
            "incomplete",
            0,
            ("2 MUST/EITHER requirements not judged: E1 (skipped); N1 (skipped)",),
            id="not-tested",
        ),
        pytest.param(
            {"M1": "fail", "M2": "skip"},
            False,
            "non-conformant",
            1,
            ("M1 (MUST) failed",),
            id="a-failure-beats-incomplete",
        ),
    ],
)
def test_overall_verdict(
    verdict_by_id: dict[str, str], strict: bool, expected: str, code: int, reasons: tuple[str, ...]
) -> None:
    items = [verdicts.RequirementVerdict(requirement=CATALOGUE[rid], verdict=v) for rid, v in verdict_by_id.items()]  # type: ignore[arg-type]
    overall = verdicts.overall_verdict(items, strict=strict)
    assert (overall.verdict, overall.exit_code) == (expected, code)
    assert overall.reasons == reasons


def _run(outcomes: list[Outcome], scope: verdicts.RunScope | None = None, **kwargs) -> verdicts.Overall:  # type: ignore[no-untyped-def]
    items = verdicts.requirement_verdicts(outcomes, CATALOGUE, strict=False, scope=scope)
    return verdicts.overall_verdict(items, strict=False, scope=scope, outcomes=outcomes, **kwargs)


COMPLETE = [_o("a", "M1"), _o("b", "M2"), _o("c", "E1"), _o("d", "N1")]


@pytest.mark.parametrize(
    ("outcomes", "scope", "require_complete", "expected", "code"),
    [
        pytest.param(COMPLETE, None, True, "conformant", ExitCode.CONFORMANT, id="complete"),
        pytest.param(COMPLETE[:3], None, False, "incomplete", ExitCode.CONFORMANT, id="incomplete-exits-0"),
        pytest.param(COMPLETE[:3], None, True, "incomplete", ExitCode.INCOMPLETE, id="incomplete-required-exits-5"),
        pytest.param(
            [*COMPLETE, _o("e", "M1", "unanswered")],
            None,
            True,
            "conformant",
            ExitCode.TARGET,
            id="judged-elsewhere-but-unanswered-exits-3",
        ),
        pytest.param(
            [*COMPLETE[:3], _o("e", "N1", "unanswered")],
            None,
            True,
            "incomplete",
            ExitCode.TARGET,
            id="unanswered-beats-require-complete",
        ),
        pytest.param(
            [*COMPLETE[:3], _o("e", "N1", "unanswered"), _o("f", "M1", "failed", failed_requirement="M1")],
            None,
            False,
            "non-conformant",
            ExitCode.NON_CONFORMANT,
            id="a-failure-beats-unanswered",
        ),
        pytest.param(
            COMPLETE,
            verdicts.RunScope(stopped_by=signal.SIGINT, collected=9),
            False,
            "interrupted",
            130,
            id="sigint-never-conformant",
        ),
        pytest.param(
            [_o("f", "M1", "failed", failed_requirement="M1")],
            verdicts.RunScope(stopped_by=signal.SIGTERM),
            True,
            "interrupted",
            143,
            id="sigterm-beats-a-failure",
        ),
    ],
)
def test_run_verdict_and_exit_code(
    outcomes: list[Outcome], scope: verdicts.RunScope | None, require_complete: bool, expected: str, code: int
) -> None:
    overall = _run(outcomes, scope, require_complete=require_complete)
    assert (overall.verdict, overall.exit_code) == (expected, code), overall.reasons


def test_the_reasons_say_what_stopped_the_run_and_what_got_no_answer() -> None:
    outcomes = [_o("a", "M1"), _o("a", "M1", "unanswered", unanswered_requests=2)]
    overall = _run(outcomes, verdicts.RunScope(stopped_by=signal.SIGTERM, collected=7))
    assert overall.reasons[0] == "stopped by SIGTERM after 1 of 7 tests ran"
    assert (
        "the target did not answer 2 requests (1 test ended without an answer; they judge no requirement)"
        in overall.reasons
    )


def test_coverage_counts_judged_requirements_by_level() -> None:
    items = verdicts.requirement_verdicts(
        [_o("a", "M1"), _o("b", "S1", "failed"), _o("c", "E1", "skipped")], CATALOGUE, strict=False
    )
    covered = verdicts.coverage(items)
    assert covered.text() == "1 of 3 MUST judged, 0 of 1 EITHER judged, 1 of 1 SHOULD judged"
    assert [v.id for v in covered.not_judged] == ["M2", "E1", "N1"]
    assert covered.complete is False


NEEDS = (
    "needs jobs it may pause: give --inventory FILE (jobs provisioned for testing on live staging) "
    "or --control-api (a sandbox that serves the control API)"
)
AKSK = "needs --ak/--sk: the official SDK signs with AK/SK, and this run has a token only"
INTERFERED = (
    "inconclusive: job k1-0000 changed from INCRE_TRANSFER_STARTED to CONFIGURATION under the test "
    "(another run or an operator?); nothing was judged on it"
)
NO_JOB = (
    "the inventory has no cloudDataGuard job in CREATING now (statuses are read with batch-status "
    "before each test); provision one to run this test"
)


@pytest.mark.parametrize(
    ("outcomes", "scope", "rid", "category", "reason"),
    [
        pytest.param(
            [],
            verdicts.RunScope(deselected={"M2": 1}, selection="-k documented_example"),
            "M2",
            "not-selected",
            "no test selected in this run: deselected by -k documented_example",
            id="deselected",
        ),
        pytest.param(
            [],
            verdicts.RunScope(selected={}, selection="the named test paths"),
            "M2",
            "not-selected",
            "no test selected in this run (only the named test paths ran)",
            id="other-paths",
        ),
        pytest.param(
            [],
            verdicts.RunScope(selected={"M2": 2}, collect_only=True),
            "M2",
            "not-selected",
            "no test selected in this run: --collect-only ran no test",
            id="collect-only",
        ),
        pytest.param(
            [],
            verdicts.RunScope(selected={"M2": 2}, stopped_by=signal.SIGINT),
            "M2",
            "interrupted",
            "not run: the run was stopped (SIGINT) before 2 selected tests ran",
            id="interrupted",
        ),
        pytest.param(
            [],
            verdicts.RunScope(stopped_by=signal.SIGTERM),
            "M2",
            "interrupted",
            "not run: the run was stopped (SIGTERM) before its tests ran",
            id="interrupted-plan-unknown",
        ),
        pytest.param(
            [],
            verdicts.RunScope(selected={"M1": 3}, stopped_by=signal.SIGINT),
            "M2",
            "not-selected",
            "no test selected in this run",
            id="interrupted-but-never-selected",
        ),
        pytest.param(
            [],
            verdicts.RunScope(selected={"M2": 1}, stopped_early="stopping after 1 failures"),
            "M2",
            "not-reached",
            "not run: stopping after 1 failures",
            id="maxfail",
        ),
        pytest.param(
            [],
            verdicts.RunScope(traffic_checks=frozenset({"M2"}), selected={"M2": 3}),
            "M2",
            "not-selected",
            "no test selected in this run got an answer of the kind this check judges",
            id="common-check",
        ),
        pytest.param([], None, "N1", "no-test", "needs a second region", id="catalogue-says-no-test"),
        pytest.param(
            [_o("a", "M2", "skipped", message=NEEDS)], None, "M2", "needs-option", NEEDS, id="needs-control-api"
        ),
        pytest.param([_o("a", "M2", "skipped", message=AKSK)], None, "M2", "needs-option", AKSK, id="needs-ak-sk"),
        pytest.param(
            [_o("a", "M2", "skipped", message=NO_JOB)], None, "M2", "no-inventory-job", NO_JOB, id="no-inventory-job"
        ),
        pytest.param(
            [_o("a", "M2", "skipped", message=INTERFERED)], None, "M2", "inconclusive", INTERFERED, id="interference"
        ),
        pytest.param(
            [_o("a", "M2", "skipped", message="hypothesis found nothing to do")],
            None,
            "M2",
            "skipped",
            "hypothesis found nothing to do",
            id="other-skip",
        ),
        pytest.param(
            [_o("a", "M2", "failed", failed_requirement="M1")],
            None,
            "M2",
            "not-reached",
            "not reached: a failed on M1",
            id="not-reached",
        ),
        pytest.param(
            [_o("a", "M2", "unanswered", unanswered_requests=4)],
            None,
            "M2",
            "unanswered",
            "the target did not answer (4 requests)",
            id="unanswered",
        ),
        pytest.param(
            [
                _o("a", "M2", "failed", failed_requirement="M1"),
                _o("b", "M2", "failed", failed_requirement="M1"),
                _o("c", "M2", "failed", failed_requirement="M1"),
            ],
            None,
            "M2",
            "not-reached",
            "not reached: 3 tests failed on M1 first (a and 2 more)",
            id="not-reached-many",
        ),
        pytest.param(
            [],
            verdicts.RunScope(chosen=frozenset({"M1"}), deselected={"M2": 1}, selection="--requirement M1"),
            "M2",
            "not-selected",
            "no test selected in this run: not chosen (the run was limited to --requirement M1)",
            id="not-chosen",
        ),
    ],
)
def test_why_a_requirement_was_not_judged(
    outcomes: list[Outcome], scope: verdicts.RunScope | None, rid: str, category: str, reason: str
) -> None:
    item = {v.id: v for v in verdicts.requirement_verdicts(outcomes, CATALOGUE, strict=False, scope=scope)}[rid]
    assert not item.judged
    assert item.gaps == (verdicts.Gap(category, reason),), f"received {item.gaps}, expected {category}: {reason}"


def test_a_deviation_still_failing_in_one_test_is_not_fixed_by_another() -> None:
    """One test of the deviated requirement passes, another still fails on it: the deviation is still needed."""
    outcomes = [_o("a", "M1", "xpassed"), _o("b", "M1", "xfailed"), *COMPLETE[1:]]
    items = verdicts.requirement_verdicts(outcomes, CATALOGUE, strict=True)
    assert items[0].verdict == "expected-fail", items[0]
    assert verdicts.overall_verdict(items, strict=True).verdict == "conformant"
    assert verdicts.overall_verdict(items, strict=False).verdict == "conformant"


SCOPE = verdicts.RunScope(chosen=frozenset({"M1"}), selection="--requirement M1", deselected={"M2": 1, "E1": 1})


def test_a_requirement_run_is_judged_on_the_chosen_requirements() -> None:
    """--requirement M1: M1 judged and held is conformant for M1, and says so; the others are out of its scope."""
    items = verdicts.requirement_verdicts([_o("a", "M1")], CATALOGUE, strict=False, scope=SCOPE)
    covered = verdicts.coverage(items, SCOPE)
    assert covered.complete and covered.chosen == ("M1",) and covered.out_of_scope == 4
    assert covered.text() == (
        "1 of 1 MUST judged (scope: 1 requirement chosen with --requirement; 4 others not covered by this verdict)"
    )
    overall = verdicts.overall_verdict(items, strict=False, scope=SCOPE, require_complete=True)
    assert (overall.verdict, overall.exit_code) == ("conformant", ExitCode.CONFORMANT)
    assert overall.reasons == (
        ("the verdict covers only the 1 requirement chosen with --requirement (M1), not the other 4"),
    )


def test_a_requirement_run_without_a_result_for_it_is_incomplete() -> None:
    items = verdicts.requirement_verdicts(
        [_o("a", "M1", "skipped", message=NEEDS)], CATALOGUE, strict=False, scope=SCOPE
    )
    overall = verdicts.overall_verdict(items, strict=False, scope=SCOPE, require_complete=True)
    assert (overall.verdict, overall.exit_code) == ("incomplete", ExitCode.INCOMPLETE)


def test_a_failure_outside_the_chosen_requirements_still_fails_the_run() -> None:
    """A run never hides a failure it saw: a test of M1 that broke M2 makes the run non-conformant."""
    outcomes = [_o("a", "M1"), _o("b", "M1", "failed", failed_requirement="M2")]
    items = verdicts.requirement_verdicts(outcomes, CATALOGUE, strict=False, scope=SCOPE)
    overall = verdicts.overall_verdict(items, strict=False, scope=SCOPE)
    assert overall.verdict == "non-conformant" and "M2 (MUST) failed" in overall.reasons
