"""`drs-conformance run` end to end: every target mode, reports, exit codes, determinism, redaction."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.errors import ExitCode
from drs_conformance.plugin.options import child_run_environment
from drs_conformance.reporting import validate_report

PROJECT = "054ba152d480d55b2f5dc0069e7ddef0"
FOREIGN = "f0e1d2c3b4a5968778695a4b3c2d1e0f"
REPORT_FILES = ("junit.xml", "conformance.json", "conformance.md", "conformance.html")

INVENTORY = f"""\
project_id: {PROJECT}
jobs:
  - id: 8d0e8e36-a618-490d-8a46-8c61ac9jb502
    type: sync
  - id: 11111111-2222-3333-4444-55555555jb01
    type: migration
    status: FULL_TRANSFER_COMPLETE
  - id: 3c8e1f0a-5b2d-4e7a-9c1b-2f4d6a8jb20r
    type: cloudDataGuard
  - id: 6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7jb301
    type: sync
    status: CONFIGURATION
foreign_jobs:
  - id: 140b5236-88ad-43c8-811c-1268453jb101
    project_id: {FOREIGN}
"""


def _report(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "conformance.json").read_text(encoding="utf-8"))


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["verdict"] for r in report["requirements"]}


def _assert_reports_written(directory: Path) -> dict[str, Any]:
    for name in REPORT_FILES:
        assert (directory / name).is_file(), f"{name} was not written into {directory}"
    assert any((directory / "allure-results").iterdir()), "allure-results is empty"
    report = _report(directory)
    validate_report(report)
    return report


def _junit_properties(directory: Path) -> dict[str, str]:
    root = ET.parse(directory / "junit.xml").getroot()
    return {
        p.get("name"): p.get("value") for p in root.iter("property") if not p.get("name", "").startswith("hypothesis")
    }  # type: ignore[misc]


def _every_report_says(directory: Path, verdict: str, code: int) -> dict[str, Any]:
    """conformance.json/.md/.html, JUnit and Allure's environment all carry the same verdict and coverage."""
    report = _assert_reports_written(directory)
    summary = report["summary"]
    assert (summary["verdict"], summary["exit_code"]) == (verdict, code), summary["reasons"]
    coverage = summary["coverage"]["text"]
    assert _junit_properties(directory) | {} == {
        **_junit_properties(directory),
        "verdict": verdict,
        "coverage": coverage,
        "exit_code": str(code),
    }
    markdown = (directory / "conformance.md").read_text(encoding="utf-8")
    assert verdict.upper() in markdown.splitlines()[0] and f"Coverage: {coverage}." in markdown
    html = (directory / "conformance.html").read_text(encoding="utf-8")
    assert f'class="banner {verdict}"' in html and f"Coverage: {coverage}" in html
    environment = (directory / "allure-results" / "environment.properties").read_text(encoding="utf-8")
    assert f"verdict={verdict}\n" in environment and f"coverage={coverage}\n" in environment
    if verdict != "conformant":
        assert "CONFORMANT" not in (markdown + html).replace("NON-CONFORMANT", ""), "a partial run reads as conformant"
    return report


def test_embedded_run_is_conformant_and_writes_every_report(kit: Callable, tmp_path: Path) -> None:
    """The main job: suites against the embedded sandbox, every requirement tested and passing."""
    run = kit("run", "--report-dir", "out", "--require-complete")
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    report = _every_report_says(tmp_path / "out", "conformant", 0)
    verdicts = _verdicts(report)
    assert set(verdicts) == set(catalogue().ids)
    not_passing = {k: v for k, v in verdicts.items() if v != "pass"}
    assert not not_passing, f"requirements not passing on the clean sandbox: {not_passing}"
    coverage = "28 of 28 MUST judged, 5 of 5 EITHER judged, 10 of 10 SHOULD judged"
    assert report["summary"]["coverage"]["text"] == coverage
    assert "drs-conformance" in run.stdout and "conformance.html" in run.stdout, "no summary at the end"
    assert f"coverage: {coverage}" in run.stdout


@pytest.mark.parametrize(
    ("args", "code"),
    [
        pytest.param([], ExitCode.CONFORMANT, id="incomplete-exits-0"),
        pytest.param(["--require-complete"], ExitCode.INCOMPLETE, id="require-complete-exits-5"),
    ],
)
def test_a_subset_run_is_incomplete_never_conformant(kit: Callable, tmp_path: Path, args: list[str], code: int) -> None:
    run = kit("run", "--report-dir", "out", *args, "--", "-k", "documented_example")
    assert run.code == code, run.output[-3000:]
    report = _every_report_says(tmp_path / "out", "incomplete", int(code))
    not_judged = {e["id"]: e for e in report["summary"]["coverage"]["not_judged"]}
    assert not_judged["BODY-SHAPE"]["category"] == "not-selected"
    assert not_judged["BODY-SHAPE"]["reason"] == "no test selected in this run: deselected by -k documented_example"
    assert report["summary"]["coverage"]["levels"]["MUST"]["judged"] < 28
    assert "INCOMPLETE" in run.stdout and "CONFORMANT (" not in run.stdout


def test_a_collect_only_run_is_incomplete(kit: Callable, tmp_path: Path) -> None:
    run = kit("run", "--report-dir", "out", "--", "--collect-only", "-q")
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    report = _every_report_says(tmp_path / "out", "incomplete", 0)
    assert report["summary"]["tests"]["run"] == 0
    categories = {(e["category"], e["reason"]) for e in report["summary"]["coverage"]["not_judged"]}
    assert categories == {("not-selected", "no test selected in this run: --collect-only ran no test")}


def test_same_seed_gives_the_same_run(kit: Callable, tmp_path: Path) -> None:
    """Two runs with one seed: the same tests, outcomes and verdicts."""

    def outcomes(directory: str) -> list[tuple[str, str]]:
        report = _report(tmp_path / directory)
        return sorted({(t["nodeid"], t["outcome"]) for r in report["requirements"] for t in r["tests"]})

    for directory in ("a", "b"):
        assert kit("run", "--seed", "7", "--report-dir", directory, "--", "-k", "not concurrent").code == 0
    assert outcomes("a") == outcomes("b")
    assert _report(tmp_path / "a")["run"]["seed"] == "7"


def test_parallel_run_under_xdist_is_conformant_with_every_report(kit: Callable, tmp_path: Path) -> None:
    """`-- -n 2`: each worker owns its jobs and gets the controller's options; one report for the run."""
    run = kit("run", "--report-dir", "out", "--", "-n", "2")
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    verdicts = _verdicts(_assert_reports_written(tmp_path / "out"))
    assert set(verdicts.values()) == {"pass"}, {k: v for k, v in verdicts.items() if v != "pass"}


def test_external_sandbox_with_control_api_runs_every_test(
    kit: Callable, sandbox_process: Callable, tmp_path: Path
) -> None:
    sandbox = sandbox_process()
    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        "sandbox-token",
        "--control-api",
        "--report-dir",
        "out",
    )
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    report = _assert_reports_written(tmp_path / "out")
    assert report["run"]["target"]["mode"] == "control-api"
    skipped_for_jobs = [
        t
        for r in report["requirements"]
        for t in r["tests"]
        if t["outcome"] == "skipped" and "control API" in (t.get("message") or "")
    ]
    assert not skipped_for_jobs, f"tests skipped although the control API is there: {skipped_for_jobs[:3]}"


def _statuses(url: str) -> dict[str, str]:
    import httpx

    ids = [
        "8d0e8e36-a618-490d-8a46-8c61ac9jb502",
        "11111111-2222-3333-4444-55555555jb01",
        "3c8e1f0a-5b2d-4e7a-9c1b-2f4d6a8jb20r",
        "6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7jb301",
    ]
    reply = httpx.post(
        f"{url}/v3/{PROJECT}/jobs/batch-status", json={"jobs": ids}, headers={"X-Auth-Token": "sandbox-token"}
    )
    return {r["id"]: r["status"] for r in reply.json()["results"]}


def test_inventory_mode_touches_only_its_jobs_and_puts_them_back(
    kit: Callable, sandbox_process: Callable, tmp_path: Path
) -> None:
    """Live staging: no control API; only inventory jobs are paused, each is resumed; twice in a row."""
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(INVENTORY, encoding="utf-8")
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _statuses(sandbox.url)
    for attempt in ("first", "second"):
        run = kit(
            "run",
            "--base-url",
            sandbox.url,
            "--auth-token",
            "sandbox-token",
            "--inventory",
            str(inventory),
            "--report-dir",
            attempt,
        )
        assert run.code == ExitCode.CONFORMANT, f"{attempt} run:\n{run.output[-3000:]}"
        report = _assert_reports_written(tmp_path / attempt)
        assert report["run"]["target"]["mode"] == "inventory"
        assert _verdicts(report)["PAUSABLE-SUCCEEDS"] == "pass", "no inventory job was paused"
        outcomes = {t["nodeid"].rsplit("::", 1)[-1]: t["outcome"] for r in report["requirements"] for t in r["tests"]}
        planned = {
            "test_job_in_other_state_fails_and_is_unchanged[CONFIGURATION]": "passed",
            "test_job_in_other_state_fails_and_is_unchanged[CREATING]": "skipped",
            "test_disaster_recovery_job_fails_and_is_unchanged[FULL_TRANSFER_STARTED]": "skipped",
        }
        received = {name: outcomes.get(name) for name in planned}
        assert received == planned, f"not planned from the inventory's real statuses: {received}"
        assert _statuses(sandbox.url) == before, f"the {attempt} run left jobs changed"


PAGED_JOBS = [f"{n:08x}-aaaa-bbbb-cccc-00000000jb{n:02d}" for n in range(1, 9)]


def test_inventory_mode_passes_on_a_target_that_pages_batch_status(
    kit: Callable, sandbox_process: Callable, tmp_path: Path
) -> None:
    """batch-status answering 5 results a page (the platform's default) is conformant; every job is put back."""
    inventory = tmp_path / "inventory.yaml"
    listed = "".join(f"  - id: {job_id}\n    type: sync\n    status: INCRE_TRANSFER_STARTED\n" for job_id in PAGED_JOBS)
    inventory.write_text(f"project_id: {PROJECT}\njobs:\n{listed}", encoding="utf-8")
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api", "--variant", "status-paging=pages")
    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--auth-token",
        "sandbox-token",
        "--inventory",
        str(inventory),
        "--report-dir",
        "paged",
    )
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    report = _report(tmp_path / "paged")
    assert _verdicts(report)["PAUSABLE-SUCCEEDS"] == "pass", "no inventory job was paused"
    for start in range(0, len(PAGED_JOBS), 4):
        page = PAGED_JOBS[start : start + 4]
        reply = httpx.post(
            f"{sandbox.url}/v3/{PROJECT}/jobs/batch-status",
            json={"jobs": page},
            headers={"X-Auth-Token": "sandbox-token"},
        )
        left = {r["id"]: r["status"] for r in reply.json()["results"] if r["status"] != "INCRE_TRANSFER_STARTED"}
        assert not left, f"jobs not put back (a page of batch-status was taken for all of it): {left}"


def test_read_only_mode_skips_what_needs_jobs_and_says_what_to_give(
    kit: Callable, sandbox_process: Callable, tmp_path: Path
) -> None:
    sandbox = sandbox_process("--no-control-api")
    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        "sandbox-token",
        "--report-dir",
        "out",
    )
    assert run.code == ExitCode.CONFORMANT, run.output[
        -3000:
    ]  # incomplete on purpose: exit 0 without --require-complete
    report = _every_report_says(tmp_path / "out", "incomplete", 0)
    assert report["run"]["target"]["mode"] == "read-only"
    verdicts = _verdicts(report)
    assert verdicts["JOB-ID-RULE"] == "pass" and verdicts["UNKNOWN-JOB-FAILS"] == "pass"
    assert verdicts["PAUSABLE-SUCCEEDS"] == "skip"
    reasons = " ".join(t.get("message") or "" for r in report["requirements"] for t in r["tests"])
    assert "--inventory" in reasons and "--control-api" in reasons
    not_judged = {e["id"]: e for e in report["summary"]["coverage"]["not_judged"]}
    assert not_judged["PAUSABLE-SUCCEEDS"]["category"] == "needs-option", not_judged["PAUSABLE-SUCCEEDS"]
    assert {e["category"] for e in not_judged.values()} <= {"needs-option", "not-reached", "no-inventory-job"}, (
        not_judged
    )


@pytest.mark.parametrize(
    ("defect", "requirement"),
    [
        pytest.param("count-wrong", "COUNT-EQUALS-RESULTS", id="count-wrong"),
        pytest.param("race-double-pause", "CONCURRENT-SINGLE-SUCCESS", id="race"),
    ],
)
def test_a_defect_fails_the_run_naming_its_requirement(
    kit: Callable, tmp_path: Path, defect: str, requirement: str
) -> None:
    run = kit("run", "--sandbox-defect", defect, "--report-dir", "out")
    assert run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]
    assert _verdicts(_report(tmp_path / "out"))[requirement] == "fail"
    assert requirement in run.stdout
    assert "rerun:    drs-conformance run" in run.stdout and "curl " in run.stdout, (
        "a failure must say how to reproduce it"
    )
    _assert_allure_names_the_failure(tmp_path / "out" / "allure-results", requirement)
    _assert_allure_agrees(tmp_path / "out")


def _assert_allure_agrees(directory: Path) -> None:
    """Every Allure result has one level label, and a failed one carries the requirement conformance.json charges."""
    report = _report(directory)
    charged = {f["nodeid"]: r["id"] for r in report["requirements"] for f in r["failures"] if f["outcome"] == "failed"}
    results = [json.loads(path.read_text()) for path in (directory / "allure-results").glob("*-result.json")]
    assert len(results) == report["summary"]["tests"]["run"]
    red = []
    for result in results:
        labels = {
            name: [label["value"] for label in result["labels"] if label["name"] == name]
            for name in ("feature", "requirement")
        }
        assert len(labels["feature"]) == 1 and len(labels["requirement"]) == 1, (result["name"], labels)
        (requirement,) = labels["requirement"]
        assert labels["feature"] == [catalogue()[requirement].level]
        if result["status"] == "failed":
            red.append(requirement)
    assert sorted(red) == sorted(charged.values()), (
        "Allure files failures under other requirements than conformance.json"
    )


def _assert_allure_names_the_failure(folder: Path, requirement: str) -> None:
    """A failed Allure result: the requirement as a label and link, its sentence, request/response/curl attached."""
    results = [json.loads(path.read_text()) for path in folder.glob("*-result.json")]
    failed = [
        r for r in results if r["status"] == "failed" and {"name": "requirement", "value": requirement} in r["labels"]
    ]
    assert failed, f"no failed Allure result labelled {requirement}"
    quote = catalogue()[requirement].quote
    for result in failed:
        assert quote in result.get("description", ""), "the document's sentence is the description"
        assert any(requirement in link.get("url", "") for link in result.get("links", [])), "no requirement link"
        names = " ".join(a["name"] for a in result.get("attachments", []))
        assert "request" in names and "response" in names and "curl" in names, f"attachments: {names}"


def test_secrets_never_reach_reports_or_output(kit: Callable, sandbox_process: Callable, tmp_path: Path) -> None:
    """Run with a secret token against a broken target: the token is in no file written and no output."""
    token = "SeCrEt-tok3n-do-not-leak-42"
    sandbox = sandbox_process("--token", f"{token}={PROJECT}", "--defect", "text-errors")
    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--project-id",
        PROJECT,
        "--control-api",
        "--report-dir",
        "out",
        env={"DRS_AUTH_TOKEN": token},
    )
    assert run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]
    assert token not in run.output
    leaks = [
        str(path) for path in (tmp_path / "out").rglob("*") if path.is_file() and token.encode() in path.read_bytes()
    ]
    assert not leaks, f"the token leaked into {leaks}"


def test_known_deviation_turns_a_failure_into_expected_and_a_fixed_one_fails_strict(
    kit: Callable, tmp_path: Path
) -> None:
    deviations = tmp_path / "deviations.yaml"
    deviations.write_text(
        "deviations:\n  - requirement: COUNT-EQUALS-RESULTS\n    reason: ticket DRS-1\n", encoding="utf-8"
    )
    broken = kit(
        "run",
        "--sandbox-defect",
        "count-wrong",
        "--known-deviations",
        str(deviations),
        "--report-dir",
        "broken",
        "--",
        "-k",
        "count or one_result",
    )
    assert broken.code == ExitCode.CONFORMANT, broken.output[-3000:]  # a -k subset: incomplete, exit 0
    assert _report(tmp_path / "broken")["summary"]["verdict"] == "incomplete"
    assert _verdicts(_report(tmp_path / "broken"))["COUNT-EQUALS-RESULTS"] == "expected-fail"
    fixed = kit(
        "run",
        "--strict-conformance",
        "--known-deviations",
        str(deviations),
        "--report-dir",
        "fixed",
        "--",
        "-k",
        "count",
    )
    assert fixed.code == ExitCode.NON_CONFORMANT, fixed.output[-3000:]
    assert _verdicts(_report(tmp_path / "fixed"))["COUNT-EQUALS-RESULTS"] == "fixed"


def _start_run(tmp_path: Path, *args: str) -> subprocess.Popen[bytes]:
    """`drs-conformance run ARGS` as a child in its own process group (a terminal's Ctrl-C reaches the group)."""
    env = {k: v for k, v in child_run_environment(os.environ).items() if not k.startswith(("PYTEST_", "HYPOTHESIS"))}
    env["PYTHONUNBUFFERED"] = "1"
    return subprocess.Popen(
        [sys.executable, "-m", "drs_conformance", "run", *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def _read_until(process: subprocess.Popen[bytes], marker: bytes, timeout: float) -> bytes:
    """What the child printed until `marker` appeared (or it ended, or the time ran out)."""
    assert process.stdout is not None
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], 0.1)
        if ready:
            chunk = os.read(process.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen


@pytest.mark.parametrize(
    ("signals", "code"),
    [
        pytest.param((signal.SIGINT, signal.SIGINT), ExitCode.INTERRUPTED, id="double-ctrl-c"),
        pytest.param((signal.SIGTERM,), ExitCode.TERMINATED, id="sigterm"),
    ],
)
def test_a_stopped_run_writes_reports_marked_interrupted(tmp_path: Path, signals: tuple[int, ...], code: int) -> None:
    """Stopped in the middle of the suites: every report says interrupted, the exit is 130 / 143, never 4."""
    process = _start_run(tmp_path, "--report-dir", "out")
    try:
        started = _read_until(process, b"] test_conformance_items.py: ", timeout=120)  # its progress line
        assert b"] test_conformance_items.py: " in started, started.decode(errors="replace")[-3000:]
        for signum in signals:
            os.killpg(process.pid, signum)
            time.sleep(0.05)
        output = started + _read_until(process, b"\0", timeout=120)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        assert process.stdout is not None
        process.stdout.close()
    text = output.decode(errors="replace")
    assert process.returncode == code, text[-3000:]
    assert "internal error" not in text and "SystemError" not in text, text[-3000:]
    report = _every_report_says(tmp_path / "out", "interrupted", int(code))
    stop = report["summary"]["interruption"]
    assert stop["signal"] == signal.Signals(signals[0]).name
    assert 0 < stop["tests_run"] < stop["tests_collected"], stop
    assert (
        f"INTERRUPTED: stopped by {stop['signal']} after {stop['tests_run']} of {stop['tests_collected']} tests ran"
        in text
    )
