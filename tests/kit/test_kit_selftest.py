"""The kill matrix in CI: the clean sandbox and every allowed choice pass, every defect is caught by its rule."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

import pytest

from drs_conformance.errors import ExitCode
from drs_conformance.sandbox import list_defects, list_variants
from drs_conformance.options import child_run_environment
from drs_conformance.selftest import Row, matrix_markdown


@pytest.mark.parametrize(("row", "ok"), [
    pytest.param(Row("clean", "clean", None, "pass", exit_code=0), True, id="clean-passes"),
    pytest.param(Row("clean", "clean", None, "pass", exit_code=1, failed=["NO-5XX"]), False, id="clean-fails"),
    pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=1, failed=["NO-5XX", "X"]), True, id="caught"),
    pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=1, failed=["JSON-RESPONSES"]), False,
                 id="caught-by-another-rule-only"),
    pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=0), False, id="missed"),
    pytest.param(Row("defect", "d", "NO-5XX", "fail", exit_code=4, failed=["NO-5XX"]), False, id="kit-crashed"),
])
def test_a_row_is_ok_only_for_the_right_reason(row: Row, ok: bool) -> None:
    assert row.ok is ok, f"{row} judged {'ok' if row.ok else 'not ok'}"
    assert ("**MISSED**" in matrix_markdown([row], 1.0) or "**FAILED**" in matrix_markdown([row], 1.0)) is not ok


def test_kill_matrix(kit: Callable, tmp_path: Path) -> None:
    """`drs-conformance selftest`: every row ok; the matrix printed and written into the report directory."""
    run = kit("selftest", "--report-dir", "out", "--jobs", "2", timeout=1500)
    matrix = tmp_path / "out" / "kill-matrix.json"
    assert matrix.is_file() and (tmp_path / "out" / "kill-matrix.md").is_file(), run.output[-2000:]
    rows = json.loads(matrix.read_text(encoding="utf-8"))["rows"]
    bad = [f"{r['name']}: expected {r['expected']}, failed {r['failed']} {r['error']}" for r in rows if not r["ok"]]
    assert not bad, "kill matrix rows not ok:\n" + "\n".join(bad)
    assert run.code == ExitCode.CONFORMANT, run.output[-2000:]
    defects = {r["name"] for r in rows if r["kind"] == "defect"}
    assert defects == {d.name for d in list_defects()}, "the matrix must cover the whole gallery"
    variants = {r["name"] for r in rows if r["kind"] == "variant"}
    expected = {f"{v.name}={o}" for v in list_variants() for o in v.options if o != v.default}
    assert variants == expected, "the matrix must cover every allowed choice"
    assert "Defects caught by their own requirement: " in run.stdout


def test_child_runs_ignore_the_users_target_settings() -> None:
    """The kill matrix's runs use the embedded sandbox even where DRS_* point at a vendor's target."""
    environ = {"DRS_BASE_URL": "https://drs.example.com", "DRS_AUTH_TOKEN": "t", "DRS_CONFORMANCE_CONFIG": "c.yaml",
               "PYTEST_ADDOPTS": "-x", "PATH": "/bin", "DRS_DEBUG": "1"}
    kept = child_run_environment(environ)
    assert kept == {"PATH": "/bin", "DRS_DEBUG": "1"}, f"received {kept}, documented: no option variable, no pytest settings"
