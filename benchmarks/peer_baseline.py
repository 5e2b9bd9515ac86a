"""The peer baseline: a plain `schemathesis run` of the spec beside the kit's suites, per defect; prints figures only.

    python benchmarks/peer_baseline.py [--defect NAME ...] [--jobs 2] [--examples 50] [--timeout 900] [--variants]
                                       [--tools schemathesis,kit] [--schemathesis-arg=--OPTION=VALUE ...]

For the clean sandbox and each defect of the gallery (or each `--defect`), two runs, each bounded by
`--timeout` and killed (with its process group) past it:

- schemathesis: a `drs-conformance sandbox --defect NAME --port 0` child on 127.0.0.1, then the plain CLI
  `schemathesis --config-file C run SPEC --url URL -H "X-Auth-Token: sandbox-token" --mode all
  --phases examples,coverage,fuzzing -n N --seed 42 --generation-database none`, all checks on, where
  C pins the path parameter `project_id` to the token's project (4.x has no CLI flag for it).
  Killed = a non-zero exit. `--schemathesis-arg` appends options to that command (the default run is
  plain: e.g. `--schemathesis-arg=--generation-with-security-parameters=false` is not).
- kit: `python -m drs_conformance run --sandbox-defect NAME --strict-conformance --report-dir DIR` (all
  suites, embedded sandbox). Killed = exit 1 and the defect's requirement has verdict `fail` in
  DIR/conformance.json.

A tool that fails the clean sandbox has no meaningful kill rate: the clean row says so. With
`--variants`, each allowed option of the sandbox's variants (choices the document leaves open) is run
too: a tool that fails one of them raises a false alarm. Times are the
wall time of each run (the schemathesis one includes starting its sandbox). Network: 127.0.0.1 only
(proxy variables are removed from the children's environment).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from drs_conformance.contract.spec import spec_path
from drs_conformance.errors import UsageError
from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN, list_defects, list_variants
from drs_conformance.sandbox.defects import get_defect
from drs_conformance.sandbox.variants import get_variant

CLEAN = "(clean)"
VARIANT = "variant "  # prefix of targets that are an allowed option: "variant result-order=shuffled"
_URL = re.compile(r"(http://127\.0\.0\.1:\d+)")
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


@dataclass
class Run:
    """One run of one tool against one sandbox."""

    tool: str
    target: str
    code: int | None = None  # None: timed out or did not start
    seconds: float = 0.0
    killed: bool = False
    detail: str = ""
    log: Path = Path("output.txt")  # replaced by each run's own file
    notes: list[str] = field(default_factory=list)


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _PROXY_VARIABLES}
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


def _run(argv: list[str], *, log: Path, cwd: Path, timeout: float) -> tuple[int | None, float]:
    """Run a child in its own process group, output to `log`; (exit code or None on timeout, seconds)."""
    started = time.perf_counter()
    with log.open("wb") as out:
        child = subprocess.Popen(
            argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=_environment(), start_new_session=True
        )
        try:
            code: int | None = child.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _stop(child)
            code = None
    return code, time.perf_counter() - started


def _stop(child: subprocess.Popen[bytes]) -> None:
    """End a child this script started, and its process group."""
    if child.poll() is not None:
        return
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=10)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)
        child.wait()


def _schemathesis_command() -> list[str]:
    beside = Path(sys.executable).with_name("schemathesis")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("schemathesis")
    if found is None:
        raise SystemExit("peer_baseline: the schemathesis CLI is not installed beside this Python or on PATH")
    return [found]


def schemathesis_command(url: str, *, examples: int, where: Path) -> list[str]:
    """The plain `schemathesis run` of the spec against url; writes its config file (project_id) into `where`."""
    config = where / "schemathesis.toml"
    config.write_text(f'[parameters]\n"path.project_id" = "{DEFAULT_PROJECT}"\n')
    return [
        *_schemathesis_command(),
        "--config-file",
        str(config),
        "run",
        str(spec_path()),
        "--url",
        url,
        "-H",
        f"X-Auth-Token: {DEFAULT_TOKEN}",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing",
        "-n",
        str(examples),
        "--seed",
        "42",
        "--generation-database",
        "none",
        "--no-color",
    ]


def _flags(target: str, *, prefix: str) -> list[str]:
    """The flags that make a sandbox the target: `--defect N` / `--variant V` (prefix "sandbox-" for `run`)."""
    if target == CLEAN:
        return []
    if target.startswith(VARIANT):
        return [f"--{prefix}variant", target.removeprefix(VARIANT)]
    return [f"--{prefix}defect", target]


def _allowed(target: str) -> bool:
    """The clean sandbox or an allowed variant: every tool must pass it."""
    return target == CLEAN or target.startswith(VARIANT)


def _folder(target: str) -> str:
    return target.strip("()").replace(" ", "-")


def _start_sandbox(target: str, log: Path, cwd: Path) -> tuple[subprocess.Popen[bytes], str]:
    argv = [
        sys.executable,
        "-m",
        "drs_conformance",
        "sandbox",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        *_flags(target, prefix=""),
    ]
    out = log.open("wb")
    child = subprocess.Popen(
        argv, stdout=out, stderr=subprocess.STDOUT, cwd=cwd, env=_environment(), start_new_session=True
    )
    out.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        match = _URL.search(log.read_text(errors="replace"))
        if match:
            return child, match.group(1)
        if child.poll() is not None:
            break
        time.sleep(0.05)
    _stop(child)
    raise RuntimeError(f"the sandbox did not start (see {log})")


def _failure_codes(output: str) -> str:
    """The `Failures:` block of schemathesis's summary as `ST105 Undocumented Content-Type x3, ...`."""
    lines = output.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == "Failures:")
    except StopIteration:
        return ""
    found = []
    for line in lines[start + 1 :]:
        if not line.strip():
            break
        text = re.sub(r"^\W+", "", line.strip())
        name, _, count = text.rpartition(":")
        found.append(f"{name.strip()} x{count.strip()}")
    return "; ".join(found)


def run_schemathesis(target: str, *, examples: int, extra: list[str], timeout: float, work: Path) -> Run:
    where = work / "schemathesis" / _folder(target)
    where.mkdir(parents=True, exist_ok=True)
    run = Run("schemathesis", target, log=where / "output.txt")
    started = time.perf_counter()
    try:
        sandbox, url = _start_sandbox(target, where / "sandbox.txt", where)
    except RuntimeError as exc:
        run.detail = str(exc)
        return run
    try:
        argv = [*schemathesis_command(url, examples=examples, where=where), *extra]
        remaining = max(1.0, timeout - (time.perf_counter() - started))
        run.code, _ = _run(argv, log=run.log, cwd=where, timeout=remaining)
    finally:
        _stop(sandbox)
    run.seconds = time.perf_counter() - started
    output = run.log.read_text(errors="replace")
    run.killed = run.code not in (0, None)
    run.detail = (
        "timeout" if run.code is None else (_failure_codes(output) or ("" if run.code == 0 else f"exit {run.code}"))
    )
    return run


def run_kit(target: str, *, timeout: float, work: Path) -> Run:
    where = work / "kit" / _folder(target)
    where.mkdir(parents=True, exist_ok=True)
    report_dir = where / "report"
    argv = [
        sys.executable,
        "-m",
        "drs_conformance",
        "run",
        *_flags(target, prefix="sandbox-"),
        "--strict-conformance",
        "--report-dir",
        str(report_dir),
    ]
    run = Run("kit", target, log=where / "output.txt")
    run.code, run.seconds = _run(argv, log=run.log, cwd=where, timeout=timeout)
    if run.code is None:
        run.detail = "timeout"
        return run
    try:
        report = json.loads((report_dir / "conformance.json").read_text())
    except (OSError, ValueError):
        run.detail = f"exit {run.code}, no conformance.json"
        return run
    verdicts = {entry["id"]: entry["verdict"] for entry in report["requirements"]}
    failing = sorted(rid for rid, verdict in verdicts.items() if verdict == "fail")
    if _allowed(target):
        run.detail = report["summary"]["verdict"] + (f" ({', '.join(failing)})" if failing else "")
        return run
    requirement = get_defect(target).requirement
    run.killed = run.code == 1 and verdicts.get(requirement) == "fail"
    others = [rid for rid in failing if rid != requirement]
    run.detail = f"{requirement}: {verdicts.get(requirement, '?')}" + (f"; also {', '.join(others)}" if others else "")
    return run


def _requirement(target: str) -> str:
    if target == CLEAN:
        return ""
    if target.startswith(VARIANT):
        return get_variant(target.removeprefix(VARIANT).partition("=")[0]).requirement or ""
    return get_defect(target).requirement


def _cell(target: str, run: Run | None) -> str:
    if run is None:
        return "-"
    if run.code is None:
        return "timeout"
    if _allowed(target):
        return "pass" if run.code == 0 else ("FAILS CLEAN" if target == CLEAN else "FALSE ALARM")
    return "killed" if run.killed else "survived"


def _row(cells: list[str], widths: list[int]) -> str:
    return "| " + " | ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=False)) + " |"


def print_table(targets: list[str], results: dict[tuple[str, str], Run]) -> None:
    """One row per target: each tool's outcome and time, and what it saw."""
    header = ["target", "requirement", "schemathesis", "s", "kit", "s", "schemathesis saw", "kit saw"]
    rows = []
    for target in targets:
        st, kit = results.get(("schemathesis", target)), results.get(("kit", target))
        rows.append(
            [
                target,
                _requirement(target),
                _cell(target, st),
                f"{st.seconds:.1f}" if st else "-",
                _cell(target, kit),
                f"{kit.seconds:.1f}" if kit else "-",
                st.detail[:70] if st else "",
                kit.detail[:70] if kit else "",
            ]
        )
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    print(_row(header, widths))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for cells in rows:
        print(_row(cells, widths))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Kill rates of a plain schemathesis run and of the kit, per defect.")
    parser.add_argument(
        "--defect", action="append", metavar="NAME", help="only this defect (repeatable; default: the whole gallery)"
    )
    parser.add_argument("--jobs", type=int, default=2, metavar="N", help="runs in parallel (default 2)")
    parser.add_argument("--examples", type=int, default=50, metavar="N", help="schemathesis -n (default 50)")
    parser.add_argument("--timeout", type=float, default=900.0, metavar="S", help="bound of each run (default 900)")
    parser.add_argument(
        "--variants",
        action="store_true",
        help="also run every allowed option of the sandbox's variants (a tool failing one raises a false alarm)",
    )
    parser.add_argument(
        "--tools",
        default="schemathesis,kit",
        metavar="LIST",
        help="which tools to run: schemathesis, kit or both (default schemathesis,kit)",
    )
    parser.add_argument(
        "--schemathesis-arg",
        action="append",
        default=[],
        metavar="ARG",
        help="one more argument for `schemathesis run` (repeatable; write --schemathesis-arg=--x=y)",
    )
    parser.add_argument(
        "--work-dir",
        type=Path,
        metavar="DIR",
        help="keep every run's output here (default: a temporary directory, removed at the end)",
    )
    args = parser.parse_args(argv)
    if args.jobs < 1 or args.examples < 1 or args.timeout <= 0:
        parser.error("--jobs and --examples must be at least 1, --timeout positive")
    tools = [tool.strip() for tool in args.tools.split(",") if tool.strip()]
    if not tools or any(tool not in ("schemathesis", "kit") for tool in tools):
        parser.error("--tools takes schemathesis, kit or schemathesis,kit")
    try:
        defects = [get_defect(name).name for name in args.defect] if args.defect else [d.name for d in list_defects()]
    except UsageError as exc:
        parser.error(str(exc))
    variants = [f"{VARIANT}{v.name}={o}" for v in list_variants() for o in v.options[1:]] if args.variants else []
    targets = [CLEAN, *variants, *defects]

    temporary = None if args.work_dir else tempfile.TemporaryDirectory(prefix="peer-baseline-")
    work = args.work_dir or Path(temporary.name)  # type: ignore[union-attr]
    work.mkdir(parents=True, exist_ok=True)
    extra = " ".join(args.schemathesis_arg)
    print(
        f"peer baseline: {len(defects)} defect(s) + clean{f' + {len(variants)} variant(s)' if variants else ''}; "
        f"schemathesis -n {args.examples} --seed 42{' ' + extra if extra else ''}; kit --strict-conformance; "
        f"{args.jobs} run(s) in parallel, timeout {args.timeout:g} s each",
        flush=True,
    )
    started = time.perf_counter()
    tasks = [(tool, target) for tool in tools for target in targets]
    results: dict[tuple[str, str], Run] = {}
    with ThreadPoolExecutor(max_workers=args.jobs) as pool:
        futures = {
            (tool, target): pool.submit(
                run_schemathesis,
                target,
                examples=args.examples,
                extra=args.schemathesis_arg,
                timeout=args.timeout,
                work=work,
            )
            if tool == "schemathesis"
            else pool.submit(run_kit, target, timeout=args.timeout, work=work)
            for tool, target in tasks
        }
        for key, future in futures.items():
            results[key] = future.result()
            run = results[key]
            print(
                f"  {run.tool:12} {run.target:32} exit {run.code!s:4} {run.seconds:6.1f} s", file=sys.stderr, flush=True
            )
    wall = time.perf_counter() - started

    print()
    print_table(targets, results)
    print()
    for tool in tools:
        clean = results[(tool, CLEAN)]
        killed = sum(results[(tool, d)].killed for d in defects)
        seconds = sum(results[(tool, t)].seconds for t in targets)
        note = "" if clean.code == 0 else "  (FAILS THE CLEAN SANDBOX: kill rate not meaningful)"
        alarms = [v.removeprefix(VARIANT) for v in variants if results[(tool, v)].code != 0]
        alarm_note = f", false alarms {len(alarms)}/{len(variants)}" if variants else ""
        print(
            f"{tool:12} kill rate {killed}/{len(defects)} ({100 * killed / max(len(defects), 1):.0f}%)"
            f"{alarm_note}, total {seconds:.0f} s over {len(targets)} runs{note}"
        )
        if alarms:
            print(f"{'':12} false alarms on: {', '.join(alarms)}")
    if len(tools) == 2:
        both = sum(results[("schemathesis", d)].killed and results[("kit", d)].killed for d in defects)
        only_st = [d for d in defects if results[("schemathesis", d)].killed and not results[("kit", d)].killed]
        print(f"killed by both: {both}; by schemathesis only: {', '.join(only_st) or 'none'}")
    print(f"wall time {wall:.0f} s")
    if args.work_dir:
        print(f"outputs: {work}")
    if temporary is not None:
        temporary.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
