"""The kill matrix: the clean sandbox (and each allowed choice) passes, every defect is caught by its rule."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Sequence

from drs_conformance.errors import ExitCode, UsageError
from drs_conformance.options import child_run_environment

__all__ = ["Row", "add_arguments", "run", "matrix_markdown"]


@dataclass
class Row:
    """One run of the suites against one sandbox set-up, and what it found."""

    kind: str  # clean | variant | defect
    name: str
    requirement: str | None  # the rule a defect breaks
    expected: str  # "pass" or "fail on <REQ>"
    exit_code: int = -1
    failed: list[str] = field(default_factory=list)  # requirements with verdict fail
    seconds: float = 0.0
    error: str = ""

    @property
    def ok(self) -> bool:
        """Clean and variant runs must pass; a defect run must fail on the defect's requirement."""
        if self.kind == "defect":
            return self.exit_code == ExitCode.NON_CONFORMANT and self.requirement in self.failed
        return self.exit_code == ExitCode.CONFORMANT and not self.failed

    @property
    def collateral(self) -> list[str]:
        return [r for r in self.failed if r != self.requirement]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR",
                        help="where kill-matrix.md/.json and each run's reports go (default: reports)")
    parser.add_argument("--defect", action="append", default=None, metavar="NAME",
                        help="only these defects (repeatable; default: the whole gallery)")
    parser.add_argument("--no-variants", action="store_true", help="skip the runs of the allowed choices")
    parser.add_argument("--jobs", type=int, default=max(os.cpu_count() or 1, 1), metavar="N",
                        help="runs at the same time (default: number of CPUs)")
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every run (default 0)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def _plan(args: argparse.Namespace) -> list[Row]:
    from drs_conformance.sandbox import list_defects, list_variants

    defects = {d.name: d for d in list_defects()}
    chosen = args.defect or list(defects)
    unknown = [name for name in chosen if name not in defects]
    if unknown:
        raise UsageError(f"unknown defect {unknown[0]!r}; see: drs-conformance sandbox --list-defects")
    rows = [Row("clean", "clean", None, "pass")]
    if not args.no_variants:
        for variant in list_variants():
            for option in variant.options:
                if option != variant.default:
                    rows.append(Row("variant", f"{variant.name}={option}", None, "pass"))
    for name in chosen:
        rows.append(Row("defect", name, defects[name].requirement, f"fail on {defects[name].requirement}"))
    return rows


def _execute(row: Row, args: argparse.Namespace, base: Path) -> Row:
    """Run the suites in a child process for one row and read its conformance.json."""
    report_dir = base / row.kind / row.name.replace("=", "-")
    # Strict everywhere: the clean sandbox meets every SHOULD too, and SHOULD defects must be caught.
    # Complete too: a clean run that left a MUST/EITHER requirement not judged exits 5, not 0.
    command = [sys.executable, "-m", "drs_conformance", "run", "--seed", str(args.seed),
               "--report-dir", str(report_dir), "--strict-conformance", "--require-complete"]
    if row.kind == "variant":
        command += ["--sandbox-variant", row.name]
    elif row.kind == "defect":
        command += ["--sandbox-defect", row.name]
    extra = list(args.pytest_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    if not any(arg.startswith("--hypothesis-profile") for arg in extra):
        extra = ["--hypothesis-profile", "kill", *extra]  # detection only: the quick profile, no shrinking
    command += ["--", "-q", *extra]
    started = time.monotonic()
    done = subprocess.run(command, capture_output=True, text=True, env=child_run_environment(os.environ))
    row.seconds = round(time.monotonic() - started, 1)
    row.exit_code = done.returncode
    try:
        report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
        row.failed = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
    except (OSError, ValueError, KeyError) as exc:
        lines = (done.stderr or done.stdout).strip().splitlines()
        row.error = f"no report ({type(exc).__name__}); last output: {lines[-1] if lines else '(none)'}"
    return row


def matrix_markdown(rows: Sequence[Row], total_seconds: float) -> str:
    killed = [r for r in rows if r.kind == "defect" and r.ok]
    defects = [r for r in rows if r.kind == "defect"]
    passing = [r for r in rows if r.kind != "defect" and r.ok]
    others = [r for r in rows if r.kind != "defect"]
    lines = [
        "# Kill matrix",
        "",
        f"Clean sandbox and allowed choices passing: {len(passing)}/{len(others)}. "
        f"Defects caught by their own requirement: {len(killed)}/{len(defects)}. "
        f"Wall time {total_seconds:.0f} s.",
        "",
        "| run | kind | expected | result | failed requirements | time |",
        "|---|---|---|---|---|---|",
    ]
    for row in rows:
        result = "ok" if row.ok else "**MISSED**" if row.kind == "defect" else "**FAILED**"
        failed = ", ".join(row.failed) or row.error or "-"
        lines.append(f"| `{row.name}` | {row.kind} | {row.expected} | {result} | {failed} | {row.seconds:.1f} s |")
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    """Run every row (in parallel), print the matrix, write kill-matrix.md/.json; exit 0 only if all are ok."""
    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    rows = _plan(args)
    base = args.report_dir / "selftest"
    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        done = list(pool.map(lambda row: _execute(row, args, base), rows))
    total = time.monotonic() - started
    text = matrix_markdown(done, total)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "kill-matrix.md").write_text(text, encoding="utf-8")
    data: dict[str, Any] = {
        "seconds": round(total, 1),
        "rows": [{**asdict(row), "ok": row.ok, "collateral": row.collateral} for row in done],
    }
    (args.report_dir / "kill-matrix.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(text)
    print(f"written: {args.report_dir / 'kill-matrix.md'}, {args.report_dir / 'kill-matrix.json'}")
    return int(ExitCode.CONFORMANT if all(row.ok for row in done) else ExitCode.NON_CONFORMANT)
