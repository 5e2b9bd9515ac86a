"""The kill matrix: the clean sandbox (and each allowed choice) passes, every defect is caught by its rule."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drs_conformance.errors import ExitCode, UsageError
from drs_conformance.plugin.options import child_run_environment
from drs_conformance.selftest import faults as selftest_faults

if TYPE_CHECKING:  # multiprocessing only when the matrix runs: every command builds this parser
    from drs_conformance.selftest.runner import RowCommand, RowResult

# Every defect is run a second time with effects shown late: the kit must catch it all the same.
DELAYED = "effects=delayed"
DELAYED_LAG = 0.2

__all__ = [
    "FAULT_RATE",
    "FAULT_ROW",
    "Row",
    "add_arguments",
    "estimate_left",
    "matrix_markdown",
    "progress_line",
    "run",
]

FAULT_RATE = 0.03  # the share of requests the fault row's proxy resets, before forwarding
FAULT_ROW = "resets-3pct-basic-control-api"


@dataclass
class Row:
    """One run of the suites against one sandbox set-up, and what it found."""

    kind: str  # clean | variant | fault | defect
    name: str
    requirement: str | None  # the rule a defect breaks
    expected: str  # "pass", "unanswered, no requirement failed" or "fail on <REQ>"
    exit_code: int = -1
    failed: list[str] = field(default_factory=list)  # requirements with verdict fail
    seconds: float = 0.0
    cpu_seconds: float = 0.0  # of the run's own process (0 where it was not measured)
    error: str = ""
    tests_run: int = 0
    tests_collected: int = 0
    caught_by: str | None = None  # a defect run stopped after this test, which failed its requirement
    variant: str | None = None  # a defect row run under this variant too (effects=delayed)

    @property
    def ok(self) -> bool:
        """Clean and variant runs must pass; a fault run must charge no requirement and end unanswered (exit 3);
        a defect run must fail on the defect's requirement."""
        if self.kind == "defect":
            return self.exit_code == ExitCode.NON_CONFORMANT and self.requirement in self.failed
        if self.kind == "fault":
            return self.exit_code == ExitCode.TARGET and not self.failed
        return self.exit_code == ExitCode.CONFORMANT and not self.failed

    @property
    def collateral(self) -> list[str]:
        return [r for r in self.failed if r != self.requirement]

    @property
    def stopped_early(self) -> bool:
        """A defect run that stopped at its catch before the last test: its collateral is partial."""
        return self.caught_by is not None and self.tests_run < self.tests_collected


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--report-dir",
        type=Path,
        default=Path("reports"),
        metavar="DIR",
        help="where kill-matrix.md/.json and each run's reports go (default: reports)",
    )
    parser.add_argument(
        "--defect",
        action="append",
        default=None,
        metavar="NAME",
        help="only these defects (repeatable; default: the whole gallery)",
    )
    parser.add_argument("--no-variants", action="store_true", help="skip the runs of the allowed choices")
    parser.add_argument(
        "--no-delayed",
        action="store_true",
        help=f"skip the second run of each defect under {DELAYED} (effects shown {DELAYED_LAG:g} s late)",
    )
    parser.add_argument(
        "--no-faults",
        action="store_true",
        help="skip the run through connection resets (the basic control API behind the kit's fault proxy)",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=_usable_cpus(),
        metavar="N",
        help="runs at the same time (default: the number of CPUs this process may use)",
    )
    parser.add_argument(
        "--full-collateral",
        action="store_true",
        help="defect runs run every test too, to list every requirement a defect breaks "
        "(default: a defect run stops once its own requirement fails)",
    )
    parser.add_argument("--seed", type=int, default=0, metavar="N", help="seed of every run (default 0)")
    parser.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)


def _usable_cpus() -> int:
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # no sched_getaffinity on this platform
        return max(os.cpu_count() or 1, 1)


def _plan(args: argparse.Namespace) -> list[Row]:
    from drs_conformance.sandbox import list_defects, list_variants

    defects = {d.name: d for d in list_defects()}
    chosen = args.defect or list(defects)
    unknown = [name for name in chosen if name not in defects]
    if unknown:
        raise UsageError(f"unknown defect {unknown[0]!r}; see: drs-conformance sandbox --list-defects")
    rows = [Row("clean", "clean", None, "pass")]
    if not args.no_faults and selftest_faults.available():
        rows.append(Row("fault", FAULT_ROW, None, "unanswered, no requirement failed"))
    if not args.no_variants:
        for variant in list_variants():
            for option in variant.options:
                if option != variant.default:
                    rows.append(Row("variant", f"{variant.name}={option}", None, "pass"))
    for name in chosen:
        rows.append(Row("defect", name, defects[name].requirement, f"fail on {defects[name].requirement}"))
    if not args.no_delayed:  # a target that shows effects late must not hide a defect (docs/timing.md)
        for name in chosen:
            requirement = defects[name].requirement
            rows.append(Row("defect", f"{name}+{DELAYED}", requirement, f"fail on {requirement}", variant=DELAYED))
    return rows


def _report_dir(row: Row, base: Path) -> Path:
    return base / row.kind / row.name.replace("=", "-").replace("+", "--")


def row_command(row: Row, args: argparse.Namespace, base: Path, entry: Callable[[list[str]], int]) -> RowCommand:
    """The `drs-conformance run` of one row: strict, with the kill profile, writing what the matrix reads."""
    # Strict everywhere: the clean sandbox meets every SHOULD too, and SHOULD defects must be caught.
    argv = ["run", "--seed", str(args.seed), "--report-dir", str(_report_dir(row, base)), "--strict-conformance"]
    faults = None
    if row.kind == "fault":
        from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN

        faults = selftest_faults.FaultSetup(rate=FAULT_RATE, seed=args.seed)
        argv += ["--base-url", selftest_faults.BASE_URL, "--project-id", DEFAULT_PROJECT, "--auth-token"]
        argv += [DEFAULT_TOKEN, "--control-api", "--max-workers", "1"]
        argv += ["--journal", str(_report_dir(row, base) / "journal.jsonl")]  # never the user's own journal
    elif row.kind == "variant":
        argv += ["--sandbox-variant", row.name]
    elif row.kind == "defect":
        argv += ["--sandbox-defect", row.name.partition("+")[0]]
        if row.variant is not None:
            argv += ["--sandbox-variant", row.variant, "--sandbox-effect-lag", str(DELAYED_LAG)]
    extra = list(args.pytest_args or [])
    if extra and extra[0] == "--":
        extra = extra[1:]
    if not extra:  # the whole suites: a clean run that left a MUST/EITHER requirement not judged exits 5, not 0
        argv.append("--require-complete")
    if not any(arg.startswith("--hypothesis-profile") for arg in extra):
        extra = ["--hypothesis-profile", "kill", *extra]  # detection only: the quick profile, no shrinking
    # The matrix reads conformance.json only: no Allure results or JUnit file, unless asked for.
    if not any(arg.startswith("--alluredir") for arg in extra):
        extra = ["-p", "no:allure_pytest", *extra]
    if not any(arg.startswith("--junitxml") for arg in extra):
        extra = ["-p", "no:junitxml", *extra]
    extra = ["-p", "drs_conformance.selftest.stop", *extra]
    if row.kind == "defect" and not args.full_collateral:
        assert row.requirement is not None, f"defect {row.name} names no requirement"
        extra += ["--selftest-catch", row.requirement]
    argv += ["--", "-q", *extra]
    from drs_conformance.selftest.runner import RowCommand

    output = _report_dir(row, base) / "output.txt"
    return RowCommand(
        argv=tuple(argv), output=output, environ=child_run_environment(os.environ), entry=entry, faults=faults
    )


def record_result(row: Row, result: RowResult, base: Path) -> None:
    """Fill the row from the run's exit code and its conformance.json."""
    row.exit_code, row.seconds, row.cpu_seconds = result.exit_code, result.seconds, result.cpu_seconds
    row.tests_run, row.tests_collected, row.caught_by = result.ran, result.collected, result.caught_by
    report_dir = _report_dir(row, base)
    try:
        report = json.loads((report_dir / "conformance.json").read_text(encoding="utf-8"))
        row.failed = [r["id"] for r in report["requirements"] if r["verdict"] == "fail"]
    except (OSError, ValueError, KeyError) as exc:
        try:
            lines = (report_dir / "output.txt").read_text(encoding="utf-8", errors="replace").strip().splitlines()
        except OSError:
            lines = []
        row.error = f"no report ({type(exc).__name__}); last output: {lines[-1] if lines else '(none)'}"


def _schedule(rows: Sequence[Row]) -> list[int]:
    """Longest first: the rows that run every test, then the defect runs (which stop at their catch)."""
    return sorted(range(len(rows)), key=lambda index: rows[index].kind == "defect")


def _cpu_note(rows: Sequence[Row]) -> str:
    cpu = sum(row.cpu_seconds for row in rows)
    return f" (CPU time of the runs {cpu:.0f} s)" if cpu else ""


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 90 else f"{seconds / 60:.0f} min"


def estimate_left(done: Sequence[Row], left: Sequence[Row], jobs: int) -> tuple[float, str] | None:
    """How long the rows not finished may still take, `jobs` at a time: (seconds, "about" or "at most"), or None.

    A row counts the mean time of the finished rows of its kind: rows of every test, or defect rows (which stop
    at their catch, so never run longer than a row of every test: while none has ended, a defect row counts a
    row of every test, and the figure is an upper bound). Rows of every test none of which has ended: None.
    """
    full = [r.seconds for r in done if r.kind != "defect"]
    defect = [r.seconds for r in done if r.kind == "defect"]
    if any(r.kind != "defect" for r in left) and not full:
        return None
    total, bound = 0.0, False
    for row in left:
        if row.kind != "defect":
            total += sum(full) / len(full)
        elif defect:
            total += sum(defect) / len(defect)
        else:
            total, bound = total + sum(full) / len(full), True
    return total / max(1, jobs), "at most" if bound else "about"


def progress_line(row: Row, finished: int, count: int, left: tuple[float, str] | None) -> str:
    """'[ 3/14] ok     defect  count-wrong: caught by COUNT-EQUALS-RESULTS (4.1 s); about 2 min left'."""
    result = "ok" if row.ok else "MISSED" if row.kind == "defect" else "FAILED"
    if row.kind == "defect":
        what = (
            f"caught by {row.requirement}"
            if row.ok
            else f"expected to fail on {row.requirement}; failed: {', '.join(row.failed) or 'nothing'}"
        )
    else:
        what = "passed" if row.ok else f"exit {row.exit_code}; failed: {', '.join(row.failed) or row.error or '-'}"
    width = len(str(count))
    if finished >= count:
        rest = "all done"
    elif left is None:
        rest = "time left: known once a run of every test has ended"
    else:
        rest = f"{left[1]} {_duration(left[0])} left"
    return f"[{finished:>{width}}/{count}] {result:<6} {row.kind:<7} {row.name}: {what} ({row.seconds:.1f} s); {rest}"


def matrix_markdown(rows: Sequence[Row], total_seconds: float) -> str:
    killed = [r for r in rows if r.kind == "defect" and r.ok]
    defects = [r for r in rows if r.kind == "defect"]
    passing = [r for r in rows if r.kind != "defect" and r.ok]
    others = [r for r in rows if r.kind != "defect"]
    lines = [
        "# Kill matrix",
        "",
        (
            f"Clean sandbox{', runs through resets' if any(r.kind == 'fault' for r in rows) else ''} and allowed "
            f"choices passing: {len(passing)}/{len(others)}. "
            f"Defects caught by their own requirement: {len(killed)}/{len(defects)}. "
            f"Wall time {total_seconds:.0f} s{_cpu_note(rows)}."
        ),
        "",
    ]
    stopped = [r for r in rows if r.stopped_early]
    if stopped:
        runs = "1 defect run" if len(stopped) == 1 else f"{len(stopped)} defect runs"
        lines += [
            (
                f"{runs} stopped at the catch (the first test that failed the defect's requirement): "
                "their failed requirements list only what failed until then (`--full-collateral` runs "
                "every test)."
            ),
            "",
        ]
    lines += [
        "| run | kind | expected | result | failed requirements | tests | time |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        result = "ok" if row.ok else "**MISSED**" if row.kind == "defect" else "**FAILED**"
        failed = ", ".join(row.failed) or row.error or "-"
        tests = (
            f"{row.tests_run} of {row.tests_collected}, stopped at the catch"
            if row.stopped_early
            else str(row.tests_run)
        )
        lines.append(
            f"| `{row.name}` | {row.kind} | {row.expected} | {result} | {failed} | {tests} | {row.seconds:.1f} s |"
        )
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace, entry: Callable[[list[str]], int]) -> int:
    """Run every row (in parallel), print the matrix, write kill-matrix.md/.json; exit 0 only if all are ok.

    `entry` runs one row's command line (`drs_conformance.cli.program.main`, handed in by the CLI).
    """
    from drs_conformance.selftest.runner import run_commands

    if args.jobs < 1:
        raise UsageError(f"--jobs must be at least 1, got {args.jobs}")
    done = _plan(args)
    base = (args.report_dir / "selftest").resolve()
    order = _schedule(done)
    commands = [row_command(done[index], args, base, entry) for index in order]
    for command in commands:  # no stale report can pass for a run that wrote none
        command.output.parent.mkdir(parents=True, exist_ok=True)
        (command.output.parent / "conformance.json").unlink(missing_ok=True)
    started = time.monotonic()
    colour = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    kinds = {kind: sum(1 for row in done if row.kind == kind) for kind in ("clean", "variant", "fault", "defect")}
    defects = f"{kinds['defect']} defect{'s' if kinds['defect'] != 1 else ''}"
    faults = f"{kinds['fault']} through resets, " if kinds["fault"] else ""
    print(
        f"selftest: {len(done)} runs ({kinds['clean']} clean, {kinds['variant']} allowed choices, {faults}{defects}), "
        f"{args.jobs} at a time; each run's output: {base}/KIND/NAME/output.txt",
        flush=True,
    )
    finished: list[Row] = []
    for position, result in run_commands(commands, args.jobs):
        row = done[order[position]]
        record_result(row, result, base)
        finished.append(row)
        left = [r for r in done if r not in finished]
        line = progress_line(row, len(finished), len(done), estimate_left(finished, left, args.jobs))
        if colour:
            line = f"\x1b[{'32' if row.ok else '31;1'}m{line}\x1b[0m"
        print(line, flush=True)
    total = time.monotonic() - started
    text = matrix_markdown(done, total)
    args.report_dir.mkdir(parents=True, exist_ok=True)
    (args.report_dir / "kill-matrix.md").write_text(text, encoding="utf-8")
    data: dict[str, Any] = {
        "seconds": round(total, 1),
        "rows": [
            {**asdict(row), "ok": row.ok, "collateral": row.collateral, "collateral_complete": not row.stopped_early}
            for row in done
        ],
    }
    (args.report_dir / "kill-matrix.json").write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(text)
    print(f"written: {args.report_dir / 'kill-matrix.md'}, {args.report_dir / 'kill-matrix.json'}")
    return int(ExitCode.CONFORMANT if all(row.ok for row in done) else ExitCode.NON_CONFORMANT)
