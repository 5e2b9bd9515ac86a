"""The requirement catalogue is exact: every suite test names a requirement, every requirement is tested."""

from __future__ import annotations

import subprocess
import sys

from drs_conformance.cli.catalogue_doc import problems


def test_catalogue_and_requirements_document_are_exact() -> None:
    """Collected in a child process: collecting the suites loads their hypothesis profile, which is global."""
    done = subprocess.run(
        [sys.executable, "-m", "drs_conformance.cli.catalogue_doc", "--check"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_problems_are_found() -> None:
    """The check itself can fail: an unmarked test, an untested requirement and an unknown id are named."""
    found = problems({"NOT-A-REQUIREMENT": ["x"]}, ["suites/test_x.py::test_y"])
    assert any("without @pytest.mark.requirement" in p for p in found)
    assert any("DOC-EXAMPLE has no test" in p for p in found)
    assert any("NOT-A-REQUIREMENT" in p for p in found)
