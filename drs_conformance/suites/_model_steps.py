"""What the model-based suites (test_properties, test_stateful) share: job specs, one pause judged, observing."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from hypothesis import strategies as st

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.judge import describe, expect_ok, is_success, results_by_id, single_result
from drs_conformance.contract.model import Model, Violation, first_exception
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import Jobs
from drs_conformance.strategies import JobSpec, job_specs, non_pausable_job_specs, pausable_job_specs
from drs_conformance.transport.client import DrsClient, Reply

__all__ = ["boundary_job_specs", "observe", "pause_against", "raise_first"]


def boundary_job_specs() -> st.SearchStrategy[JobSpec]:
    """Jobs weighted to the edges of the rule: pausable (two parts in five), just not pausable (state or
    type), PAUSING, and any.

    Uniform specs are pausable one time in nine and PAUSING one time in 29; with these a quick run
    meets every pausable status and every kind of failure.
    """
    pausable = pausable_job_specs()
    return st.one_of(
        pausable,
        pausable,
        non_pausable_job_specs().map(lambda fault: fault.value),
        job_specs(statuses=[contract().paused_status]),
        job_specs(),
    )


def raise_first(violations: Sequence[Violation]) -> None:
    """Fail with the first violation (its requirement named), listing the others in the message."""
    exception = first_exception(violations)
    if exception is not None:
        raise exception


def _alone_succeeds(api: DrsClient, job_id: str, mode: str) -> bool:
    """Send one item alone: does it get success when no other item is in its batch?"""
    reply = api.pause_jobs([(job_id, mode)], label="probe: the item alone")
    return reply.status == 200 and is_success(single_result(reply, job_id))


def _expect_served(jobs: Jobs, reply: Reply, requirement: str) -> None:
    """A well-formed batch is served (200). A 400 that one unknown well-formed id alone gets too is JOB-ID-WELL-FORMED."""
    if reply.status == 400:
        probe = jobs.api.pause_jobs([(jobs.new_id(), "target")], label="probe: one well-formed id alone")
        if probe.status == 400:
            raise NonConformance(
                Req.JOB_ID_WELL_FORMED,
                f"received {describe(reply)} for a well-formed batch, documented 200; one well-formed id alone gets "
                f"{describe(probe, 120)}: ids of the documented shape ([0-9a-z] in every group) are refused",
            )
    expect_ok(reply, requirement, "a well-formed batch is served and each item gets its own outcome")


def pause_against(jobs: Jobs, model: Model, items: Sequence[tuple[str, str]]) -> list[Violation]:
    """Pause a batch (as `jobs.api`), move the model along, and return how each item's result differs from it.

    A pausable item that failed beside failing items is sent again alone, to tell PAUSABLE-SUCCEEDS
    (it fails alone too) from ITEMS-INDEPENDENT (alone it succeeds).
    """
    api = jobs.api
    expectations = model.pause(items)
    reply = api.pause_jobs(items, label="step: batch-pause-task")
    _expect_served(jobs, reply, Model.requirement_of_batch(expectations))
    grouped = results_by_id(reply, [job_id for job_id, _ in items])
    violations = Model.judge_results(expectations, grouped)
    return [
        v.independence(_alone_succeeds(api, v.job_id, v.mode)) if v.isolate and v.job_id and v.mode else v
        for v in violations
    ]


def observe(jobs: Jobs, model: Model, job_ids: Iterable[str]) -> list[Violation]:
    """Read the jobs (control API, else batch-status), compare with the model, adopt what was read.

    In-flight transitions: the model takes a job answered `success` as paused (or resumed) from the answer on,
    as the target does (a second pause fails its item at once); a read of a job whose effect is still
    settling is taken again until it shows it or `--settle-timeout` passes (`Jobs.states`, settle.py), so the
    model compares only settled reads and never mistakes the earlier side for a broken rule.
    """
    ids = list(job_ids)
    if not ids:
        return []
    control = jobs.target.control is not None
    return model.observe(jobs.states(ids), modes=control, source="control API" if control else "batch-status")
