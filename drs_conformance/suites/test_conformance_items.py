"""Conformance, per item: what happens to each job named in a well-formed batch."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.judge import describe, expect_ok, is_success, results_by_id, single_result
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import Jobs, resume
from drs_conformance.transport.client import DrsClient

SPEC = contract()
PAUSING = SPEC.paused_status
STARTED = SPEC.pausable_status("FULL_TRANSFER_STARTED")
PAUSE_MODES = SPEC.pause_modes


def _params(values: Iterable[str]) -> list[object]:
    return [pytest.param(v, id=v) for v in values]


# -- pausable jobs ------------------------------------------------------------------------------


@pytest.mark.requirement(Req.PAUSABLE_SUCCEEDS)
@pytest.mark.parametrize("job_type", _params(SPEC.pausable_types))
@pytest.mark.parametrize("status", _params(SPEC.pausable_statuses))
def test_pausable_job_is_paused(api: DrsClient, jobs: Jobs, status: str, job_type: str) -> None:
    """A migration or sync job in a pausable state gets success and then reads PAUSING."""
    job_id = jobs.pausable(type=job_type, status=status)
    mode = PAUSE_MODES[len(status) % len(PAUSE_MODES)]

    reply = api.pause_jobs([(job_id, mode)])

    expect_ok(reply, Req.PAUSABLE_SUCCEEDS, f"a well-formed batch pausing a {job_type} job in {status}")
    result = single_result(reply, job_id)
    assert is_success(result), (
        f"received status {result.get('status')!r} for a {job_type} job in {status}, documented 'success'"
    )
    after = jobs.state(job_id)
    assert after.status == PAUSING, (
        f"job {job_id} reads {after.status!r} after a successful pause, documented {PAUSING}"
    )
    if jobs.target.control is not None:
        seen = jobs.statuses([job_id])[job_id]
        if seen != PAUSING:
            raise NonConformance(
                Req.SUPPORT_STATUS, f"batch-status reports {seen!r} for a job that is {PAUSING}, documented its status"
            )


@pytest.mark.requirement(Req.PAUSE_MODE_RECORDED)
@pytest.mark.parametrize("mode", _params(PAUSE_MODES))
def test_pause_mode_is_recorded(api: DrsClient, jobs: Jobs, mode: str) -> None:
    """A paused job is paused with the mode the request asked for."""
    jobs.skip_unless_control("read the pause mode of a job")
    job_id = jobs.pausable()

    reply = api.pause_jobs([(job_id, mode)])

    expect_ok(reply, Req.PAUSABLE_SUCCEEDS, "a well-formed batch pausing a pausable job")
    if not is_success(single_result(reply, job_id)):
        raise NonConformance(Req.PAUSABLE_SUCCEEDS, f"a pausable job was not paused: {describe(reply)}")
    recorded = jobs.state(job_id).pause_mode
    assert recorded == mode, f"job {job_id} was paused with mode {recorded!r}, documented the requested {mode!r}"


# -- jobs that must not be paused -------------------------------------------------------------


def _expect_failed_and_unchanged(api: DrsClient, jobs: Jobs, job_id: str, why: str, requirement: str) -> None:
    """Pause one job that must not be paused: 200, a failed item, the job as it was."""
    before = jobs.state(job_id)
    reply = api.pause_jobs([(job_id, "all")])
    expect_ok(reply, requirement, f"a well-formed batch is served and the item fails in its result ({why})")
    result = single_result(reply, job_id)
    assert not is_success(result), f"received 'success' for {why}, documented a failed item"
    after = jobs.state(job_id)
    jobs.rule_out_interference(job_id, before, after)
    assert after == before, f"{why}: job changed from {before} to {after}, documented unchanged"


@pytest.mark.requirement(Req.NON_PAUSABLE_STATE_FAILS)
@pytest.mark.parametrize("status", _params(SPEC.non_pausable_statuses))
def test_job_in_other_state_fails_and_is_unchanged(api: DrsClient, jobs: Jobs, status: str) -> None:
    """Every state but the five pausable ones (PAUSING included) fails the item and changes nothing."""
    # Live targets: PAUSING is an inventory job paused first; any other status, an inventory job in it now.
    job_id = jobs.paused() if status == PAUSING else jobs.in_state(status)
    _expect_failed_and_unchanged(
        api, jobs, job_id, f"a migration or sync job in {status}", Req.NON_PAUSABLE_STATE_FAILS
    )


@pytest.mark.requirement(Req.DR_JOB_FAILS)
@pytest.mark.parametrize("status", _params(SPEC.pausable_statuses))
def test_disaster_recovery_job_fails_and_is_unchanged(api: DrsClient, jobs: Jobs, status: str) -> None:
    """cloudDataGuard jobs fail even in a state that is pausable for migration and sync."""
    job_id = jobs.dr_job(status)  # live targets: an inventory DR job that is in this status now
    _expect_failed_and_unchanged(api, jobs, job_id, f"a cloudDataGuard job in {status}", Req.DR_JOB_FAILS)


@pytest.mark.requirement(Req.UNKNOWN_JOB_FAILS)
@pytest.mark.parametrize("mode", _params(PAUSE_MODES))
def test_unknown_job_fails(api: DrsClient, jobs: Jobs, mode: str) -> None:
    """A well-formed id of no job fails its item."""
    job_id = jobs.new_id()
    reply = api.pause_jobs([(job_id, mode)])
    expect_ok(reply, Req.UNKNOWN_JOB_FAILS, "a well-formed batch is served; an unknown id fails its own item")
    result = single_result(reply, job_id)
    assert not is_success(result), f"received 'success' for unknown job {job_id}, documented a failed item"


# -- failed items: how they read (SHOULD) -------------------------------------------------------


def _failed_results(api: DrsClient, jobs: Jobs, language: str | None = None) -> list[dict[str, Any]]:
    """Failed items of the kinds every mode can produce, plus state failures where jobs can be made."""
    ids = [jobs.new_id()]
    if jobs.target.control is not None:
        ids += jobs.create_many([{"status": "CREATING", "type": "sync"}, {"status": STARTED, "type": "cloudDataGuard"}])
    reply = api.pause_jobs([(job_id, "target") for job_id in ids], language=language)
    expect_ok(reply, Req.ONE_RESULT_PER_ITEM, "a well-formed batch is served with one result per item")
    grouped = results_by_id(reply, ids)
    return [grouped[job_id][0] for job_id in ids]


@pytest.mark.requirement(Req.FAILED_STATUS_WORD)
def test_failed_item_reads_failed(api: DrsClient, jobs: Jobs) -> None:
    """A failed item's status SHOULD be the word 'failed'."""
    for result in _failed_results(api, jobs):
        assert result.get("status") == SPEC.failed_word, (
            f"received status {result.get('status')!r} for failed item {result.get('id')}, documented {SPEC.failed_word!r}"
        )


@pytest.mark.requirement(Req.FAILED_ERROR_DETAILS)
def test_failed_item_carries_code_and_message(api: DrsClient, jobs: Jobs) -> None:
    """A failed item SHOULD carry a DRS error_code and a non-empty error_msg."""
    for result in _failed_results(api, jobs):
        code, message = result.get("error_code"), result.get("error_msg")
        assert isinstance(code, str) and SPEC.error_code_regex.match(code), (
            f"received error_code {code!r} for failed item {result.get('id')}, documented a DRS code "
            f"(pattern {SPEC.error_code_regex.pattern})"
        )
        assert isinstance(message, str) and message.strip(), (
            f"received error_msg {message!r} for failed item {result.get('id')}, documented a message"
        )


# -- bookkeeping --------------------------------------------------------------------------------


@pytest.mark.requirement(Req.ONE_RESULT_PER_ITEM)
@pytest.mark.parametrize("size", [pytest.param(1, id="one"), pytest.param(7, id="seven")])
def test_one_result_per_item_with_the_requested_id(api: DrsClient, jobs: Jobs, size: int) -> None:
    """Exactly one result per item, each with the requested id unchanged (matched by id, not position)."""
    ids = [jobs.new_id() for _ in range(size)]
    if jobs.target.control is not None:
        ids[0] = jobs.pausable()
    reply = api.pause_jobs([(job_id, "target") for job_id in ids])
    expect_ok(reply, Req.ONE_RESULT_PER_ITEM, "a well-formed batch")
    results_by_id(reply, ids)


@pytest.mark.requirement(Req.COUNT_EQUALS_RESULTS)
@pytest.mark.parametrize("size", [pytest.param(1, id="one"), pytest.param(5, id="five")])
def test_count_equals_number_of_results(api: DrsClient, jobs: Jobs, size: int) -> None:
    """count is the number of results, failed ones included."""
    ids = [jobs.new_id() for _ in range(size)]
    if jobs.target.control is not None:
        ids[-1] = jobs.pausable()
    reply = api.pause_jobs([(job_id, "all") for job_id in ids])
    expect_ok(reply, Req.COUNT_EQUALS_RESULTS, "a well-formed batch")
    body = reply.json()
    assert body.get("count") == len(body.get("results", [])) == size, (
        f"received count {body.get('count')!r} and {len(body.get('results', []))} results for {size} items, "
        f"documented count == len(results) == {size}"
    )


# -- independence -------------------------------------------------------------------------------


@pytest.mark.requirement(Req.ITEMS_INDEPENDENT)
@pytest.mark.parametrize(
    "position",
    [pytest.param(0, id="failing-first"), pytest.param(1, id="failing-middle"), pytest.param(2, id="failing-last")],
)
def test_failing_item_does_not_change_the_others(api: DrsClient, jobs: Jobs, position: int) -> None:
    """A failing item does not change the outcome of the other items of its batch."""
    good = [jobs.pausable()]
    if jobs.target.control is not None:
        good.append(jobs.pausable())
    failing = [jobs.new_id()]
    if jobs.target.control is not None:
        failing.append(jobs.create(status="CONFIGURATION", type="migration"))
    batch = list(good)
    for offset, job_id in enumerate(failing):
        batch.insert(min(position + offset, len(batch)), job_id)

    reply = api.pause_jobs([(job_id, "target") for job_id in batch])

    expect_ok(reply, Req.ITEMS_INDEPENDENT, "a well-formed batch with failing items is served, not refused")
    grouped = results_by_id(reply, batch)
    for job_id in good:
        assert is_success(grouped[job_id][0]), (
            f"pausable job {job_id} got {grouped[job_id][0].get('status')!r} in a batch with failing items, "
            "documented 'success' (items are independent)"
        )
        assert jobs.state(job_id).status == PAUSING, f"pausable job {job_id} was not paused beside failing items"
    for job_id in failing:
        assert not is_success(grouped[job_id][0]), f"failing item {job_id} got 'success'"


# -- supporting operations ----------------------------------------------------------------------


@pytest.mark.requirement(Req.SUPPORT_STATUS)
def test_batch_status_reports_each_job(api: DrsClient, jobs: Jobs) -> None:
    """batch-status reports each requested job's status, matched by id."""
    if jobs.target.control is not None:
        statuses = ("CREATING", PAUSING, STARTED)
        made: dict[str, str | None] = dict(
            zip(jobs.create_many({"status": status, "type": "sync"} for status in statuses), statuses, strict=False)
        )
    else:
        job_id = jobs.pausable()
        made = {job_id: None}
    seen = jobs.statuses(made)
    for job_id, status in made.items():
        assert seen[job_id] in SPEC.statuses, (
            f"batch-status reports {seen[job_id]!r} for job {job_id}, documented one of the job statuses"
        )
        if status is not None:
            assert seen[job_id] == status, f"batch-status reports {seen[job_id]!r} for a job in {status}"


@pytest.mark.requirement(Req.SUPPORT_RESUME)
def test_resumed_job_leaves_pausing(api: DrsClient, jobs: Jobs) -> None:
    """batch-retry-task resumes a job paused through the API; it then leaves PAUSING."""
    job_id = jobs.pausable()
    reply = api.pause_jobs([(job_id, "target")])
    if reply.status != 200 or not is_success(single_result(reply, job_id)):
        raise NonConformance(Req.PAUSABLE_SUCCEEDS, f"could not pause job {job_id} to resume it: {describe(reply)}")
    resume(api, [job_id], timeout=jobs.target.options.resume_timeout)
    assert jobs.state(job_id).status != PAUSING, f"job {job_id} still PAUSING after batch-retry-task"
