"""Jobs for one test: created through the control API, or leased from the inventory and put back."""

from __future__ import annotations

import itertools
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Iterable, Mapping

import pytest

from drs_conformance.checks import NonConformance
from drs_conformance.client import DrsClient
from drs_conformance.inventory import InventoryJob
from drs_conformance.spec import contract
from drs_conformance.strategies import Fault
from drs_conformance.target import Target, new_job_id

__all__ = ["JobState", "Jobs", "observe_statuses", "resume", "restore_session", "NEEDS_JOBS", "NEEDS_CONTROL"]

NEEDS_JOBS = (
    "needs jobs it may pause: give --inventory FILE (jobs provisioned for testing on live staging) "
    "or --control-api (a sandbox that serves the control API)"
)
NEEDS_CONTROL = "needs the sandbox control API to {what}: give --control-api (a sandbox)"
_counter = itertools.count()


def observe_statuses(api: DrsClient, job_ids: Iterable[str], label: str) -> dict[str, str | None]:
    """Each job's status through batch-status, matched by id, a page at a time (None: not reported).

    batch-status answers one page; without `page_req` the platform's page holds per_page's documented
    default (5). The kit asks for at most that many ids at a time, whatever the target pages.
    """
    ids = list(dict.fromkeys(job_ids))
    size = contract().status_page_size
    found: dict[str, str | None] = {}
    for start in range(0, len(ids), size):
        page = ids[start:start + size]
        reply = api.batch_status(page, label=label)
        if reply.status != 200:
            raise NonConformance(
                "SUPPORT-STATUS", f"batch-status of {len(page)} job(s) answered {reply.status}, documented 200"
            )
        results = reply.json().get("results", [])
        reported = {r.get("id"): r.get("status") for r in results if isinstance(r, dict)}
        found.update({job_id: reported.get(job_id) for job_id in page})
    return found


@dataclass(frozen=True)
class JobState:
    """What can be observed of a job: its status, and its pause mode where the control API tells it."""

    status: str | None
    pause_mode: str | None = None


class Jobs:
    """Gives one test the jobs it needs, and puts back every inventory job the test paused."""

    def __init__(self, target: Target, api: DrsClient, lease_dir: Path, worker: str) -> None:
        self.target = target
        self.api = api
        self._lease_dir = lease_dir
        self._worker = worker
        self._leased: list[str] = []

    # -- ids ----------------------------------------------------------------------------------

    def new_id(self) -> str:
        """A well-formed id that no job has (run-prefixed, random): safe to send anywhere."""
        return new_job_id(f"{self.target.run_prefix}{self._worker[-2:]}{next(_counter) % 100:02d}")

    @property
    def protected_ids(self) -> frozenset[str]:
        """Ids a generated request must not name on a live target: real jobs it was not given for that test."""
        if self.target.control is not None:
            return frozenset()
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

    def _require_control(self, what: str) -> None:
        if self.target.control is None:
            pytest.skip(NEEDS_CONTROL.format(what=what))

    def create(self, *, status: str, type: str = "sync", project_id: str | None = None,
               job_id: str | None = None) -> str:
        """A new job in exactly this status and type (control API only)."""
        self._require_control(f"create a {type} job in {status}")
        assert self.target.control is not None
        job_id = job_id or self.new_id()
        self.target.control.put_job(
            job_id, project_id=project_id or self.target.project_id, status=status, type=type
        )
        return job_id

    # -- jobs in a given condition, in any mode ------------------------------------------------

    def pausable(self, *, type: str | None = None, status: str | None = None) -> str:
        """A migration or sync job in a pausable state (or exactly in `status`)."""
        pausable = contract().pausable_statuses
        if self.target.control is not None:
            return self.create(status=status or pausable[-2], type=type or contract().pausable_types[-1])
        return self._lease(
            lambda job, current: job.type in (type and (type,) or contract().pausable_types)
            and current in ((status,) if status else pausable),
            f"{type or 'migration or sync'} job in {status or 'a pausable state'}",
        )

    def paused(self) -> str:
        """A job in PAUSING: created so (control API) or paused here from a pausable inventory job."""
        if self.target.control is not None:
            return self.create(status=contract().paused_status, type=contract().pausable_types[-1])
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
            return self.create(status=status or contract().pausable_statuses[-2], type="cloudDataGuard")
        return self._lease(lambda job, current: job.type == "cloudDataGuard" and status in (None, current),
                           f"cloudDataGuard job in {status}" if status else "cloudDataGuard job")

    def foreign(self) -> str:
        """A job of another project (in a pausable state when it can be arranged)."""
        if self.target.control is not None:
            return self.create(
                status=contract().pausable_statuses[-2], type="sync", project_id=self.target.foreign_project_id
            )
        if self.target.inventory is None or not self.target.inventory.foreign_jobs:
            pytest.skip("needs a job of another project: list one under foreign_jobs in --inventory, "
                        "or give --control-api")
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
        if self.target.control is not None:
            job = self.target.control.get_job(job_id)
            return JobState(None) if job is None else JobState(job.get("status"), job.get("pause_mode"))
        return JobState(self.statuses([job_id]).get(job_id))

    def states(self, job_ids: Iterable[str]) -> dict[str, JobState]:
        ids = list(job_ids)
        if self.target.control is not None:
            return {job_id: self.state(job_id) for job_id in ids}
        return {job_id: JobState(status) for job_id, status in self.statuses(ids).items()}

    def statuses(self, job_ids: Iterable[str]) -> dict[str, str | None]:
        """Statuses through the documented batch-status operation, matched by id."""
        return observe_statuses(self.api, job_ids, "observe: batch-status")

    # -- inventory leases -------------------------------------------------------------------------

    def _lease(self, wanted, description: str) -> str:  # type: ignore[no-untyped-def]
        """Lease an inventory job that is `wanted` now (exclusive across xdist workers), or skip."""
        inventory = self.target.inventory
        if inventory is None:
            pytest.skip(NEEDS_JOBS)
        deadline = time.monotonic() + self.target.options.resume_timeout
        while True:
            busy = False
            for job in inventory.jobs:
                if job.id in self._leased:
                    continue
                if not self._acquire(job):
                    busy = True  # another worker holds it: it may come free
                    continue
                current = self.statuses([job.id])[job.id]
                if wanted(job, current):
                    self._leased.append(job.id)
                    self.target.touched.add(job.id)
                    return job.id
                self._release(job.id)
            if not busy or time.monotonic() > deadline:
                pytest.skip(f"the inventory has no {description} now (statuses are read with batch-status "
                            "before each test); provision one to run this test")
            time.sleep(0.5)

    def _lock_path(self, job_id: str) -> Path:
        return self._lease_dir / f"{job_id}.lease"

    def _acquire(self, job: InventoryJob) -> bool:
        try:
            fd = os.open(self._lock_path(job.id), os.O_CREAT | os.O_EXCL | os.O_WRONLY)
        except FileExistsError:
            return False
        os.write(fd, self._worker.encode())
        os.close(fd)
        return True

    def _release(self, job_id: str) -> None:
        self._lock_path(job_id).unlink(missing_ok=True)

    def restore(self) -> None:
        """Resume every leased job the test left PAUSING and check it leaves PAUSING (SUPPORT-RESUME)."""
        try:
            paused = [j for j, s in self.statuses(self._leased).items() if s == contract().paused_status]
            if paused:
                try:
                    resume(self.api, paused, timeout=self.target.options.resume_timeout)
                except NonConformance:
                    self.target.unrestorable.update(paused)  # reported once; not waited for again
                    raise
        finally:
            for job_id in self._leased:
                self._release(job_id)
            self._leased.clear()


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


def restore_session(target: Target, api: DrsClient, lease_dir: Path) -> None:
    """Safety net at the end of a session: resume any job this run leased that is still PAUSING and free."""
    free = [job_id for job_id in sorted(target.touched - target.unrestorable)
            if not (lease_dir / f"{job_id}.lease").exists()]
    try:
        statuses = observe_statuses(api, free, "end of run: batch-status")
    except NonConformance:
        return  # already reported by the tests that observed it
    left = [job_id for job_id, status in statuses.items() if status == contract().paused_status]
    if left:
        resume(api, left, timeout=target.options.resume_timeout)
