"""Runs the kill matrix's `drs-conformance run` command lines side by side, each in a process of its own.

Every row runs in a child forked from multiprocessing's fork server, which imports the kit and its
libraries once (`PRELOAD`); no row pays those imports again. The server only imports: it never runs
a test, opens a sandbox or starts a thread (each child checks its parent's threads where /proc tells),
so every child starts as a fresh process would, with its own sandbox, hypothesis state and module
globals. Where the platform has no fork server, rows are spawned: the same results, without the warm
start.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.context import ForkServerContext, SpawnContext
from multiprocessing.process import BaseProcess
from pathlib import Path

from drs_conformance.errors import ExitCode
from drs_conformance.selftest.faults import FaultSetup, behind_faults, with_base_url

__all__ = ["PRELOAD", "RowCommand", "RowResult", "run_commands", "run_in_child", "threads_of"]

# What every run imports (the libraries through the kit's modules that use them), imported once by the
# fork server. Never the suites: they read the run's options (seed, hypothesis profile) when imported.
PRELOAD = (
    "drs_conformance.cli.program",
    "drs_conformance.plugin.hooks",  # pytest, hypothesis, httpx, the client, jobs, target
    "drs_conformance.sandbox.server",  # starlette, uvicorn, jsonschema
    "drs_conformance.schemathesis_suite",  # schemathesis
    "drs_conformance.transport.sdk",  # huaweicloudsdkcore, huaweicloudsdkdrs
    "drs_conformance.strategies",
    "drs_conformance.reporting",
    "drs_conformance.selftest.stop",
    "_hypothesis_pytestplugin",  # the pytest plugins a run loads from their entry points
    "schemathesis.pytest.plugin",
    "xdist.plugin",
    "xdist.looponfail",
    __name__,  # the children's own code
)


def threads_of(pid: int) -> int | None:
    """How many threads process `pid` runs now (None where /proc does not say)."""
    try:
        return len(os.listdir(f"/proc/{pid}/task"))
    except OSError:
        return None


@dataclass(frozen=True)
class RowCommand:
    """One `drs-conformance` command line, where its terminal output goes, its environment, and the entry
    point that runs it (`drs_conformance.cli.program.main`, handed in: this module never imports the CLI that imports it)."""

    argv: tuple[str, ...]
    output: Path
    environ: Mapping[str, str]
    entry: Callable[[list[str]], int]
    faults: FaultSetup | None = None  # run against a sandbox behind the fault proxy (selftest_faults.BASE_URL)


@dataclass(frozen=True)
class RowResult:
    """How one command ended: its exit code, what the stop plugin saw, its wall and CPU time."""

    exit_code: int
    seconds: float
    cpu_seconds: float = 0.0
    collected: int = 0
    ran: int = 0
    caught_by: str | None = None


def _context() -> ForkServerContext | SpawnContext:
    if "forkserver" in multiprocessing.get_all_start_methods():
        context: ForkServerContext = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))
        return context
    return multiprocessing.get_context("spawn")


def run_in_child(command: RowCommand, channel: Connection, forked: bool) -> None:
    """In the child: the command's output into its file, its own environment, then the kit's main."""
    sys.stdout.flush()
    sys.stderr.flush()
    descriptor = os.open(command.output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    os.dup2(descriptor, 1)
    os.dup2(descriptor, 2)
    os.close(descriptor)
    os.environ.clear()
    os.environ.update(command.environ)
    threads = threads_of(os.getppid()) if forked else None
    if threads not in (None, 1):  # a thread's locks would be copied mid-use into the child
        print(
            f"drs-conformance: internal error: the selftest fork server runs {threads} threads; "
            "forking it is unsafe (a module in PRELOAD started a thread)",
            file=sys.stderr,
        )
        channel.send({"exit_code": int(ExitCode.INTERNAL)})
        return
    from drs_conformance.selftest import stop as selftest_stop

    if command.faults is None:
        code = command.entry(list(command.argv))
    else:
        with behind_faults(command.faults) as url:
            code = command.entry(with_base_url(command.argv, url))
    sys.stdout.flush()
    sys.stderr.flush()
    progress = selftest_stop.PROGRESS
    channel.send(
        {
            "exit_code": code,
            "collected": progress.collected,
            "ran": progress.ran,
            "caught_by": progress.caught_by,
            "cpu_seconds": time.process_time(),
        }
    )


@dataclass
class _Running:
    index: int
    process: BaseProcess
    channel: Connection
    started: float


def _finish(running: _Running) -> RowResult:
    running.process.join()
    seconds = round(time.monotonic() - running.started, 1)
    try:
        sent = running.channel.recv() if running.channel.poll() else {}
    except EOFError:  # the child ended without a word (it died before the kit's main returned)
        sent = {}
    running.channel.close()
    exitcode = running.process.exitcode or 0
    if "exit_code" in sent:
        exit_code = int(sent["exit_code"])
    elif exitcode < 0:  # killed by a signal: as a shell reports it
        exit_code = 128 - exitcode
    else:  # the child ended before the kit's main returned: a bug of the kit
        exit_code = int(ExitCode.INTERNAL)
    return RowResult(
        exit_code=exit_code,
        seconds=seconds,
        cpu_seconds=round(sent.get("cpu_seconds", 0.0), 1),
        collected=int(sent.get("collected", 0)),
        ran=int(sent.get("ran", 0)),
        caught_by=sent.get("caught_by"),
    )


def run_commands(commands: Sequence[RowCommand], jobs: int) -> Iterator[tuple[int, RowResult]]:
    """Run the commands in the order given, `jobs` at a time; yield (index, result) as each one ends."""
    context = _context()
    forked = isinstance(context, ForkServerContext)
    pending = list(enumerate(commands))
    running: dict[int, _Running] = {}
    try:
        while pending or running:
            while pending and len(running) < jobs:
                index, command = pending.pop(0)
                reader, writer = context.Pipe(duplex=False)
                process = context.Process(
                    target=run_in_child, args=(command, writer, forked), name=f"selftest-row-{index}"
                )
                process.start()
                writer.close()
                running[process.sentinel] = _Running(index, process, reader, time.monotonic())
            for sentinel in wait(list(running)):
                done = running.pop(int(sentinel))  # type: ignore[arg-type]  # wait() returns what it was given
                yield done.index, _finish(done)
    finally:  # interrupted (or the caller stopped early): end the children still running, and wait for them
        for left in running.values():
            left.process.terminate()
        for left in running.values():
            left.process.join()
            left.channel.close()
