"""`drs-conformance`: run the suites, serve the sandbox, prove the kit, compare reports."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

# Each command imports what it needs inside its function: help, a bad flag and `report compare` answer without
# loading pytest, httpx, Starlette or the suites.
from drs_conformance import __version__
from drs_conformance.errors import ExitCode, KitError, UsageError
from drs_conformance.hints import did_you_mean
from drs_conformance.live import interruption
from drs_conformance.plugin.options import KitOptions, add_argparse_options, argparse_to_given, resolve_options
from drs_conformance.plugin.run_preset import RunPreset
from drs_conformance.transport.redaction import redact_known

__all__ = ["COMMANDS", "build_parser", "main", "run_suites"]

PROG = "drs-conformance"


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error as one line and exit code 2 (no usage dump)."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see: {self.prog} --help)")


def _examples(*lines: str) -> str:
    """An argparse epilog: 'examples:' and one command a line (kept as written by RawDescriptionHelpFormatter)."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


_HELP = argparse.RawDescriptionHelpFormatter

RUN_EXAMPLES = _examples(
    "drs-conformance run                                      # the embedded sandbox; reports in reports/",
    "drs-conformance run --requirement COUNT-EQUALS-RESULTS   # one requirement's tests; the verdict covers it only",
    "drs-conformance run --sandbox-defect count-wrong         # see a failure report (sandbox --list-defects)",
    "drs-conformance run --base-url https://drs.example.com --project-id P --control-api   # token in DRS_AUTH_TOKEN",
    "drs-conformance run --config ci.yaml --require-complete -- -n 2 --tb=long   # after --: pytest's own options",
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Contract and conformance test kit for DRS batch-pause-task.",
        formatter_class=_HELP,
        epilog=_examples(
            "drs-conformance run                 # the suites against the embedded sandbox",
            "drs-conformance requirements        # what is checked: id, level, the document's sentence",
            "drs-conformance run --help          # every option of a run",
        )
        + "\n\nexit codes: 0 conformant, 1 non-conformant, 2 usage, 3 target, 4 kit bug, 5 incomplete "
        "(--require-complete), 130/143 interrupted (README: Exit codes)",
    )
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = commands.add_parser(
        "run",
        help="run the conformance suites against a target (default: the embedded sandbox) and write reports",
        description="Run the conformance suites and write reports (junit.xml, allure-results/, conformance.json/"
        ".md/.html). Arguments after `--` go to pytest (e.g. -- -k concurrent -n auto --hypothesis-profile "
        "thorough; --tb=long or -v for pytest's own tracebacks and lines).",
        formatter_class=_HELP,
        epilog=RUN_EXAMPLES,
    )
    add_argparse_options(run)
    run.add_argument("pytest_args", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)

    requirements = commands.add_parser(
        "requirements",
        help="list the requirement catalogue: id, level and the document's sentence",
        description="List the requirements the suites judge, in catalogue order: id, level (MUST, SHOULD, EITHER), "
        "what is required and the document's sentence.",
        formatter_class=_HELP,
        epilog=_examples(
            "drs-conformance requirements",
            "drs-conformance requirements --level MUST",
            "drs-conformance requirements --json --tests > requirements.json",
        ),
    )
    _add_requirements_arguments(requirements)

    restore = commands.add_parser(
        "restore",
        help="put back every job a live run left paused (the journal's open entries for the target)",
        description="Resume every job the journal holds open for the target (and put back control-API records "
        "a run overwrote), waiting until each has left PAUSING; one line per job. Exit 0 when every job is back, "
        "1 when some are not. Touches no job outside the journal.",
        formatter_class=_HELP,
        epilog=_examples(
            "drs-conformance restore --base-url https://staging.example.com --inventory inventory.yaml",
            "drs-conformance restore --config ci.yaml      # the same options as the run it follows",
        ),
    )
    from drs_conformance.cli import restore as restore_module

    restore_module.add_arguments(restore)

    from drs_conformance.cli import sandbox as cli_sandbox

    sandbox = commands.add_parser(
        "sandbox",
        help="serve the reference sandbox on 127.0.0.1",
        description="Serve the kit's reference endpoint (the sandbox) under uvicorn.",
        formatter_class=_HELP,
        epilog=_examples(
            "drs-conformance sandbox --port 8080",
            "drs-conformance sandbox --defect count-wrong --variant duplicates=refuse",
            "drs-conformance sandbox --list-defects",
        ),
    )
    cli_sandbox.add_arguments(sandbox)

    selftest = commands.add_parser(
        "selftest",
        help="prove the suites: clean sandbox passes, every defect is caught",
        description="Run the suites against the clean sandbox and against every "
        "defect of the gallery; print each row as it ends, then the kill matrix.",
        formatter_class=_HELP,
        epilog=_examples(
            "drs-conformance selftest --defect count-wrong --no-variants   # one row",
            "drs-conformance selftest --jobs 2 --report-dir /tmp/matrix",
        ),
    )
    from drs_conformance.selftest import matrix as selftest_module

    selftest_module.add_arguments(selftest)

    report = commands.add_parser(
        "report",
        help="work with conformance.json reports",
        description="Work with conformance.json reports.",
        formatter_class=_HELP,
        epilog=_examples(
            "drs-conformance report compare baseline/conformance.json reports/conformance.json",
            "drs-conformance report merge shard-1 shard-2 --report-dir reports --require-complete",
        ),
    )
    report_commands = report.add_subparsers(dest="report_command", metavar="ACTION", parser_class=_Parser)
    compare = report_commands.add_parser(
        "compare",
        help="what regressed and what was fixed since a baseline (exit 1 on any regression)",
        description="Print what regressed and what was fixed since a baseline; exit 1 on any regression.",
        formatter_class=_HELP,
        epilog=_examples("drs-conformance report compare old/conformance.json new/conformance.json"),
    )
    compare.add_argument("old", type=Path, metavar="OLD.json")
    compare.add_argument("new", type=Path, metavar="NEW.json")
    merge = report_commands.add_parser(
        "merge",
        help="the report directories of a run's shards (--shard K/N) as one run's reports, fail-closed",
        description="Merge the report directories of every shard of one run (run --shard K/N) into one "
        "conformance.json/.md/.html, junit.xml and allure-results/. A shard missing, of another run, given twice "
        "or interrupted makes the verdict incomplete (or interrupted), never conformant (docs/sharding.md).",
        formatter_class=_HELP,
        epilog=_examples("drs-conformance report merge shard-*/ --report-dir reports --require-complete"),
    )
    from drs_conformance.cli import report_merge

    report_merge.add_arguments(merge)
    from drs_conformance.cli import bundle as bundle_cli

    bundle_actions = bundle_cli.add_report_actions(report_commands, _HELP)  # bundle, verify, show
    for sub in (parser, run, requirements, restore, sandbox, selftest, report, compare, merge, *bundle_actions):
        sub.set_defaults(help_parser=sub)  # the innermost command's parser: its help, its flags for hints
    return parser


def _add_requirements_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the catalogue as JSON")
    parser.add_argument(
        "--level",
        choices=("MUST", "SHOULD", "EITHER"),
        action="append",
        help="only requirements of this level (repeatable)",
    )
    parser.add_argument(
        "--tests",
        action="store_true",
        help="with each requirement the suite tests that carry it (collects the suites: a few seconds)",
    )


def _suites_dir() -> Path:
    import drs_conformance.suites as suites

    return Path(next(iter(suites.__path__)))


def _is_test_path(arg: str, suites: Path) -> bool:
    path = Path(arg.split("::", 1)[0])
    return not arg.startswith("-") and path.exists() and path.resolve().is_relative_to(suites.resolve())


def _locate(arg: str, suites: Path) -> str:
    """A test path or node id as printed in reports (relative to the suites) made absolute."""
    if arg.startswith("-"):
        return arg
    path, _, rest = arg.partition("::")
    for base in (Path.cwd(), suites, suites.parent):
        candidate = base / path
        if path and candidate.exists() and candidate.resolve().is_relative_to(suites.resolve()):
            return str(candidate.resolve()) + (f"::{rest}" if rest else "")
    return arg


def _pytest_exit_to_kit(code: int) -> int:
    """Map pytest's exit codes onto the kit's when the plugin wrote no verdict (no report was due)."""
    stopped = interruption.exit_code()
    if stopped is not None:
        return stopped
    mapping = {
        1: ExitCode.NON_CONFORMANT,
        2: ExitCode.INTERRUPTED,
        3: ExitCode.INTERNAL,
        4: ExitCode.USAGE,
        5: ExitCode.USAGE,
    }
    return int(mapping.get(code, ExitCode.INTERNAL))


def _with_workers(options: KitOptions, rtt: float) -> list[str]:
    """pytest-xdist arguments for as many workers as the round-trip time pays for (none for one); says so."""
    from drs_conformance.transport.concurrency import choose_workers, worker_args

    workers = choose_workers(rtt, cap=options.max_workers, rate_limit=options.rate_limit)
    chosen = worker_args(workers)
    if chosen:
        print(
            f"{PROG}: round trip {rtt * 1000:.0f} ms: {workers} workers in parallel (--max-workers caps them, "
            "-- -n N sets them)",
            file=sys.stderr,
            flush=True,
        )
    return chosen


def run_suites(options: KitOptions, pytest_args: Sequence[str] = ()) -> int:
    """Preflight an external target, then run the suites in this process; return the kit's exit code.

    SIGINT and SIGTERM stop it the kit's way from here on (the caller installs `interruption`): the
    run ends with reports marked interrupted and exit 130 / 143.
    """
    import pytest

    from drs_conformance.plugin.output_paths import check_outputs

    check_outputs(options)  # reports and journal writable: one line, exit 2, before any request
    deviations = None
    if options.known_deviations is not None:
        from drs_conformance.reporting import load_deviations

        deviations = load_deviations(options.known_deviations)  # a bad file: one line, exit 2, before anything runs
    from drs_conformance.transport.client import REQUESTS
    from drs_conformance.transport.concurrency import user_chose_workers

    REQUESTS.reset()  # the run's load on the target, from its preflight on
    args = list(pytest_args)
    if args and args[0] == "--":
        args = args[1:]
    rtt: float | None = None
    if not options.embedded:
        from drs_conformance.live.target import open_target, round_trip_time

        target = open_target(options)  # unreachable or refusing: a KitError with one line, before pytest
        try:
            if not user_chose_workers(args) and options.max_workers != 1:
                rtt = round_trip_time(target)
        finally:
            target.close()
    if options.keeps_journal:
        from drs_conformance.plugin.live_run import replay_journal

        replay_journal(options)  # what earlier runs left is put back first, or the run refuses (exit 2)
    suites = _suites_dir()
    args = [_locate(arg, suites) for arg in args]
    if not any(_is_test_path(arg, suites) for arg in args):
        args.append(str(suites))
    if rtt is not None:
        args = _with_workers(options, rtt) + args
    preset = RunPreset(options, deviations)  # registered as run_preset.PRESET_PLUGIN, read by the plugin
    # The CLI imported starlette (and so anyio, a pytest plugin) before pytest starts: not a problem.
    quiet = ["-W", "ignore:Module already imported so cannot be rewritten:pytest.PytestAssertRewriteWarning"]
    code = pytest.main(["-c", str(suites / "pytest.ini"), "--rootdir", str(suites), *quiet, *args], plugins=[preset])
    if preset.left_paused:  # jobs left paused on the target: the last line says which, and how to fix it
        print(f"{PROG}: {preset.left_paused}", file=sys.stderr, flush=True)
    if preset.fatal is not None:
        raise preset.fatal
    if preset.exit_code is not None:  # the plugin judged the run (the verdict decides, README "Exit codes")
        return preset.exit_code
    if interruption.stopped_by() is not None:
        print(f"{PROG}: interrupted before any test ran; no report was written", file=sys.stderr)
        return _pytest_exit_to_kit(int(code))
    if code == 5:
        raise UsageError("no test was selected: check the -k/-m expression or test names after --")
    if code == 2:
        raise KitError("the suites could not be collected (see the errors above); this is a bug of the kit")
    return _pytest_exit_to_kit(int(code))


def _command_run(args: argparse.Namespace) -> int:
    options = resolve_options(argparse_to_given(args))
    interruption.reset()
    interruption.install()  # before the preflight: a stop is a stop from the first request on
    try:
        return run_suites(options, args.pytest_args)
    finally:
        if interruption.stopped_by() is None:
            interruption.uninstall()
        else:  # stopped and done: a late Ctrl-C must not turn exit 130 / 143 into death by signal
            for signum in (signal.SIGINT, signal.SIGTERM):
                signal.signal(signum, signal.SIG_IGN)


def _command_sandbox(args: argparse.Namespace) -> int:
    from drs_conformance.cli import sandbox as cli_sandbox

    return int(cli_sandbox.run(args))


def _command_selftest(args: argparse.Namespace) -> int:
    from drs_conformance.selftest import matrix as selftest

    return int(selftest.run(args, entry=main))


def _command_restore(args: argparse.Namespace) -> int:
    from drs_conformance.cli import restore

    return int(restore.run(args))


def _command_report(args: argparse.Namespace) -> int:
    if args.report_command == "merge":
        from drs_conformance.cli import report_merge

        return report_merge.run(args)
    from drs_conformance.cli import bundle as bundle_cli

    if args.report_command in bundle_cli.ACTIONS:
        return bundle_cli.run_action(args)
    from drs_conformance.reporting import run_compare

    return int(run_compare(args.old, args.new, sys.stdout))


def _command_requirements(args: argparse.Namespace) -> int:
    from drs_conformance.cli.requirements import print_catalogue

    return print_catalogue(sys.stdout, as_json=args.json, levels=args.level, with_tests=args.tests)


# The handler of each subcommand (main dispatches through it; a test swaps one for a failing one).
COMMANDS: dict[str, Any] = {
    "run": _command_run,
    "requirements": _command_requirements,
    "sandbox": _command_sandbox,
    "selftest": _command_selftest,
    "restore": _command_restore,
    "report": _command_report,
}


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings]  # argparse has no public list


def _parse(parser: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    """Parse, naming the subcommand's help (and the flag meant) when an argument is not known."""
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        command: argparse.ArgumentParser = args.help_parser
        hint = did_you_mean(unknown[0], _flags(command)) if unknown[0].startswith("-") else ""
        raise UsageError(f"unrecognized arguments: {' '.join(unknown)}{hint} (see: {command.prog} --help)")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script: one line and a distinct exit code for every kit error."""
    # hypothesis keeps a cache (.hypothesis/) in the working directory: not in the user's directory.
    os.environ.setdefault(
        "HYPOTHESIS_STORAGE_DIRECTORY", os.path.join(tempfile.gettempdir(), "drs-conformance-hypothesis")
    )
    try:
        args = _parse(build_parser(), argv)
        if args.command is None or (args.command == "report" and args.report_command is None):
            args.help_parser.print_help()  # a bare command shows what it can do
            return int(ExitCode.CONFORMANT)
        return COMMANDS[args.command](args)
    except KitError as exc:
        print(f"{PROG}: error: {redact_known(str(exc))}", file=sys.stderr)
        return int(exc.exit_code)
    except KeyboardInterrupt:
        code = interruption.exit_code() or ExitCode.INTERRUPTED
        print(f"{PROG}: interrupted ({'SIGTERM' if code == ExitCode.TERMINATED else 'SIGINT'})", file=sys.stderr)
        return int(code)
    except Exception as exc:  # a bug of the kit: one line, the traceback only on request
        stopped = interruption.exit_code()
        if stopped is not None and not os.environ.get("DRS_DEBUG"):  # the stop cut something short: still a stop
            print(
                f"{PROG}: interrupted; while stopping: {type(exc).__name__}: {redact_known(str(exc))}", file=sys.stderr
            )
            return stopped
        if os.environ.get("DRS_DEBUG"):  # the traceback, redacted by value like every other output
            print(redact_known("".join(traceback.format_exception(exc)), traceback=True), file=sys.stderr, end="")
            return int(ExitCode.INTERNAL)
        print(
            f"{PROG}: internal error: {type(exc).__name__}: {redact_known(str(exc))} (set DRS_DEBUG=1 for the traceback; "
            "please report it)",
            file=sys.stderr,
        )
        return int(ExitCode.INTERNAL)


if __name__ == "__main__":
    sys.exit(main())
