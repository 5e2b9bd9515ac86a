"""pytest-xdist on the conformance suites: wall time serial vs `-n N`, and whether the results are identical.

Prints figures only. Both runs use the embedded sandbox, the same seed and profile (thorough by default).
"Identical" compares, per test, the outcome, and per requirement, the verdict, from conformance.json.

Usage: python benchmarks/xdist_speedup.py [--profile thorough] [--workers 2]
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


def _run(report: Path, profile: str, extra: list[str]) -> tuple[float, dict[str, Any]]:
    started = time.perf_counter()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "drs_conformance",
            "run",
            "--report-dir",
            str(report),
            "--",
            "-q",
            "--hypothesis-profile",
            profile,
            *extra,
        ],
        capture_output=True,
        text=True,
        env=child_run_environment(os.environ),
        check=False,
    )  # the embedded sandbox, whatever DRS_* says
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the run failed (exit {done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return seconds, json.loads((report / "conformance.json").read_text())


def _outcomes(report: dict[str, Any]) -> tuple[set[tuple[str, str]], dict[str, str]]:
    tests = {(t["nodeid"], t["outcome"]) for r in report["requirements"] for t in r["tests"]}
    return tests, {r["id"]: r["verdict"] for r in report["requirements"]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="thorough")
    parser.add_argument("--workers", default="2")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        serial_s, serial = _run(Path(folder) / "serial", args.profile, [])
        parallel_s, parallel = _run(Path(folder) / "parallel", args.profile, ["-n", args.workers])
    serial_tests, serial_verdicts = _outcomes(serial)
    parallel_tests, parallel_verdicts = _outcomes(parallel)
    print(
        f"profile {args.profile}: serial {serial_s:.1f} s, -n {args.workers} {parallel_s:.1f} s, "
        f"speed-up {serial_s / parallel_s:.2f}x"
    )
    print(
        f"tests: {len(serial_tests)} serial, {len(parallel_tests)} parallel; identical outcomes: "
        f"{serial_tests == parallel_tests}; identical verdicts: {serial_verdicts == parallel_verdicts}"
    )
    for nodeid, outcome in sorted(serial_tests ^ parallel_tests)[:20]:
        print(f"  differs: {nodeid} {outcome}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
