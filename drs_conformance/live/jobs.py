"""Jobs for one test: created through the control API, or leased from the inventory and put back.

Every job the run does not own (an inventory job; on an external control-API target, a job it did not
create) is locked and written to the journal before the test may pause or overwrite it, and put back at the
test's teardown; jobs the run created on an external target are deleted there (when the target can).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.settle import EFFECTS, settle
from drs_conformance.contract.spec import contract
from drs_conformance.errors import NoAnswer
from drs_conformance.live.journal import REPLACED, Entry, JobLock, RunJournal
from drs_conformance.live.putback import (
    HELD,
    NO_ANSWER,
    UNREPORTED,
    Restored,
    observe_settled,
    observe_statuses,
    restore_command,
    restore_entries,
)
from drs_conformance.live.target import Target, new_job_id
from drs_conformance.strategies import Fault
from drs_conformance.transport.client import REQUESTS, DrsClient

__all__ = [
    "NEEDS_CONTROL",
    "NEEDS_JOBS",
    "Interference",
    "JobState",
    "Jobs",
    "judge_put_back",
    "observe_statuses",
    "resume",
    "shard_of_jobs",
]

NEEDS_JOBS = (
    "needs jobs it may pause: give --inventory FILE (jobs provisioned for testing on live staging) "
    "or --control-api (a sandbox that serves the control API)"
)
NEEDS_CONTROL = "needs the sandbox control API to {what}: give --control-api (a sandbox)"
_counter = itertools.count()


class Interference(pytest.skip.Exception):  # type: ignore[name-defined]  # pytest's public name of Skipped
    """A job the run shares changed under the test in a way neither the test nor the contract explains.

    Another run or an operator did it, or the job moved on by itself: the test is inconclusive (pytest
    reports it as skipped, with this reason), never a failure of the target.
    """

    __module__ = "builtins"  # shown as "Interference: ..." the way pytest shows its own "Skipped: ..."

    def __init__(self, job_id: str, detail: str) -> None:
        super().__init__(f"inconclusive: job {job_id} {detail} (another run or an operator?); nothing was judged on it")
        self.job_id = job_id


def _running() -> str:
    """The status of the jobs the kit makes when a test asks for any pausable job: a running incremental transfer."""
    return contract().pausable_status("INCRE_TRANSFER_STARTED")


@dataclass(frozen=True)
class _Hold:
    """A job this test holds: its lock, and its journal entry (None: the test created it, nothing to put back)."""

    lock: JobLock
    entry: Entry | None


@dataclass(frozen=True)
class JobState:
    """What can be observed of a job: its status, and its pause mode where the control API tells it."""

    status: str | None
    pause_mode: str | None = None


def _status_and_mode(state: JobState) -> tuple[str | None, str | None]:
    return state.status, state.pause_mode


class Jobs:
    """Gives one test the jobs it needs, and puts back every job it took that the run does not own."""

    def __init__(self, target: Target, api: DrsClient, worker: str) -> None:
        self.target = target
        self.api = api
        self._worker = worker
        self._leased: dict[str, _Hold] = {}  # inventory jobs
        self._borrowed: dict[str, _Hold] = {}  # control API: jobs the run did not create (entry) or claimed (none)
        self._created: list[str] = []  # control API on an external target: removed at the teardown
        # What the control API last stored or read for each job, and when (in REQUESTS.changing_requests): until the
        # next API request that may change a job, it is what a read would say (control-API jobs change only so).
        self._seen: dict[str, tuple[JobState, int]] = {}
        # after_earlier_effects' job of this test and whether it was last paused (then it is resumed next).
        self._witness: str | None = None
        self._witness_paused = False

    # -- ids ----------------------------------------------------------------------------------

    def new_id(self) -> str:
        """A well-formed id that no job has (run-prefixed, random): safe to send anywhere."""
        return new_job_id(f"{self.target.run_prefix}{self._worker[-2:]}{next(_counter) % 100:02d}")

    @property
    def protected_ids(self) -> frozenset[str]:
        """Ids a generated request must not name on a live target: real jobs it was not given for that test."""
        if not self.target.shares_jobs:
            return frozenset()  # the embedded sandbox holds only what the run made
        known = {contract().example_job_id, *(contract().schema("JobId").get("examples") or ())}
        if self.target.inventory is not None:
            known.update(job.id for job in self.target.inventory.jobs)
            known.update(job.id for job in self.target.inventory.foreign_jobs)
        return frozenset(known)

    def fresh(self, fault: Fault, fixed: Mapping[str, str] | None = None) -> Fault:
        """The fault with every well-formed id it names replaced by a fresh one (or by `fixed[id]`).

        Drawn ids repeat across tests (the all-zero id, the document's example, which on a live target
        may name a real job): fresh ones keep each test on its own jobs. A faulty id made from a
        well-formed one contains it, so the replacement keeps the fault as it was (`{id}`, `id\\n`, ...).
        """
        swap = {job_id: (fixed or {}).get(job_id) or self.new_id() for job_id in dict.fromkeys(fault.job_ids)}
        body = fault.body
        for job_id in self.protected_ids:
            if body is not None and job_id.encode() in body and job_id not in swap:
                swap[job_id] = self.new_id()
        for old, new in swap.items():
            body = body.replace(old.encode(), new.encode()) if body is not None else None
        return replace(
            fault,
            body=body,
            value=swap.get(fault.value, fault.value) if isinstance(fault.value, str) else fault.value,
            base=swap.get(fault.base, fault.base) if isinstance(fault.base, str) else fault.base,
            job_ids=tuple(swap.get(job_id, job_id) for job_id in fault.job_ids),
        )

    # -- creating (control API) -----------------------------------------------------------------

    def skip_unless_control(self, what: str) -> None:
        """Skip the test (saying what it needs) unless the target has a control API to make jobs with."""
        if self.target.control is None:
            pytest.skip(NEEDS_CONTROL.format(what=what))

    def create(
        self, *, status: str, type: str = "sync", project_id: str | None = None, job_id: str | None = None
    ) -> str:
        """A new job in exactly this status and type (control API only).

        On an external target, a given `job_id` may name a job that is already there (the document's
        example): it is borrowed first, so that the teardown puts its record back.
        """
        return self.create_many([{"status": status, "type": type, "project_id": project_id, "job_id": job_id}])[0]

    def create_many(self, specs: Iterable[Mapping[str, str | None]]) -> list[str]:
        """New jobs, one per spec (`status`, and optionally `type`, `project_id`, `job_id`, as `create` takes them),
        made in one control-API request where the target serves the bulk form; their ids, in order."""
        wanted: list[dict[str, str]] = []
        for spec in specs:
            status, type_ = spec["status"], spec.get("type") or "sync"
            assert status is not None
            self.skip_unless_control(f"create a {type_} job in {status}")
            job_id = spec.get("job_id")
            if job_id is not None:
                self.borrow(job_id)
            wanted.append(
                {
                    "id": job_id or self.new_id(),
                    "project_id": spec.get("project_id") or self.target.project_id,
                    "status": status,
                    "type": type_,
                }
            )
        if not wanted:
            return []
        assert self.target.control is not None
        stored = self.target.control.put_jobs(wanted)
        EFFECTS.forget(stored)  # a record stored anew owes nothing to an earlier pause
        now = REQUESTS.changing_requests
        for job in wanted:
            job_id = job["id"]
            record = stored[job_id]
            self._seen[job_id] = (JobState(record.get("status"), record.get("pause_mode")), now)
            hold = self._borrowed.get(job_id)
            if self._journals_control and (hold is None or hold.entry is None) and job_id not in self._created:
                self._created.append(job_id)
        return [job["id"] for job in wanted]

    @property
    def _journals_control(self) -> bool:
        """Control API on an external target: jobs there that the run did not create are someone else's."""
        return self.target.control is not None and self.target.shares_jobs

    def borrow(self, job_id: str) -> None:
        """Before a test may change a job it did not create (control API): lock it and journal its record.

        The teardown PUTs the record back. A job that does not exist is claimed (locked) instead: if the
        test creates it, it is the run's own and is deleted at the teardown.
        """
        if (
            not self._journals_control
            or job_id in self._borrowed
            or job_id in self._created
            or job_id.startswith(self.target.run_prefix)
        ):
            return
        ledger = self._ledger()
        lock = ledger.locks.acquire(job_id, ledger.holder, timeout=self.target.options.resume_timeout)
        if lock is None:
            pytest.skip(
                f"job {job_id} is held by another run ({ledger.locks.holder(job_id)}) for longer than "
                "--resume-timeout; runs on one target must not overlap"
            )
        try:
            assert self.target.control is not None
            record = self.target.control.get_job(job_id)
            entry = None
            if record is not None:
                entry = ledger.entry(job_id, record.get("status"), kind=REPLACED, record_before=record)
                ledger.journal.open(entry)
        except BaseException:
            lock.release()
            raise
        self._borrowed[job_id] = _Hold(lock, entry)

    # -- jobs in a given condition, in any mode ------------------------------------------------

    def pausable(self, *, type: str | None = None, status: str | None = None) -> str:
        """A migration or sync job in a pausable state (or exactly in `status`)."""
        pausable = contract().pausable_statuses
        if self.target.control is not None:
            return self.create(status=status or _running(), type=type or contract().pausable_type("sync"))
        return self._lease(
            lambda job, current: (
                job.type in ((type and (type,)) or contract().pausable_types)
                and current in ((status,) if status else pausable)
            ),
            f"{type or 'migration or sync'} job in {status or 'a pausable state'}",
        )

    def paused(self) -> str:
        """A job in PAUSING: created so (control API) or paused here from a pausable inventory job."""
        if self.target.control is not None:
            return self.create(status=contract().paused_status, type=contract().pausable_type("sync"))
        job_id = self.pausable()
        reply = self.api.pause_jobs([(job_id, "target")], label="set-up: pause")
        assert reply.status == 200, f"set-up: pausing inventory job {job_id} answered {reply.status}"
        state = self.state(job_id)
        if state.status != contract().paused_status:
            pytest.skip(f"set-up: inventory job {job_id} did not reach PAUSING (it reads {state.status})")
        return job_id

    def in_state(self, status: str) -> str:
        """A migration or sync job in exactly this status: created so, or an inventory job that is in it now."""
        return self.pausable(status=status)

    def dr_job(self, status: str | None = None) -> str:
        """A disaster-recovery (cloudDataGuard) job in `status` (by default one pausable for sync)."""
        if self.target.control is not None:
            return self.create(status=status or _running(), type="cloudDataGuard")
        return self._lease(
            lambda job, current: job.type == "cloudDataGuard" and status in (None, current),
            f"cloudDataGuard job in {status}" if status else "cloudDataGuard job",
        )

    def foreign(self) -> str:
        """A job of another project (in a pausable state when it can be arranged)."""
        if self.target.control is not None:
            return self.create(status=_running(), type="sync", project_id=self.target.foreign_project_id)
        if self.target.inventory is None or not self.target.inventory.foreign_jobs:
            pytest.skip(
                "needs a job of another project: list one under foreign_jobs in --inventory, or give --control-api"
            )
        return self.target.inventory.foreign_jobs[0].id

    def subject(self) -> str:
        """A job a wrongly accepted request would pause (when the mode allows one), else an unknown id."""
        if self.can_pause_something:
            return self.pausable()
        return self.new_id()

    @property
    def can_pause_something(self) -> bool:
        """Whether this run has jobs it may pause (control API or inventory)."""
        return self.target.control is not None or self.target.inventory is not None

    def is_real(self, job_id: str) -> bool:
        """Whether the id names a job this test was given (created or leased), whose state can be checked."""
        return self.target.control is not None or job_id in self._leased

    # -- observing ------------------------------------------------------------------------------

    def state(self, job_id: str) -> JobState:
        """The job's state as the target reports it (control API when present, else batch-status)."""
        return self.states([job_id])[job_id]

    def states(self, job_ids: Iterable[str], *, fresh: bool = False) -> dict[str, JobState]:
        """Each job's state: with the control API, read in one request where the target serves the bulk query;
        else through batch-status.

        A control-API job changes only through the API: a job made or read since the last API request of this
        process that may change a job (any but batch-status) is not read again (unless `fresh`: a loop that waits
        for a job to change asks again).
        """
        ids = list(dict.fromkeys(job_ids))
        if self.target.control is None:
            return {job_id: JobState(status) for job_id, status in self.statuses(ids).items()}
        now = REQUESTS.changing_requests
        due = EFFECTS.due(ids)  # an effect still due is read again until it shows (settle.py)
        known = (
            {}
            if fresh
            else {
                job_id: seen[0]
                for job_id in ids
                if (seen := self._seen.get(job_id)) is not None and seen[1] == now and job_id not in due
            }
        )
        unknown = [job_id for job_id in ids if job_id not in known]
        read = (
            settle(self._read_records, self._read_records(unknown), _status_and_mode, with_mode=True) if unknown else {}
        )
        for job_id in unknown:
            known[job_id] = read[job_id]
            self._seen[job_id] = (known[job_id], REQUESTS.changing_requests)
        return {job_id: known[job_id] for job_id in ids}

    def _read_records(self, job_ids: list[str]) -> dict[str, JobState]:
        assert self.target.control is not None
        records = self.target.control.get_jobs(job_ids)
        return {
            job_id: JobState(None)
            if (job := records[job_id]) is None
            else JobState(job.get("status"), job.get("pause_mode"))
            for job_id in job_ids
        }

    def statuses(self, job_ids: Iterable[str]) -> dict[str, str | None]:
        """Statuses through the documented batch-status operation, matched by id (effects due awaited: settle.py)."""
        return observe_settled(self.api, job_ids, "observe: batch-status")

    def after_earlier_effects(self) -> None:
        """Pause a job of this test's own and wait until it reads PAUSING: what the target did before shows by then.

        A target may show effects late (settle.py); a check that a request changed nothing on a job reads it
        after this, so that a wrong change made at the same moment would show as well. Only a target that
        changes what it must not can fail on it: a conformant one has nothing to show.

        One job serves the whole test (a property's examples included, so an inventory is not drained): it is
        paused, then resumed, then paused again; each answered success is an effect to wait for.
        """
        if self._witness is None:
            self._witness, self._witness_paused = self.pausable(), False
        witness = self._witness
        if self._witness_paused:
            reply = self.api.retry([witness], label="witness: batch-retry-task")
        else:
            reply = self.api.pause_jobs([(witness, "target")], label="witness: pause")
        if reply.status != 200:
            self._witness = None  # not usable again: the next call takes a fresh job
            return
        self._witness_paused = not self._witness_paused
        self.states([witness], fresh=True)  # waited for within --settle-timeout (settle.py)

    # -- interference -----------------------------------------------------------------------------

    def rule_out_interference(self, job_id: str, before: JobState, after: JobState) -> None:
        """Raise Interference if a job the run shares changed in a way no pause explains.

        A pause can only make a job PAUSING; a job the run does not own (inventory, borrowed) that moved
        to any other status did so by another hand (another run, an operator, the job itself moving on),
        and judging the test on it would blame the target for it.
        """
        if after == before or (job_id not in self._leased and job_id not in self._borrowed):
            return
        if after.status == contract().paused_status:
            return  # a pause explains it: the test judges whether the pause should have happened
        raise Interference(job_id, f"changed from {before.status} to {after.status} under the test")

    # -- inventory leases -------------------------------------------------------------------------

    def _ledger(self) -> RunJournal:
        ledger = self.target.journal
        assert ledger is not None, "the plugin gives every inventory and external control-API run its journal"
        return ledger

    def _lease(self, wanted: Callable[..., bool], description: str) -> str:
        """Lease an inventory job that is `wanted` now (locked against other workers and runs), or skip.

        The job is written to the journal, with its status, before the test can pause it. A job in PAUSING
        is never leased: this run did not pause it, so it is not this run's to resume.
        """
        inventory = self.target.inventory
        if inventory is None:
            pytest.skip(NEEDS_JOBS)
        ledger = self._ledger()
        paused = contract().paused_status
        deadline = time.monotonic() + self.target.options.resume_timeout
        unwanted: set[str] = set()  # read while no one held them, and not as wanted: they stay so (no one pauses them)
        while True:
            holders: set[str] = set()
            coming_back: dict[str, str | None] | None = None  # held jobs: the status their holder puts them back to
            for job in shard_of_jobs(inventory.jobs, self.target.options.shard):  # shards on one inventory: apart
                if job.id in self._leased or job.id in self.target.paused_by_others or job.id in unwanted:
                    continue
                lock = ledger.locks.try_acquire(job.id, ledger.holder)
                if lock is None:  # another worker or run holds it: wait for it if it comes back as wanted
                    if coming_back is None:
                        coming_back = {entry.job_id: entry.status_before for entry in ledger.open_entries()}
                    if job.id not in coming_back or wanted(job, coming_back[job.id]):  # not journaled yet: may be
                        holders.add(ledger.locks.holder(job.id))
                    continue
                try:
                    current = self.statuses([job.id])[job.id]
                    if current == paused or not wanted(job, current):
                        lock.release()
                        if current != paused:
                            unwanted.add(job.id)
                        continue
                    entry = ledger.entry(job.id, current)
                    ledger.journal.open(entry)  # durable before the test can send a pause
                except BaseException:
                    lock.release()
                    raise
                self._leased[job.id] = _Hold(lock, entry)
                return job.id
            if not holders or time.monotonic() > deadline:
                held = (
                    (
                        f"; busy for {self.target.options.resume_timeout:g} s: {', '.join(sorted(holders))} "
                        "(runs on one inventory must not overlap)"
                    )
                    if holders
                    else ""
                )
                shard = self.target.options.shard
                ours = (
                    f" among the jobs --shard {shard[0]}/{shard[1]} leases (places {shard[0]}, "
                    f"{shard[0] + shard[1]}, ... of the inventory)"
                    if shard
                    else ""
                )
                pytest.skip(
                    f"the inventory has no {description}{ours} now (statuses are read with batch-status "
                    f"before each test){held}; provision one to run this test"
                )
            time.sleep(0.5)

    # -- teardown ---------------------------------------------------------------------------------

    def restore(self) -> None:
        """Put back what the test took: resume leased jobs, PUT borrowed records back, delete what it created.

        Transient failures are retried within --resume-timeout. A job still not back stays open in the
        journal (the end of the run tries again; `drs-conformance restore` after that) and fails the test
        on the requirement its failure breaks.
        """
        holds = {**self._leased, **self._borrowed}
        self._leased, self._borrowed = {}, {}
        try:
            restored = self._put_back(holds)
            self._delete_created()
        finally:
            for hold in holds.values():
                hold.lock.release()
        if restored is not None:
            judge_put_back(restored)

    def _put_back(self, holds: dict[str, _Hold]) -> Restored | None:
        entries = [hold.entry for hold in holds.values() if hold.entry is not None]
        if not entries:
            return None
        ledger = self._ledger()
        restored = restore_entries(
            ledger.journal,
            entries,
            api=self.api,
            control=self.target.control,
            locks=ledger.locks,
            holder=ledger.holder,
            timeout=self.target.options.resume_timeout,
            held={job_id: hold.lock for job_id, hold in holds.items()},
            command=restore_command(self.target.options),
            label="restore",
        )
        self.target.left_paused.update({job_id: left.reason for job_id, left in restored.left.items()})
        return restored

    def _delete_created(self) -> None:
        """The jobs the test created on an external control-API target are removed (with the run's next chunk)."""
        created, self._created = self._created, []
        self._seen.clear()
        self.target.discard(created)


def judge_put_back(restored: Restored) -> None:
    """What the put-back says of the target: a 5xx is NO-5XX; an accepted resume that did not happen breaks
    SUPPORT-RESUME; no answer is the target's availability (NoAnswer), not a business rule."""
    if not restored.server_errors and not restored.left:
        return
    left = ", ".join(f"{job_id} ({why.reason})" for job_id, why in sorted(restored.left.items()))
    outcome = f"left not back: {left}" if left else "every job is back after retries"
    if restored.server_errors:
        raise NonConformance(
            "NO-5XX",
            f"received {restored.server_errors[0]} while putting jobs back "
            f"({len(restored.server_errors)} such answer(s); {outcome}); documented: no request "
            "gets a 5xx",
        )
    causes = {why.cause for why in restored.left.values()}
    if causes <= {NO_ANSWER, HELD}:
        raise NoAnswer(f"the target did not answer while putting jobs back; {outcome}")
    if UNREPORTED in causes:
        raise NonConformance("SUPPORT-STATUS", f"batch-status does not report a job it was asked about; {outcome}")
    raise NonConformance(
        "SUPPORT-RESUME",
        f"{outcome}; documented: batch-retry-task resumes a paused job, which "
        "then leaves PAUSING (raise --resume-timeout if the target is slow)",
    )


def shard_of_jobs(jobs: Sequence[Any], shard: tuple[int, int] | None) -> list[Any]:
    """The inventory jobs a shard may lease: those whose place in the file falls to it (index mod N).

    File locks do not cross machines: shards on one inventory stay apart because no two use the same job.
    """
    if shard is None:
        return list(jobs)
    index, count = shard
    return [job for place, job in enumerate(jobs) if place % count == index - 1]


def resume(api: DrsClient, job_ids: list[str], *, timeout: float) -> None:
    """batch-retry-task the jobs, then wait until batch-status shows each has left PAUSING."""
    reply = api.retry(job_ids, label="restore: batch-retry-task")
    if reply.status != 200:
        raise NonConformance("SUPPORT-RESUME", f"batch-retry-task answered {reply.status}, documented 200")
    deadline = time.monotonic() + timeout
    paused_status = contract().paused_status
    while True:
        results = observe_statuses(api, job_ids, "restore: batch-status")
        still = [j for j in job_ids if results[j] == paused_status]
        if not still:
            return
        if time.monotonic() > deadline:
            raise NonConformance(
                "SUPPORT-RESUME",
                f"job(s) {', '.join(still)} still PAUSING {timeout:g} s after batch-retry-task; documented: "
                "a resumed job leaves PAUSING (raise --resume-timeout if the target is slow)",
            )
        time.sleep(min(1.0, timeout / 10))
