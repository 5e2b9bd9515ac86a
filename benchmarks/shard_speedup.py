"""`run --shard K/N` on one machine: 1, 2 and 4 shards of the suites run side by side, then `report merge`.

Prints figures only: the machine (cores, load average before and after), and for each N the wall time of the N
shards run at once, each shard's own wall time, its share of the tests' time, and whether the merged verdict,
per-requirement verdicts and test outcomes equal those of the one-shard run. Every run uses the embedded
sandbox, seed 0 and the same hypothesis profile (thorough by default).

On N machines each shard has a machine of its own: the wall time of the whole is about the slowest shard's CPU
time (the embedded sandbox runs in the shard's process; a shard is CPU-bound), not the side-by-side figure, in
which the N shards compete for this machine's cores (and, on a shared machine, with everyone else's work).

Usage: python benchmarks/shard_speedup.py [--profile thorough] [--shards 1 2 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from drs_conformance.plugin.options import child_run_environment


def _command(*args: str) -> list[str]:
    return [sys.executable, "-m", "drs_conformance", *args]


def _shards(folder: Path, count: int, profile: str) -> tuple[float, list[float], list[float], list[Path]]:
    """Start the N shards at once; the wall time until the last ends, each one's own, each one's CPU time."""
    directories = [folder / f"n{count}-shard-{index}" for index in range(1, count + 1)]
    started = time.perf_counter()
    running = [
        subprocess.Popen(
            _command(
                "run",
                "--shard",
                f"{index}/{count}",
                "--report-dir",
                str(directory),
                "--",
                "-q",
                "--hypothesis-profile",
                profile,
            ),
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"n{count}-shard-{index}.err").open("wb"),  # a file: a pipe read at the end could fill
            env=child_run_environment(os.environ),  # the embedded sandbox, whatever DRS_* says
        )
        for index, directory in enumerate(directories, start=1)
    ]
    own: list[float] = [0.0] * count
    cpu: list[float] = [0.0] * count
    pending = {process.pid: place for place, process in enumerate(running)}
    while pending:
        pid, status, usage = os.wait4(-1, 0)  # the shard that ended, with its own CPU time
        if pid not in pending:
            continue
        place = pending.pop(pid)
        own[place] = time.perf_counter() - started
        cpu[place] = usage.ru_utime + usage.ru_stime
        code = os.waitstatus_to_exitcode(status)
        running[place].returncode = code  # reaped here: Popen must not wait for it again
        if code not in (0, 1):
            error = (folder / f"n{count}-shard-{place + 1}.err").read_text(errors="replace")
            raise SystemExit(f"shard {place + 1}/{count} failed (exit {code}): {error[-2000:]}")
    return time.perf_counter() - started, own, cpu, directories


def _merge(folder: Path, count: int, directories: list[Path]) -> dict[str, Any]:
    merged = folder / f"n{count}-merged"
    done = subprocess.run(
        _command("report", "merge", *map(str, directories), "--report-dir", str(merged)),
        capture_output=True,
        text=True,
        env=child_run_environment(os.environ),
        check=False,
    )
    if done.returncode not in (0, 1):
        raise SystemExit(f"the merge failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return json.loads((merged / "conformance.json").read_text(encoding="utf-8"))


def _judged(report: dict[str, Any]) -> tuple[str, dict[str, str], dict[str, str]]:
    return (
        report["summary"]["verdict"],
        {r["id"]: r["verdict"] for r in report["requirements"]},
        {t["nodeid"]: t["outcome"] for r in report["requirements"] for t in r["tests"]},
    )


def _test_seconds(directory: Path) -> float:
    record = json.loads((directory / "partition.json").read_text(encoding="utf-8"))
    return sum(float(outcome["duration_s"]) for outcome in record["outcomes"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="thorough")
    parser.add_argument("--shards", type=int, nargs="+", default=[1, 2, 4])
    args = parser.parse_args()
    before = os.getloadavg()
    print(f"machine: {os.cpu_count()} cores; load average before {before[0]:.2f} {before[1]:.2f} {before[2]:.2f}")
    reference: tuple[str, dict[str, str], dict[str, str]] | None = None
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        for count in args.shards:
            wall, own, cpu, directories = _shards(folder, count, args.profile)
            judged = _judged(_merge(folder, count, directories))
            reference = reference or judged
            seconds = [_test_seconds(directory) for directory in directories]
            shares = ", ".join(f"{part / sum(seconds):.0%}" for part in seconds)
            print(
                f"profile {args.profile}, {count} shard(s) side by side: wall {wall:.1f} s; each shard "
                f"{', '.join(f'{s:.1f}' for s in own)} s (CPU {', '.join(f'{c:.1f}' for c in cpu)} s); "
                f"share of the tests' time {shares}; "
                f"merged {judged[0]}; verdicts as 1 shard: {judged[1] == reference[1]}; "
                f"outcomes as 1 shard: {judged[2] == reference[2]} ({len(judged[2])} tests)"
            )
    after = os.getloadavg()
    print(f"load average after {after[0]:.2f} {after[1]:.2f} {after[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
