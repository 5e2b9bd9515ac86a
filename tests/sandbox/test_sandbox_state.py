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
