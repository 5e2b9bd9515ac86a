"""The sandbox's jobs: a thread-safe in-memory store with check-and-set pause and resume (no HTTP here)."""

from __future__ import annotations

import enum
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace

__all__ = ["Job", "JobOutcome", "JobStore", "PausePolicy", "Result", "ResumePolicy"]


@dataclass(slots=True)
class Job:
    """One DRS job as the sandbox keeps it; `previous_status` is the status a pause came from."""

    id: str
    project_id: str
    status: str
    type: str
    pause_mode: str | None = None
    previous_status: str | None = None
    # effects=delayed: what reads show, (status, pause_mode), until `shown_until` (time.monotonic()).
    shown: tuple[str, str | None] | None = None
    shown_until: float = 0.0

    def as_seen(self, now: float) -> Job:
        """A copy of the job as a read sees it at `now`: its earlier face while a change is still showing."""
        if self.shown is None or now >= self.shown_until:
            return replace(self, shown=None)
        status, mode = self.shown
        return replace(self, status=status, pause_mode=mode, shown=None)

    def as_dict(self) -> dict[str, str | None]:
        """The job as the control API shows it."""
        return {
            "id": self.id,
            "project_id": self.project_id,
            "status": self.status,
            "type": self.type,
            "pause_mode": self.pause_mode,
        }


class JobOutcome(enum.Enum):
    """What an operation did to one job; FOREIGN is internal only and must be rendered like NOT_FOUND."""

    PAUSED = "paused"
    RESUMED = "resumed"
    RETRIED = "retried"  # a *_FAILED job: the retry is accepted and leaves the job as it is
    NOT_FOUND = "not-found"
    FOREIGN = "foreign"
    NOT_PAUSABLE_STATE = "not-pausable-state"
    NOT_PAUSABLE_TYPE = "not-pausable-type"
    NOT_RESUMABLE = "not-resumable"

    @property
    def succeeded(self) -> bool:
        return self in (JobOutcome.PAUSED, JobOutcome.RESUMED, JobOutcome.RETRIED)


@dataclass(frozen=True, kw_only=True)
class PausePolicy:
    """Which jobs may be paused and what a pause records; `policy.py` derives it from the contract and the defect."""

    statuses: frozenset[str]
    types: frozenset[str]
    paused_status: str
    update_status: bool = True
    record_mode: bool = True
    change_on_state_failure: bool = False
    reach_foreign: bool = False
    all_or_nothing: bool = False
    repause_unrecorded: bool = False
    copy_table: bool = False  # the lost-update defect: a pause is a read-copy-write of the whole job table

    def decide(self, job: Job) -> JobOutcome:
        """The outcome a pause of `job` (already known to be in the right project) would have."""
        if job.type not in self.types:
            return JobOutcome.NOT_PAUSABLE_TYPE
        if job.status in self.statuses:
            if not self.update_status and job.previous_status is not None:
                # The status is left stale, but the store still knows the job is paused.
                return JobOutcome.NOT_PAUSABLE_STATE
            return JobOutcome.PAUSED
        if self.repause_unrecorded and job.status == self.paused_status and job.pause_mode is None:
            # The bug looks at the recorded pause, not at the status.
            return JobOutcome.PAUSED
        return JobOutcome.NOT_PAUSABLE_STATE


@dataclass(frozen=True, kw_only=True)
class ResumePolicy:
    """How batch-retry-task treats a job: resume a paused one, accept a failed one, refuse the rest."""

    paused_status: str
    failed_statuses: frozenset[str]
    fallback_status: str
    apply: bool = True


@dataclass
class JobStore:
    """All jobs of all projects, keyed by job id; every read and write holds one lock.

    `lag` > 0 (the variant effects=delayed): a pause or resume is applied at once, but reads show the job as
    it was for `lag` seconds (the documents promise no read-after-write).
    """

    _jobs: dict[str, Job] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    lag: float = 0.0
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)

    def __len__(self) -> int:
        return len(self._jobs)

    def reset(self) -> None:
        """Remove every job."""
        with self._lock:
            self._jobs.clear()

    def put(self, job_id: str, *, project_id: str, status: str, type: str) -> Job:
        """Create or replace a job (not paused); return a copy of it."""
        job = Job(job_id, sys.intern(project_id), sys.intern(status), sys.intern(type))
        with self._lock:
            self._jobs[job_id] = job
            return replace(job)

    def put_many(self, jobs: Iterable[tuple[str, str, str, str]]) -> int:
        """Bulk load (job_id, project_id, status, type) tuples; return how many were stored."""
        intern = sys.intern
        count = 0
        with self._lock:
            store = self._jobs
            for job_id, project_id, status, type_ in jobs:
                store[job_id] = Job(job_id, intern(project_id), intern(status), intern(type_))
                count += 1
        return count

    def put_all(self, records: Sequence[tuple[str, str, str, str]]) -> list[Job]:
        """Create or replace (job_id, project_id, status, type) records under one lock; return copies, in order."""
        jobs = [
            Job(job_id, sys.intern(project_id), sys.intern(status), sys.intern(type_))
            for job_id, project_id, status, type_ in records
        ]
        with self._lock:
            for job in jobs:
                self._jobs[job.id] = job
            return [replace(job) for job in jobs]

    def get_many(self, job_ids: Sequence[str]) -> list[Job | None]:
        """Copies of the jobs (None for no such job), in order, read under one lock."""
        now = self.clock()
        with self._lock:
            return [None if (job := self._jobs.get(job_id)) is None else job.as_seen(now) for job_id in job_ids]

    def delete_many(self, job_ids: Sequence[str]) -> list[bool]:
        """Remove the jobs under one lock; for each id, whether it was there."""
        with self._lock:
            return [self._jobs.pop(job_id, None) is not None for job_id in job_ids]

    def delete(self, job_id: str) -> bool:
        """Remove one job, whatever its project; False if there was none."""
        with self._lock:
            return self._jobs.pop(job_id, None) is not None

    def get(self, job_id: str) -> Job | None:
        """A copy of the job, whatever its project, or None."""
        now = self.clock()
        with self._lock:
            job = self._jobs.get(job_id)
            return None if job is None else job.as_seen(now)

    def statuses(self, project_id: str, job_ids: Sequence[str], *, report_previous: bool = False) -> list[str | None]:
        """The status of each job of `project_id` (None for unknown or foreign ids), in order."""
        out: list[str | None] = []
        now = self.clock()
        with self._lock:
            jobs = self._jobs
            for job_id in job_ids:
                job = jobs.get(job_id)
                if job is None or job.project_id != project_id:
                    out.append(None)
                elif report_previous and job.previous_status is not None:
                    out.append(job.previous_status)
                elif job.shown is not None and now < job.shown_until:
                    out.append(job.shown[0])
                else:
                    out.append(job.status)
        return out

    # -- pause ---------------------------------------------------------------------------------
    # Each result is (outcome, detail): detail is the job's status for a state failure, its type for
    # a type failure, else None. FOREIGN and NOT_FOUND carry no detail, so they cannot differ on the wire.

    def pause(self, project_id: str, job_id: str, mode: str, policy: PausePolicy) -> Result:
        """Check and pause one job atomically."""
        return self.pause_many(project_id, [(job_id, mode)], policy)[0]

    def pause_many(self, project_id: str, items: Sequence[tuple[str, str]], policy: PausePolicy) -> list[Result]:
        """Check and pause each (job_id, mode) in order under one lock; items are independent."""
        with self._lock:
            if policy.all_or_nothing:
                planned = [self._decide(project_id, job_id, policy) for job_id, _ in items]
                if not all(outcome is JobOutcome.PAUSED for outcome, _ in planned):
                    return planned
            return [self._pause_locked(project_id, job_id, mode, policy) for job_id, mode in items]

    def copy_table(self) -> dict[str, Job]:
        """A copy of the whole job table (the lost-update defect reads it, pauses on it, writes it back)."""
        with self._lock:
            return {job_id: replace(job) for job_id, job in self._jobs.items()}

    def pause_in_copy(
        self, table: dict[str, Job], project_id: str, items: Sequence[tuple[str, str]], policy: PausePolicy
    ) -> list[Result]:
        """Pause on a copy of the table (`copy_table`), to be written back with `write_table`."""
        with self._lock:
            return [self._pause_locked(project_id, job_id, mode, policy, table) for job_id, mode in items]

    def write_table(self, table: dict[str, Job]) -> None:
        """Replace the whole table with a copy: whatever changed since the copy was taken is lost."""
        with self._lock:
            self._jobs = table

    def check_pause(self, project_id: str, job_id: str, policy: PausePolicy) -> Result:
        """What a pause would do now, without doing it (the check half of a check-and-set)."""
        with self._lock:
            return self._decide(project_id, job_id, policy)

    def apply_pause(self, job_id: str, mode: str, policy: PausePolicy) -> None:
        """Pause a job without checking it again (the set half; only the race defect splits the two)."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is not None:
                self._mark_paused(job, mode, policy)

    def _decide(self, project_id: str, job_id: str, policy: PausePolicy) -> Result:
        job = self._jobs.get(job_id)
        if job is None:
            return JobOutcome.NOT_FOUND, None
        if job.project_id != project_id:
            return JobOutcome.FOREIGN, None
        return _with_detail(policy.decide(job), job)

    def _pause_locked(
        self, project_id: str, job_id: str, mode: str, policy: PausePolicy, jobs: dict[str, Job] | None = None
    ) -> Result:
        job = (self._jobs if jobs is None else jobs).get(job_id)
        if job is None:
            return JobOutcome.NOT_FOUND, None
        if job.project_id != project_id:
            if policy.reach_foreign and policy.decide(job) is JobOutcome.PAUSED:
                self._mark_paused(job, mode, policy)
            return JobOutcome.FOREIGN, None
        outcome = policy.decide(job)
        result = _with_detail(outcome, job)
        if outcome is JobOutcome.PAUSED or (
            outcome is JobOutcome.NOT_PAUSABLE_STATE and policy.change_on_state_failure
        ):
            self._mark_paused(job, mode, policy)
        return result

    def _show_earlier(self, job: Job) -> None:
        """Under a lag, reads keep showing the job as it is now until the lag has passed."""
        if self.lag <= 0:
            return
        now = self.clock()
        if job.shown is None or now >= job.shown_until:
            job.shown = (job.status, job.pause_mode)
        job.shown_until = now + self.lag

    def _mark_paused(self, job: Job, mode: str, policy: PausePolicy) -> None:
        self._show_earlier(job)
        if job.status != policy.paused_status and job.previous_status is None:
            job.previous_status = job.status
        if policy.update_status:
            job.status = policy.paused_status
        if policy.record_mode:
            job.pause_mode = mode

    # -- resume --------------------------------------------------------------------------------

    def resume(self, project_id: str, job_id: str, policy: ResumePolicy) -> Result:
        return self.resume_many(project_id, [job_id], policy)[0]

    def resume_many(self, project_id: str, job_ids: Sequence[str], policy: ResumePolicy) -> list[Result]:
        """Resume (or accept the retry of) each job in order under one lock."""
        with self._lock:
            return [self._resume_locked(project_id, job_id, policy) for job_id in job_ids]

    def _resume_locked(self, project_id: str, job_id: str, policy: ResumePolicy) -> Result:
        job = self._jobs.get(job_id)
        if job is None:
            return JobOutcome.NOT_FOUND, None
        if job.project_id != project_id:
            return JobOutcome.FOREIGN, None
        if job.status == policy.paused_status:
            if policy.apply:
                self._show_earlier(job)
                job.status = job.previous_status or policy.fallback_status
                job.previous_status = None
                job.pause_mode = None
            return JobOutcome.RESUMED, None
        if job.status in policy.failed_statuses:
            return JobOutcome.RETRIED, None
        return JobOutcome.NOT_RESUMABLE, job.status


Result = tuple[JobOutcome, str | None]


def _with_detail(outcome: JobOutcome, job: Job) -> Result:
    if outcome is JobOutcome.NOT_PAUSABLE_STATE:
        return outcome, job.status
    if outcome is JobOutcome.NOT_PAUSABLE_TYPE:
        return outcome, job.type
    return outcome, None
