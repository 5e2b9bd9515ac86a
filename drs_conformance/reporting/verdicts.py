"""Verdicts: one per test, one per requirement and one for the run; the only place of that logic.

A run's verdict claims only what the run judged:
- `interrupted`: a signal stopped it (never conformant, whatever had passed);
- `non-conformant`: a MUST or EITHER requirement failed (strict: a SHOULD too, or a fixed deviation);
- `incomplete`: nothing failed, but some MUST or EITHER requirement was not judged, each with its reason, or
  some of the run's tests are not here (a shard alone, a merge without every shard: `RunScope.partial`);
- `conformant`: every MUST and EITHER requirement of the catalogue was judged in this run and held.
A requirement is judged when its verdict is pass, fail, warn, expected-fail or fixed; skip and not-tested
are not judged. SHOULD requirements not judged are shown but never make a run incomplete.
"""

from __future__ import annotations

import re
import signal
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Literal

from drs_conformance.contract.catalogue import LEVELS, Catalogue, Requirement
from drs_conformance.contract.catalogue import catalogue as shipped_catalogue
from drs_conformance.errors import ExitCode
from drs_conformance.reporting.outcomes import TestOutcome

__all__ = [
    "FAILING_OUTCOMES",
    "JUDGED",
    "NOT_JUDGED",
    "RUN_VERDICTS",
    "VERDICTS",
    "Coverage",
    "Gap",
    "JudgedTest",
    "Overall",
    "RequirementVerdict",
    "RunScope",
    "RunVerdict",
    "TestVerdict",
    "Verdict",
    "attributed_requirement",
    "coverage",
    "overall_verdict",
    "requirement_verdicts",
    "test_verdict",
    "tests_run",
]

Verdict = Literal["pass", "fail", "warn", "skip", "expected-fail", "fixed", "not-tested"]
# Display and count order: worst first.
VERDICTS: tuple[Verdict, ...] = ("fail", "warn", "fixed", "expected-fail", "skip", "not-tested", "pass")
# Requirement verdicts that judged the requirement (held or not); skip and not-tested judged nothing.
JUDGED: frozenset[str] = frozenset({"pass", "fail", "warn", "expected-fail", "fixed"})
# A test's verdict: a requirement verdict, or "unanswered" (the target gave no answer; judges nothing).
TestVerdict = Literal["pass", "fail", "warn", "skip", "expected-fail", "fixed", "unanswered"]
RunVerdict = Literal["conformant", "non-conformant", "incomplete", "interrupted"]
RUN_VERDICTS: tuple[RunVerdict, ...] = ("conformant", "non-conformant", "incomplete", "interrupted")
# Outcomes that are failures of the target (an error in set-up is judged like a failed assertion).
FAILING_OUTCOMES = frozenset({"failed", "error"})

# Why a requirement was not judged, in categories a person can act on (the key -> what it means).
NOT_JUDGED: dict[str, str] = {
    "not-selected": "not selected in this run (-k, -m, test paths, --collect-only)",
    "needs-option": "needs what this run did not give (--control-api, --inventory, AK/SK)",
    "no-inventory-job": "no inventory job in the state it needs",
    "not-reached": "blocked by another failure",
    "interrupted": "the run was stopped before its tests ran",
    "unanswered": "the target did not answer",
    "inconclusive": "a job changed under the test (another run or an operator?)",
    "no-test": "the kit has no test for it",
    "skipped": "skipped for another reason",
}

_NOT_TESTED_IN_RUN = "no test selected in this run"
# Skip messages, read for their category (the suites' skips say what to provide): first match wins.
_SKIP_CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("inconclusive", re.compile(r"^(Interference: )?inconclusive: ")),  # drs_conformance.live.jobs.Interference
    (
        "no-inventory-job",
        re.compile(r"the inventory has no|inventory job .* did not reach|provision one", re.IGNORECASE),
    ),
    (
        "needs-option",
        re.compile(r"--control-api|--inventory|--ak\b|--sk\b|AK/SK|control API|credentials", re.IGNORECASE),
    ),
)


@dataclass(frozen=True)
class Gap:
    """Why a requirement was not judged: a category of NOT_JUDGED and the reason in words."""

    category: str
    reason: str


@dataclass(frozen=True, kw_only=True)
class RunScope:
    """What the run set out to run and how it ended: the context of the requirements it did not judge."""

    # Requirement id -> selected tests that carry it (from collection); None when unknown (an xdist
    # controller whose workers did not report it).
    selected: Mapping[str, int] | None = None
    # Requirement id -> tests deselected by -k / -m.
    deselected: Mapping[str, int] = field(default_factory=dict)
    # Requirements judged on whatever answers the tests get (the common checks): no test is "of" them.
    traffic_checks: frozenset[str] = frozenset()
    # How tests were chosen, for the reasons: "-k 'documented_example'", "test paths" ("" = the whole suites).
    selection: str = ""
    # Tests collected and selected in this run (None: not known).
    collected: int | None = None
    collect_only: bool = False
    # The signal that stopped the run (signal.SIGINT / SIGTERM), or None.
    stopped_by: int | None = None
    # Why the run stopped early without a signal (-x / --maxfail), or None.
    stopped_early: str | None = None
    # --requirement: the requirements this run's verdict covers (empty: the whole catalogue).
    chosen: frozenset[str] = frozenset()
    # Why the run's tests are not all here, whatever was judged (a shard alone, a merge missing or refusing a
    # shard): never conformant then.
    partial: tuple[str, ...] = ()

    @property
    def signal_name(self) -> str | None:
        return None if self.stopped_by is None else signal.Signals(self.stopped_by).name

    def in_scope(self, requirement_id: str) -> bool:
        """Whether the verdict covers this requirement (every one, unless --requirement chose some)."""
        return not self.chosen or requirement_id in self.chosen

    @property
    def chosen_text(self) -> str:
        """'--requirement A --requirement B' (or '')."""
        return " ".join(f"--requirement {rid}" for rid in sorted(self.chosen))


def attributed_requirement(outcome: TestOutcome, known: Catalogue | None = None) -> str | None:
    """The requirement a failure counts against: `failed_requirement`, else the test's first one.

    An id the catalogue does not know (a kit bug) falls back to the test's first known requirement,
    so that no failure can be lost from the report.
    """
    known = shipped_catalogue() if known is None else known
    if outcome.failed_requirement and outcome.failed_requirement in known:
        return outcome.failed_requirement
    return next((rid for rid in outcome.requirements if rid in known), outcome.failed_requirement)


def test_verdict(outcome: TestOutcome, *, strict: bool, catalogue: Catalogue | None = None) -> TestVerdict:
    """One test's verdict: pass / fail / warn / skip / expected-fail / fixed / unanswered.

    A failure (or error) is judged by the level of the requirement it is attributed to: MUST and
    EITHER fail, SHOULD warns (fails when `strict`). xfailed and xpassed happen only under a declared
    known deviation (xpassed: a test of the deviated requirement passed): expected-fail and fixed.
    A test that ended because the target gave no answer is "unanswered": it judges no requirement.
    """
    if outcome.outcome == "passed":
        return "pass"
    if outcome.outcome == "skipped":
        return "skip"
    if outcome.outcome == "xfailed":
        return "expected-fail"
    if outcome.outcome == "xpassed":
        return "fixed"
    if outcome.outcome == "unanswered":
        return "unanswered"
    known = shipped_catalogue() if catalogue is None else catalogue
    requirement_id = attributed_requirement(outcome, known)
    if (
        requirement_id is not None
        and requirement_id in known
        and known[requirement_id].level == "SHOULD"
        and not strict
    ):
        return "warn"
    return "fail"


test_verdict.__test__ = False  # type: ignore[attr-defined]  # a kit function, not a pytest test


@dataclass(frozen=True, kw_only=True)
class JudgedTest:
    """A test outcome with its verdict."""

    outcome: TestOutcome
    verdict: TestVerdict


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
    # Why it was not judged, by category (empty when it was judged).
    gaps: tuple[Gap, ...] = ()

    @property
    def id(self) -> str:
        return self.requirement.id

    @property
    def level(self) -> str:
        return self.requirement.level

    @property
    def judged(self) -> bool:
        return self.verdict in JUDGED


@dataclass(frozen=True, kw_only=True)
class Coverage:
    """How many requirements of each level this run judged, and which it did not (of those in its scope)."""

    judged: Mapping[str, int]
    total: Mapping[str, int]
    not_judged: tuple[RequirementVerdict, ...] = ()
    # --requirement: the requirements the verdict covers (empty: the whole catalogue); others are out of scope.
    chosen: tuple[str, ...] = ()
    out_of_scope: int = 0

    @property
    def complete(self) -> bool:
        """Every MUST and EITHER requirement (in scope) judged; SHOULD does not count."""
        return all(self.judged[level] == self.total[level] for level in LEVELS if level != "SHOULD")

    def text(self) -> str:
        """'28 of 28 MUST judged, 5 of 5 EITHER judged, 9 of 9 SHOULD judged'; a --requirement run says its scope:
        '1 of 1 MUST judged (scope: 1 requirement chosen with --requirement; 42 others not covered)'."""
        order = ("MUST", "EITHER", "SHOULD")
        if not self.chosen:
            return ", ".join(f"{self.judged[level]} of {self.total[level]} {level} judged" for level in order)
        figures = ", ".join(
            f"{self.judged[level]} of {self.total[level]} {level} judged" for level in order if self.total[level]
        )
        return (
            f"{figures} (scope: {_plural(len(self.chosen), 'requirement')} chosen with --requirement; "
            f"{self.out_of_scope} others not covered by this verdict)"
        )


@dataclass(frozen=True, kw_only=True)
class Overall:
    """The run's verdict, its exit code, why, and what it judged."""

    verdict: RunVerdict
    exit_code: int
    reasons: tuple[str, ...] = ()
    coverage: Coverage | None = None


def _distinct(items: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in items if item))


def _skip_gap(message: str) -> Gap:
    reason = message.strip() or "skipped (no reason given)"
    category = next((name for name, pattern in _SKIP_CATEGORIES if pattern.search(reason)), "skipped")
    return Gap(category, reason)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def _blocked_gap(failed_on: str, nodeids: list[str]) -> Gap:
    """Tests of a requirement that failed on another one first: one gap per requirement they failed on."""
    if len(nodeids) == 1:
        return Gap("not-reached", f"not reached: {nodeids[0]} failed on {failed_on}")
    return Gap(
        "not-reached",
        f"not reached: {len(nodeids)} tests failed on {failed_on} first ({nodeids[0]} and {len(nodeids) - 1} more)",
    )


def _unrun_gap(requirement: Requirement, scope: RunScope) -> Gap:
    """Why a requirement no test of this run judged or even tried had no test."""
    rid = requirement.id
    if requirement.not_tested:
        return Gap("no-test", requirement.not_tested)
    if not scope.in_scope(rid):
        return Gap("not-selected", f"{_NOT_TESTED_IN_RUN}: not chosen (the run was limited to {scope.chosen_text})")
    selected = None if scope.selected is None else scope.selected.get(rid, 0)
    if scope.collect_only:
        return Gap("not-selected", f"{_NOT_TESTED_IN_RUN}: --collect-only ran no test")
    if scope.stopped_by is not None and selected != 0:
        tests = "its tests" if selected is None else _plural(selected, "selected test")
        return Gap("interrupted", f"not run: the run was stopped ({scope.signal_name}) before {tests} ran")
    if rid in scope.traffic_checks:
        return Gap(
            "not-selected",
            f"{_NOT_TESTED_IN_RUN} got an answer of the kind this check judges"
            + (f" (only {scope.selection} ran)" if scope.selection else ""),
        )
    if selected and scope.stopped_early:
        return Gap("not-reached", f"not run: {scope.stopped_early}")
    if selected:
        return Gap("skipped", f"{_plural(selected, 'selected test')} gave no result")
    if scope.deselected.get(rid):
        return Gap("not-selected", f"{_NOT_TESTED_IN_RUN}: deselected by {scope.selection or '-k/-m'}")
    return Gap("not-selected", _NOT_TESTED_IN_RUN + (f" (only {scope.selection} ran)" if scope.selection else ""))


def _judge_one(
    requirement: Requirement, outcomes: list[TestOutcome], known: Catalogue, strict: bool, scope: RunScope
) -> RequirementVerdict:
    rid = requirement.id
    judged: list[JudgedTest] = []
    failures: list[JudgedTest] = []
    covered: list[JudgedTest] = []
    fixed = passed = False
    pending: list[Gap | str] = []  # a str holds the place of the not-reached gap of the requirement it names
    blocked: dict[str, list[str]] = {}  # requirement failed first -> this requirement's tests it stopped
    unanswered = 0
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
            if str(attributed) not in blocked:
                pending.append(str(attributed))
            blocked.setdefault(str(attributed), []).append(outcome.nodeid)
        elif outcome.outcome == "unanswered":
            unanswered += max(1, outcome.unanswered_requests)
        elif outcome.outcome == "xpassed" and attributed == rid:
            fixed = True  # a test of the deviated requirement passed
        elif outcome.outcome in ("xpassed", "passed"):
            passed = True
        else:  # skipped
            pending.append(_skip_gap(outcome.message))
    if unanswered:
        pending.append(Gap("unanswered", f"the target did not answer ({_plural(unanswered, 'request')})"))
    gaps = [gap if isinstance(gap, Gap) else _blocked_gap(gap, blocked[gap]) for gap in pending]

    def make(verdict: Verdict, reasons: Iterable[str] = (), gaps: Iterable[Gap] = ()) -> RequirementVerdict:
        return RequirementVerdict(
            requirement=requirement,
            verdict=verdict,
            tests=tuple(judged),
            failures=tuple(failures + covered),
            reasons=_distinct(reasons),
            gaps=tuple(dict.fromkeys(gaps)),
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
        return make("skip", [gap.reason for gap in gaps], gaps)
    gap = _unrun_gap(requirement, scope)
    return make("not-tested", [gap.reason], [gap])


def requirement_verdicts(
    outcomes: Iterable[TestOutcome],
    catalogue: Catalogue | None = None,
    *,
    strict: bool,
    scope: RunScope | None = None,
) -> list[RequirementVerdict]:
    """One verdict per catalogue requirement, in catalogue order.

    fail/warn when a failure is attributed to it (whichever test raised it); else expected-fail when
    its failures were all covered by deviations; else fixed when a deviation for it passed; else
    pass when one of its tests passed; else skip when every test was skipped, got no answer or
    failed on another requirement first ("not reached"); else not-tested. A requirement not judged
    carries its gaps: why, by category (see NOT_JUDGED).
    """
    known = shipped_catalogue() if catalogue is None else catalogue
    outcomes = list(outcomes)
    scope = scope or RunScope()
    return [_judge_one(requirement, outcomes, known, strict, scope) for requirement in known]


def coverage(verdicts: Iterable[RequirementVerdict], scope: RunScope | None = None) -> Coverage:
    """Requirements judged per level, and the ones not judged (in catalogue order), of those the scope covers."""
    everything = list(verdicts)
    scope = scope or RunScope()
    verdicts = [v for v in everything if scope.in_scope(v.id)]
    total: dict[str, int] = {level: sum(1 for v in verdicts if v.level == level) for level in LEVELS}
    judged: dict[str, int] = {level: sum(1 for v in verdicts if v.level == level and v.judged) for level in LEVELS}
    return Coverage(
        judged=judged,
        total=total,
        not_judged=tuple(v for v in verdicts if not v.judged),
        chosen=tuple(v.id for v in verdicts) if scope.chosen else (),
        out_of_scope=len(everything) - len(verdicts),
    )


def tests_run(outcomes: Iterable[TestOutcome]) -> int:
    """Tests that ran to a result (a teardown error of a test is not another test)."""
    return len({outcome.nodeid.removesuffix(" (teardown)") for outcome in outcomes})


def overall_verdict(
    verdicts: Iterable[RequirementVerdict],
    *,
    strict: bool,
    scope: RunScope | None = None,
    outcomes: Iterable[TestOutcome] = (),
    require_complete: bool = False,
    left_paused: Iterable[str] = (),
) -> Overall:
    """The run's verdict and exit code (README, "Exit codes"), first rule that applies:

    stopped by a signal: interrupted, 130 / 143; jobs of a live target left paused (`left_paused`): 3,
    whatever the verdict (putting them back comes first); a MUST/EITHER failure (strict: a SHOULD
    warning or a fixed deviation too): non-conformant, 1; any test the target did not answer: 3 (the
    verdict stays conformant or incomplete); a MUST/EITHER requirement not judged: incomplete, 0 (5
    with `require_complete`); otherwise conformant, 0.
    """
    overall = _overall(verdicts, strict=strict, scope=scope, outcomes=outcomes, require_complete=require_complete)
    left = list(left_paused)
    if not left or overall.verdict == "interrupted":
        return overall
    note = f"{_plural(len(left), 'job')} of the target not put back: {', '.join(left)}"
    return Overall(
        verdict=overall.verdict,
        exit_code=ExitCode.TARGET,
        reasons=_distinct([note, *overall.reasons]),
        coverage=overall.coverage,
    )


def _overall(
    verdicts: Iterable[RequirementVerdict],
    *,
    strict: bool,
    scope: RunScope | None,
    outcomes: Iterable[TestOutcome],
    require_complete: bool,
) -> Overall:
    """overall_verdict before the jobs left paused are counted."""
    verdicts = list(verdicts)
    scope = scope or RunScope()
    outcomes = list(outcomes)
    failed: list[str] = []
    for item in verdicts:
        if item.verdict == "fail":
            failed.append(f"{item.id} ({item.level}) failed")
        elif strict and item.verdict == "warn":
            failed.append(f"{item.id} ({item.level}) failed (strict: SHOULD counts)")
        elif strict and item.verdict == "fixed":
            failed.append(f"{item.id}: a known deviation passed; remove it from the deviations file (strict)")
    covered = coverage(verdicts, scope)
    missing = [v for v in covered.not_judged if v.level != "SHOULD"]
    unanswered = [o for o in outcomes if o.outcome == "unanswered"]
    requests = sum(max(1, o.unanswered_requests) for o in unanswered)
    no_answer = (
        f"the target did not answer {_plural(requests, 'request')} ({_plural(len(unanswered), 'test')} "
        "ended without an answer; they judge no requirement)"
        if unanswered
        else ""
    )
    incomplete = (
        f"{_plural(len(missing), 'MUST/EITHER requirement')} not judged: "
        + "; ".join(f"{v.id} ({v.gaps[0].category if v.gaps else 'skipped'})" for v in missing)
        if missing
        else ""
    )
    if scope.stopped_by is not None:
        ran = tests_run(outcomes)
        of = f" of {scope.collected}" if scope.collected is not None else ""
        stop = f"stopped by {scope.signal_name} after {ran}{of} tests ran"
        return Overall(
            verdict="interrupted",
            exit_code=128 + int(scope.stopped_by),
            reasons=_distinct([stop, *scope.partial, *failed, no_answer, incomplete]),
            coverage=covered,
        )
    if failed:
        return Overall(
            verdict="non-conformant",
            exit_code=ExitCode.NON_CONFORMANT,
            reasons=_distinct([*failed, *scope.partial, no_answer]),
            coverage=covered,
        )
    if missing or scope.partial:
        code = ExitCode.TARGET if unanswered else ExitCode.INCOMPLETE if require_complete else ExitCode.CONFORMANT
        return Overall(
            verdict="incomplete",
            exit_code=code,
            reasons=_distinct([*scope.partial, incomplete, no_answer]),
            coverage=covered,
        )
    code = ExitCode.TARGET if unanswered else ExitCode.CONFORMANT
    limited = (
        f"the verdict covers only the {_plural(len(covered.chosen), 'requirement')} chosen with "
        f"--requirement ({', '.join(covered.chosen)}), not the other {covered.out_of_scope}"
        if covered.chosen
        else ""
    )
    return Overall(verdict="conformant", exit_code=code, reasons=_distinct([limited, no_answer]), coverage=covered)
