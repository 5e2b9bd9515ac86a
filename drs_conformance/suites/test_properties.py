"""Properties: any valid batch gets every item's outcome from the model; any one-fault batch changes no job."""

from __future__ import annotations

import pytest
from hypothesis import given, note
from hypothesis import strategies as st

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.judge import expect_refused
from drs_conformance.contract.model import Model
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import Jobs, JobState, resume
from drs_conformance.strategies import Fault, one_fault_batches, pausable_job_specs, pause_modes
from drs_conformance.suites._model_steps import boundary_job_specs, observe, pause_against, raise_first
from drs_conformance.transport.client import DrsClient

SPEC = contract()
PAUSING = SPEC.paused_status
# Small batches keep a quick run quick; the rules do not depend on the size (BATCH-100 has its own test).
MAX_OWN, MAX_FOREIGN, MAX_UNKNOWN, MAX_FAULT_BATCH = 5, 2, 2, 6
OWN_JOBS = st.lists(boundary_job_specs(), min_size=1, max_size=MAX_OWN)
# Another project's job shows a wrong reach only when it would be pausable in its own project.
FOREIGN_JOBS = st.lists(st.one_of(pausable_job_specs(), boundary_job_specs()), max_size=MAX_FOREIGN)


# -- any valid batch ----------------------------------------------------------------------------


@pytest.mark.long_running(requests=95)
@pytest.mark.requirement(
    Req.PAUSABLE_SUCCEEDS,
    Req.NON_PAUSABLE_STATE_FAILS,
    Req.DR_JOB_FAILS,
    Req.UNKNOWN_JOB_FAILS,
    Req.FOREIGN_JOB_FAILS,
    Req.ITEMS_INDEPENDENT,
    Req.PAUSE_MODE_RECORDED,
    Req.SUPPORT_STATUS,
    Req.ONE_RESULT_PER_ITEM,
    Req.COUNT_EQUALS_RESULTS,
)
@given(data=st.data())
def test_every_item_of_any_batch_follows_the_rules(jobs: Jobs, data: st.DataObject) -> None:
    """Jobs in any states and types, unknown and foreign ids, any order and modes: each item as the model says.

    Every job made is in the batch, so "a failed item leaves its job unchanged" covers them all.
    """
    own = data.draw(OWN_JOBS, label="jobs of this project")
    foreign = data.draw(FOREIGN_JOBS, label="jobs of another project")
    unknown = data.draw(st.integers(0, MAX_UNKNOWN), label="unknown ids")
    model = Model(jobs.target.project_id)
    project = jobs.target.foreign_project_id
    made = [(spec, None) for spec in own] + [(spec, project) for spec in foreign]
    created = jobs.create_many({"status": spec.status, "type": spec.type, "project_id": where} for spec, where in made)
    for job_id, (spec, where) in zip(created, made, strict=False):
        model.add(job_id, status=spec.status, type=spec.type, project_id=where)
    ids = [*model.jobs, *(jobs.new_id() for _ in range(unknown))]
    order = data.draw(st.permutations(ids), label="order")
    modes = data.draw(st.lists(pause_modes(), min_size=len(ids), max_size=len(ids)), label="modes")
    items = list(zip(order, modes, strict=False))
    for job_id, mode in items:
        note(f"{job_id} {mode:6} -> {model.expect_item(job_id, mode).why}")

    raise_first(pause_against(jobs, model, items))
    raise_first(observe(jobs, model, model.jobs))
    raise_first(model.judge_statuses(jobs.statuses(model.own_ids())))


# -- any one-fault batch ------------------------------------------------------------------------


def _changed(before: dict[str, JobState], after: dict[str, JobState]) -> list[str]:
    def shown(state: JobState) -> str:
        return f"status {state.status!r}" + (f", pause mode {state.pause_mode!r}" if state.pause_mode else "")

    return [
        f"received {shown(after[job_id])} for job {job_id}, documented unchanged ({shown(before[job_id])})"
        for job_id in before
        if after[job_id] != before[job_id]
    ]


def _refused_and_unchanged(api: DrsClient, jobs: Jobs, fault: Fault, body: bytes, ids: list[str]) -> None:
    """The body is refused with 400 (else the fault's own rule fails) and none of `ids` changed."""
    before = jobs.states(ids)
    reply = api.pause(content=body, content_type=fault.content_type)
    expect_refused(reply, fault.requirement, f"{fault.kind}: {fault.reason}")
    jobs.after_earlier_effects()  # a wrong pause shown late shows by then
    changed = _changed(before, jobs.states(ids))
    if changed:
        raise NonConformance(
            Req.REFUSAL_ATOMIC, f"{'; '.join(changed)}: the batch was refused with 400 ({fault.kind}: {fault.reason})"
        )


REFUSAL = (Req.REFUSAL_ATOMIC, Req.JOB_ID_RULE, Req.ITEM_SHAPE, Req.PAUSE_MODE_VALUES)


@pytest.mark.long_running(requests=75)
@pytest.mark.requirement(*REFUSAL)
@given(fault=one_fault_batches(max_size=MAX_FAULT_BATCH), data=st.data())
def test_one_fault_batch_is_refused_and_changes_no_job(
    api: DrsClient, jobs: Jobs, fault: Fault, data: st.DataObject
) -> None:
    """One bad item among well-formed ones naming pausable jobs: 400, and not one of those jobs changed."""
    fault = jobs.fresh(fault)
    body, ids = fault.body or b"", list(dict.fromkeys(fault.job_ids))
    specs = data.draw(st.lists(pausable_job_specs(), min_size=len(ids), max_size=len(ids)), label="jobs")
    jobs.create_many(
        {"job_id": job_id, "status": spec.status, "type": spec.type} for job_id, spec in zip(ids, specs, strict=False)
    )
    note(f"sent with fresh ids: {body[:400]!r}")
    _refused_and_unchanged(api, jobs, fault, body, ids)


@pytest.fixture
def pausable_job(jobs: Jobs) -> str:
    """One pausable job for a whole hypothesis test: created, or leased from the inventory (live targets)."""
    return jobs.pausable()


# A well-formed id no strategy draws, standing for the pausable job in a strategy built once.
PLACEHOLDER = "zzzzzzzz-zzzz-zzzz-zzzz-placeholder0"


@pytest.mark.long_running(requests=80)
@pytest.mark.requirement(*REFUSAL)
@given(fault=one_fault_batches(max_size=1, job_ids=st.just(PLACEHOLDER)))
def test_one_fault_batch_naming_a_pausable_job_changes_it_not(
    api: DrsClient, jobs: Jobs, pausable_job: str, fault: Fault
) -> None:
    """Safe on live targets: one leased pausable job and one bad item in a batch; 400 and the job unchanged."""
    if jobs.state(pausable_job).status == PAUSING:
        # A target that broke REFUSAL-ATOMIC in an earlier example paused it: put it back first.
        resume(api, [pausable_job], timeout=jobs.target.options.resume_timeout)
    body = jobs.fresh(fault, fixed={PLACEHOLDER: pausable_job}).body or b""
    note(f"sent with fresh ids: {body[:400]!r}")
    _refused_and_unchanged(api, jobs, fault, body, [pausable_job])
