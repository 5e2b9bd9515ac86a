"""A full run against a remote-looking target: the sandbox behind a loopback proxy that delays each direction.

Prints, per mode and round-trip time, the wall time of `drs-conformance run`, the requests it sent by operation
(as the proxy counted them, and as the run reports them in conformance.json `run.requests`), the verdict and
whether every test ended as in the run at 0 ms. Prints figures only.

- `control-api`: `drs-conformance sandbox` (with its control API), run with `--control-api`.
- `inventory`: `drs-conformance sandbox --seed inventory.yaml --no-control-api`, run with `--inventory`.

`--effect-lag S` starts the sandbox with `--variant effects=delayed --effect-lag S`: pauses and resumes show S late.

At 0 ms the run talks to the sandbox directly (no proxy); otherwise through `tests/fault_proxy.py` with
`delay(rtt/2, rtt/2)`. Each run gets its own sandbox, journal (XDG_STATE_HOME) and report directory.

The run picks its own workers (from the round-trip time it measures); pass `-- -n N` to set them, or
`-- -p no:xdist` for one process. `--proxy-at-zero` sends the 0 ms runs through the proxy too, so that its count can
be compared with the run's own.

Usage: python benchmarks/remote_latency.py [--rtt-ms 0 20 50 100] [--mode control-api inventory]
                                           [--repeat 1] [--effect-lag S] [--keep DIR]
                                           [-- ARGS FOR drs-conformance run's pytest]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from drs_conformance.contract.spec import contract
from drs_conformance.plugin.options import child_run_environment
from drs_conformance.transport.client import operation_of
from tests.fault_proxy import FaultProxy, delay

PROJECT = contract().example_project_id
TOKEN = "sandbox-token"
MODES = ("control-api", "inventory")
# The inventory of tests/live/test_kit_live_runs.py: jobs in several states and types, a job someone else paused.
INVENTORY = f"""\
project_id: {PROJECT}
jobs:
  - id: {contract().example_job_id}
    type: sync
  - id: 11111111-2222-3333-4444-55555555jb01
    type: migration
    status: FULL_TRANSFER_COMPLETE
  - id: 3c8e1f0a-5b2d-4e7a-9c1b-2f4d6a8jb20r
    type: cloudDataGuard
  - id: 6a7b8c9d-0e1f-4a2b-8c3d-4e5f6a7jb301
    type: sync
    status: CONFIGURATION
  - id: 0a0b0c0d-1111-2222-3333-44444444jb09
    type: sync
    status: PAUSING
foreign_jobs:
  - id: 140b5236-88ad-43c8-811c-1268453jb101
    project_id: f0e1d2c3b4a5968778695a4b3c2d1e0f
"""


@dataclass
class Measured:
    """One run: its wall time, verdict, test outcomes and requests by operation."""

    mode: str
    rtt_ms: float
    seconds: float
    exit_code: int
    verdict: str
    outcomes: dict[str, str]
    proxy_requests: Counter[str] = field(default_factory=Counter)
    reported_requests: dict[str, int] | None = None
    workers: int = 1
    cpu_seconds: float = 0.0  # user + system time of the run's processes (workers included), not the sandbox's

    @property
    def counts(self) -> str:
        tally = Counter(self.outcomes.values())
        return ", ".join(f"{n} {outcome}" for outcome, n in sorted(tally.items()))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Sandbox:
    """`drs-conformance sandbox` as a child process on a free loopback port."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str]) -> None:
        port = _free_port()
        self.url = f"http://127.0.0.1:{port}"
        with log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "drs_conformance", "sandbox", "--port", str(port), *args],
                stdout=output,
                stderr=subprocess.STDOUT,
                env=env,
            )
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"{self.url}/openapi.json", timeout=1.0, trust_env=False)
                return
            except httpx.TransportError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the sandbox did not start: {log.read_text()[-2000:]}") from None
                time.sleep(0.1)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {t["nodeid"]: t["outcome"] for r in report["requirements"] for t in r["tests"]}


def measure(
    mode: str, rtt_ms: float, folder: Path, extra: list[str], *, proxy_at_zero: bool = False, effect_lag: float = 0.0
) -> Measured:
    """Start a sandbox (and a delaying proxy in front of it), run the suites against it, read the report."""
    folder.mkdir(parents=True)
    env = child_run_environment(os.environ)
    env["XDG_STATE_HOME"] = str(folder / "state")  # a journal of its own
    sandbox_args: list[str] = ["--variant", "effects=delayed", "--effect-lag", str(effect_lag)] if effect_lag else []
    run_args = ["--base-url", "URL", "--auth-token", TOKEN]
    if mode == "control-api":
        run_args += ["--project-id", PROJECT, "--control-api"]
    else:
        inventory = folder / "inventory.yaml"
        inventory.write_text(INVENTORY, encoding="utf-8")
        sandbox_args += ["--seed", str(inventory), "--no-control-api"]
        run_args += ["--inventory", str(inventory)]
    sandbox = _Sandbox(sandbox_args, folder / "sandbox.log", env)
    proxy = (
        FaultProxy(sandbox.url, [delay(rtt_ms / 2000, rtt_ms / 2000)], max_connections=256).start()
        if rtt_ms or proxy_at_zero
        else None
    )
    run_args[1] = proxy.url if proxy is not None else sandbox.url
    report_dir = folder / "reports"
    try:
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "drs_conformance",
                "run",
                *run_args,
                "--report-dir",
                str(report_dir),
                *(["--", *extra] if extra else []),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            check=False,
        )
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - used.ru_utime - used.ru_stime
    finally:
        requests = Counter(proxy.stats()["requests"]) if proxy is not None else Counter()
        if proxy is not None:
            proxy.stop()
        sandbox.stop()
    (folder / "output.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    try:
        report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
    except OSError:
        raise SystemExit(f"no report (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}") from None
    by_operation: Counter[str] = Counter()
    for method_path, n in requests.items():  # named as the run names them, to compare
        method, _, path = method_path.partition(" ")
        by_operation[operation_of(method, path)] += n
    chosen = re.search(r"(\d+) workers in parallel", done.stderr)
    given = re.search(r"(?:^| )-n ?(\d+)", " ".join(extra))
    workers = int(chosen.group(1)) if chosen else int(given.group(1)) if given else 1
    return Measured(
        mode,
        rtt_ms,
        seconds,
        done.returncode,
        report["summary"]["verdict"],
        _outcomes(report),
        by_operation,
        report["run"].get("requests", {}).get("by_operation"),
        workers,
        cpu,
    )


def _requests_line(measured: Measured) -> str:
    counts = measured.reported_requests if measured.reported_requests is not None else measured.proxy_requests
    total = sum(counts.values())
    parts = ", ".join(f"{op} {n}" for op, n in sorted(counts.items(), key=lambda item: -item[1]))
    return f"{total} ({parts})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rtt-ms", type=float, nargs="+", default=[0, 20, 50, 100])
    parser.add_argument("--mode", choices=MODES, nargs="+", default=list(MODES))
    parser.add_argument("--repeat", type=int, default=1, help="runs per mode and round-trip time")
    parser.add_argument("--proxy-at-zero", action="store_true", help="at 0 ms go through the proxy too (it counts)")
    parser.add_argument(
        "--effect-lag",
        type=float,
        default=0.0,
        metavar="S",
        help="the sandbox shows pauses and resumes S seconds late (effects=delayed); default: at once",
    )
    parser.add_argument("--keep", type=Path, help="keep every run's folder (reports, output, sandbox log) here")
    parser.add_argument("extra", nargs="*", help="after --: arguments for drs-conformance run's pytest")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="remote-latency-"))
    print(f"load average before: {_load()}; {os.cpu_count()} CPUs; folders in {root}")
    print(
        "| mode | RTT | workers | wall time | CPU time | verdict | tests | same outcomes as at 0 ms | requests (by "
        "operation) |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    runs: list[Measured] = []
    for mode in args.mode:
        reference: dict[str, str] | None = None
        for rtt in args.rtt_ms:
            for attempt in range(args.repeat):
                measured = measure(
                    mode,
                    rtt,
                    root / f"{mode}-{rtt:g}ms-{attempt}",
                    args.extra,
                    proxy_at_zero=args.proxy_at_zero,
                    effect_lag=args.effect_lag,
                )
                runs.append(measured)
                if rtt == 0 and reference is None:
                    reference = measured.outcomes
                same = (
                    "-"
                    if reference is None
                    else (
                        "yes"
                        if measured.outcomes == reference
                        else "NO: "
                        + ", ".join(
                            f"{k} {reference.get(k)}->{v}"
                            for k, v in sorted(measured.outcomes.items())
                            if reference.get(k) != v
                        )[:300]
                    )
                )
                print(
                    f"| {mode} | {rtt:g} ms | {measured.workers} | {measured.seconds:.1f} s | "
                    f"{measured.cpu_seconds:.1f} s | {measured.verdict} (exit "
                    f"{measured.exit_code}) | {measured.counts} | {same} | {_requests_line(measured)} |",
                    flush=True,
                )
                if (
                    measured.reported_requests is not None
                    and measured.proxy_requests
                    and dict(measured.proxy_requests) != measured.reported_requests
                ):
                    print(f"|   | | | | | | | | the proxy counted {dict(measured.proxy_requests)} |", flush=True)
    if args.repeat > 1:
        print("\n| mode | RTT | workers | wall time: median (min-max) | CPU time (median) | requests |")
        print("|---|---|---|---|---|---|")
        for mode in args.mode:
            for rtt in args.rtt_ms:
                same_runs = [m for m in runs if m.mode == mode and m.rtt_ms == rtt]
                seconds = sorted(m.seconds for m in same_runs)
                totals = sorted(sum((m.reported_requests or m.proxy_requests).values()) for m in same_runs)
                workers = sorted({m.workers for m in same_runs})
                cpu = statistics.median(m.cpu_seconds for m in same_runs)
                print(
                    f"| {mode} | {rtt:g} ms | {'/'.join(map(str, workers))} | {statistics.median(seconds):.1f} s "
                    f"({seconds[0]:.1f}-{seconds[-1]:.1f}) | {cpu:.1f} s | {statistics.median(totals):,.0f} |"
                )
    print(f"load average after: {_load()}")
    return 0


def _load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
