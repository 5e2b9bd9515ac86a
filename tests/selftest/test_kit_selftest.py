"""The kill matrix in CI: the clean sandbox and every allowed choice pass, every defect is caught by its rule."""

from __future__ import annotations

import json
import multiprocessing
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drs_conformance.cli import program as cli
from drs_conformance.errors import ExitCode
from drs_conformance.plugin.options import child_run_environment
from drs_conformance.sandbox import list_defects, list_variants
from drs_conformance.selftest import runner as selftest_runner
from drs_conformance.selftest.matrix import DELAYED, Row, matrix_markdown
from drs_conformance.selftest.runner import (
    PRELOAD,
    RowCommand,
    run_commands,
    threads_of,
)


@pytest.mark.parametrize(
    ("row", "ok"),
    [
        pytest.param(Row("clean", "clean", None, "pass", exit_code=0), True, id="clean-passes"),
        pytest.param(Row("clean", "clean", None, "pass", exit_code=1, failed=["NO-5XX"]), False, id="clean-fails"),
        pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=1, failed=["NO-5XX", "X"]), True, id="caught"),
        pytest.param(
            Row("defect", "d", "NO-5XX", "fail", exit_code=1, failed=["JSON-RESPONSES"]),
            False,
            id="caught-by-another-rule-only",
        ),
        pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=0), False, id="missed"),
        pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=4, failed=["NO-5XX"]), False, id="kit-crashed"),
    ],
)
def test_a_row_is_ok_only_for_the_right_reason(row: Row, ok: bool) -> None:
    assert row.ok is ok, f"{row} judged {'ok' if row.ok else 'not ok'}"
    assert ("**MISSED**" in matrix_markdown([row], 1.0) or "**FAILED**" in matrix_markdown([row], 1.0)) is not ok


@pytest.mark.parametrize(
    ("ran", "collected", "partial"),
    [
        pytest.param(3, 50, True, id="stopped-before-the-last-test"),
        pytest.param(50, 50, False, id="caught-by-the-last-test"),
    ],
)
def test_a_defect_run_that_stopped_early_says_its_collateral_is_partial(
    ran: int, collected: int, partial: bool
) -> None:
    """Only a run that stopped before its last test is marked: its collateral lists what failed until then."""
    row = Row(
        "defect",
        "d",
        "NO-5XX",
        "fail",
        exit_code=1,
        failed=["NO-5XX"],
        tests_run=ran,
        tests_collected=collected,
        caught_by="test_x.py::test_y",
    )
    text = matrix_markdown([row], 1.0)
    assert row.ok and row.stopped_early is partial, f"{row}: stopped early {row.stopped_early}"
    assert ("stopped at the catch" in text) is partial, text
    assert ("3 of 50" in text) is partial, text


def _matrix(out: Path) -> dict[str, dict[str, Any]]:
    rows = json.loads((out / "kill-matrix.json").read_text(encoding="utf-8"))["rows"]
    return {row["name"]: row for row in rows}


def test_a_defect_run_stops_at_its_catch_and_full_collateral_runs_every_test(kit: Callable, tmp_path: Path) -> None:
    """One suite file: the clean run passes; the defect is caught either way, and --full-collateral lists more.

    Each row keeps its terminal output (output.txt) and writes no report the matrix does not read.
    """
    rows = ("--no-variants", "--defect", "any-state-pausable", "--jobs", "2")
    early = kit("selftest", *rows, "--report-dir", "early", "--", "test_conformance_items.py", timeout=600)
    assert early.code == ExitCode.CONFORMANT, early.output[-2000:]
    clean, defect = _matrix(tmp_path / "early")["clean"], _matrix(tmp_path / "early")["any-state-pausable"]
    assert clean["ok"] and clean["tests_run"] == clean["tests_collected"] > 1, f"clean run: {clean}"
    assert defect["ok"] and "NON-PAUSABLE-STATE-FAILS" in defect["failed"], f"defect run: {defect}"
    assert defect["tests_run"] < defect["tests_collected"], f"received {defect}, documented: stopped at the catch"
    assert "test_job_in_other_state_fails_and_is_unchanged" in defect["caught_by"], (
        f"received caught_by {defect['caught_by']}, documented: the defect's own tests run first"
    )
    assert not defect["collateral_complete"] and "stopped at the catch" in early.stdout, early.stdout
    row_dir = tmp_path / "early" / "selftest" / "defect" / "any-state-pausable"
    written = sorted(path.name for path in row_dir.iterdir())  # only what the matrix reads, and the output
    assert "conformance.json" in written and "allure-results" not in written and "junit.xml" not in written, written
    assert "NON-PAUSABLE-STATE-FAILS" in (row_dir / "output.txt").read_text(encoding="utf-8"), written

    full = kit(
        "selftest", *rows, "--full-collateral", "--report-dir", "full", "--", "test_conformance_items.py", timeout=600
    )
    assert full.code == ExitCode.CONFORMANT, full.output[-2000:]
    whole = _matrix(tmp_path / "full")["any-state-pausable"]
    assert whole["ok"] and whole["tests_run"] == whole["tests_collected"] and whole["collateral_complete"], whole
    assert set(whole["failed"]) > set(defect["failed"]), (
        f"received collateral {whole['collateral']} with every test, {defect['collateral']} stopped at the catch"
    )
    assert "stopped at the catch" not in full.stdout, full.stdout


def test_the_fork_server_imports_no_suite_and_starts_no_thread() -> None:
    """The rows fork from a server that imported PRELOAD: it must run no thread and hold no suite module."""
    probe = (
        "import importlib, json, sys, threading; from drs_conformance.selftest.runner import PRELOAD; "
        "[importlib.import_module(name) for name in PRELOAD]; "
        "print(json.dumps({'threads': threading.active_count(), "
        "'suites': sorted(m for m in sys.modules if 'suites' in m.split('.'))}))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=child_run_environment(os.environ),
    )
    assert done.returncode == 0, done.stderr[-2000:]
    found = json.loads(done.stdout)
    assert found == {"threads": 1, "suites": []}, f"received {found} after importing {PRELOAD}"


@pytest.mark.skipif(threads_of(os.getpid()) is None, reason="no /proc to count a process's threads")
def test_a_row_refuses_to_run_in_a_child_of_a_process_with_threads(tmp_path: Path) -> None:
    """Forked from a parent that runs a thread, a row stops at once with exit 4 and says why."""
    stop = threading.Event()
    waiting = threading.Thread(target=stop.wait, daemon=True)
    waiting.start()  # the parent (this test) now runs at least two threads
    try:
        context = multiprocessing.get_context("spawn")
        reader, writer = context.Pipe(duplex=False)
        output = tmp_path / "output.txt"
        child = context.Process(
            target=selftest_runner.run_in_child, args=(RowCommand(("run",), output, {}, cli.main), writer, True)
        )
        child.start()
        writer.close()
        child.join(timeout=120)
        sent = reader.recv()
        reader.close()
    finally:
        stop.set()
    assert sent == {"exit_code": ExitCode.INTERNAL}, f"received {sent}, documented exit 4 before any run"
    assert "forking it is unsafe" in output.read_text(encoding="utf-8"), output.read_text(encoding="utf-8")


def test_a_run_that_dies_before_the_kit_answers_is_an_internal_error(tmp_path: Path) -> None:
    """A child that cannot even open its output file ends the row with exit 4, not with a verdict's code."""
    command = RowCommand(argv=("run",), output=tmp_path / "missing" / "output.txt", environ={}, entry=cli.main)
    results = list(run_commands([command], jobs=1))
    assert [(index, result.exit_code) for index, result in results] == [(0, ExitCode.INTERNAL)], results


def test_kill_matrix(kit: Callable, tmp_path: Path) -> None:
    """`drs-conformance selftest`: every row ok; the matrix printed and written into the report directory."""
    run = kit("selftest", "--report-dir", "out", "--jobs", "2", timeout=1500)
    matrix = tmp_path / "out" / "kill-matrix.json"
    assert matrix.is_file() and (tmp_path / "out" / "kill-matrix.md").is_file(), run.output[-2000:]
    rows = json.loads(matrix.read_text(encoding="utf-8"))["rows"]
    bad = [f"{r['name']}: expected {r['expected']}, failed {r['failed']} {r['error']}" for r in rows if not r["ok"]]
    assert not bad, "kill matrix rows not ok:\n" + "\n".join(bad)
    assert run.code == ExitCode.CONFORMANT, run.output[-2000:]
    defects = {r["name"] for r in rows if r["kind"] == "defect" and r["variant"] is None}
    assert defects == {d.name for d in list_defects()}, "the matrix must cover the whole gallery"
    delayed = {r["name"] for r in rows if r["kind"] == "defect" and r["variant"] == DELAYED}
    assert delayed == {f"{d.name}+{DELAYED}" for d in list_defects()}, "every defect runs under delayed effects too"
    variants = {r["name"] for r in rows if r["kind"] == "variant"}
    expected = {f"{v.name}={o}" for v in list_variants() for o in v.options if o != v.default}
    assert variants == expected, "the matrix must cover every allowed choice"
    assert "Defects caught by their own requirement: " in run.stdout


def test_child_runs_ignore_the_users_target_settings() -> None:
    """The kill matrix's runs use the embedded sandbox even where DRS_* point at a vendor's target."""
    environ = {
        "DRS_BASE_URL": "https://drs.example.com",
        "DRS_AUTH_TOKEN": "t",
        "DRS_CONFORMANCE_CONFIG": "c.yaml",
        "PYTEST_ADDOPTS": "-x",
        "PATH": "/bin",
        "DRS_DEBUG": "1",
    }
    kept = child_run_environment(environ)
    assert kept == {"PATH": "/bin", "DRS_DEBUG": "1"}, (
        f"received {kept}, documented: no option variable, no pytest settings"
    )
