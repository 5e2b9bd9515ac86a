"""The contract as a model: what each item of a pause must get, and what the jobs must read afterwards.

Pure (no I/O): the suites feed it the jobs they made or leased and the batches they send, and it says
what the target must answer and show. A job's expected state is a set of allowed statuses and pause
modes: one of each while the contract fixes them, several after a batch-retry-task (the contract only
says a resumed job leaves PAUSING) until the suite observes the job and the model adopts what it saw.

Every expectation names the requirement that fixes it, so a mismatch is reported against the rule
the target broke (`Violation.requirement`; None when no rule of the catalogue covers it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract, contract_constant

__all__ = [
    "SUCCESS",
    "ItemExpectation",
    "Model",
    "ModelJob",
    "Observation",
    "Violation",
    "first_exception",
]


SUCCESS: str  # the contract's word, read on first use (__getattr__)


def __getattr__(name: str) -> str:
    """SUCCESS: the result status of a successful item (`x-drs-result-words`), read from the contract on first use."""
    return contract_constant(__name__, name, SUCCESS="success_word")


class Observation(Protocol):
    """What a suite saw of a job (drs_conformance.live.jobs.JobState fits): status, and pause mode if known."""

    @property
    def status(self) -> str | None: ...

    @property
    def pause_mode(self) -> str | None: ...


@dataclass(frozen=True)
class ModelJob:
    """A job as the contract sees it: type, project, and the statuses and pause modes it may read now.

    `rule` is the requirement that fixed `statuses` (None: nothing sent has touched the job),
    `mode_rule` the one that fixed `pause_modes`, `why` how the job got here (for messages).
    """

    type: str
    project_id: str
    statuses: frozenset[str]
    pause_modes: frozenset[str | None]
    why: str
    rule: str | None = None
    mode_rule: str | None = None

    @property
    def status(self) -> str | None:
        """The one status the job must read, or None while several are allowed."""
        return next(iter(self.statuses)) if len(self.statuses) == 1 else None

    @property
    def settled(self) -> bool:
        return len(self.statuses) == 1

    def describe(self) -> str:
        state = self.status or f"one of {len(self.statuses)} statuses"
        return f"a {self.type} job in {state}"


@dataclass(frozen=True)
class ItemExpectation:
    """What one item of a pause must get: success or not, and the requirement that says so."""

    job_id: str
    mode: str
    succeeds: bool
    requirement: str
    why: str


@dataclass(frozen=True)
class Violation:
    """One way the target's answer or state differs from the model.

    `isolate` marks a pausable item that failed in a batch with failing items: whether that is
    PAUSABLE-SUCCEEDS or ITEMS-INDEPENDENT shows when the item is sent alone (`independence()`).
    """

    requirement: str | None
    message: str
    job_id: str | None = None
    mode: str | None = None
    isolate: bool = False

    def independence(self, alone_succeeds: bool) -> Violation:
        """The violation once the item was sent alone: it succeeds alone, so its batch made it fail."""
        if not (self.isolate and alone_succeeds):
            return replace(self, isolate=False)
        return Violation(
            Req.ITEMS_INDEPENDENT,
            f"{self.message}; alone in a batch the same item gets 'success': documented items are independent "
            "(a failing item does not change the outcome of the others)",
            self.job_id,
            self.mode,
        )

    def exception(self) -> AssertionError:
        """A NonConformance naming the requirement (a plain AssertionError when no rule names it)."""
        if self.requirement is None:
            return AssertionError(self.message)
        return NonConformance(self.requirement, self.message)


def first_exception(violations: Sequence[Violation]) -> AssertionError | None:
    """The exception of the first violation, with the others listed after its message."""
    if not violations:
        return None
    first, rest = violations[0], violations[1:]
    if not rest:
        return first.exception()
    also = "; ".join(f"[{v.requirement or 'unattributed'}] {v.message}" for v in rest[:5])
    more = f" (and {len(rest) - 5} more)" if len(rest) > 5 else ""
    return replace(first, message=f"{first.message} -- also: {also}{more}").exception()


def _listing(values: Iterable[Any]) -> str:
    shown = sorted(values, key=lambda v: (v is None, str(v)))
    return " or ".join(repr(v) for v in shown) if len(shown) <= 3 else f"one of {len(shown)} values"


class Model:
    """The jobs a suite knows and what the contract says each must read; `project_id` is the caller's.

    `drift=True` is for live targets (inventory mode): jobs there move on by themselves (a full
    transfer completes, an incremental one starts), so only entering or leaving PAUSING is judged and
    any other status the target reports is adopted.
    """

    def __init__(self, project_id: str, *, drift: bool = False) -> None:
        c = contract()
        self.project_id = project_id
        self.drift = drift
        self.jobs: dict[str, ModelJob] = {}
        self._statuses = frozenset(c.statuses)
        self._modes = frozenset(c.pause_modes)
        self._pausable_statuses = frozenset(c.pausable_statuses)
        self._pausable_types = frozenset(c.pausable_types)
        self._paused = c.paused_status

    # -- the jobs -------------------------------------------------------------------------------

    def add(
        self,
        job_id: str,
        *,
        status: str,
        type: str,
        project_id: str | None = None,
        pause_mode: str | None = None,
        why: str = "made for the test",
    ) -> ModelJob:
        """A job the suite created (control API) or leased and observed (inventory)."""
        if status not in self._statuses:
            raise ValueError(f"status={status!r} is not a status of the contract")
        if job_id in self.jobs:
            raise ValueError(f"job {job_id} is already in the model")
        job = ModelJob(type, project_id or self.project_id, frozenset({status}), frozenset({pause_mode}), why)
        self.jobs[job_id] = job
        return job

    def own(self, job_id: str) -> bool:
        job = self.jobs.get(job_id)
        return job is not None and job.project_id == self.project_id

    def own_ids(self) -> list[str]:
        return [job_id for job_id in self.jobs if self.own(job_id)]

    def paused_ids(self) -> list[str]:
        """Own jobs the model says are PAUSING now."""
        return [job_id for job_id in self.own_ids() if self.jobs[job_id].status == self._paused]

    # -- pause ------------------------------------------------------------------------------------

    def expect_item(self, job_id: str, mode: str) -> ItemExpectation:
        """The outcome the contract gives one item (success iff own, pausable type and pausable status)."""
        if mode not in self._modes:
            raise ValueError(f"mode={mode!r} is not a pause mode of the contract; the model judges valid batches")
        job = self.jobs.get(job_id)
        if job is None:
            return ItemExpectation(job_id, mode, False, Req.UNKNOWN_JOB_FAILS, f"an unknown job id ({job_id})")
        if job.project_id != self.project_id:
            return ItemExpectation(
                job_id, mode, False, Req.FOREIGN_JOB_FAILS, f"a job of another project ({job_id}, {job.describe()})"
            )
        if not job.settled:
            raise ValueError(f"job {job_id} may read {_listing(job.statuses)}: observe it before pausing it")
        what = f"{job.describe()} ({job_id})"
        if job.type not in self._pausable_types:
            return ItemExpectation(job_id, mode, False, Req.DR_JOB_FAILS, what)
        if job.status not in self._pausable_statuses:
            return ItemExpectation(job_id, mode, False, Req.NON_PAUSABLE_STATE_FAILS, what)
        return ItemExpectation(job_id, mode, True, Req.PAUSABLE_SUCCEEDS, what)

    def expect_pause(self, items: Sequence[tuple[str, str]]) -> list[ItemExpectation]:
        """The outcome of every item of a batch of distinct ids, in request order (order does not matter)."""
        ids = [job_id for job_id, _ in items]
        if not ids:
            raise ValueError("a batch has at least one item")
        if len(set(ids)) != len(ids):
            raise ValueError("the model judges batches of distinct ids (duplicates are an Either rule)")
        return [self.expect_item(job_id, mode) for job_id, mode in items]

    def pause(self, items: Sequence[tuple[str, str]]) -> list[ItemExpectation]:
        """Expect a batch and move the model to the state the contract then requires."""
        expectations = self.expect_pause(items)
        for item in expectations:
            job = self.jobs.get(item.job_id)
            if job is None:
                continue
            if item.succeeds:
                self.jobs[item.job_id] = replace(
                    job,
                    statuses=frozenset({self._paused}),
                    pause_modes=frozenset({item.mode}),
                    why=f"paused with success in mode {item.mode!r} (it was {job.describe()})",
                    rule=Req.PAUSABLE_SUCCEEDS,
                    mode_rule=Req.PAUSE_MODE_RECORDED,
                )
            else:
                self.jobs[item.job_id] = replace(
                    job,
                    why=f"its item failed, so it is left as it was ({job.describe()})",
                    rule=item.requirement,
                    mode_rule=item.requirement,
                )
        return expectations

    @staticmethod
    def requirement_of_batch(expectations: Sequence[ItemExpectation]) -> str:
        """The rule that makes a well-formed batch be served (200): independence when outcomes mix."""
        outcomes = {item.succeeds for item in expectations}
        return Req.ITEMS_INDEPENDENT if len(outcomes) > 1 else expectations[0].requirement

    @staticmethod
    def judge_results(
        expectations: Sequence[ItemExpectation], results: Mapping[str, Sequence[Mapping[str, Any]]]
    ) -> list[Violation]:
        """Each item's result against its expectation (results grouped by id, one per item, already checked)."""
        violations: list[Violation] = []
        success = contract().success_word
        failing_elsewhere = {item.job_id for item in expectations if not item.succeeds}
        for item in expectations:
            result = results[item.job_id][0]
            status = result.get("status")
            if item.succeeds and status != success:
                others = failing_elsewhere - {item.job_id}
                violations.append(
                    Violation(
                        item.requirement,
                        f"received status {status!r} for {item.why}, mode {item.mode!r}; documented {success!r}",
                        item.job_id,
                        item.mode,
                        isolate=bool(others),
                    )
                )
            elif not item.succeeds and status == success:
                violations.append(
                    Violation(
                        item.requirement,
                        f"received {success!r} for {item.why}; documented a failed item",
                        item.job_id,
                        item.mode,
                    )
                )
        return violations

    # -- batch-retry-task ---------------------------------------------------------------------------

    def resume(self, job_ids: Iterable[str]) -> list[str]:
        """batch-retry-task of own jobs; returns those that must leave PAUSING (they were PAUSING).

        A resumed job may read any status but PAUSING (the sandbox returns it to the status it was
        paused from; another implementation may not), and any pause mode. The contract says nothing of
        a batch-retry-task of a job that is not paused: it may then read anything. Observe, then `observe()` adopts.
        """
        leaving: list[str] = []
        for job_id in job_ids:
            if not self.own(job_id):
                continue
            job = self.jobs[job_id]
            every_mode = frozenset({None, *self._modes})
            if job.statuses == {self._paused}:
                leaving.append(job_id)
                self.jobs[job_id] = replace(
                    job,
                    statuses=self._statuses - {self._paused},
                    pause_modes=every_mode,
                    why=f"resumed with batch-retry-task (it was {job.describe()})",
                    rule=Req.SUPPORT_RESUME,
                    mode_rule=Req.SUPPORT_RESUME,
                )
            else:
                self.jobs[job_id] = replace(
                    job,
                    statuses=self._statuses,
                    pause_modes=every_mode,
                    why=f"retried with batch-retry-task while not paused (it was {job.describe()}); the contract "
                    "does not say what that does",
                    rule=None,
                    mode_rule=None,
                )
        return leaving

    # -- observing ---------------------------------------------------------------------------------

    def _documented(self, job: ModelJob) -> str:
        if job.settled:
            return str(job.status)
        if job.statuses == self._statuses - {self._paused}:
            return f"any status but {self._paused}"
        return "a status" if job.statuses == self._statuses else _listing(job.statuses)

    def _status_violation(
        self, job_id: str, job: ModelJob, seen: str | None, requirement: str | None, source: str
    ) -> Violation | None:
        if seen in job.statuses:
            return None
        if self.drift and seen is not None and seen != self._paused and self._paused not in job.statuses:
            return None  # a live job moved on by itself; only PAUSING is the test's doing
        return Violation(
            requirement,
            f"received status {seen!r} for job {job_id} ({source}), documented {self._documented(job)}: {job.why}",
            job_id,
        )

    def observe(self, observed: Mapping[str, Observation], *, modes: bool, source: str = "observed") -> list[Violation]:
        """Compare what the suite saw with the model, then adopt it (statuses; modes when `modes`).

        Nothing is adopted when something differs. Jobs not in `observed` are left as they are.
        """
        violations: list[Violation] = []
        for job_id, seen in observed.items():
            job = self.jobs.get(job_id)
            if job is None:
                continue
            problem = self._status_violation(job_id, job, seen.status, job.rule, source)
            if problem is not None:
                violations.append(problem)
            if modes and seen.pause_mode not in job.pause_modes:
                violations.append(
                    Violation(
                        job.mode_rule,
                        f"received pause mode {seen.pause_mode!r} for job {job_id} ({source}), documented "
                        f"{_listing(job.pause_modes)}: {job.why}",
                        job_id,
                    )
                )
        if violations:
            return violations
        for job_id, seen in observed.items():
            job = self.jobs.get(job_id)
            if job is None or seen.status is None:
                continue
            adopted_modes = frozenset({seen.pause_mode}) if modes else job.pause_modes
            self.jobs[job_id] = replace(job, statuses=frozenset({seen.status}), pause_modes=adopted_modes)
        return violations

    # -- batch-status --------------------------------------------------------------------------------

    def judge_statuses(self, seen: Mapping[str, str | None]) -> list[Violation]:
        """batch-status against the model (SUPPORT-STATUS): each settled own job's status, matched by id."""
        violations: list[Violation] = []
        for job_id, status in seen.items():
            job = self.jobs.get(job_id)
            if job is None or not self.own(job_id) or not job.settled:
                continue
            problem = self._status_violation(job_id, job, status, Req.SUPPORT_STATUS, "batch-status")
            if problem is not None:
                violations.append(problem)
        return violations
