"""Root conftest of the kit's own tests (tests/): fixtures that run the kit as a user would.

The conformance suites have their own settings (suites/pytest.ini) and fixtures (drs_conformance.plugin.hooks).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.fault_proxy import FaultProxy, Rule

REPO = Path(__file__).resolve().parent


@dataclass(frozen=True)
class KitRun:
    """What one `drs-conformance ...` child process did."""

    args: tuple[str, ...]
    code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _child_env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PYTEST_", "DRS_", "HYPOTHESIS")) and k != "COV_CORE_SOURCE"
    }
    env.update(extra or {})
    return env


@pytest.fixture
def kit(tmp_path: Path) -> Callable[..., KitRun]:
    """Run `drs-conformance ARGS` in a child process (cwd: a fresh directory), as a user would."""

    def run(*args: str, env: dict[str, str] | None = None, timeout: float = 600, cwd: Path | None = None) -> KitRun:
        # A live run's journal goes under the user's state directory: here, under the test's own.
        env = {"XDG_STATE_HOME": str(tmp_path / "state"), **(env or {})}
        done = subprocess.run(
            [sys.executable, "-m", "drs_conformance", *args],
            cwd=cwd or tmp_path,
            env=_child_env(env),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return KitRun(tuple(args), done.returncode, done.stdout, done.stderr)

    return run


@dataclass
class KitProcess:
    """A `drs-conformance ...` child process running in the background (to be stopped by a signal)."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def wait(self, timeout: float = 600) -> int:
        return self.process.wait(timeout=timeout)


@pytest.fixture
def kit_process(tmp_path: Path) -> Iterator[Callable[..., KitProcess]]:
    """Start `drs-conformance ARGS` in the background, as `kit` runs it; any still running after the test is killed."""
    started: list[KitProcess] = []

    def start(*args: str, env: dict[str, str] | None = None) -> KitProcess:
        env = {"XDG_STATE_HOME": str(tmp_path / "state"), **(env or {})}
        log = tmp_path / f"kit-{len(started)}.log"
        with log.open("wb") as output:  # a file, not a pipe: an unread pipe blocks the run
            process = subprocess.Popen(
                [sys.executable, "-m", "drs_conformance", *args],
                cwd=tmp_path,
                env=_child_env(env),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        started.append(KitProcess(process, log))
        return started[-1]

    yield start
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def closed_url() -> str:
    """A loopback URL nothing listens on."""
    return f"http://127.0.0.1:{free_port()}"


@dataclass
class SandboxProcess:
    """A `drs-conformance sandbox` child process on 127.0.0.1, printing into a log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> str:
        """Ctrl-C it, wait, and return what it printed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture
def sandbox_process(tmp_path: Path) -> Iterator[Callable[..., SandboxProcess]]:
    """Start `drs-conformance sandbox ARGS` as a separate process; every one started is stopped after the test."""
    started: list[SandboxProcess] = []

    def start(*args: str) -> SandboxProcess:
        port = free_port()
        log = tmp_path / f"sandbox-{port}.log"
        with log.open("wb") as output:  # a file, not a pipe: an unread pipe fills up and blocks the server
            process = subprocess.Popen(
                [sys.executable, "-m", "drs_conformance", "sandbox", "--port", str(port), *args],
                cwd=tmp_path,
                env=_child_env(None),
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        running = SandboxProcess(f"http://127.0.0.1:{port}", process, log)
        started.append(running)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert process.poll() is None, f"the sandbox exited early: {running.stop()}"
            try:
                httpx.get(running.url + "/openapi.json", timeout=1.0, trust_env=False)  # loopback: no proxy
                return running
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError(f"the sandbox did not answer on {running.url} within 30 s")

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """Start a fault-injecting loopback proxy: fault_proxy(upstream_url, [rules], seed=0) (tests/fault_proxy.py).

    Every proxy started is stopped after the test, and the test fails if the proxy itself hit a bug.
    """
    started: list[FaultProxy] = []

    def start(upstream: str, rules: Sequence[Rule] = (), *, seed: int = 0, **options: Any) -> FaultProxy:
        proxy = FaultProxy(upstream, rules, seed=seed, **options).start()
        started.append(proxy)
        return proxy

    yield start
    for proxy in started:
        proxy.stop()
    errors = [repr(error) for proxy in started for error in proxy.errors]
    assert not errors, f"the fault proxy itself failed: {errors}"
