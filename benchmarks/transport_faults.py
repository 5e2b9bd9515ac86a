"""Runs of the kit through connection resets: what they charged, left unjudged and left behind; prints figures only.

    python benchmarks/transport_faults.py [--seeds 1 2 3 4 5] [--rates 0.01 0.03 0.10]
        [--control basic bulk] [--faults before after up down] [-- PYTEST ARGS]

Each run: a sandbox served in this process (the four basic control-API endpoints, or with the bulk forms),
behind the fault proxy (tests/fault_proxy.py) resetting a share of every request (the control API's too)
with RST: `before` forwarding (the request never reaches the sandbox), `after` it (the answer is lost),
`up` (cut while the request comes in, after its headers) or `down` (cut while the answer goes back, after its
headers and half its body); then `drs-conformance run --base-url PROXY --control-api` in a child process.
Figures per run: exit code, requirements failed, tests judged and unanswered, resets, jobs left PAUSING
that the run did not create so, files holding the token, seconds.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from drs_conformance.sandbox import DEFAULT_PROJECT, SandboxConfig, start_in_thread
from tests.fault_proxy import FaultProxy, reset

TOKEN = "bench-token-" + "5d2e8c1a" * 5
FAULTS = {
    "before": {"forwarded": False},
    "after": {"forwarded": True},
    "up": {"forwarded": False, "partway": True},
    "down": {"forwarded": True, "partway": True},
}


@dataclass
class Figures:
    control: str
    fault: str
    rate: float
    seed: int
    exit_code: int
    failed: list[str]
    judged: int
    unanswered: int
    other: int
    resets: int
    left_paused: int
    leaked: int
    seconds: float


def _paused_not_ours(store: object) -> int:
    """Jobs in PAUSING now that the run did not create (its own ids start with its prefix, "k" and 3 characters):
    the jobs it borrowed, such as the document's example job, which it must put back."""
    jobs = getattr(store, "_jobs", None)
    assert isinstance(jobs, dict), "the sandbox store keeps its jobs in _jobs"
    return sum(1 for job_id, job in jobs.items() if job.status == "PAUSING" and not job_id.startswith("k"))


def one_run(control: str, fault: str, rate: float, seed: int, pytest_args: list[str], work: Path) -> Figures:
    config = SandboxConfig(tokens={TOKEN: DEFAULT_PROJECT})
    if control == "basic":
        config = SandboxConfig(tokens={TOKEN: DEFAULT_PROJECT}, control_extensions=())
    reports = work / f"{control}-{fault}-{rate:g}-{seed}"
    with start_in_thread(config) as sandbox:
        store = sandbox.store
        with FaultProxy(sandbox.url, [reset(probability=rate, **FAULTS[fault])], seed=seed) as proxy:
            started = time.monotonic()
            argv = ["run", "--base-url", proxy.url, "--project-id", DEFAULT_PROJECT, "--auth-token", TOKEN]
            argv += ["--control-api", "--report-dir", str(reports), "--seed", str(seed), *pytest_args]
            done = subprocess.run(
                [sys.executable, "-m", "drs_conformance", *argv],
                env={"XDG_STATE_HOME": str(work / "state"), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"},
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            seconds = time.monotonic() - started
            resets = proxy.faults["reset"]
        left = _paused_not_ours(store)
    (reports / "output.txt").write_text(done.stdout + done.stderr, encoding="utf-8")
    try:
        report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
        failed = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
        tests = report["summary"]["tests"]
        left += len(report["run"]["live_jobs"]["left_paused"])
    except (OSError, ValueError, KeyError, TypeError):
        failed, tests = ["(no report)"], {}
    leaked = sum(1 for path in reports.rglob("*") if path.is_file() and TOKEN.encode() in path.read_bytes())
    leaked += TOKEN in done.stdout + done.stderr
    return Figures(
        control,
        fault,
        rate,
        seed,
        done.returncode,
        failed,
        judged=sum(tests.get(name, 0) for name in ("passed", "failed", "xfailed", "xpassed", "skipped")),
        unanswered=tests.get("unanswered", 0),
        other=tests.get("error", 0),
        resets=resets,
        left_paused=left,
        leaked=leaked,
        seconds=round(seconds, 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    parser.add_argument("--rates", type=float, nargs="+", default=[0.03])
    parser.add_argument("--control", nargs="+", choices=("basic", "bulk"), default=["basic"])
    parser.add_argument("--faults", nargs="+", choices=tuple(FAULTS), default=["before", "after"])
    parser.add_argument("--keep", type=Path, default=None, help="keep each run's reports under this directory")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    extra = args.pytest_args[1:] if args.pytest_args[:1] == ["--"] else args.pytest_args
    if extra:
        extra = ["--", *extra]
    print("control fault  rate  seed exit failed judged unanswered errors resets left-paused leaked seconds")
    with tempfile.TemporaryDirectory() as scratch:
        work = args.keep or Path(scratch)
        for control in args.control:
            for fault in args.faults:
                for rate in args.rates:
                    for seed in args.seeds:
                        f = one_run(control, fault, rate, seed, extra, work)
                        print(
                            f"{f.control:<7} {f.fault:<6} {f.rate:<5g} {f.seed:>4} {f.exit_code:>4} "
                            f"{len(f.failed):>6} {f.judged:>6} {f.unanswered:>10} {f.other:>6} {f.resets:>6} "
                            f"{f.left_paused:>11} {f.leaked:>6} {f.seconds:>7}"
                            + (f"  failed: {', '.join(f.failed)}" if f.failed else ""),
                            flush=True,
                        )


if __name__ == "__main__":
    main()
