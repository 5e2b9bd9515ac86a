"""The write-ahead journal and the job locks: durable before a change, safe with many writers, freed by death."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
from pathlib import Path
from typing import Any

import pytest

from drs_conformance.live.journal import (
    PAUSED,
    REPLACED,
    Entry,
    JobLocks,
    Journal,
    RunJournal,
    default_journal_path,
    target_key,
)

URL = "http://127.0.0.1:8080"
PROJECT = "054ba152d480d55b2f5dc0069e7ddef0"
JOB = "8d0e8e36-a618-490d-8a46-8c61ac9jb502"
OTHER = "11111111-2222-3333-4444-55555555jb01"


def _entry(
    job_id: str = JOB,
    *,
    run_id: str = "run-a",
    target: str = URL,
    project_id: str = PROJECT,
    status: str = "INCRE_TRANSFER_STARTED",
) -> Entry:
    return Entry(job_id=job_id, project_id=project_id, target=target_key(target), run_id=run_id, status_before=status)


def test_an_opened_entry_is_open_until_its_job_is_closed(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    first, second = _entry(JOB), _entry(OTHER, status="FULL_TRANSFER_COMPLETE")
    journal.open(first)
    journal.open(second)
    assert journal.open_entries() == [first, second]
    journal.close(first, how="seen INCRE_TRANSFER_STARTED")
    assert journal.open_entries() == [second]


def test_a_close_by_any_run_closes_the_job_and_the_oldest_entry_keeps_the_status_before(tmp_path: Path) -> None:
    """Run B putting back a job run A left paused closes A's entry; A's status before is the one kept."""
    journal = Journal(tmp_path / "journal.jsonl")
    journal.open(_entry(run_id="run-a", status="FULL_TRANSFER_STARTED"))
    journal.open(_entry(run_id="run-b", status="PAUSING"))
    [open_] = journal.open_entries()
    assert open_.run_id == "run-a" and open_.status_before == "FULL_TRANSFER_STARTED"
    journal.close(_entry(run_id="run-b"), how="seen FULL_TRANSFER_STARTED")
    assert journal.open_entries() == []


def test_entries_are_filtered_by_target_project_and_run(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    mine = _entry(run_id="mine")
    journal.open(mine)
    journal.open(_entry(OTHER, run_id="theirs"))
    journal.open(_entry(OTHER, target="http://staging.example:443"))
    journal.open(_entry("22222222-2222-3333-4444-55555555jb02", project_id="another-project"))
    assert journal.open_entries(target=target_key(URL), project_id=PROJECT, run_id="mine") == [mine]
    assert len(journal.open_entries(target=target_key(URL), project_id=PROJECT)) == 2
    ledger = RunJournal(journal, URL + "/", PROJECT, "mine")
    assert ledger.open_entries(this_run=True) == [mine]


def test_the_journal_names_the_target_without_its_user_info() -> None:
    """A base URL with credentials in it (user:TOKEN@) must not put the token into the journal."""
    assert target_key("HTTP://user:s3cret-token@Staging.Example:8443/drs/") == "http://staging.example:8443/drs"
    assert "s3cret" not in json.dumps(_entry(target="https://user:s3cret@host/").to_line())


def test_a_torn_last_line_is_skipped_and_the_rest_read(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    journal.open(_entry())
    with path.open("ab") as handle:
        handle.write(b'{"event": "open", "job_id": "' + OTHER.encode())  # a crash in the middle of a write
    assert [entry.job_id for entry in journal.open_entries()] == [JOB]


def test_a_replaced_entry_keeps_the_record_to_put_back(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    record = {"id": JOB, "project_id": PROJECT, "status": "PAUSING", "type": "sync", "pause_mode": "all"}
    ledger = RunJournal(journal, URL, PROJECT, "run-a")
    journal.open(ledger.entry(JOB, "PAUSING", kind=REPLACED, record_before=record))
    [entry] = journal.open_entries()
    assert entry.kind == REPLACED and entry.record_before == record
    with pytest.raises(ValueError, match="is not one of"):
        Entry(job_id=JOB, project_id=PROJECT, target=URL, run_id="r", status_before=None, kind="forgotten")
    assert PAUSED != REPLACED


def test_compaction_keeps_exactly_the_open_entries(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    for index in range(20):
        entry = _entry(f"{index:08d}-2222-3333-4444-55555555jb01")
        journal.open(entry)
        if index % 4:
            journal.close(entry, how="seen")
    before = journal.open_entries()
    journal.compact()
    assert journal.open_entries() == before and len(before) == 5
    assert len(path.read_text().splitlines()) == 5, "closed entries were kept"
    journal.open(_entry(OTHER))  # appends still land after a compaction
    assert len(journal.open_entries()) == 6


def _write_entries(path: str, worker: int, count: int) -> None:
    journal = Journal(Path(path))
    for index in range(count):
        journal.open(_entry(f"{worker:04d}{index:04d}-2222-3333-4444-55555555jb01", run_id=f"w{worker}"))


def test_concurrent_writers_lose_and_tear_nothing(tmp_path: Path) -> None:
    """Four processes appending at once (xdist workers, two runs): every entry whole, none lost."""
    path = tmp_path / "journal.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_write_entries, args=(str(path), worker, 100)) for worker in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(60)
        assert process.exitcode == 0, f"a writer exited {process.exitcode}"
    lines = path.read_bytes().splitlines()
    assert len(lines) == 400, f"received {len(lines)} lines from 4 x 100 appends"
    assert all(json.loads(line)["event"] == "open" for line in lines), "a line is torn or interleaved"
    assert len(Journal(path).open_entries()) == 400


def _open_then_die(path: str) -> None:
    Journal(Path(path)).open(_entry())
    os.kill(os.getpid(), signal.SIGKILL)


def _lock_then_die(directory: str, ready: Any) -> None:
    lock = JobLocks(Path(directory), URL).try_acquire(JOB, f"pid {os.getpid()}, run doomed")
    assert lock is not None
    ready.set()
    signal.pause()


def test_an_entry_is_on_disk_when_open_returns_even_if_the_process_is_killed(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    process = multiprocessing.get_context("spawn").Process(target=_open_then_die, args=(str(path),))
    process.start()
    process.join(30)
    assert process.exitcode == -signal.SIGKILL
    assert [entry.job_id for entry in Journal(path).open_entries()] == [JOB]


def test_a_job_lock_is_exclusive_and_names_its_holder(tmp_path: Path) -> None:
    locks = JobLocks(tmp_path / "locks", URL)
    held = locks.try_acquire(JOB, "pid 1, run first")
    assert held is not None
    assert locks.try_acquire(JOB, "pid 1, run second") is None, "a second holder got the same job"
    assert locks.holder(JOB) == "pid 1, run first"
    assert locks.try_acquire(OTHER, "pid 1, run second") is not None, "another job was locked too"
    assert JobLocks(tmp_path / "locks", "http://other:1").try_acquire(JOB, "x") is not None, (
        "the same job id on another target was locked"
    )
    held.release()
    assert locks.acquire(JOB, "pid 1, run second", timeout=1) is not None


def test_a_killed_holder_frees_its_lock(tmp_path: Path) -> None:
    """SIGKILL leaves no stale lock: the kernel drops a dead process's flock."""
    context = multiprocessing.get_context("spawn")
    ready = context.Event()
    process = context.Process(target=_lock_then_die, args=(str(tmp_path / "locks"), ready))
    process.start()
    try:
        assert ready.wait(30), "the child did not take the lock"
        locks = JobLocks(tmp_path / "locks", URL)
        assert locks.acquire(JOB, "parent", timeout=0.3) is None, "the lock of a live holder was taken"
        assert "run doomed" in locks.holder(JOB)
    finally:
        process.kill()
        process.join(30)
    assert locks.acquire(JOB, "parent", timeout=5) is not None, "the dead holder's lock stayed taken"


def test_the_default_journal_lives_in_the_state_directory(tmp_path: Path) -> None:
    assert default_journal_path({"XDG_STATE_HOME": str(tmp_path)}) == tmp_path / "drs-conformance" / "journal.jsonl"
    assert default_journal_path({}).parts[-4:] == (".local", "state", "drs-conformance", "journal.jsonl")
    assert Journal(tmp_path / "j.jsonl").locks_dir == tmp_path / "j.jsonl.locks"
