"""The store alone (no HTTP): check-and-set pause under one lock, resume, memory-lean jobs."""

from __future__ import annotations

import threading
import tracemalloc

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox.state import Job, JobOutcome, JobStore, PausePolicy, ResumePolicy

C = contract()
POLICY = PausePolicy(
    statuses=frozenset(C.pausable_statuses), types=frozenset(C.pausable_types), paused_status=C.paused_status
)
RESUME = ResumePolicy(
    paused_status=C.paused_status,
    failed_statuses=frozenset(s for s in C.statuses if s.endswith("_FAILED")),
    fallback_status="INCRE_TRANSFER_STARTED",
)
ID = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"


def store_with(status: str = "FULL_TRANSFER_STARTED", type: str = "sync") -> JobStore:
    store = JobStore()
    store.put(ID, project_id="p", status=status, type=type)
    return store


def test_pause_records_mode_and_previous_status_and_resume_restores() -> None:
    store = store_with()
    assert store.pause("p", ID, "all", POLICY) == (JobOutcome.PAUSED, None)
    job = store.get(ID)
    assert job is not None and (job.status, job.pause_mode, job.previous_status) == (
        C.paused_status,
        "all",
        "FULL_TRANSFER_STARTED",
    )
    assert store.resume("p", ID, RESUME) == (JobOutcome.RESUMED, None)
    job = store.get(ID)
    assert job is not None and (job.status, job.pause_mode, job.previous_status) == (
        "FULL_TRANSFER_STARTED",
        None,
        None,
    )


def test_failures_change_nothing() -> None:
    store = store_with(status="CREATING")
    assert store.pause("p", ID, "all", POLICY) == (JobOutcome.NOT_PAUSABLE_STATE, "CREATING")
    assert store.pause("q", ID, "all", POLICY) == (JobOutcome.FOREIGN, None)
    assert store.pause("p", "0" * 8 + ID[8:], "all", POLICY) == (JobOutcome.NOT_FOUND, None)
    assert store.get(ID) == Job(ID, "p", "CREATING", "sync")
    assert store_with(type="cloudDataGuard").pause("p", ID, "all", POLICY) == (
        JobOutcome.NOT_PAUSABLE_TYPE,
        "cloudDataGuard",
    )


def test_get_returns_a_copy() -> None:
    store = store_with()
    job = store.get(ID)
    assert job is not None
    job.status = "DELETED"
    assert store.get(ID).status == "FULL_TRANSFER_STARTED"  # type: ignore[union-attr]


def test_threads_pausing_one_job_get_one_success() -> None:
    store = store_with()
    barrier = threading.Barrier(32)
    outcomes: list[JobOutcome] = []

    def pause() -> None:
        barrier.wait()
        outcomes.append(store.pause("p", ID, "target", POLICY)[0])

    threads = [threading.Thread(target=pause) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert outcomes.count(JobOutcome.PAUSED) == 1, (
        f"received {outcomes.count(JobOutcome.PAUSED)} successes of 32, documented one"
    )


def test_jobs_are_slotted() -> None:
    assert not hasattr(Job(ID, "p", "CREATING", "sync"), "__dict__")


def test_a_million_jobs_load_lean() -> None:
    """Memory is bounded here; load time is a benchmark figure (README, "One million seeded jobs")."""
    ids = [f"{i:08x}-0000-4000-8000-00000000jb01" for i in range(1_000_000)]
    tracemalloc.start()
    store = JobStore()
    count = store.put_many((job_id, "p", "INCRE_TRANSFER_STARTED", "sync") for job_id in ids)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == len(store) == 1_000_000
    assert peak < 200 * 1024 * 1024, (
        f"received a peak of {peak / 2**20:.0f} MiB for a million jobs (ids excluded), expected < 200 MiB"
    )


# -- effects=delayed: the job is taken at once, reads show it LAG later ------------------------------


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def delayed_store(clock: FakeClock, status: str = "FULL_TRANSFER_STARTED") -> JobStore:
    store = JobStore(lag=0.3, clock=clock)
    store.put(ID, project_id="p", status=status, type="sync")
    return store


def test_a_delayed_pause_shows_only_after_the_lag_in_every_read() -> None:
    clock = FakeClock()
    store = delayed_store(clock)
    assert store.pause("p", ID, "all", POLICY) == (JobOutcome.PAUSED, None)
    job = store.get(ID)
    assert job is not None and (job.status, job.pause_mode) == ("FULL_TRANSFER_STARTED", None)
    assert store.statuses("p", [ID]) == ["FULL_TRANSFER_STARTED"]
    clock.now += 0.29
    [seen] = store.get_many([ID])
    assert seen is not None and seen.status == "FULL_TRANSFER_STARTED", "still inside the lag"
    clock.now += 0.02
    job = store.get(ID)
    assert job is not None and (job.status, job.pause_mode) == (C.paused_status, "all")
    assert store.statuses("p", [ID]) == [C.paused_status]


def test_a_second_pause_inside_the_lag_fails_its_item() -> None:
    clock = FakeClock()
    store = delayed_store(clock)
    assert store.pause("p", ID, "target", POLICY)[0] is JobOutcome.PAUSED
    clock.now += 0.1
    assert store.pause("p", ID, "target", POLICY) == (JobOutcome.NOT_PAUSABLE_STATE, C.paused_status)
    assert store.statuses("p", [ID]) == ["FULL_TRANSFER_STARTED"], "the failed pause does not end the lag"


def test_a_delayed_resume_reads_pausing_for_the_lag() -> None:
    clock = FakeClock()
    store = delayed_store(clock, status=C.paused_status)
    assert store.resume("p", ID, RESUME) == (JobOutcome.RESUMED, None)
    assert store.statuses("p", [ID]) == [C.paused_status]
    clock.now += 0.3
    assert store.statuses("p", [ID]) == ["INCRE_TRANSFER_STARTED"]


def test_a_put_ends_the_lag_of_what_the_job_was() -> None:
    clock = FakeClock()
    store = delayed_store(clock)
    store.pause("p", ID, "all", POLICY)
    store.put(ID, project_id="p", status="CREATING", type="sync")
    assert store.statuses("p", [ID]) == ["CREATING"]


def test_concurrent_delayed_pauses_still_give_one_success() -> None:
    store = JobStore(lag=0.3)
    store.put(ID, project_id="p", status="FULL_TRANSFER_STARTED", type="sync")
    outcomes: list[JobOutcome] = []
    threads = [
        threading.Thread(target=lambda: outcomes.append(store.pause("p", ID, "all", POLICY)[0])) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
    assert outcomes.count(JobOutcome.PAUSED) == 1, f"received {outcomes}, documented exactly one success"


def test_lost_update_writes_back_a_stale_copy_of_the_table() -> None:
    store = JobStore()
    other = "8d0e8e36-a618-490d-8a46-8c61ac9jb503"
    store.put(ID, project_id="p", status="FULL_TRANSFER_STARTED", type="sync")
    store.put(other, project_id="p", status="FULL_TRANSFER_STARTED", type="sync")
    first, second = store.copy_table(), store.copy_table()
    store.pause_in_copy(first, "p", [(ID, "all")], POLICY)
    store.pause_in_copy(second, "p", [(other, "all")], POLICY)
    store.write_table(first)
    store.write_table(second)
    assert store.statuses("p", [ID, other]) == ["FULL_TRANSFER_STARTED", C.paused_status]
