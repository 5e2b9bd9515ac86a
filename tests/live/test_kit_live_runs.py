"""Live runs put back what they take, whatever stops them: SIGKILL then restore, SIGTERM, a journal that cannot be
replayed, jobs paused by someone else, a control-API target left as found, two runs on one inventory."""

from __future__ import annotations

import json
import shlex
import signal
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from drs_conformance.contract.spec import contract
from drs_conformance.errors import ExitCode
from drs_conformance.live.journal import Journal, RunJournal
from drs_conformance.reporting import validate_report
from tests.fault_proxy import respond, rewrite, stall

PROJECT = "054ba152d480d55b2f5dc0069e7ddef0"
FOREIGN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
TOKEN = "sandbox-token"
EXAMPLE = contract().example_job_id
OPERATOR_PAUSED = "0a0b0c0d-1111-2222-3333-44444444jb09"  # paused by someone else before any run
PAUSING = contract().paused_status
INVENTORY = f"""\
project_id: {PROJECT}
jobs:
  - id: {EXAMPLE}
    type: sync
  - id: 11111111-2222-3333-4444-55555555jb01
    type: migration
    status: FULL_TRANSFER_COMPLETE
  - id: 3c8e1f0a-5b2d-4e7a-9c1b-2f4d6a8jb20r
    type: cloudDataGuard
  - id: 6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7jb301
    type: sync
    status: CONFIGURATION
  - id: {OPERATOR_PAUSED}
    type: sync
    status: PAUSING
foreign_jobs:
  - id: 140b5236-88ad-43c8-811c-1268453jb101
    project_id: {FOREIGN}
"""
JOBS = [line.split("id: ")[1] for line in INVENTORY.splitlines() if line.strip().startswith("- id:")][:5]
# Tests that lease inventory jobs and pause them, so that a job is PAUSING now and then.
PAUSING_TESTS = "pausable_job_is_paused or pause_mode_is_recorded"


@pytest.fixture
def inventory(tmp_path: Path) -> Path:
    path = tmp_path / "inventory.yaml"
    path.write_text(INVENTORY, encoding="utf-8")
    return path


def _statuses(url: str) -> dict[str, str]:
    """Every inventory job's status, read 5 at a time as the platform pages them."""
    found: dict[str, str] = {}
    for start in range(0, len(JOBS), 5):
        reply = httpx.post(
            f"{url}/v3/{PROJECT}/jobs/batch-status",
            json={"jobs": JOBS[start : start + 5]},
            headers={"X-Auth-Token": TOKEN},
            trust_env=False,
            timeout=10,
        )
        found.update({r["id"]: r["status"] for r in reply.json()["results"]})
    return found


def _journal(tmp_path: Path) -> Journal:
    """The journal a child run of `kit`/`kit_process` writes (XDG_STATE_HOME is the test's state directory)."""
    return Journal(tmp_path / "state" / "drs-conformance" / "journal.jsonl")


def _target_args(url: str, inventory: Path) -> list[str]:
    return ["--base-url", url, "--auth-token", TOKEN, "--inventory", str(inventory)]


def _slow_pausing_run(kit_process: Callable, url: str, inventory: Path, report_dir: str) -> Any:
    """A run of the pausing tests, slowed down (--rate-limit 5) so that a test can catch it holding a paused job.

    One process: SIGSTOP freezes the whole run (xdist workers would go on and hold their jobs).
    """
    return kit_process(
        "run",
        *_target_args(url, inventory),
        "--rate-limit",
        "5",
        "--max-workers",
        "1",
        "--report-dir",
        report_dir,
        "--",
        "-k",
        PAUSING_TESTS,
    )


def _stop_while_a_job_is_paused(run: Any, url: str, timeout: float = 120) -> set[str]:
    """Freeze the run (SIGSTOP) at a moment one of its jobs reads PAUSING; return those jobs (the run stays stopped)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert run.process.poll() is None, f"the run ended before it paused a job:\n{run.output[-3000:]}"
        if any(status == PAUSING for job, status in _statuses(url).items() if job != OPERATOR_PAUSED):
            run.process.send_signal(signal.SIGSTOP)
            paused = {job for job, status in _statuses(url).items() if status == PAUSING} - {OPERATOR_PAUSED}
            if paused:
                return paused
            run.process.send_signal(signal.SIGCONT)  # resumed between the two reads: wait for the next pause
        time.sleep(0.05)
    raise AssertionError(f"no inventory job was PAUSING within {timeout} s:\n{run.output[-3000:]}")


def _kill_with_jobs_paused(run: Any, url: str, paused: set[str]) -> None:
    """SIGKILL the frozen run, and keep its paused jobs PAUSING, as a run killed a moment earlier leaves them.

    A resume the run sent just before it was frozen can still land after the test read PAUSING (the sandbox
    serves it after the second read): that job is paused again here, so the next step always has jobs to put back.
    """
    run.process.kill()
    run.wait(30)
    for job in sorted(paused):
        if _statuses(url)[job] != PAUSING:
            reply = httpx.post(
                f"{url}/v3/{PROJECT}/jobs/batch-pause-task",
                json={"jobs": [{"job_id": job, "pause_mode": "target"}]},
                headers={"X-Auth-Token": TOKEN},
                trust_env=False,
                timeout=10,
            )
            assert reply.status_code == 200 and _statuses(url)[job] == PAUSING, f"{job} not paused again: {reply.text}"


def test_a_killed_run_leaves_its_jobs_in_the_journal_and_restore_puts_them_back(
    kit: Callable, kit_process: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    """SIGKILL (nothing can be done in the run) while a job is paused: the journal has it; restore brings it back."""
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _statuses(sandbox.url)
    run = _slow_pausing_run(kit_process, sandbox.url, inventory, "out")
    paused = _stop_while_a_job_is_paused(run, sandbox.url)
    _kill_with_jobs_paused(run, sandbox.url, paused)
    journaled = {entry.job_id: entry.status_before for entry in _journal(tmp_path).open_entries()}
    assert paused <= set(journaled), f"paused {paused}, but the journal holds {journaled}"
    assert all(journaled[job] == before[job] for job in paused), "the journal does not hold the status before"

    restored = kit("restore", *_target_args(sandbox.url, inventory))

    assert restored.code == 0, restored.output
    for job in paused:
        assert f"{job}: back" in restored.stdout, f"no line for {job}: {restored.stdout}"
    assert _statuses(sandbox.url) == before, "restore did not bring every job back (or touched another one)"
    assert _statuses(sandbox.url)[OPERATOR_PAUSED] == PAUSING, "restore resumed a job that is not in the journal"
    assert _journal(tmp_path).open_entries() == []
    again = kit("restore", *_target_args(sandbox.url, inventory))
    assert again.code == 0 and "nothing to put back" in again.stdout, again.output


def test_the_next_run_puts_back_what_a_killed_run_left_before_its_tests(
    kit: Callable, kit_process: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _statuses(sandbox.url)
    run = _slow_pausing_run(kit_process, sandbox.url, inventory, "first")
    paused = _stop_while_a_job_is_paused(run, sandbox.url)
    _kill_with_jobs_paused(run, sandbox.url, paused)

    second = kit("run", *_target_args(sandbox.url, inventory), "--report-dir", "second", "--", "-k", "unknown_job")

    assert second.code == ExitCode.CONFORMANT or second.code == ExitCode.INCOMPLETE, second.output[-3000:]
    assert all(job in second.stderr for job in paused) and "put back" in second.stderr, second.output[-3000:]
    assert _statuses(sandbox.url) == before
    report = json.loads((tmp_path / "second" / "conformance.json").read_text(encoding="utf-8"))
    validate_report(report)
    assert report["run"]["live_jobs"]["paused_by_others"] == [OPERATOR_PAUSED]


def test_sigterm_puts_the_jobs_back_before_the_run_exits(
    kit_process: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    """What `timeout`, `docker stop` and CI cancellation send: the run stops, but puts back what it took first."""
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _statuses(sandbox.url)
    run = _slow_pausing_run(kit_process, sandbox.url, inventory, "out")
    _stop_while_a_job_is_paused(run, sandbox.url)
    run.process.send_signal(signal.SIGTERM)
    run.process.send_signal(signal.SIGCONT)
    code = run.wait(120)
    assert _statuses(sandbox.url) == before, f"SIGTERM left jobs changed:\n{run.output[-3000:]}"
    assert _journal(tmp_path).open_entries() == []
    # 143 once the verdict work (interrupted runs) is merged; 130 (pytest's interrupt) before it.
    assert code in (ExitCode.TERMINATED, ExitCode.INTERRUPTED), f"exit {code}:\n{run.output[-3000:]}"
    assert "Traceback" not in run.output


def test_a_503_burst_on_batch_retry_task_still_ends_with_every_job_back(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable, inventory: Path, tmp_path: Path
) -> None:
    """The measured case: two 503s without Retry-After used to leave 2 jobs PAUSING for good.

    The 503s stay a NO-5XX failure (the target answered them); the jobs are back all the same.
    """
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _statuses(sandbox.url)
    proxy = fault_proxy(sandbox.url, [respond(503, path="batch-retry-task", nth={1, 2})])

    run = kit("run", *_target_args(proxy.url, inventory), "--report-dir", "out", "--", "-k", PAUSING_TESTS)

    assert proxy.faults["respond"] == 2, f"the burst did not happen: {dict(proxy.faults)}"
    assert _statuses(sandbox.url) == before, f"jobs left changed after the 503s:\n{run.output[-3000:]}"
    assert _journal(tmp_path).open_entries() == []
    report = json.loads((tmp_path / "out" / "conformance.json").read_text(encoding="utf-8"))
    assert report["run"]["live_jobs"]["left_paused"] == []
    verdicts = {r["id"]: r["verdict"] for r in report["requirements"]}
    assert verdicts["NO-5XX"] == "fail" and run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]


def test_a_run_refuses_to_start_while_the_journal_holds_a_job_it_cannot_put_back(
    kit: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    """A job an earlier run left PAUSING that will not resume now: the run does not start on top of it."""
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api", "--defect", "retry-noop")
    stuck = OPERATOR_PAUSED  # seeded PAUSING; this time an earlier run's journal says it paused it
    ledger = RunJournal(_journal(tmp_path), sandbox.url, PROJECT, "20261130T000000Z-dead00")
    ledger.journal.open(ledger.entry(stuck, "INCRE_TRANSFER_STARTED"))

    run = kit("run", *_target_args(sandbox.url, inventory), "--resume-timeout", "1", "--report-dir", "out")

    assert run.code == ExitCode.USAGE, run.output[-3000:]
    [line] = run.stderr.strip().splitlines()
    assert stuck in line and "drs-conformance restore --base-url" in line, line
    assert "Traceback" not in run.output and not (tmp_path / "out" / "conformance.json").exists()
    restore = kit("restore", *_target_args(sandbox.url, inventory), "--resume-timeout", "1")
    assert restore.code == 1 and f"{stuck}: NOT back" in restore.stdout, restore.output
    assert [entry.job_id for entry in ledger.journal.open_entries()] == [stuck], "an entry not put back was closed"


def test_jobs_that_cannot_be_put_back_are_listed_last_with_the_command_and_exit_3(
    kit: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    """A target that accepts resumes and never does them: the run says which jobs it leaves, and how to fix it."""
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api", "--defect", "retry-noop")
    run = kit(
        "run",
        *_target_args(sandbox.url, inventory),
        "--resume-timeout",
        "1",
        "--report-dir",
        "out",
        "--",
        "-k",
        "pausable_job_is_paused",
    )
    left = {job for job, status in _statuses(sandbox.url).items() if status == PAUSING} - {OPERATOR_PAUSED}
    assert left, "the defect should have kept a job PAUSING"
    assert run.code == ExitCode.TARGET, f"exit {run.code}:\n{run.output[-3000:]}"
    last = run.stderr.strip().splitlines()[-1]
    assert last.startswith("drs-conformance: NOT PUT BACK:") and all(job in last for job in left), last
    assert "put them back with: drs-conformance restore --base-url" in last, last
    assert "NOT PUT BACK" in run.stdout, "the terminal summary does not list the jobs"
    report = json.loads((tmp_path / "out" / "conformance.json").read_text(encoding="utf-8"))
    validate_report(report)
    live = report["run"]["live_jobs"]
    assert {job["job_id"] for job in live["left_paused"]} == left
    assert live["restore_command"].startswith("drs-conformance restore --base-url")
    for name in ("conformance.md", "conformance.html"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert all(job in text for job in left), f"{name} does not list the jobs left paused"
    assert {entry.job_id for entry in _journal(tmp_path).open_entries()} == left


def test_a_job_paused_by_someone_else_is_named_and_never_resumed(
    kit: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    run = kit(
        "run",
        *_target_args(sandbox.url, inventory),
        "--report-dir",
        "out",
        "--",
        "-k",
        f"{PAUSING_TESTS} or other_state",
    )
    assert run.code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), run.output[-3000:]
    assert "paused by someone else" in run.stdout and OPERATOR_PAUSED in run.stdout, run.stdout[-2000:]
    report = json.loads((tmp_path / "out" / "conformance.json").read_text(encoding="utf-8"))
    validate_report(report)
    live = report["run"]["live_jobs"]
    assert live["paused_by_others"] == [OPERATOR_PAUSED] and live["left_paused"] == []
    assert OPERATOR_PAUSED in (tmp_path / "out" / "conformance.md").read_text(encoding="utf-8")
    assert _statuses(sandbox.url)[OPERATOR_PAUSED] == PAUSING, "the run resumed a job someone else paused"


def test_a_job_changed_under_the_test_by_another_hand_is_inconclusive(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable, inventory: Path, tmp_path: Path
) -> None:
    """An operator (or the job itself) moves a job on while the test pauses it: named, not blamed on the target."""
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    job = "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7jb301"  # the inventory's CONFIGURATION job
    seen = {"alone": 0}

    def moved_on(headers: dict[str, str], answer: Any) -> bytes:
        """batch-status of this job alone: read at the lease, before the pause, after it (3rd: moved on)."""
        body = json.loads(answer.body)
        if [result["id"] for result in body.get("results", [])] == [job]:
            seen["alone"] += 1
            if seen["alone"] == 3:
                body["results"][0]["status"] = "STARTJOBING"
        return json.dumps(body).encode()

    proxy = fault_proxy(sandbox.url, [rewrite(moved_on, path="batch-status")])
    run = kit(
        "run",
        *_target_args(proxy.url, inventory),
        "--report-dir",
        "out",
        "--",
        "-k",
        "other_state_fails_and_is_unchanged and CONFIGURATION",
    )

    report = json.loads((tmp_path / "out" / "conformance.json").read_text(encoding="utf-8"))
    [test] = {
        t["nodeid"]: t for r in report["requirements"] for t in r["tests"] if "[CONFIGURATION]" in t["nodeid"]
    }.values()  # listed under each requirement it counts for
    assert test["outcome"] == "skipped", f"received {test['outcome']}: {test.get('message')}"
    assert f"inconclusive: job {job} changed from CONFIGURATION to STARTJOBING" in test["message"]
    assert run.code != ExitCode.NON_CONFORMANT, run.output[-3000:]
    gaps = {gap["id"]: gap for gap in report["summary"]["coverage"]["not_judged"]}
    assert gaps["NON-PAUSABLE-STATE-FAILS"]["category"] == "inconclusive", gaps.get("NON-PAUSABLE-STATE-FAILS")
    assert _statuses(sandbox.url)[job] == "CONFIGURATION"


def _control_get(url: str, job_id: str) -> dict[str, Any] | None:
    response = httpx.get(f"{url}/_sandbox/jobs/{job_id}", trust_env=False, timeout=10)
    return None if response.status_code == 404 else response.json()


def _printed_curl(log: str) -> dict[str, Any]:
    """Play the curl the sandbox printed (as the existing sandbox test does) and return the answer's body."""
    lines = log.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("curl "))
    argv = shlex.split(" ".join(line.rstrip("\\").strip() for line in lines[start : start + 3]))
    headers = dict(header.split(": ", 1) for header in argv[argv.index("-H") + 1 :: 2][:2])
    return httpx.post(argv[4], content=argv[-1], headers=headers, trust_env=False, timeout=10).json()


def test_a_control_api_run_leaves_the_target_as_it_found_it(
    kit: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    """Created jobs removed, every job there before (the document's example included) back as it was."""
    sandbox = sandbox_process("--seed", str(inventory))  # a vendor's sandbox with jobs of its own
    before = {job: _control_get(sandbox.url, job) for job in JOBS}
    count = httpx.get(f"{sandbox.url}/_sandbox/health", trust_env=False).json()["jobs"]

    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--report-dir",
        "out",
    )

    assert run.code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), run.output[-3000:]
    after = {job: _control_get(sandbox.url, job) for job in JOBS}
    assert after == before, f"jobs changed: { {j: (before[j], after[j]) for j in JOBS if before[j] != after[j]} }"
    assert httpx.get(f"{sandbox.url}/_sandbox/health", trust_env=False).json()["jobs"] == count, (
        "jobs the run created are still there"
    )
    assert _printed_curl(sandbox.log.read_text()) == contract().example_response, "the printed curl stopped working"
    assert _journal(tmp_path).open_entries() == []


def test_a_killed_control_api_run_leaves_the_example_job_to_restore(
    kit: Callable,
    kit_process: Callable,
    sandbox_process: Callable,
    fault_proxy: Callable,
    inventory: Path,
    tmp_path: Path,
) -> None:
    """The borrowed example job's record is in the journal: restore --control-api PUTs it back after SIGKILL."""
    sandbox = sandbox_process("--seed", str(inventory))
    before = _control_get(sandbox.url, EXAMPLE)
    # The put-back (a PUT of the example's record) is held: the run is caught with the job changed, every time.
    proxy = fault_proxy(sandbox.url, [stall(120, method="PUT", path=f"^/_sandbox/jobs/{EXAMPLE}$", limit=1)])
    run = kit_process(
        "run",
        "--base-url",
        proxy.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--report-dir",
        "out",
        "--",
        "-k",
        "documented_example",
    )
    deadline = time.monotonic() + 120
    while not any(event.action == "stall" for event in proxy.events):
        assert run.process.poll() is None and time.monotonic() < deadline, f"no put-back:\n{run.output[-3000:]}"
        time.sleep(0.05)
    run.process.kill()
    run.wait(30)
    assert _control_get(sandbox.url, EXAMPLE) != before, "the example job was back before the kill"
    [entry] = _journal(tmp_path).open_entries()
    assert entry.job_id == EXAMPLE and entry.record_before == before

    restored = kit(
        "restore", "--base-url", proxy.url, "--project-id", PROJECT, "--auth-token", TOKEN, "--control-api"
    )  # the same target as the run's (the held PUT was the only one held)

    assert restored.code == 0 and f"{EXAMPLE}: back (record put back" in restored.stdout, restored.output
    assert _control_get(sandbox.url, EXAMPLE) == before


def test_two_runs_on_one_inventory_at_once_report_no_false_failure(
    kit_process: Callable, sandbox_process: Callable, inventory: Path, tmp_path: Path
) -> None:
    """They used to lease the same jobs ("2 successes from 6 concurrent pauses"): now one waits for the other."""
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _statuses(sandbox.url)
    runs = [
        kit_process("run", *_target_args(sandbox.url, inventory), "--resume-timeout", "30", "--report-dir", name)
        for name in ("a", "b")
    ]
    codes = [run.wait(600) for run in runs]
    for name, run, code in zip(("a", "b"), runs, codes, strict=False):
        report = json.loads((tmp_path / name / "conformance.json").read_text(encoding="utf-8"))
        failed = [
            t["nodeid"] for r in report["requirements"] for t in r["tests"] if t["outcome"] in ("failed", "error")
        ]
        assert not failed, f"run {name} failed {failed}:\n{run.output[-3000:]}"
        assert code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), f"run {name} exit {code}:\n{run.output[-3000:]}"
    assert _statuses(sandbox.url) == before


@pytest.mark.parametrize(
    ("make", "says"),
    [
        pytest.param(
            lambda d: (d / "reports").write_text("x"), "is a file, not a directory", id="report-dir-is-a-file"
        ),
        pytest.param(
            lambda d: (d / "reports" / "conformance.json").mkdir(parents=True),
            "is a directory",
            id="conformance-json-is-a-directory",
        ),
    ],
)
def test_a_report_directory_that_cannot_be_written_is_one_line_before_anything_runs(
    kit: Callable, tmp_path: Path, make: Callable[[Path], Any], says: str
) -> None:
    make(tmp_path)
    run = kit("run", "--report-dir", "reports")
    assert run.code == ExitCode.USAGE, run.output[-3000:]
    [line] = run.stderr.strip().splitlines()
    assert says in line and "--report-dir" in line, line
    assert "collected" not in run.stdout, "the suites ran before the report directory was checked"


@pytest.mark.parametrize(
    ("make", "says"),
    [
        pytest.param(lambda d: (d / "journal").mkdir(), "is a directory", id="journal-is-a-directory"),
        pytest.param(
            lambda d: (d / "blocked").write_text("x"), "is a file, not a directory", id="journal-dir-is-a-file"
        ),
    ],
)
def test_a_journal_that_cannot_be_written_is_one_line_before_the_first_request(
    kit: Callable, closed_url: str, inventory: Path, tmp_path: Path, make: Callable[[Path], Any], says: str
) -> None:
    """Checked before any request: against a URL nothing listens on, the answer is 2 (not 3, unreachable)."""
    make(tmp_path)
    journal = tmp_path / ("journal" if "journal-is" in says or (tmp_path / "journal").is_dir() else "blocked/j.jsonl")
    run = kit("run", *_target_args(closed_url, inventory), "--journal", str(journal), "--report-dir", "out")
    assert run.code == ExitCode.USAGE, run.output[-3000:]
    [line] = run.stderr.strip().splitlines()
    assert says in line and "--journal" in line, line


def test_the_sample_ci_workflow_puts_back_what_a_cancelled_run_left() -> None:
    """examples/github-actions-staging.yml: restore in an always-run step, one run at a time on the inventory."""
    import yaml

    path = Path(__file__).resolve().parents[2] / "examples" / "github-actions-staging.yml"
    workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert workflow["concurrency"]["cancel-in-progress"] is False, "a cancelled run must be left to put jobs back"
    job = workflow["jobs"]["conformance"]
    steps = job["steps"]
    run_index = next(i for i, step in enumerate(steps) if "drs-conformance run" in step.get("run", ""))
    [restore] = [step for step in steps if "drs-conformance restore" in step.get("run", "")]
    assert steps.index(restore) > run_index and restore.get("if") == "always()"
    for option in ("--base-url", "--project-id", "--inventory"):
        assert option in restore["run"] and option in steps[run_index]["run"], f"{option} differs"
    assert "DRS_JOURNAL" in job["env"], "the run and the restore must read one journal"


def test_restore_without_a_target_is_one_usage_line_and_without_a_journal_has_nothing_to_do(
    kit: Callable, closed_url: str
) -> None:
    run = kit("restore")
    assert run.code == ExitCode.USAGE and run.stderr.count("\n") == 1 and "restore needs --base-url" in run.stderr
    empty = kit("restore", "--base-url", closed_url, "--project-id", PROJECT, "--auth-token", TOKEN)
    assert empty.code == 0 and "nothing to put back: there is no journal" in empty.stdout, empty.output


def test_the_contract_suite_never_pauses_the_example_job_of_an_external_control_api_target(
    kit: Callable, sandbox_process: Callable, inventory: Path
) -> None:
    """schemathesis' example phase sends the document's example body: on an external target it gets a fresh id.

    A vendor's sandbox with a control API may hold the example job; the pause tests alone (no later resume to
    undo it by luck, as happened when the retry tests ran after them in the same process) leave it as it was.
    """
    sandbox = sandbox_process("--seed", str(inventory))
    before = _control_get(sandbox.url, EXAMPLE)

    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--report-dir",
        "out",
        "--",
        "-k",
        "test_contract and pause",
    )

    assert run.code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), run.output[-3000:]
    after = _control_get(sandbox.url, EXAMPLE)
    assert after == before, f"received the example job {after}, documented: left as it was ({before})"
