"""What `drs-conformance run` prints: one defect on one screen, progress lines, pytest's tracebacks on request only.

Also `--requirement` (one requirement's tests, a verdict that covers it only) and the selftest's rows as they end.
"""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drs_conformance.errors import ExitCode
from drs_conformance.plugin.options import child_run_environment
from drs_conformance.reporting import validate_report

MAX_LINES = 300
MAX_HTML = 300 * 1024


def _report(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "conformance.json").read_text(encoding="utf-8"))


def test_one_defect_fits_on_one_screen_and_the_json_keeps_every_failure(kit: Callable, tmp_path: Path) -> None:
    run = kit("run", "--sandbox-defect", "count-wrong", "--report-dir", "out")
    assert run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]
    lines = run.stdout.splitlines()
    assert len(lines) <= MAX_LINES, f"{len(lines)} lines printed"
    html = tmp_path / "out" / "conformance.html"
    assert html.stat().st_size <= MAX_HTML, f"conformance.html is {html.stat().st_size} bytes"

    report = _report(tmp_path / "out")
    validate_report(report)
    failed = report["summary"]["tests"]["failed"] + report["summary"]["tests"]["error"]
    entry = next(r for r in report["requirements"] if r["id"] == "COUNT-EQUALS-RESULTS")
    assert failed > 40 and len(entry["failures"]) == failed, "conformance.json lost failures"
    assert sum(group["count"] for group in entry["groups"]) == failed
    assert f"= {failed} failed, " in run.stdout, "pytest's own count of failures is not whole"

    # Each kind of failure once, with its example; no pytest traceback for a failure the kit judged.
    assert "FAILURES" not in run.stdout and "Traceback" not in run.output and "short test summary" not in run.stdout
    biggest = entry["groups"][0]
    assert f"    [1] {biggest['count']} tests: [COUNT-EQUALS-RESULTS] received count" in run.stdout
    assert f"and {biggest['count'] - 1} more tests like it" in run.stdout
    assert run.stdout.count("rerun:    drs-conformance run --seed 0 --sandbox-defect count-wrong") == len(
        entry["groups"]
    )
    assert "  sandbox: injected defect count-wrong" in run.stdout
    assert "PASS on the tests that reached it" in run.stdout and "failed on COUNT-EQUALS-RESULTS first" in run.stdout
    assert "reports in out: junit.xml, allure-results/, conformance.json, conformance.md, conformance.html" in lines

    # Progress: a line per test file with the share done, no row of dots.
    progress = [line for line in lines if line.startswith("[") and "%] test_" in line]
    assert progress and progress[-1].startswith("[100%] ")
    assert not any(set(line.strip()) <= set(".FsxX") and len(line.strip()) > 3 for line in lines), "pytest's dots"


def test_pytest_tracebacks_are_given_to_whoever_asks(kit: Callable) -> None:
    run = kit(
        "run", "--sandbox-defect", "count-wrong", "--report-dir", "out", "--", "--tb=short", "-k", "count_equals_number"
    )
    assert run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]
    assert "FAILURES" in run.stdout and "short test summary info" in run.stdout
    assert "test_count_equals_number_of_results" in run.stdout.split("FAILURES", 1)[1]


def test_an_error_of_the_kit_keeps_its_long_traceback(kit: Callable, tmp_path: Path) -> None:
    """A suite test that raises anything but an assertion is the kit's own error: pytest's traceback stays."""
    (tmp_path / "kitbug.py").write_text(
        "import pytest\n\n\n@pytest.hookimpl(tryfirst=True)\ndef pytest_runtest_setup(item):\n"
        "    if 'documented_example_is_answered' in item.nodeid:\n        raise KeyError('results')\n",
        encoding="utf-8",
    )
    run = kit(
        "run",
        "--report-dir",
        "out",
        "--",
        "-k",
        "documented_example",
        "-p",
        "kitbug",
        env={"PYTHONPATH": str(tmp_path)},
    )
    assert run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]
    errors = run.stdout.split("==== ERRORS ====", 1)
    assert len(errors) == 2, run.stdout[-3000:]
    assert "raise KeyError('results')" in errors[1] and "kitbug.py:7: KeyError" in errors[1]


def test_one_requirement_runs_only_its_tests_and_the_verdict_covers_it_only(kit: Callable, tmp_path: Path) -> None:
    run = kit("run", "--requirement", "COUNT-EQUALS-RESULTS", "--report-dir", "out", "--require-complete")
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    report = _report(tmp_path / "out")
    validate_report(report)
    ran = {t["nodeid"] for r in report["requirements"] for t in r["tests"]}
    marked = {t["nodeid"] for r in report["requirements"] if r["id"] == "COUNT-EQUALS-RESULTS" for t in r["tests"]}
    assert ran == marked and len(ran) == report["summary"]["tests"]["run"] >= 2
    summary = report["summary"]
    assert summary["verdict"] == "conformant"
    assert summary["coverage"]["scope"] == {"requirements": ["COUNT-EQUALS-RESULTS"], "out_of_scope": 42}
    assert summary["coverage"]["levels"]["MUST"] == {"judged": 1, "total": 1}
    assert summary["reasons"] == [
        ("the verdict covers only the 1 requirement chosen with --requirement (COUNT-EQUALS-RESULTS), not the other 42")
    ]
    assert "CONFORMANT for the 1 requirement chosen with --requirement (COUNT-EQUALS-RESULTS)" in run.stdout
    not_judged = {e["id"] for e in summary["coverage"]["not_judged"]}
    assert not_judged == set(), "the scope's requirement was judged; the others are out of scope, not missing"
    out_of_scope = next(r for r in report["requirements"] if r["id"] == "DUPLICATE-IDS")
    assert out_of_scope["verdict"] == "not-tested"
    assert out_of_scope["not_judged"][0]["reason"].startswith("no test selected in this run: not chosen")


def test_a_requirement_run_fails_when_its_requirement_fails(kit: Callable, tmp_path: Path) -> None:
    run = kit("run", "--requirement", "COUNT-EQUALS-RESULTS", "--sandbox-defect", "count-wrong", "--report-dir", "out")
    assert run.code == ExitCode.NON_CONFORMANT, run.output[-3000:]
    assert _report(tmp_path / "out")["summary"]["verdict"] == "non-conformant"


def _pty_run(tmp_path: Path, *args: str, environ: dict[str, str] | None = None, timeout: float = 300) -> str:
    """`drs-conformance ARGS` on a pseudo-terminal (as a person at a terminal sees it); what it printed."""
    env = {k: v for k, v in child_run_environment(os.environ).items() if not k.startswith(("PYTEST_", "HYPOTHESIS"))}
    env.pop("NO_COLOR", None)
    env.update({"COLUMNS": "120", "TERM": "xterm", **(environ or {})})
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "drs_conformance", *args],
        cwd=tmp_path,
        env=env,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([leader], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # the child closed the terminal
                    break
                if not chunk:
                    break
                seen += chunk
            elif process.poll() is not None:
                break
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()
        os.close(leader)
    return seen.decode(errors="replace")


def test_on_a_terminal_a_live_line_with_colour(tmp_path: Path) -> None:
    text = _pty_run(tmp_path, "run", "--report-dir", "out", "--", "-k", "documented_example")
    assert "\r\x1b[1m[ 33%] 1/3 tests · " in text or "\r[ 33%] 1/3 tests · " in text, text[-2000:]
    assert "[100%] 3/3 tests done" in text
    assert "\x1b[32m\x1b[1mDRS conformance: INCOMPLETE" not in text  # incomplete is yellow, not green
    assert "\x1b[33m\x1b[1mDRS conformance: INCOMPLETE" in text


def test_no_color_is_respected(tmp_path: Path) -> None:
    text = _pty_run(tmp_path, "run", "--report-dir", "out", "--", "-k", "documented_example", environ={"NO_COLOR": "1"})
    assert "[100%] 3/3 tests done" in text
    assert "\x1b[" not in text, "colour despite NO_COLOR"


def test_selftest_prints_each_row_as_it_ends(kit: Callable, tmp_path: Path) -> None:
    run = kit(
        "selftest",
        "--defect",
        "count-wrong",
        "--no-variants",
        "--no-faults",
        "--no-delayed",
        "--jobs",
        "1",
        "--report-dir",
        "out",
    )
    assert run.code == 0, run.output[-3000:]
    lines = run.stdout.splitlines()
    assert lines[0].startswith("selftest: 2 runs (1 clean, 0 allowed choices, 1 defect), 1 at a time")
    assert lines[1].startswith("[1/2] ok     clean   clean: passed (") and "left" in lines[1]
    assert lines[2].startswith("[2/2] ok     defect  count-wrong: caught by COUNT-EQUALS-RESULTS (")
    assert lines[2].endswith("; all done")
    assert lines.index("# Kill matrix") > 2


def _row(kind: str, name: str, seconds: float, ok: bool = True) -> Any:
    from drs_conformance.selftest.matrix import Row

    row = Row(kind, name, "COUNT-EQUALS-RESULTS" if kind == "defect" else None, "x", seconds=seconds)
    row.exit_code = (1 if kind == "defect" else 0) if ok else 4
    row.failed = ["COUNT-EQUALS-RESULTS"] if kind == "defect" and ok else []
    return row


def test_the_selftest_estimate_of_what_is_left() -> None:
    from drs_conformance.selftest.matrix import estimate_left, progress_line

    clean, variant = _row("clean", "clean", 12.0), _row("variant", "duplicates=refuse", 14.0)
    defect, other = _row("defect", "count-wrong", 2.0), _row("defect", "ids-rewritten", 0)
    assert estimate_left([defect], [clean], 2) is None  # no run of every test has ended: cannot be told
    assert estimate_left([clean], [variant, defect], 2) == (12.0, "at most")  # a defect row: at most a full row
    assert estimate_left([clean, defect], [variant, other], 1) == (14.0, "about")
    assert progress_line(defect, 3, 14, (150.0, "about")) == (
        "[ 3/14] ok     defect  count-wrong: caught by COUNT-EQUALS-RESULTS (2.0 s); about 2 min left"
    )
    missed = _row("defect", "count-wrong", 2.0, ok=False)
    assert progress_line(missed, 14, 14, None).startswith(
        "[14/14] MISSED defect  count-wrong: expected to fail on COUNT-EQUALS-RESULTS; failed: nothing (2.0 s); all done"
    )
    assert progress_line(_row("clean", "clean", 9.0, ok=False), 1, 3, None).endswith(
        "FAILED clean   clean: exit 4; failed: - (9.0 s); time left: known once a run of every test has ended"
    )


def test_the_sandbox_counts_its_jobs_in_words(sandbox_process: Callable) -> None:
    printed = sandbox_process().stop()
    assert "(1 job)" in printed and "(1 jobs)" not in printed, printed


def test_requirements_lists_the_whole_catalogue(kit: Callable) -> None:
    from drs_conformance.contract.catalogue import catalogue

    text = kit("requirements")
    assert text.code == 0, text.output
    headers = [line.split("  ")[0] for line in text.stdout.splitlines() if line and not line.startswith(" ")]
    assert headers[:-1] == list(catalogue().ids)
    assert headers[-1].startswith(f"{len(catalogue())} requirements: 28 MUST, 5 EITHER, 10 SHOULD.")
    assert "COUNT-EQUALS-RESULTS  MUST  count equals the number of results" in text.stdout
    as_json = kit("requirements", "--json", "--level", "EITHER")
    listed = json.loads(as_json.stdout)
    assert [r["id"] for r in listed] == [r.id for r in catalogue() if r.level == "EITHER"]
    assert all(r["quote"] == catalogue()[r["id"]].quote and r["options"] for r in listed)
