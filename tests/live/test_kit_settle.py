"""Effects awaited (settle.py): a job answered success is read again until it shows the effect, or fails after the window."""

from __future__ import annotations

import json

import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.settle import Effects, settle, settle_text
from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, contract
from drs_conformance.errors import UsageError
from drs_conformance.plugin.options import resolve_options

C = contract()
PAUSING = C.paused_status
RUNNING = "INCRE_TRANSFER_STARTED"
A = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"
B = "8d0e8e36-a618-490d-8a46-8c61ac9jb503"


class Clock:
    """A clock that moves only when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 50.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _pause_answer(effects: Effects, *results: tuple[str, str], path: str = PAUSE_PATH) -> None:
    request = {"jobs": [{"job_id": job_id, "pause_mode": "all"} for job_id, _ in results]}
    answer = {"results": [{"id": job_id, "status": status} for job_id, status in results], "count": len(results)}
    effects.note(path, json.dumps(request).encode(), 200, json.dumps(answer).encode())


def _reader(timeline: dict[str, list[tuple[float, str | None]]], clock: Clock, reads: list[list[str]]):  # type: ignore[no-untyped-def]
    """A target whose job reads each status from the given time on."""

    def read(job_ids: list[str]) -> dict[str, str | None]:
        reads.append(list(job_ids))
        return {job_id: [s for at, s in timeline[job_id] if at <= clock.now][-1] for job_id in job_ids}

    return read


def _status(state: str | None) -> tuple[str | None, str | None]:
    return state, None


def test_a_pause_shown_late_is_waited_for_and_timed() -> None:
    clock = Clock()
    effects = Effects(window=10.0, clock=clock)
    _pause_answer(effects, (A, "success"), (B, "failed"))
    reads: list[list[str]] = []
    read = _reader({A: [(0, RUNNING), (50.3, PAUSING)], B: [(0, RUNNING)]}, clock, reads)
    seen = settle(read, read([A, B]), _status, with_mode=False, effects=effects, sleep=clock.sleep)
    assert seen == {A: PAUSING, B: RUNNING}
    assert all(job_ids == [A] for job_ids in reads[1:]), f"only the job due is read again, received {reads}"
    stats = effects.stats()
    assert stats.settled == 1 and stats.slowest is not None and 0.3 <= stats.slowest < 0.8, stats
    assert effects.due([A, B]) == {}, "a settled effect is no longer due"


def test_a_pause_never_shown_fails_saying_how_long_the_kit_waited() -> None:
    clock = Clock()
    effects = Effects(window=10.0, clock=clock)
    _pause_answer(effects, (A, "success"))
    read = _reader({A: [(0, "FULL_TRANSFER_STARTED")]}, clock, [])
    with pytest.raises(NonConformance) as caught:
        settle(read, read([A]), _status, with_mode=False, effects=effects, sleep=clock.sleep)
    assert caught.value.requirement == "PAUSABLE-SUCCEEDS"
    assert "still FULL_TRANSFER_STARTED 10.0 s after the pause was answered success" in str(caught.value)
    assert sum(clock.slept) == pytest.approx(10.0), "the kit waits the window, not longer"
    assert max(clock.slept) <= 0.5, "polls back off to at most 0.5 s"


def test_a_third_status_ends_the_wait_and_is_left_to_the_caller() -> None:
    clock = Clock()
    effects = Effects(window=10.0, clock=clock)
    _pause_answer(effects, (A, "success"))
    read = _reader({A: [(0, RUNNING), (50.1, "CREATING")]}, clock, [])
    assert settle(read, read([A]), _status, with_mode=False, effects=effects, sleep=clock.sleep) == {A: "CREATING"}
    assert clock.now < 51, "no waiting for the window once a third status is read"


def test_a_resume_answered_success_waits_until_the_job_leaves_pausing() -> None:
    clock = Clock()
    effects = Effects(window=5.0, clock=clock)
    _pause_answer(effects, (A, "success"), path=RETRY_PATH)
    read = _reader({A: [(0, PAUSING), (51.0, RUNNING)]}, clock, [])
    assert settle(read, read([A]), _status, with_mode=False, effects=effects, sleep=clock.sleep) == {A: RUNNING}
    effects_never = Effects(window=2.0, clock=clock)
    _pause_answer(effects_never, (B, "success"), path=RETRY_PATH)
    stuck = _reader({B: [(0, PAUSING)]}, clock, [])
    with pytest.raises(NonConformance, match=r"still PAUSING 2\.0 s after the resume") as caught:
        settle(stuck, stuck([B]), _status, with_mode=False, effects=effects_never, sleep=clock.sleep)
    assert caught.value.requirement == "SUPPORT-RESUME"


def test_the_pause_mode_is_awaited_with_the_status_where_the_control_api_tells_it() -> None:
    clock = Clock()
    effects = Effects(window=3.0, clock=clock)
    _pause_answer(effects, (A, "success"))
    timeline = {A: [(0, (RUNNING, None)), (50.2, (PAUSING, "target"))]}

    def read(job_ids: list[str]) -> dict[str, tuple[str, str | None]]:
        return {job_id: [s for at, s in timeline[job_id] if at <= clock.now][-1] for job_id in job_ids}  # type: ignore[misc]

    seen = settle(read, read([A]), lambda state: state, with_mode=True, effects=effects, sleep=clock.sleep)
    assert seen == {A: (PAUSING, "target")}, "a wrong mode is left for the test to judge, after the window"
    assert clock.now == pytest.approx(53.0, abs=0.01), "the wrong mode was waited on for the whole window"


def test_only_answers_of_success_for_requested_ids_are_due() -> None:
    effects = Effects(window=1.0)
    _pause_answer(effects, (A, "failed"))
    effects.note(PAUSE_PATH, b"not json", 200, b"{}")
    effects.note(PAUSE_PATH, json.dumps({"jobs": [{"job_id": A, "pause_mode": "all"}]}).encode(), 400, b"{}")
    answer = {"results": [{"id": B, "status": "success"}], "count": 1}  # an id that was not asked for
    effects.note(
        PAUSE_PATH,
        json.dumps({"jobs": [{"job_id": A, "pause_mode": "all"}]}).encode(),
        200,
        json.dumps(answer).encode(),
    )
    assert effects.due([A, B]) == {}


def test_worker_figures_merge_and_read_as_one_line() -> None:
    effects = Effects(window=10.0)
    effects.merge({"window_s": 10.0, "slowest_s": 0.42, "settled": 3, "unsettled": 0})
    effects.merge({"window_s": 10.0, "slowest_s": 1.5, "settled": 2, "unsettled": 1})
    data = effects.stats().to_dict()
    assert data == {"window_s": 10.0, "slowest_s": 1.5, "settled": 5, "unsettled": 1}
    assert settle_text(data) == (
        "effects awaited within 10 s (--settle-timeout); slowest settle 1.50 s (5 effects awaited); 1 not seen as due"
    )
    assert settle_text(Effects(window=2.0).stats().to_dict()).endswith("no effect awaited")


# -- the option ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "environ", "expected"),
    [
        pytest.param(
            {"base_url": "https://drs.example.com", "auth_token": "t", "project_id": "p"},
            {},
            10.0,
            id="external-default",
        ),
        pytest.param({}, {}, 2.0, id="embedded-default"),
        pytest.param(
            {"sandbox_variants": ["effects=delayed"], "sandbox_effect_lag": "2"}, {}, 4.0, id="embedded-delayed"
        ),
        pytest.param({}, {"DRS_SETTLE_TIMEOUT": "7.5"}, 7.5, id="environment"),
        pytest.param({"settle_timeout": "3"}, {"DRS_SETTLE_TIMEOUT": "7.5"}, 3.0, id="flag-over-environment"),
    ],
)
def test_the_settle_window_is_an_option_like_every_other(
    given: dict[str, object], environ: dict[str, str], expected: float
) -> None:
    assert resolve_options(given, environ).settle_timeout == expected


@pytest.mark.parametrize(
    ("given", "fragment"),
    [
        pytest.param({"settle_timeout": "0"}, "--settle-timeout", id="zero"),
        pytest.param({"settle_timeout": "soon"}, "--settle-timeout", id="not-a-number"),
        pytest.param(
            {"base_url": "https://drs.example.com", "auth_token": "t", "project_id": "p", "sandbox_effect_lag": "1"},
            "embedded sandbox only",
            id="lag-on-an-external-target",
        ),
    ],
)
def test_a_bad_settle_option_is_one_line(given: dict[str, object], fragment: str) -> None:
    with pytest.raises(UsageError) as caught:
        resolve_options(given, {})
    assert fragment in str(caught.value) and "\n" not in str(caught.value)
