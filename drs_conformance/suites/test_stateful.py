"""Stateful: pause, resume and query random jobs in random states; after every step the target matches the model."""

from __future__ import annotations

import time
from typing import Any

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
    run_state_machine_as_test,
)

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.judge import describe
from drs_conformance.contract.model import Model
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import Jobs
from drs_conformance.strategies import JobSpec, pause_modes
from drs_conformance.suites._model_steps import boundary_job_specs, observe, pause_against, raise_first
from drs_conformance.transport.client import DrsClient

SPEC = contract()
PAUSING = SPEC.paused_status
# Stand-ins for well-formed ids of no job in a drawn batch; each step replaces them with fresh ids.
UNKNOWN = ("<unknown id 1>", "<unknown id 2>")
MAX_BATCH = 6
MAX_JOBS = 10


def _batches(*members: st.SearchStrategy[str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Batches of distinct ids drawn from `members` (bundles, unknown stand-ins), a mode each, any order."""
    return st.lists(
        st.tuples(st.one_of(*members), pause_modes()), min_size=1, max_size=MAX_BATCH, unique_by=lambda item: item[0]
    )


def _machine(api: DrsClient, jobs: Jobs, leased: list[str]) -> type[RuleBasedStateMachine]:
    """The state machine of this test, around its fixtures (a RuleBasedStateMachine cannot take fixtures).

    With the control API it creates jobs of both projects in any state; without it (inventory) it
    works only on `leased`, adopts their observed statuses as its start, and resumes at teardown
    every one of them it left PAUSING.
    """
    target = jobs.target
    control = target.control is not None
    timeout = target.options.resume_timeout
    inventory_types = {job.id: job.type for job in target.inventory.jobs} if target.inventory else {}
    # Once a resumed job has stayed PAUSING for the whole timeout, later steps (shrinking) need not wait.
    waited_out: dict[str, bool] = {"resume": False}

    class PauseMachine(RuleBasedStateMachine):
        own = Bundle("own")
        foreign = Bundle("foreign")

        def __init__(self) -> None:
            super().__init__()
            self.model = Model(target.project_id, drift=not control)

        # -- jobs -------------------------------------------------------------------------------

        def _create(self, specs: list[JobSpec], project_id: str | None = None) -> list[str]:
            """The jobs, made in one control-API request where the target serves the bulk form."""
            made = jobs.create_many(
                {"status": spec.status, "type": spec.type, "project_id": project_id} for spec in specs
            )
            for job_id, spec in zip(made, specs, strict=False):
                self.model.add(job_id, status=spec.status, type=spec.type, project_id=project_id)
            return made

        if control:

            @initialize(target=own, specs=st.lists(boundary_job_specs(), min_size=1, max_size=3))
            def create_jobs(self, specs: list[JobSpec]) -> Any:
                return multiple(*self._create(specs))

            @initialize(target=foreign, specs=st.lists(boundary_job_specs(), min_size=1, max_size=2))
            def create_foreign_jobs(self, specs: list[JobSpec]) -> Any:
                return multiple(*self._create(specs, target.foreign_project_id))

            @precondition(lambda self: len(self.model.jobs) < MAX_JOBS)
            @rule(target=own, spec=boundary_job_specs())
            def create(self, spec: JobSpec) -> str:
                return self._create([spec])[0]

        else:

            @initialize(target=own)
            def adopt_leased_jobs(self) -> Any:
                for job_id, status in jobs.statuses(leased).items():
                    if status is None:
                        raise NonConformance(
                            Req.SUPPORT_STATUS,
                            f"received no status for inventory job {job_id} from batch-status, documented its status",
                        )
                    job_type = inventory_types[job_id]
                    assert job_type is not None, (
                        f"inventory job {job_id} may be paused, so the inventory gives its type"
                    )
                    self.model.add(job_id, status=status, type=job_type, why="leased, as observed")
                return multiple(*leased)

        # -- steps ------------------------------------------------------------------------------

        def _pause(self, batch: list[tuple[str, str]]) -> None:
            fresh = {stand_in: jobs.new_id() for stand_in in UNKNOWN}
            items = [(fresh.get(job_id, job_id), mode) for job_id, mode in batch]
            raise_first(pause_against(jobs, self.model, items))

        @rule(batch=_batches(own, st.sampled_from(UNKNOWN)))
        def pause(self, batch: list[tuple[str, str]]) -> None:
            self._pause(batch)

        if control:

            @rule(batch=_batches(own, foreign, st.sampled_from(UNKNOWN)))
            def pause_with_foreign_jobs(self, batch: list[tuple[str, str]]) -> None:
                self._pause(batch)

        @precondition(lambda self: control or self.model.paused_ids())
        @rule(chosen=st.lists(own, min_size=1, max_size=4, unique=True))
        def resume(self, chosen: list[str]) -> None:
            # On a live target only jobs this machine paused are resumed (batch-retry-task also restarts failed jobs).
            ids = chosen if control else [job_id for job_id in chosen if job_id in self.model.paused_ids()]
            if not ids:
                return
            leaving = self.model.resume(ids)
            self._resume(ids, "step: batch-retry-task")
            self._wait_until_left(leaving)  # what is still PAUSING, the invariant reports

        def _resume(self, job_ids: list[str], label: str) -> None:
            """Resume the jobs (batch-retry-task): anything but 200 breaks SUPPORT-RESUME."""
            reply = api.retry(job_ids, label=label)
            if reply.status != 200:
                raise NonConformance(
                    Req.SUPPORT_RESUME, f"received {describe(reply)} from batch-retry-task, documented 200"
                )

        def _wait_until_left(self, job_ids: list[str]) -> list[str]:
            """Resuming may take a while on a real target: wait (up to --resume-timeout); the ids still PAUSING.

            Every job of the model is read (fresh) on the way, so the invariant after the step reads nothing again.
            """
            deadline = time.monotonic() + (0 if waited_out["resume"] else timeout)
            every = list(dict.fromkeys([*job_ids, *self.model.jobs]))
            while True:
                states = jobs.states(every, fresh=True)
                still = [job_id for job_id in job_ids if states[job_id].status == PAUSING]
                if not still:
                    return []
                if time.monotonic() >= deadline:
                    waited_out["resume"] = True
                    return still
                time.sleep(min(0.5, timeout / 20))

        @rule(chosen=st.lists(own, min_size=1, max_size=4, unique=True))
        def query(self, chosen: list[str]) -> None:
            raise_first(self.model.judge_statuses(jobs.statuses(chosen)))

        # -- after every step -------------------------------------------------------------------

        @invariant()
        def target_matches_model(self) -> None:
            raise_first(observe(jobs, self.model, self.model.jobs))

        def teardown(self) -> None:
            if control:
                return  # created jobs are this test's own; nothing to put back
            # Put back every leased job left PAUSING, so that the next example starts from a running job.
            paused = [job_id for job_id, status in jobs.statuses(leased).items() if status == PAUSING]
            if not paused:
                return
            self._resume(paused, "teardown: batch-retry-task")
            still = self._wait_until_left(paused)
            if still:
                raise NonConformance(
                    Req.SUPPORT_RESUME,
                    f"received status {PAUSING} for job(s) {', '.join(still)} "
                    f"after batch-retry-task (--resume-timeout {timeout:g} s), documented: a resumed job leaves "
                    f"{PAUSING} (raise --resume-timeout if the target is slow)",
                )

    return PauseMachine


def _lease(jobs: Jobs) -> list[str]:
    """Inventory jobs for the machine (one pausable job; skips, saying why, when there is none)."""
    if jobs.target.control is not None:
        return []
    return [jobs.pausable()]


@pytest.mark.long_running(requests=360)
@pytest.mark.requirement(
    Req.PAUSABLE_SUCCEEDS,
    Req.NON_PAUSABLE_STATE_FAILS,
    Req.DR_JOB_FAILS,
    Req.UNKNOWN_JOB_FAILS,
    Req.FOREIGN_JOB_FAILS,
    Req.ITEMS_INDEPENDENT,
    Req.PAUSE_MODE_RECORDED,
    Req.SUPPORT_STATUS,
    Req.SUPPORT_RESUME,
    Req.ONE_RESULT_PER_ITEM,
    Req.COUNT_EQUALS_RESULTS,
)
def test_target_follows_the_model_step_by_step(api: DrsClient, jobs: Jobs) -> None:
    """Random pauses, resumes and queries of jobs in random states; the target matches the model after each."""
    machine = _machine(api, jobs, _lease(jobs))
    # The active profile: max_examples, stateful_step_count, no explain phase (see the plugin's profiles).
    run_state_machine_as_test(machine, settings=settings())
