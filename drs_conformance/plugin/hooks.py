"""The pytest plugin: its hooks (options, markers, collection, outcomes, signals, the end of the session).

Everything else is handed to modules named for their job: `fixtures` (the suites' fixtures), `xdist_handoff`
(what the controller and its workers exchange, the order of collection), `outcome_building` (a test's
`TestOutcome`), `reporting.deviations` (the known-deviation policy), `reporting.allure_support` (Allure labels and
attachments), `reporting.failure_section` (what pytest shows under a failure), `report_writing` (the verdict and the
report files), `run_preset` (what `drs-conformance run` hands over).
"""

from __future__ import annotations

import contextlib
import importlib.util
import shutil
import signal
import tempfile
import time
from collections.abc import Generator, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from drs_conformance import __version__
from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.settle import EFFECTS
from drs_conformance.errors import KitError
from drs_conformance.live import interruption
from drs_conformance.live.target import Target
from drs_conformance.plugin import xdist_handoff
from drs_conformance.plugin.console import GROUPED_ATTR, Console, is_judged_failure
from drs_conformance.plugin.fixtures import SESSION, TEST_LOG
from drs_conformance.plugin.live_run import LiveRun
from drs_conformance.plugin.options import OPTIONS, KitOptions, resolve_options
from drs_conformance.plugin.outcome_building import outcome_of
from drs_conformance.plugin.output_paths import check_outputs
from drs_conformance.plugin.profiles import DEFAULT_PROFILE, register_profiles
from drs_conformance.plugin.run_preset import preset_of
from drs_conformance.plugin.selection import Plan, requirements_of, selection_text
from drs_conformance.plugin.sharding import SHARES_JOB, Shard, ShardPlan, split_items
from drs_conformance.plugin.xdist_handoff import LONG_RUNNING
from drs_conformance.reporting.outcomes import TestOutcome
from drs_conformance.transport.client import REQUESTS

if TYPE_CHECKING:
    from drs_conformance.reporting.deviations import Deviations
    from drs_conformance.transport.redaction import Redactor

__all__ = ["LONG_RUNNING", "run_seed"]

# pytest's reports (tracebacks, captured output, messages) are redacted by value before anyone reads them; the
# suites' fixtures live in their own module.
pytest_plugins = ["drs_conformance.plugin.pytest_redaction", "drs_conformance.plugin.fixtures"]

_RUN = {"seed": 0}


def run_seed() -> int:
    """The run's --seed, for generators that seed themselves (schemathesis) at import time."""
    return _RUN["seed"]


register_profiles()  # before hypothesis reads --hypothesis-profile in its pytest_configure

_STATE = pytest.StashKey["DrsSession"]()
_LABELLED = pytest.StashKey[bool]()  # the test is labelled in Allure (once, by its first relevant report)
_OUTCOME_ATTR = "drs_outcome"
_CONSOLE = "drs-conformance-console"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("drs-conformance", "drs-conformance: target, credentials and reports")
    for option in OPTIONS:
        try:
            group.addoption(option.flag, **option.parser_kwargs(f"drs_{option.dest}"))
        except ValueError:
            # Another plugin (pytest-base-url) already owns --base-url: read its value instead.
            if option.flag != "--base-url":
                raise


def _given(config: pytest.Config) -> dict[str, Any]:
    given = {option.dest: config.getoption(f"drs_{option.dest}", default=None) for option in OPTIONS}
    if given.get("base_url") is None:
        given["base_url"] = config.getoption("base_url", default=None)
    return given


def _suite_roots() -> list[Path]:
    """Where the suites are, found without importing them (the selftest's fork server must not import them)."""
    spec = importlib.util.find_spec("drs_conformance.suites")
    assert spec is not None and spec.submodule_search_locations, "drs_conformance.suites is part of the package"
    return [Path(p).resolve() for p in spec.submodule_search_locations]


def _is_suite_run(config: pytest.Config) -> bool:
    """True when the command line points into the suites (decided before collection)."""
    roots = _suite_roots()
    for arg in config.args:
        path = Path(arg.split("::", 1)[0]).resolve()
        if any(path == root or root in path.parents or path in root.parents for root in roots):
            return True
    return False


class DrsSession:
    """Per-session state of the plugin: options, collected outcomes, the run's verdict."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.options: KitOptions | None = None
        self.error: KitError | None = None
        # `drs-conformance run` hands over options it already resolved and checked.
        self.preset = preset_of(config)
        try:
            from_controller = xdist_handoff.options_from_controller(config)
            if from_controller is not None:  # an xdist worker runs with exactly the controller's options
                self.options = from_controller
            elif self.preset is not None:
                self.options = self.preset.options
            else:
                self.options = resolve_options(_given(config))
        except KitError as exc:
            self.error = exc
        self.active = False
        self.suite_run = False  # the command line points into the suites (set by pytest_configure)
        self.outcomes: list[TestOutcome] = []
        self.plan: Plan | None = None  # what collection selected (on xdist: a worker's, handed over)
        # --shard: what this shard kept of the whole (on xdist: a worker's, handed over), and what it left
        self.shard_plan: ShardPlan | None = None
        self.shard_whole: tuple[int, str] | None = None  # the whole run's test count and digest
        self.shard_dropped: frozenset[str] = frozenset()  # node ids of the other shards
        self.deselected: list[pytest.Item] = []
        self.collected: int | None = None  # xdist controller: tests the workers collected
        self.stopped_early: str | None = None  # xdist controller: -x / --maxfail stopped the workers
        self.exit_code: int | None = None  # the kit's exit code, once the run is judged
        self.signals_installed = False  # this plugin routed SIGINT/SIGTERM (not the CLI, which does it itself)
        self._stopping = contextlib.ExitStack()  # the shield held from the first stop to the reports
        self.started = time.time()
        self.report: dict[str, Any] | None = None
        self.report_paths: dict[str, Path] = {}
        self.deviations: Deviations | None = self.preset.deviations if self.preset else None  # read by the CLI already
        self.target: Target | None = None
        self.redactor: Redactor | None = None
        self.live: LiveRun | None = None  # inventory and external control-API runs (journal, put-back)

    @property
    def strict(self) -> bool:
        return bool(self.options and self.options.strict_conformance)

    @property
    def is_worker(self) -> bool:
        return xdist_handoff.is_worker(self.config)

    def fatal(self, error: KitError) -> NoReturn:
        """Stop the whole run on a kit error (bad options, unreachable target) with its exit code."""
        if self.preset is not None:
            self.preset.fatal = error
        pytest.exit(str(error), returncode=int(error.exit_code))

    # Hooks of this session object (registered as a plugin in pytest_configure).

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: hand every worker the options resolved here (flags, environment, config file)."""
        if self.options is not None:
            xdist_handoff.hand_over_options(node, self.options)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        """Collect outcomes here: on the xdist controller they arrive from every worker."""
        data = getattr(report, _OUTCOME_ATTR, None)
        if data is not None:
            self.active = True
            self.outcomes.append(TestOutcome.from_dict(data))

    # What the run selected (the reasons of requirements it did not judge).

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        self.deselected.extend(items)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        selection = selection_text(session.config, _suite_roots(), self.options.requirements if self.options else ())
        shard = self.options.shard if self.options else None
        if shard is not None and self.shard_whole is not None:
            ours = Plan.of(
                session.items, [item for item in self.deselected if item.nodeid not in self.shard_dropped], selection
            )
            total, digest = self.shard_whole
            self.shard_plan = ShardPlan(
                shard=Shard(index=shard[0], count=shard[1]),
                nodeids=tuple(item.nodeid for item in session.items),
                total=total,
                tests_sha256=digest,
                plan=ours,
            )
            selection = ", ".join(part for part in (selection, f"--shard {shard[0]}/{shard[1]}") if part)
        self.plan = Plan.of(session.items, self.deselected, selection)
        if self.is_worker:
            xdist_handoff.hand_over_plan(session.config, self.plan)
            if self.shard_plan is not None:
                xdist_handoff.hand_over_shard_plan(session.config, self.shard_plan)

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collected = len(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: a worker finished; its plan says what the run selected, its requests add up."""
        self.plan = xdist_handoff.take_over_worker_output(node, self.plan)
        self.shard_plan = self.shard_plan or xdist_handoff.shard_plan_of(node)

    # Stopping: a signal is remembered, and the reports are written, marked interrupted.

    @pytest.hookimpl(tryfirst=True)
    def pytest_keyboard_interrupt(self, excinfo: pytest.ExceptionInfo[BaseException]) -> None:
        """The first stop: from here to the written reports a further signal waits (announced), once.

        Runs before pytest formats the interrupted test's traceback (a second Ctrl-C inside Python's
        parser crashed the kit with "SystemError: AST constructor recursion depth mismatch").
        """
        if not isinstance(excinfo.value, KeyboardInterrupt):
            return  # pytest.exit(): a kit error, not a stop
        if interruption.stopped_by() is None:
            if type(excinfo.value).__name__ == "Interrupted" and "keyboard-interrupt" not in str(excinfo.value):
                self.stopped_early = str(excinfo.value)  # xdist stopping after -x / --maxfail failures
                return
            interruption.note_stop(signal.SIGINT)  # a KeyboardInterrupt the kit's handler did not raise
        if self.active or self.suite_run:
            self._stopping.enter_context(interruption.shielded("stopping: putting jobs back and writing reports"))

    def _end_stopping(self) -> None:
        # A signal that waited while stopping: the run is stopping already, and its reports are written.
        with contextlib.suppress(KeyboardInterrupt):
            self._stopping.close()

    def _reports_due(self, exitstatus: int) -> bool:
        if self.is_worker or self.options is None or not (self.active or self.suite_run):
            return False
        if interruption.stopped_by() is not None:
            return True
        if self.shard_plan is not None and exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
            return True  # every selected test fell to other shards: this shard's (empty) part is still reported
        return exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED)

    @pytest.hookimpl(wrapper=True)
    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> Iterator[None]:
        """Judge the run before JUnit is written (it carries the verdict); write the reports after the session's
        teardown (which puts jobs back after a stop); exit by the verdict (README, "Exit codes")."""
        if interruption.stopped_by() is None:
            self._put_back()  # every test's teardown is done: put back first, so the verdict knows what is left
        if not self._reports_due(exitstatus):
            try:
                return (yield)
            finally:
                try:
                    self._put_back()
                finally:
                    self._end_stopping()
        # Loaded once reports are due, not at pytest's start: it loads reporting (allure, jsonschema, the HTML page).
        from drs_conformance.plugin.report_writing import add_junit_properties, write_run_reports

        self.report = self._build(session)
        add_junit_properties(session.config, self.report)
        try:
            return (yield)
        except KeyboardInterrupt:
            if interruption.stopped_by() is None:
                raise
            # Another signal cut the teardown short (the restore lists what it left, and how to put it back):
            # the run is stopping anyway; its reports are still written and it still exits 130 / 143.
            return None
        finally:
            try:
                if self._put_back():  # a stopped run tore its fixtures down just now (inside the yield)
                    self.report = self._build(session)
                assert self.options is not None and self.report is not None and self.redactor is not None
                self.report = write_run_reports(
                    session,
                    self.report,
                    self.options.report_dir,
                    self.redactor,
                    lambda: self._build(session),
                    self.report_paths,
                )
                self._write_partition(session)
                if self.options.bundle is not None:  # after junit.xml and the reports: the bundle holds them
                    from drs_conformance.evidence.bundle import write_run_bundle

                    write_run_bundle(self.options)
            finally:
                self.exit_code = int(self.report["summary"]["exit_code"])
                session.exitstatus = self.exit_code
                if self.preset is not None:
                    self.preset.exit_code = self.exit_code
                self._end_stopping()

    def _put_back(self) -> bool:
        """Put back what a live run still holds (once, after every fixture's teardown); True if it ran now."""
        if self.live is None or self.live.finished:
            return False
        self.live.finish_session()
        return True

    def _write_partition(self, session: pytest.Session) -> None:
        """--shard: partition.json beside the reports, for `report merge`."""
        if self.shard_plan is None or self.options is None or self.report is None or self.redactor is None:
            return
        from drs_conformance.plugin.report_writing import write_shard_partition  # loaded by _build already

        self.report_paths["partition"] = write_shard_partition(
            self.report,
            options=self.options,
            shard_plan=self.shard_plan,
            outcomes=self.outcomes,
            stopped_early=str(session.shouldfail) if session.shouldfail else self.stopped_early,
            redactor=self.redactor,
        )

    def _build(self, session: pytest.Session) -> dict[str, Any]:
        """The conformance.json document of the run so far (and the redactor the reports are written through)."""
        from drs_conformance.plugin.report_writing import build_run_report, run_scope  # loads reporting: see above

        assert self.options is not None
        partial = self.shard_plan.partial_reason if self.shard_plan is not None else None
        scope = run_scope(
            session,
            options=self.options,
            plan=self.plan,
            collected=self.collected,
            stopped_early=self.stopped_early,
            partial=(partial,) if partial else (),
        )
        report, self.redactor = build_run_report(
            session,
            options=self.options,
            target=self.target,
            live=self.live,
            outcomes=self.outcomes,
            deviations=self.deviations,
            scope=scope,
            started=self.started,
        )
        return report

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The verdict, each kind of failure once, what was not judged, and the report files, at the end."""
        if self.report is None or not self.report_paths:
            return
        from drs_conformance.plugin.report_writing import report_locations  # loads reporting: see pytest_sessionfinish
        from drs_conformance.reporting import styled_summary_lines  # loaded by report_writing already

        terminalreporter.section("drs-conformance")
        paths = report_locations(self.config, self.report_paths)
        for line, markup in styled_summary_lines(self.report, paths, redactor=self.redactor):
            terminalreporter.write_line(line, **markup)
        console = self.config.pluginmanager.get_plugin(_CONSOLE)
        if console is not None and console.hidden:
            terminalreporter.write_line(
                f"({console.hidden} failures are shown above by kind, each test in "
                "conformance.html; pytest's own tracebacks: add -- --tb=long, or -v)"
            )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(id): the catalogue requirement this test checks (drs_conformance/contract/requirements.yaml)",
    )
    config.addinivalue_line(
        "markers",
        f"{LONG_RUNNING}(requests=N): the test sends about N requests one after another (a state machine, a "
        "schemathesis operation, at the quick profile); under pytest-xdist such tests are handed out first, most first",
    )
    config.addinivalue_line(
        "markers",
        f"{SHARES_JOB}(name): the test uses a fixed job every run shares (the document's example id); under "
        "--shard, every test of one name runs in one shard (the job's lock does not cross machines)",
    )
    state = DrsSession(config)
    config.stash[_STATE] = state
    config.stash[SESSION] = state  # what the fixtures read of it
    config.pluginmanager.register(state, "drs-conformance-session")
    if not _is_suite_run(config) or state.options is None:
        return
    state.suite_run = True
    EFFECTS.reset(window=state.options.settle_timeout)  # every process of the run (xdist workers too)
    if not state.is_worker:
        _share_rate_limit(state, config)
        if state.preset is None:
            REQUESTS.reset()  # `drs-conformance run` resets it itself, before its preflight
    _route_signals(state)
    try:
        check_outputs(state.options)  # before junit and allure open their files (not an INTERNALERROR)
    except KitError as exc:
        state.error = exc
        return
    if state.options.keeps_journal:
        state.live = LiveRun(config, state.options, state.fatal)
        config.pluginmanager.register(state.live, "drs-conformance-live-run")  # after the session: runs first
    _load_deviations(state)
    options = state.options
    report_dir = options.report_dir
    if getattr(config.option, "xmlpath", None) is None and not state.is_worker:
        config.option.xmlpath = str(report_dir / "junit.xml")
    allure_on = config.pluginmanager.has_plugin("allure_pytest")  # off with -p no:allure_pytest (the kill matrix)
    if allure_on and getattr(config.option, "allure_report_dir", None) is None:
        config.option.allure_report_dir = str(report_dir / "allure-results")
        config.option.clean_alluredir = True
    if getattr(config.option, "hypothesis_profile", None) is None:
        config.option.hypothesis_profile = DEFAULT_PROFILE
    if getattr(config.option, "hypothesis_seed", None) is None:
        config.option.hypothesis_seed = str(options.seed)
    _RUN["seed"] = options.seed


def _share_rate_limit(state: DrsSession, config: pytest.Config) -> None:
    """--rate-limit holds for the whole run: every process of it (xdist workers) takes its slots from one file."""
    options = state.options
    if options is None or not options.rate_limit or options.rate_limit_file is not None:
        return
    folder = Path(tempfile.mkdtemp(prefix="drs-conformance-rate-"))
    state.options = replace(options, rate_limit_file=folder / "next-slot")
    config.add_cleanup(lambda: shutil.rmtree(folder, ignore_errors=True))


def _route_signals(state: DrsSession) -> None:
    """SIGINT and SIGTERM stop the run the kit's way (xdist workers too: they put back their jobs).

    `drs-conformance run` does it itself, before its preflight; `pytest suites/` does it here.
    """
    if state.preset is None and not state.signals_installed:
        interruption.reset()
        interruption.install()
        state.signals_installed = True


def pytest_unconfigure(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None and state.signals_installed:
        interruption.uninstall()
        state.signals_installed = False


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    """xdist worker, after the session's teardown (its last deletions): hand the controller its request count."""
    xdist_handoff.hand_over_requests(session.config)


def pytest_sessionstart(session: pytest.Session) -> None:
    """A suite run's controller removes the previous run's conformance reports: a stopped run never leaves them.

    It also takes over the progress output (the terminal reporter exists from here on).
    """
    state = session.config.stash[_STATE]
    if state.suite_run and not state.is_worker and not session.config.pluginmanager.has_plugin(_CONSOLE):
        session.config.pluginmanager.register(Console(session.config), _CONSOLE)
    if state.suite_run and not state.is_worker and state.options is not None:
        from drs_conformance.plugin.report_writing import remove_previous_reports  # loads reporting: a suite run's only

        remove_previous_reports(state.options.report_dir)
        from drs_conformance.evidence.run_evidence import start_evidence

        start_evidence(state.options)  # the run's exchanges, catalogue, document and deviations: for its bundle


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[_STATE]
    marked = [item for item in items if item.get_closest_marker("requirement")]
    if not marked:
        return
    if state.is_worker:  # every worker collects in this order, and xdist hands tests out in it
        items[:] = xdist_handoff.long_ones_apart(items)
    state.active = True
    _route_signals(state)
    if state.error is not None:
        raise pytest.UsageError(str(state.error))
    known = catalogue()
    for item in marked:
        for marker in item.iter_markers("requirement"):
            for requirement in marker.args:
                if requirement not in known:
                    raise pytest.UsageError(f"{item.nodeid}: unknown requirement id {requirement!r}")
    if state.options is not None and state.options.requirements:
        _keep_chosen(config, items, set(state.options.requirements))
    if state.options is not None and state.options.shard is not None:
        _keep_shard(config, items, state)


def _keep_shard(config: pytest.Config, items: list[pytest.Item], state: DrsSession) -> None:
    """--shard K/N: keep this shard's tests of those selected so far (the same split on every machine)."""
    assert state.options is not None and state.options.shard is not None
    index, count = state.options.shard
    profile = str(config.getoption("hypothesis_profile", default=None) or DEFAULT_PROFILE)
    kept, dropped, digest = split_items(items, Shard(index=index, count=count), profile=profile)
    state.shard_whole = (len(items), digest)
    state.shard_dropped = frozenset(item.nodeid for item in dropped)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _keep_chosen(config: pytest.Config, items: list[pytest.Item], chosen: set[str]) -> None:
    """--requirement: keep the tests whose requirement markers name a chosen requirement, deselect the rest.

    A test of a common check's requirement (NO-5XX, RESPONSE-SCHEMA, ...) is one that names it; every other
    selected test judges those checks on its answers too.
    """
    kept = [item for item in items if chosen & set(requirements_of(item))]
    dropped = [item for item in items if not chosen & set(requirements_of(item))]
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def _load_deviations(state: DrsSession) -> None:
    """Read --known-deviations once per process (the controller needs them for the report too)."""
    assert state.options is not None
    if state.options.known_deviations is None or state.deviations is not None:
        return
    from drs_conformance.reporting import load_deviations  # loads reporting: only a run with deviations

    try:
        state.deviations = load_deviations(state.options.known_deviations)
    except KitError as exc:
        state.error = exc


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report: pytest.TestReport = yield
    requirements = requirements_of(item)
    if not requirements:
        return report
    relevant = (
        report.when == "call"
        or (report.when == "setup" and not report.passed)
        or (report.when == "teardown" and report.failed)
    )
    if not relevant:
        return report
    # Loaded at the first suite test's report, not at pytest's start: reporting loads allure, jsonschema, the HTML page.
    from drs_conformance.reporting import (
        apply_deviations,
        attach_exchanges,
        expected_failure_reason,
        failure_section,
        label_test,
        test_verdict,
    )

    state = item.config.stash[_STATE]
    log = item.stash.get(TEST_LOG, None)
    outcome = outcome_of(item, report, call, log=log, options=state.options, target=state.target)
    if state.deviations is not None:
        outcome = apply_deviations(outcome, state.deviations, requirements)
        if outcome.outcome == "xfailed":
            report.outcome = "skipped"
            report.wasxfail = expected_failure_reason(outcome)
    if outcome.outcome in ("failed", "error", "unanswered") and is_judged_failure(
        call.excinfo.value if call.excinfo else None
    ):
        setattr(report, GROUPED_ATTR, True)  # the summary shows it grouped; pytest's traceback is left out
    redactor = state.target.redactor if state.target else None
    if outcome.outcome in ("failed", "error"):
        if test_verdict(outcome, strict=state.strict) == "warn":
            report.outcome = "skipped"
            report.wasxfail = f"WARN {outcome.failed_requirement} (SHOULD): {outcome.message.splitlines()[0]}"
        report.sections.append(("drs-conformance", failure_section(outcome, redactor)))
    elif outcome.outcome == "unanswered":
        report.sections.append(("drs-conformance", failure_section(outcome, redactor)))
    if not item.stash.get(_LABELLED, False):
        item.stash[_LABELLED] = True
        label_test(item, outcome, link_base=state.options.report_url if state.options else None)
    setattr(report, _OUTCOME_ATTR, outcome.to_dict())
    if report.when == "call" and log is not None and len(log):
        # The test's traffic in its Allure result: all of it for a failure, the last exchange otherwise.
        exchanges = list(log)
        attach_exchanges(exchanges if report.failed else exchanges[-1:], redactor)
    return report


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash[_STATE]
    if state.options is None or not _is_suite_run(config):
        return None
    options = state.options
    where = options.base_url or "embedded sandbox"
    return [
        (
            f"drs-conformance {__version__}: target {where} ({options.mode}), seed {options.seed}, "
            f"strict {'on' if options.strict_conformance else 'off'}"
        )
    ]
