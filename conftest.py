"""Root conftest of the kit's own tests (tests/): shared fixtures; the suites have their own pytest.ini."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Iterator

import pytest

REPO = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def running_sandbox() -> Iterator[object]:
    """One real sandbox server on 127.0.0.1 for the session (reset by the tests that need it)."""
    from drs_conformance.sandbox import SandboxConfig, start_in_thread

    with start_in_thread(SandboxConfig()) as sandbox:
        yield sandbox


def run_kit(*args: str, cwd: Path, env: dict[str, str] | None = None, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """Run `drs-conformance ARGS` in a child process, as a user would."""
    full_env = {**os.environ, **(env or {})}
    full_env.pop("PYTEST_ADDOPTS", None)
    full_env.pop("PYTEST_XDIST_WORKER", None)
    return subprocess.run(
        [sys.executable, "-m", "drs_conformance", *args],
        cwd=cwd,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
