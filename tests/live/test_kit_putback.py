"""Putting jobs back on a flaky target: retried within the deadline, never a job outside PAUSING, stopped loudly."""

from __future__ import annotations

import io
import json
import os
import signal
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.settle import EFFECTS
from drs_conformance.contract.spec import contract
from drs_conformance.errors import NoAnswer
from drs_conformance.live import interruption
from drs_conformance.live.jobs import judge_put_back
from drs_conformance.live.journal import JobLocks, Journal, RunJournal
from drs_conformance.live.putback import (
    HELD,
    NO_ANSWER,
    REFUSED,
    STILL_PAUSED,
    Left,
    Restored,
    restore_command,
    restore_entries,
    resume_jobs,
)
from drs_conformance.live.target import new_job_id
from drs_conformance.plugin.options import KitOptions
from drs_conformance.sandbox import (
    DEFAULT_PROJECT,
    DEFAULT_TOKEN,
    RunningSandbox,
    SandboxConfig,
    start_in_thread,
)
from drs_conformance.transport.client import DrsClient, http_transport
from drs_conformance.transport.credentials import TokenCredentials
from drs_conformance.transport.redaction import Redactor

PAUSING = contract().paused_status
RUNNING = "INCRE_TRANSFER_STARTED"


class Faulty(httpx.BaseTransport):
    """In front of the sandbox: answers the next requests of an operation with a fault, then lets them through.

    A fault is an HTTP status ("503") or "reset" (no answer at all); `on_retry` runs at each batch-retry-task.
    """

    def __init__(self, **faults: list[str]) -> None:
        self._inner = http_transport()
        self._faults = {name.replace("_", "-"): list(queue) for name, queue in faults.items()}
        self.sent: list[tuple[str, list[str]]] = []  # (operation, job ids) of every request
        self.on_retry: Callable[[], None] = lambda: None

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        operation = request.url.path.rsplit("/", 1)[-1]
        body = json.loads(request.content)
        self.sent.append((operation, [j if isinstance(j, str) else j["job_id"] for j in body["jobs"]]))
        if operation == "batch-retry-task":
            self.on_retry()
        queue = self._faults.get(operation)
        if queue:
            fault = queue.pop(0)
            if fault == "reset":
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
            return httpx.Response(int(fault), json={"error_code": "APIG.0503", "error_msg": "injected"})
        return self._inner.handle_request(request)

    def close(self) -> None:
        self._inner.close()

    def retried(self) -> list[str]:
        return [job_id for operation, ids in self.sent if operation == "batch-retry-task" for job_id in ids]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread(SandboxConfig()) as running:
        yield running


_OPEN: list[DrsClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while _OPEN:
        _OPEN.pop().close()


def _client(sandbox: RunningSandbox, transport: httpx.BaseTransport) -> DrsClient:
    """A client of the sandbox through `transport` (closed after the test)."""
    client = DrsClient(
        base_url=sandbox.url,
        project_id=DEFAULT_PROJECT,
        credentials=TokenCredentials(DEFAULT_TOKEN),
        redactor=Redactor(),
        transport=transport,
    )
    _OPEN.append(client)
    return client


def _jobs(sandbox: RunningSandbox, count: int, *, paused: bool = True) -> list[str]:
    """Fresh sync jobs, paused through the API (as a test would have left them)."""
    ids = [new_job_id("putb") for _ in range(count)]
    for job_id in ids:
        sandbox.store.put(job_id, project_id=DEFAULT_PROJECT, status=RUNNING, type="sync")
    if paused:
        reply = _client(sandbox, http_transport()).pause_jobs([(job_id, "target") for job_id in ids])
        assert reply.status == 200
        assert {sandbox.store.get(job_id).status for job_id in ids} == {PAUSING}
    return ids


def _statuses(sandbox: RunningSandbox, ids: list[str]) -> set[str]:
    return {sandbox.store.get(job_id).status for job_id in ids}


def test_two_503s_on_batch_retry_task_still_end_with_every_job_back(sandbox: RunningSandbox) -> None:
    """The measured case: 503 twice without Retry-After used to leave the jobs PAUSING for good."""
    ids = _jobs(sandbox, 2)
    faulty = Faulty(batch_retry_task=["503", "503"])
    resumed = resume_jobs(_client(sandbox, faulty), ids, timeout=10)
    assert not resumed.left and set(resumed.back) == set(ids), f"left: {resumed.left}"
    assert _statuses(sandbox, ids) == {RUNNING}
    assert resumed.server_errors == ["batch-retry-task answered 503"] * 2, "the 5xx evidence was lost"


def test_resets_on_both_operations_are_retried(sandbox: RunningSandbox) -> None:
    ids = _jobs(sandbox, 1)
    faulty = Faulty(batch_retry_task=["reset"], batch_status=["reset"] * 4)  # the client retries a read 3 times
    resumed = resume_jobs(_client(sandbox, faulty), ids, timeout=10)
    assert not resumed.left and _statuses(sandbox, ids) == {RUNNING}
    assert any("no answer" in trouble for trouble in resumed.troubles)
    assert not resumed.server_errors, "a reset is no 5xx"


def test_only_a_job_read_as_paused_is_sent_to_batch_retry_task(sandbox: RunningSandbox) -> None:
    """A retry of a job that already left PAUSING would restart it if it is failed: never sent."""
    paused, running = _jobs(sandbox, 1), _jobs(sandbox, 1, paused=False)
    faulty = Faulty(batch_retry_task=["reset"])  # the resume is sent twice: the second only for what is still paused
    resumed = resume_jobs(_client(sandbox, faulty), paused + running, timeout=10)
    assert set(resumed.back) == set(paused + running)
    assert set(faulty.retried()) == set(paused), f"batch-retry-task named {faulty.retried()}"


def test_a_refusal_is_not_asked_again_until_the_deadline(sandbox: RunningSandbox) -> None:
    ids = _jobs(sandbox, 1)
    faulty = Faulty(batch_retry_task=["401"] * 50)
    started = time.monotonic()
    resumed = resume_jobs(_client(sandbox, faulty), ids, timeout=30)
    assert time.monotonic() - started < 5, "a 401 was retried as if it could pass"
    assert resumed.left[ids[0]] == Left("batch-retry-task answered 401", REFUSED)
    _client(sandbox, http_transport()).retry(ids)  # put back for the next tests


def test_a_job_the_target_keeps_paused_is_left_after_the_timeout() -> None:
    with start_in_thread(SandboxConfig(defect="retry-noop")) as broken:
        ids = _jobs(broken, 1)
        faulty = Faulty()
        resumed = resume_jobs(_client(broken, faulty), ids, timeout=1.0)
    assert resumed.left[ids[0]].cause == STILL_PAUSED
    assert faulty.retried() == ids, "an accepted resume was sent again"


def test_five_hundreds_until_the_deadline_leave_the_job_listed(sandbox: RunningSandbox) -> None:
    ids = _jobs(sandbox, 1)
    resumed = resume_jobs(_client(sandbox, Faulty(batch_retry_task=["503"] * 100)), ids, timeout=1.0)
    assert resumed.left[ids[0]].reason == "batch-retry-task answered 503"
    _client(sandbox, http_transport()).retry(ids)


# -- journal entries ------------------------------------------------------------------------------------


def _ledger(tmp_path: Path, sandbox: RunningSandbox) -> RunJournal:
    return RunJournal(Journal(tmp_path / "journal.jsonl"), sandbox.url, DEFAULT_PROJECT, "run-test")


def test_restore_closes_what_is_back_and_leaves_what_a_live_process_holds(
    tmp_path: Path, sandbox: RunningSandbox
) -> None:
    ledger = _ledger(tmp_path, sandbox)
    mine, held = _jobs(sandbox, 2)
    entries = [ledger.entry(job_id, RUNNING) for job_id in (mine, held)]
    for entry in entries:
        ledger.journal.open(entry)
    other_process = JobLocks(ledger.journal.locks_dir, sandbox.url).try_acquire(held, "pid 4242, run theirs")
    assert other_process is not None
    try:
        restored = restore_entries(
            ledger.journal,
            entries,
            api=_client(sandbox, http_transport()),
            locks=ledger.locks,
            holder=ledger.holder,
            timeout=5,
            command="restore",
        )
    finally:
        other_process.release()
    assert [entry.job_id for entry in restored.back] == [mine]
    assert restored.left == {held: Left("held by a running process (pid 4242, run theirs)", HELD)}
    assert sandbox.store.get(held).status == PAUSING, "a job another process holds was resumed"
    assert [entry.job_id for entry in ledger.journal.open_entries()] == [held]
    _client(sandbox, http_transport()).retry([held])


@pytest.fixture
def kit_signals() -> Iterator[None]:
    interruption.reset()
    interruption.install()
    yield
    interruption.uninstall()
    interruption.reset()


def test_a_second_signal_lists_the_jobs_left_and_the_command(
    tmp_path: Path, sandbox: RunningSandbox, kit_signals: None
) -> None:
    """One signal waits for the restore; a second stops it, and what is left is printed, never dropped silently."""
    ledger = _ledger(tmp_path, sandbox)
    ids = _jobs(sandbox, 2)
    entries = [ledger.entry(job_id, RUNNING) for job_id in ids]
    for entry in entries:
        ledger.journal.open(entry)
    faulty = Faulty()

    def twice() -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # deferred: the restore goes on
        os.kill(os.getpid(), signal.SIGINT)  # stops it

    faulty.on_retry = twice
    out = io.StringIO()
    with pytest.raises(KeyboardInterrupt):
        restore_entries(
            ledger.journal,
            entries,
            api=_client(sandbox, faulty),
            locks=ledger.locks,
            holder=ledger.holder,
            timeout=5,
            command="drs-conformance restore --base-url URL",
            out=out,
        )
    printed = out.getvalue()
    assert all(job_id in printed for job_id in ids), f"the jobs left were not listed: {printed!r}"
    assert "put them back with: drs-conformance restore --base-url URL" in printed
    assert len(ledger.journal.open_entries()) == 2, "entries were closed although nothing was put back"
    _client(sandbox, http_transport()).retry(ids)


def test_one_signal_waits_for_the_restore_to_finish(tmp_path: Path, sandbox: RunningSandbox, kit_signals: None) -> None:
    ledger = _ledger(tmp_path, sandbox)
    ids = _jobs(sandbox, 2)
    entries = [ledger.entry(job_id, RUNNING) for job_id in ids]
    for entry in entries:
        ledger.journal.open(entry)
    faulty = Faulty()
    faulty.on_retry = lambda: os.kill(os.getpid(), signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):  # the stop goes on after the shielded block
        restore_entries(
            ledger.journal,
            entries,
            api=_client(sandbox, faulty),
            locks=ledger.locks,
            holder=ledger.holder,
            timeout=5,
            command="restore",
        )
    assert _statuses(sandbox, ids) == {RUNNING}, "a single signal cut the restore"
    assert ledger.journal.open_entries() == []
    assert interruption.exit_code() == 143


# -- what a test's teardown reports -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("restored", "raised", "says"),
    [
        pytest.param(
            Restored(server_errors=["batch-retry-task answered 503"]),
            NonConformance,
            "every job is back",
            id="5xx-then-back",
        ),
        pytest.param(
            Restored(left={"j1": Left("still PAUSING after 5 s", STILL_PAUSED)}),
            NonConformance,
            "j1 (still PAUSING after 5 s)",
            id="stays-paused",
        ),
        pytest.param(
            Restored(left={"j1": Left("batch-status got no answer", NO_ANSWER)}),
            NoAnswer,
            "did not answer",
            id="no-answer",
        ),
    ],
)
def test_a_teardown_names_the_right_cause(restored: Restored, raised: type[Exception], says: str) -> None:
    with pytest.raises(raised) as caught:
        judge_put_back(restored)
    assert says in str(caught.value)
    if raised is NonConformance:
        expected = "NO-5XX" if restored.server_errors else "SUPPORT-RESUME"
        assert caught.value.requirement == expected  # type: ignore[attr-defined]


def test_a_clean_put_back_reports_nothing() -> None:
    judge_put_back(Restored())


def test_the_restore_command_names_the_target_and_no_secret(tmp_path: Path) -> None:
    options = KitOptions(
        base_url="https://user:url-secret@staging.example/",
        project_id="p1",
        auth_token="tok-123",
        inventory=Path("ci/inventory.yaml"),
        journal=tmp_path / "j.jsonl",
    )
    command = restore_command(options)
    assert command.startswith(
        "drs-conformance restore --base-url https://staging.example --project-id p1 "
        "--inventory ci/inventory.yaml --journal "
    )
    assert "tok-123" not in command and "url-secret" not in command
    assert "DRS_AUTH_TOKEN" in command
    assert "--control-api" in restore_command(
        KitOptions(base_url="http://s", project_id="p", auth_token="t", control_api=True)
    )


def test_a_pause_still_settling_is_resumed_not_taken_for_back() -> None:
    """A target that shows a pause late (effects=delayed): the job reads its earlier status for a moment after the
    pause, but it is paused; the put-back waits for PAUSING and resumes it, never leaving it paused."""
    EFFECTS.reset(window=5.0)
    with start_in_thread(SandboxConfig(variants={"effects": "delayed"}, effect_lag=0.5)) as delayed:
        job_id = new_job_id("putd")
        delayed.store.put(job_id, project_id=DEFAULT_PROJECT, status=RUNNING, type="sync")
        client = _client(delayed, http_transport())
        assert client.pause_jobs([(job_id, "target")]).status == 200
        assert delayed.store.statuses(DEFAULT_PROJECT, [job_id]) == [RUNNING], "the lag hides the pause at first"
        resumed = resume_jobs(client, [job_id], timeout=10)
        time.sleep(0.6)  # past the resume's own lag
        assert delayed.store.statuses(DEFAULT_PROJECT, [job_id]) == [RUNNING]
        job = delayed.store.get(job_id)
        assert job is not None and job.pause_mode is None, "the job was left paused behind its earlier face"
    assert not resumed.left and job_id in resumed.back, f"left: {resumed.left}"
