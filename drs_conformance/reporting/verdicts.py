"""Verdicts: one per test, one per requirement and one for the run; the only place of that logic."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from drs_conformance.catalogue import Catalogue, Requirement, catalogue as shipped_catalogue
from drs_conformance.errors import ExitCode
from drs_conformance.outcomes import TestOutcome

__all__ = [
    "Verdict",
    "VERDICTS",
    "FAILING_OUTCOMES",
    "JudgedTest",
    "RequirementVerdict",
    "Overall",
    "attributed_requirement",
    "test_verdict",
    "requirement_verdicts",
    "overall_verdict",
]

Verdict = Literal["pass", "fail", "warn", "skip", "expected-fail", "fixed", "not-tested"]
# Display and count order: worst first.
VERDICTS: tuple[Verdict, ...] = ("fail", "warn", "fixed", "expected-fail", "skip", "not-tested", "pass")
# Outcomes that are failures of the target (an error in set-up is judged like a failed assertion).
FAILING_OUTCOMES = frozenset({"failed", "error"})

_NOT_TESTED_IN_RUN = "no test selected in this run"


def attributed_requirement(outcome: TestOutcome, known: Catalogue | None = None) -> str | None:
    """The requirement a failure counts against: `failed_requirement`, else the test's first one.

    An id the catalogue does not know (a kit bug) falls back to the test's first known requirement,
    so that no failure can be lost from the report.
    """
    known = shipped_catalogue() if known is None else known
    if outcome.failed_requirement and outcome.failed_requirement in known:
        return outcome.failed_requirement
    return next((rid for rid in outcome.requirements if rid in known), outcome.failed_requirement)


def test_verdict(outcome: TestOutcome, *, strict: bool, catalogue: Catalogue | None = None) -> Verdict:
    """One test's verdict: pass / fail / warn / skip / expected-fail / fixed.

    A failure (or error) is judged by the level of the requirement it is attributed to: MUST and
    EITHER fail, SHOULD warns (fails when `strict`). xfailed and xpassed happen only under a declared
    known deviation (xpassed: a test of the deviated requirement passed): expected-fail and fixed.
    """
    if outcome.outcome == "passed":
        return "pass"
    if outcome.outcome == "skipped":
        return "skip"
    if outcome.outcome == "xfailed":
        return "expected-fail"
    if outcome.outcome == "xpassed":
        return "fixed"
    known = shipped_catalogue() if catalogue is None else catalogue
    requirement_id = attributed_requirement(outcome, known)
    if requirement_id in known and known[requirement_id].level == "SHOULD" and not strict:
        return "warn"
    return "fail"


test_verdict.__test__ = False  # type: ignore[attr-defined]  # a kit function, not a pytest test


@dataclass(frozen=True, kw_only=True)
class JudgedTest:
    """A test outcome with its verdict."""

    outcome: TestOutcome
    verdict: Verdict


@dataclass(frozen=True, kw_only=True)
class RequirementVerdict:
    """A requirement's verdict, the tests behind it, the failures attributed to it and the reasons."""

    requirement: Requirement
    verdict: Verdict
    # Every test that carries the requirement or whose failure is attributed to it, in run order.
    tests: tuple[JudgedTest, ...] = ()
    # Failed, errored and xfailed tests attributed to this requirement.
    failures: tuple[JudgedTest, ...] = ()
    # Why it was skipped, not reached or not tested (distinct, in order of appearance).
    reasons: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def level(self) -> str:
        return self.requirement.level


@dataclass(frozen=True, kw_only=True)
class Overall:
    """The run's verdict, its exit code and what made it non-conformant."""

    verdict: Literal["conformant", "non-conformant"]
    exit_code: ExitCode
    reasons: tuple[str, ...] = ()


def _distinct(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _judge_one(
    requirement: Requirement, outcomes: list[TestOutcome], known: Catalogue, strict: bool
) -> RequirementVerdict:
    rid = requirement.id
    judged: list[JudgedTest] = []
    failures: list[JudgedTest] = []
    covered: list[JudgedTest] = []
    fixed = passed = False
    skip_reasons: list[str] = []
    for outcome in outcomes:
        attributed = attributed_requirement(outcome, known)
        carries = rid in outcome.requirements
        failing = outcome.outcome in FAILING_OUTCOMES or outcome.outcome == "xfailed"
        also = outcome.outcome in FAILING_OUTCOMES and (rid in outcome.also_failed or rid in outcome.also_covered)
        broke = attributed == rid or also
        if not carries and not (failing and broke):
            continue
        entry = JudgedTest(outcome=outcome, verdict=test_verdict(outcome, strict=strict, catalogue=known))
        judged.append(entry)
        if failing and broke:
            expected = outcome.outcome == "xfailed" or rid in outcome.also_covered
            (covered if expected else failures).append(entry)
        elif failing:
            skip_reasons.append(f"not reached: {outcome.nodeid} failed on {attributed}")
        elif outcome.outcome == "xpassed" and attributed == rid:
            fixed = True  # a test of the deviated requirement passed
        elif outcome.outcome == "xpassed":
            passed = True
        elif outcome.outcome == "passed":
            passed = True
        else:  # skipped
            skip_reasons.append(outcome.message.strip() or "skipped (no reason given)")

    def make(verdict: Verdict, reasons: Iterable[str] = ()) -> RequirementVerdict:
        return RequirementVerdict(
            requirement=requirement,
            verdict=verdict,
            tests=tuple(judged),
            failures=tuple(failures + covered),
            reasons=_distinct(reasons),
        )

    if failures:
        return make("warn" if requirement.level == "SHOULD" and not strict else "fail")
    if covered:
        return make("expected-fail", [c.outcome.deviation or "" for c in covered])
    if fixed:
        return make("fixed")
    if passed:
        return make("pass")
    if judged:
        return make("skip", skip_reasons)
    return make("not-tested", [requirement.not_tested or _NOT_TESTED_IN_RUN])


def requirement_verdicts(
    outcomes: Iterable[TestOutcome], catalogue: Catalogue | None = None, *, strict: bool
) -> list[RequirementVerdict]:
    """One verdict per catalogue requirement, in catalogue order.

    fail/warn when a failure is attributed to it (whichever test raised it); else expected-fail when
    its failures were all covered by deviations; else fixed when a deviation for it passed; else
    pass when one of its tests passed; else skip when every test was skipped or failed on another
    requirement first ("not reached"); else not-tested.
    """
    known = shipped_catalogue() if catalogue is None else catalogue
    outcomes = list(outcomes)
    return [_judge_one(requirement, outcomes, known, strict) for requirement in known]


def overall_verdict(verdicts: Iterable[RequirementVerdict], *, strict: bool) -> Overall:
    """Non-conformant when a MUST/EITHER requirement fails, or (strict) anything warns or is fixed."""
    reasons: list[str] = []
    for item in verdicts:
        if item.verdict == "fail":
            reasons.append(f"{item.id} ({item.level}) failed")
        elif strict and item.verdict == "warn":
            reasons.append(f"{item.id} ({item.level}) failed (strict: SHOULD counts)")
        elif strict and item.verdict == "fixed":
            reasons.append(f"{item.id}: a known deviation passed; remove it from the deviations file (strict)")
    if reasons:
        return Overall(verdict="non-conformant", exit_code=ExitCode.NON_CONFORMANT, reasons=_distinct(reasons))
    return Overall(verdict="conformant", exit_code=ExitCode.CONFORMANT)
