"""The contract's model (drs_conformance.contract.model): item outcomes, states after pause and resume, batch-status."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.model import Model, Violation, first_exception
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import JobState
from drs_conformance.strategies import JobSpec, job_specs, pause_modes

C = contract()
PAUSING = C.paused_status
PROJECT = "p" * 32
OTHER = "o" * 32
RUNNING = C.pausable_status("FULL_TRANSFER_STARTED")
NOT_PAUSABLE = next(s for s in C.non_pausable_statuses if s != PAUSING)
SYNC = C.pausable_type("sync")
DR = "cloudDataGuard"
assert DR in C.non_pausable_types, f"{DR} is not a non-pausable job type of the contract"
ID = "aaaaaaaa-0000-0000-0000-00000000jb01"
ID2 = "bbbbbbbb-0000-0000-0000-00000000jb02"
UNKNOWN = "cccccccc-0000-0000-0000-00000000jb03"


def _model(*, drift: bool = False, **jobs: tuple[str, str]) -> Model:
    model = Model(PROJECT, drift=drift)
    ids = {"one": ID, "two": ID2}
    for name, (status, type_) in jobs.items():
        model.add(ids[name], status=status, type=type_)
    return model


def _ok() -> dict[str, list[dict[str, str]]]:
    return {ID: [{"id": ID, "status": "success"}]}


def _failed(job_id: str = ID) -> dict[str, list[dict[str, str]]]:
    return {job_id: [{"id": job_id, "status": "failed", "error_code": "DRS.M00304"}]}


# -- which items succeed ------------------------------------------------------------------------


@pytest.mark.parametrize("type_", C.pausable_types)
@pytest.mark.parametrize("status", C.pausable_statuses)
def test_a_pausable_type_in_a_pausable_status_succeeds(status: str, type_: str) -> None:
    expectation = _model(one=(status, type_)).expect_item(ID, "target")
    assert expectation.succeeds and expectation.requirement == Req.PAUSABLE_SUCCEEDS


@pytest.mark.parametrize("status", C.non_pausable_statuses)
def test_every_other_status_fails_paused_included(status: str) -> None:
    expectation = _model(one=(status, SYNC)).expect_item(ID, "all")
    assert not expectation.succeeds and expectation.requirement == Req.NON_PAUSABLE_STATE_FAILS


@pytest.mark.parametrize("status", [RUNNING, NOT_PAUSABLE])
def test_a_disaster_recovery_job_fails_in_any_status(status: str) -> None:
    expectation = _model(one=(status, DR)).expect_item(ID, "target")
    assert not expectation.succeeds and expectation.requirement == Req.DR_JOB_FAILS


def test_an_unknown_id_fails() -> None:
    expectation = _model().expect_item(UNKNOWN, "target")
    assert not expectation.succeeds and expectation.requirement == Req.UNKNOWN_JOB_FAILS


def test_a_job_of_another_project_fails_even_when_pausable() -> None:
    model = Model(PROJECT)
    model.add(ID, status=RUNNING, type=SYNC, project_id=OTHER)
    expectation = model.expect_item(ID, "target")
    assert not expectation.succeeds and expectation.requirement == Req.FOREIGN_JOB_FAILS
    assert model.own_ids() == [] and model.judge_statuses({ID: "ANY_STATUS"}) == [], "no claim on a foreign job"


@pytest.mark.parametrize(
    ("items", "problem"),
    [
        ([], "at least one item"),
        ([(ID, "target"), (ID, "all")], "distinct ids"),
        ([(ID, "Target")], "not a pause mode"),
    ],
)
def test_only_valid_batches_of_distinct_ids_are_judged(items: list[tuple[str, str]], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        _model(one=(RUNNING, SYNC)).expect_pause(items)


def test_jobs_are_added_once_with_a_status_of_the_contract() -> None:
    model = _model(one=(RUNNING, SYNC))
    with pytest.raises(ValueError, match="already"):
        model.add(ID, status=RUNNING, type=SYNC)
    with pytest.raises(ValueError, match="not a status"):
        model.add(ID2, status="RUNNING", type=SYNC)


def test_the_batch_requirement_is_independence_when_outcomes_mix() -> None:
    model = _model(one=(RUNNING, SYNC), two=(NOT_PAUSABLE, SYNC))
    assert Model.requirement_of_batch(model.expect_pause([(ID, "all"), (ID2, "all")])) == Req.ITEMS_INDEPENDENT
    assert Model.requirement_of_batch(model.expect_pause([(ID, "all")])) == Req.PAUSABLE_SUCCEEDS
    assert Model.requirement_of_batch(model.expect_pause([(ID2, "all")])) == Req.NON_PAUSABLE_STATE_FAILS


# -- judging results ----------------------------------------------------------------------------


def test_results_as_expected_give_no_violation() -> None:
    model = _model(one=(RUNNING, SYNC), two=(PAUSING, SYNC))
    expectations = model.pause([(ID2, "target"), (ID, "all")])
    assert Model.judge_results(expectations, {**_ok(), **_failed(ID2)}) == []


def test_a_failed_pausable_item_beside_failing_items_is_to_be_isolated() -> None:
    model = _model(one=(RUNNING, SYNC))
    expectations = model.pause([(UNKNOWN, "target"), (ID, "all")])
    [violation] = Model.judge_results(expectations, {**_failed(ID), **_failed(UNKNOWN)})
    assert violation.requirement == Req.PAUSABLE_SUCCEEDS and violation.isolate
    assert (violation.job_id, violation.mode) == (ID, "all")
    assert "received status 'failed'" in violation.message and "documented 'success'" in violation.message
    assert violation.independence(alone_succeeds=True).requirement == Req.ITEMS_INDEPENDENT
    alone_fails = violation.independence(alone_succeeds=False)
    assert alone_fails.requirement == Req.PAUSABLE_SUCCEEDS and not alone_fails.isolate


def test_a_failed_pausable_item_alone_is_not_to_be_isolated() -> None:
    expectations = _model(one=(RUNNING, SYNC)).pause([(ID, "target")])
    [violation] = Model.judge_results(expectations, _failed(ID))
    assert violation.requirement == Req.PAUSABLE_SUCCEEDS and not violation.isolate


@pytest.mark.parametrize(
    ("job", "requirement"),
    [
        ((PAUSING, SYNC), Req.NON_PAUSABLE_STATE_FAILS),
        ((RUNNING, DR), Req.DR_JOB_FAILS),
    ],
)
def test_a_success_where_the_item_must_fail_names_its_rule(job: tuple[str, str], requirement: str) -> None:
    expectations = _model(one=job).pause([(ID, "target")])
    [violation] = Model.judge_results(expectations, _ok())
    assert violation.requirement == requirement and "documented a failed item" in violation.message


def test_a_success_for_an_unknown_id_is_unknown_job_fails() -> None:
    expectations = _model().pause([(UNKNOWN, "all")])
    [violation] = Model.judge_results(expectations, {UNKNOWN: [{"id": UNKNOWN, "status": "success"}]})
    assert violation.requirement == Req.UNKNOWN_JOB_FAILS


# -- states after a pause -------------------------------------------------------------------------


def test_a_paused_job_must_read_pausing_with_its_mode() -> None:
    model = _model(one=(RUNNING, SYNC))
    model.pause([(ID, "all")])
    assert model.observe({ID: JobState(PAUSING, "all")}, modes=True) == []
    assert model.paused_ids() == [ID]


def test_a_paused_job_that_kept_its_status_breaks_pausable_succeeds() -> None:
    model = _model(one=(RUNNING, SYNC))
    model.pause([(ID, "target")])
    [violation] = model.observe({ID: JobState(RUNNING, "target")}, modes=True, source="control API")
    assert violation.requirement == Req.PAUSABLE_SUCCEEDS
    assert f"received status {RUNNING!r} for job {ID} (control API), documented {PAUSING}" in violation.message


def test_a_paused_job_without_its_mode_breaks_pause_mode_recorded() -> None:
    model = _model(one=(RUNNING, SYNC))
    model.pause([(ID, "target")])
    [violation] = model.observe({ID: JobState(PAUSING, None)}, modes=True)
    assert violation.requirement == Req.PAUSE_MODE_RECORDED
    assert model.observe({ID: JobState(PAUSING, None)}, modes=False) == []


def test_a_failed_item_must_leave_its_job_unchanged() -> None:
    model = _model(one=(NOT_PAUSABLE, SYNC))
    model.pause([(ID, "target")])
    [status, mode] = model.observe({ID: JobState(PAUSING, "target")}, modes=True)
    assert status.requirement == mode.requirement == Req.NON_PAUSABLE_STATE_FAILS


def test_a_foreign_job_must_be_left_unchanged() -> None:
    model = Model(PROJECT)
    model.add(ID, status=RUNNING, type=SYNC, project_id=OTHER)
    model.pause([(ID, "all")])
    violations = model.observe({ID: JobState(PAUSING, "all")}, modes=True)
    assert [v.requirement for v in violations] == [Req.FOREIGN_JOB_FAILS, Req.FOREIGN_JOB_FAILS]


def test_a_change_no_request_explains_has_no_requirement() -> None:
    model = _model(one=(RUNNING, SYNC))
    [violation] = model.observe({ID: JobState(PAUSING)}, modes=False)
    assert violation.requirement is None
    assert type(violation.exception()) is AssertionError


def test_nothing_is_adopted_when_something_differs() -> None:
    model = _model(one=(RUNNING, SYNC), two=(RUNNING, SYNC))
    assert model.observe({ID: JobState(NOT_PAUSABLE), ID2: JobState(PAUSING)}, modes=False)
    assert model.jobs[ID].status == RUNNING


def test_a_job_that_vanished_is_reported() -> None:
    model = _model(one=(RUNNING, SYNC))
    [violation] = model.observe({ID: JobState(None)}, modes=False)
    assert "received status None" in violation.message


# -- resume ---------------------------------------------------------------------------------------


def test_a_resumed_job_may_read_any_status_but_pausing_and_is_then_adopted() -> None:
    model = _model(one=(RUNNING, SYNC))
    model.pause([(ID, "target")])
    assert model.resume([ID, UNKNOWN]) == [ID]
    assert not model.jobs[ID].settled and model.judge_statuses({ID: "ANY_STATUS"}) == [], "no claim while resuming"
    other = C.pausable_status("INCRE_TRANSFER_FAILED")
    assert model.observe({ID: JobState(other, None)}, modes=True) == []
    assert model.jobs[ID].status == other and model.jobs[ID].pause_modes == {None}


def test_a_resumed_job_still_pausing_breaks_support_resume() -> None:
    model = _model(one=(RUNNING, SYNC))
    model.pause([(ID, "target")])
    model.resume([ID])
    [violation] = model.observe({ID: JobState(PAUSING, "target")}, modes=True)
    assert violation.requirement == Req.SUPPORT_RESUME
    assert f"documented any status but {PAUSING}" in violation.message


def test_a_retry_of_a_job_not_paused_allows_anything() -> None:
    model = _model(one=(C.pausable_status("FULL_TRANSFER_FAILED"), SYNC))
    assert model.resume([ID]) == []
    assert model.observe({ID: JobState(PAUSING, "all")}, modes=True) == []
    assert model.jobs[ID].status == PAUSING


def test_a_job_must_be_observed_before_it_is_paused_again() -> None:
    model = _model(one=(PAUSING, SYNC))
    model.resume([ID])
    with pytest.raises(ValueError, match="observe it"):
        model.expect_item(ID, "target")


def test_only_own_jobs_are_resumed() -> None:
    model = Model(PROJECT)
    model.add(ID, status=PAUSING, type=SYNC, project_id=OTHER)
    assert model.resume([ID]) == [] and model.jobs[ID].status == PAUSING


# -- live targets (drift) -------------------------------------------------------------------------


def test_with_drift_a_job_may_move_on_but_not_into_pausing() -> None:
    model = _model(drift=True, one=(RUNNING, SYNC))
    later = C.pausable_status("INCRE_TRANSFER_FAILED")
    assert model.observe({ID: JobState(later)}, modes=False) == []
    assert model.jobs[ID].status == later
    assert model.observe({ID: JobState(PAUSING)}, modes=False)


def test_with_drift_a_paused_job_must_stay_pausing() -> None:
    model = _model(drift=True, one=(RUNNING, SYNC))
    model.pause([(ID, "all")])
    [violation] = model.observe({ID: JobState(RUNNING)}, modes=False)
    assert violation.requirement == Req.PAUSABLE_SUCCEEDS


# -- batch-status -----------------------------------------------------------------------------------


def test_batch_status_must_show_the_status_of_own_settled_jobs() -> None:
    model = _model(one=(RUNNING, SYNC), two=(PAUSING, SYNC))
    model.pause([(ID, "target")])
    assert (model.jobs[ID].status, model.jobs[ID2].status, UNKNOWN in model.jobs) == (PAUSING, PAUSING, False)
    assert model.judge_statuses({ID: PAUSING, ID2: PAUSING, UNKNOWN: None}) == []
    [violation] = model.judge_statuses({ID: RUNNING, ID2: PAUSING})
    assert violation.requirement == Req.SUPPORT_STATUS and "(batch-status)" in violation.message


# -- violations as exceptions -----------------------------------------------------------------------


def test_the_first_violation_is_raised_and_the_others_listed() -> None:
    assert first_exception([]) is None
    exception = first_exception(
        [
            Violation(Req.PAUSABLE_SUCCEEDS, "first"),
            Violation(None, "second"),
            Violation(Req.SUPPORT_STATUS, "third"),
        ]
    )
    assert isinstance(exception, NonConformance) and exception.requirement == Req.PAUSABLE_SUCCEEDS
    assert "first -- also: [unattributed] second; [SUPPORT-STATUS] third" in str(exception)


# -- the model as a whole -----------------------------------------------------------------------------


@settings(max_examples=200, database=None, derandomize=True, deadline=None)
@given(
    specs=st.lists(st.tuples(job_specs(), st.booleans()), min_size=1, max_size=8),
    modes=st.lists(pause_modes(), min_size=8, max_size=8),
)
def test_after_any_pause_exactly_the_succeeding_jobs_read_pausing_with_their_mode(
    specs: list[tuple[JobSpec, bool]], modes: list[str]
) -> None:
    model = Model(PROJECT)
    ids = [f"{n:08d}-0000-0000-0000-000000000000" for n in range(len(specs))]
    for job_id, (spec, foreign) in zip(ids, specs, strict=False):
        model.add(job_id, status=spec.status, type=spec.type, project_id=OTHER if foreign else None)
    expectations = model.pause(list(zip(ids, modes, strict=False)))
    for item, (spec, foreign) in zip(expectations, specs, strict=False):
        job = model.jobs[item.job_id]
        assert item.succeeds == (not foreign and spec.pausable)
        if item.succeeds:
            assert job.status == PAUSING and job.pause_modes == {item.mode}
        else:
            assert job.status == spec.status and job.pause_modes == {None}
            assert job.rule == item.requirement
