"""The pytest plugin: target options, fixtures, requirement markers, outcomes and reports."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any, Iterator, NoReturn

import pytest

from drs_conformance import __version__, interruption
from drs_conformance.attribution import attribute, no_answer_message, no_answers, reproduce_command
from drs_conformance.catalogue import catalogue
from drs_conformance.client import REQUESTS, DrsClient, ExchangeLog
from drs_conformance.console import GROUPED_ATTR, is_judged_failure
from drs_conformance.errors import KitError
from drs_conformance.jobs import Jobs
from drs_conformance.options import OPTIONS, KitOptions, resolve_options
from drs_conformance.outcomes import TestOutcome
from drs_conformance.profiles import DEFAULT_PROFILE, register_profiles
from drs_conformance.selection import COMMON_CHECKS, Plan, requirements_of, selection_text
from drs_conformance.spec import contract
from drs_conformance.target import Target, open_target

__all__ = ["run_seed"]

# pytest's reports (tracebacks, captured output, messages) are redacted by value before anyone reads them.
pytest_plugins = ["drs_conformance.pytest_redaction"]

_RUN = {"seed": 0}


def run_seed() -> int:
    """The run's --seed, for generators that seed themselves (schemathesis) at import time."""
    return _RUN["seed"]

register_profiles()  # before hypothesis reads --hypothesis-profile in its pytest_configure

_STATE = pytest.StashKey["DrsSession"]()
_LOG = pytest.StashKey[ExchangeLog]()
_WORKER_OPTIONS = "drs_conformance_options"
_WORKER_PLAN = "drs_conformance_plan"
_WORKER_REQUESTS = "drs_conformance_requests"
LONG_RUNNING = "long_running"
_LABELLED = pytest.StashKey[bool]()
_OUTCOME_ATTR = "drs_outcome"
_CONSOLE = "drs-conformance-console"
_MAX_MESSAGE = 2000


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
    import drs_conformance.suites as suites

    return [Path(p).resolve() for p in suites.__path__]


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
        self.preset = next(
            (p for p in config.pluginmanager.get_plugins() if hasattr(p, "drs_preset_options")), None
        )
        from_controller = getattr(config, "workerinput", {}).get(_WORKER_OPTIONS)
        try:
            if from_controller is not None:  # an xdist worker runs with exactly the controller's options
                self.options = KitOptions.from_dict(from_controller)
            elif self.preset is not None:
                self.options = self.preset.drs_preset_options
            else:
                self.options = resolve_options(_given(config))
        except KitError as exc:
            self.error = exc
        self.active = False
        self.suite_run = False  # the command line points into the suites (set by pytest_configure)
        self.outcomes: list[TestOutcome] = []
        self.plan: Plan | None = None  # what collection selected (on xdist: a worker's, handed over)
        self.deselected: list[pytest.Item] = []
        self.collected: int | None = None  # xdist controller: tests the workers collected
        self.stopped_early: str | None = None  # xdist controller: -x / --maxfail stopped the workers
        self.exit_code: int | None = None  # the kit's exit code, once the run is judged
        self.signals_installed = False  # this plugin routed SIGINT/SIGTERM (not the CLI, which does it itself)
        self._stopping = contextlib.ExitStack()  # the shield held from the first stop to the reports
        self.started = time.time()
        self.report: dict[str, Any] | None = None
        self.report_paths: dict[str, Path] = {}
        self.deviations: Any = getattr(self.preset, "drs_preset_deviations", None)  # read by the CLI already
        self.target: Target | None = None
        self.redactor: Any = None
        self.live: Any = None  # a LiveRun for inventory and external control-API runs (journal, put-back)

    @property
    def strict(self) -> bool:
        return bool(self.options and self.options.strict_conformance)

    @property
    def is_worker(self) -> bool:
        return hasattr(self.config, "workerinput")

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
            node.workerinput[_WORKER_OPTIONS] = self.options.to_dict()

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
        self.plan = Plan.of(session.items, self.deselected, selection)
        if self.is_worker:
            session.config.workeroutput[_WORKER_PLAN] = self.plan.to_dict()  # type: ignore[attr-defined]

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        self.collected = len(ids)

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """xdist controller: a worker finished; its plan says what the run selected."""
        output = getattr(node, "workeroutput", None) or {}
        if self.plan is None and _WORKER_PLAN in output:
            self.plan = Plan.from_dict(output[_WORKER_PLAN])
        REQUESTS.merge(output.get(_WORKER_REQUESTS) or {})  # the run's load is the sum of its processes'

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
        try:
            self._stopping.close()
        except KeyboardInterrupt:
            pass  # a signal that waited while stopping: the run is stopping already, and its reports are written

    def _reports_due(self, exitstatus: int) -> bool:
        if self.is_worker or self.options is None or not (self.active or self.suite_run):
            return False
        if interruption.stopped_by() is not None:
            return True
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
        self.report = self._build(session)
        _add_junit_properties(session.config, self.report)
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
                self._write(session)
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

    def _scope(self, session: pytest.Session) -> Any:
        from drs_conformance.reporting import RunScope

        plan = self.plan
        return RunScope(
            selected=None if plan is None else plan.selected,
            deselected={} if plan is None else plan.deselected,
            selection="" if plan is None else plan.selection,
            traffic_checks=frozenset(COMMON_CHECKS),
            collected=self.collected if plan is None else plan.collected,
            collect_only=bool(session.config.option.collectonly),
            stopped_by=interruption.stopped_by(),
            stopped_early=str(session.shouldfail) if session.shouldfail else self.stopped_early,
            chosen=frozenset(self.options.requirements) if self.options else frozenset(),
        )

    def _write(self, session: pytest.Session) -> None:
        """Write the reports, shielded; a stop that arrives meanwhile rewrites them marked interrupted."""
        from drs_conformance.reporting import write_environment, write_reports

        assert self.options is not None and self.report is not None
        while True:
            written = False
            try:
                with interruption.shielded("writing reports"):
                    self.report_paths = write_reports(self.report, self.options.report_dir, self.redactor)
                    allure_dir = getattr(session.config.option, "allure_report_dir", None)
                    if allure_dir:
                        write_environment(allure_dir, self.report, self.redactor)
                    written = True
            except KeyboardInterrupt:
                if not written:
                    print("drs-conformance: reports not written: a second signal abandoned them", file=sys.stderr)
                    raise
            if self.report["summary"]["interruption"] is not None or interruption.stopped_by() is None:
                return
            self.report = self._build(session)  # stopped while writing: the run was interrupted after all

    def _build(self, session: pytest.Session) -> dict[str, Any]:
        """The conformance.json document of the run so far."""
        from drs_conformance.redaction import Redactor
        from drs_conformance.reporting import RunInfo, build_report

        assert self.options is not None
        options = self.options
        redactor = self.target.redactor if self.target else Redactor(options.secrets)
        self.redactor = redactor
        info = RunInfo(
            base_url=self.target.base_url if self.target else (options.base_url or "embedded sandbox"),
            mode=options.mode,
            project_id=self.target.project_id if self.target else _project_of(options),
            kit_version=__version__,
            spec_version=contract().version,
            seed=options.seed,
            hypothesis_profile=str(session.config.getoption("hypothesis_profile", default=None) or DEFAULT_PROFILE),
            strict=options.strict_conformance,
            require_complete=options.require_complete,
            options=options.public(),
            live_jobs=self.live.report_data() if self.live is not None else None,
            requests=REQUESTS.snapshot(),
            started_at=self.started,
            finished_at=time.time(),
        )
        return build_report(info, self.outcomes, catalogue(), self.deviations, strict=self.strict,
                            redactor=redactor, scope=self._scope(session))

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The verdict, each kind of failure once, what was not judged, and the report files, at the end."""
        if self.report is None or not self.report_paths:
            return
        from drs_conformance.reporting import styled_summary_lines

        terminalreporter.section("drs-conformance")
        from _pytest.junitxml import xml_key  # what pytest's junitxml plugin writes through (absent: -p no:junitxml)

        paths: dict[str, Any] = {}
        if self.config.stash.get(xml_key, None) is not None:
            paths["junit"] = Path(self.config.option.xmlpath)
        if self.config.pluginmanager.has_plugin("allure_pytest") and getattr(self.config.option, "allure_report_dir",
                                                                             None):
            paths["allure"] = Path(self.config.option.allure_report_dir)
        paths.update(self.report_paths)
        for line, markup in styled_summary_lines(self.report, paths, redactor=self.redactor):
            terminalreporter.write_line(line, **markup)
        console = self.config.pluginmanager.get_plugin(_CONSOLE)
        if console is not None and console.hidden:
            terminalreporter.write_line(f"({console.hidden} failures are shown above by kind, each test in "
                                        "conformance.html; pytest's own tracebacks: add -- --tb=long, or -v)")


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "requirement(id): the catalogue requirement this test checks (drs_conformance/requirements.yaml)",
    )
    config.addinivalue_line(
        "markers",
        f"{LONG_RUNNING}(requests=N): the test sends about N requests one after another (a state machine, a "
        "schemathesis operation, at the quick profile); under pytest-xdist such tests are handed out first, most first",
    )
    state = DrsSession(config)
    config.stash[_STATE] = state
    config.pluginmanager.register(state, "drs-conformance-session")
    if not _is_suite_run(config) or state.options is None:
        return
    state.suite_run = True
    if not state.is_worker:
        _share_rate_limit(state, config)
        if state.preset is None:
            REQUESTS.reset()  # `drs-conformance run` resets it itself, before its preflight
    _route_signals(state)
    try:
        from drs_conformance.output_paths import check_outputs

        check_outputs(state.options)  # before junit and allure open their files (not an INTERNALERROR)
    except KitError as exc:
        state.error = exc
        return
    if state.options.keeps_journal:
        from drs_conformance.live_run import LiveRun

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
    import tempfile

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
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput[_WORKER_REQUESTS] = REQUESTS.snapshot()


def pytest_sessionstart(session: pytest.Session) -> None:
    """A suite run's controller removes the previous run's conformance reports: a stopped run never leaves them.

    It also takes over the progress output (the terminal reporter exists from here on).
    """
    state = session.config.stash[_STATE]
    if state.suite_run and not state.is_worker and not session.config.pluginmanager.has_plugin(_CONSOLE):
        from drs_conformance.console import Console

        session.config.pluginmanager.register(Console(session.config), _CONSOLE)
    if state.suite_run and not state.is_worker and state.options is not None:
        from drs_conformance.reporting import REPORT_FILES

        for name in REPORT_FILES.values():
            with contextlib.suppress(OSError):
                (state.options.report_dir / name).unlink(missing_ok=True)


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    state = config.stash[_STATE]
    marked = [item for item in items if item.get_closest_marker("requirement")]
    if not marked:
        return
    if state.is_worker:  # every worker collects in this order, and xdist hands tests out in it
        items[:] = _long_ones_apart(items)
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


def _long_ones_apart(items: list[pytest.Item]) -> list[pytest.Item]:
    """The tests marked long_running first (most requests first), each followed by one other test: xdist's load
    scheduling (with --maxschedchunk 1, as `drs-conformance run` starts it) hands every worker two tests at first,
    so each long test starts at once, on a worker of its own, and the others fill the workers around them."""

    def requests(item: pytest.Item) -> int:
        marker = item.get_closest_marker(LONG_RUNNING)
        return -1 if marker is None else int(marker.kwargs.get("requests", 0))

    long = sorted((item for item in items if requests(item) >= 0), key=requests, reverse=True)
    short = [item for item in items if requests(item) < 0]
    paired = [item for pair in zip(long, short) for item in pair]
    return paired + long[len(short):] + short[len(long):]


def _load_deviations(state: DrsSession) -> None:
    """Read --known-deviations once per process (the controller needs them for the report too)."""
    assert state.options is not None
    if state.options.known_deviations is None or state.deviations is not None:
        return
    from drs_conformance.reporting import load_deviations

    try:
        state.deviations = load_deviations(state.options.known_deviations)
    except KitError as exc:
        state.error = exc


def _project_of(options: KitOptions) -> str:
    """The run's project when no target was opened in this process (the xdist controller)."""
    if options.project_id:
        return options.project_id
    if options.inventory is not None:
        from drs_conformance.inventory import load_inventory

        return load_inventory(options.inventory).project_id
    from drs_conformance.sandbox import DEFAULT_PROJECT

    return DEFAULT_PROJECT


_requirements = requirements_of


def _add_junit_properties(config: pytest.Config, report: dict[str, Any]) -> None:
    """The verdict, coverage and exit code as testsuite properties of junit.xml (written after this)."""
    from _pytest.junitxml import xml_key  # what pytest's record_testsuite_property fixture uses

    from drs_conformance.reporting import junit_properties

    xml = config.stash.get(xml_key, None)
    if xml is not None:
        for name, value in junit_properties(report):
            xml.add_global_property(name, value)


# -- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def drs_options(pytestconfig: pytest.Config) -> KitOptions:
    """The run's options (flags over environment over config file)."""
    state = pytestconfig.stash[_STATE]
    if state.error is not None:
        state.fatal(state.error)
    assert state.options is not None
    return state.options


@pytest.fixture(scope="session")
def target(drs_options: KitOptions, pytestconfig: pytest.Config) -> Iterator[Target]:
    """The target of the run: the embedded sandbox, or the external endpoint the options name."""
    state = pytestconfig.stash[_STATE]
    try:
        opened = open_target(drs_options)
    except KitError as exc:
        state.fatal(exc)
    state.target = opened
    if state.live is not None:
        state.live.attach(opened)  # the run's journal; what is left is put back at the session's end
    yield opened
    opened.close()


@pytest.fixture
def drs_log(request: pytest.FixtureRequest) -> Iterator[ExchangeLog]:
    """The exchanges of this test (the last few are shown when it fails)."""
    log = ExchangeLog()
    request.node.stash[_LOG] = log
    yield log


@pytest.fixture
def api(target: Target, drs_log: ExchangeLog) -> DrsClient:
    """The target's documented API as this test's project, recorded into this test's log."""
    return target.client_for(drs_log)


@pytest.fixture
def jobs(target: Target, api: DrsClient, request: pytest.FixtureRequest) -> Iterator[Jobs]:
    """Jobs this test owns: created (control API) or leased from the inventory (locked, journaled) and put back."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    provider = Jobs(target, api, worker)
    yield provider
    provider.restore()


def _label_for_allure(item: pytest.Item, outcome: TestOutcome, state: DrsSession) -> None:
    """Label the test in Allure once, with the requirement conformance.json counts it for.

    A failure counts for the requirement it is attributed to (a NO-5XX raised in a BODY-SHAPE test is
    NO-5XX's); any other result for the test's own first requirement. allure-pytest's test result is still
    open here, and its description (set at set-up) is replaced by the requirement's sentence.
    """
    if item.stash.get(_LABELLED, False):
        return
    item.stash[_LABELLED] = True
    from drs_conformance.reporting import label_requirement, title_test
    from drs_conformance.reporting.verdicts import attributed_requirement

    title_test(item)  # the docstring's first line, as the HTML report reads
    failing = outcome.outcome in ("failed", "error", "xfailed")
    requirement = attributed_requirement(outcome) if failing else outcome.requirements[0]
    if requirement is not None and requirement in catalogue():
        label_requirement(requirement, link_base=state.options.report_url if state.options else None)


def _attach_traffic(item: pytest.Item, report: pytest.TestReport, state: DrsSession) -> None:
    """Attach the test's traffic to its Allure result: all of it for a failure, the last exchange otherwise."""
    from drs_conformance.reporting import attach_exchanges

    log = item.stash.get(_LOG, None)
    if log is not None and len(log):
        exchanges = list(log)
        attach_exchanges(exchanges if report.failed else exchanges[-1:],
                         state.target.redactor if state.target else None)


# -- outcomes -----------------------------------------------------------------------------------


def _outcome_of(item: pytest.Item, report: pytest.TestReport, call: pytest.CallInfo[None]) -> TestOutcome:
    state = item.config.stash[_STATE]
    requirements = _requirements(item)
    outcome: str
    failed_requirement: str | None = None
    also_failed: tuple[str, ...] = ()
    message = ""
    unanswered: tuple[Any, ...] = ()
    exc = call.excinfo.value if call.excinfo else None
    if report.failed:
        unanswered = no_answers(exc)
    if unanswered:  # the target's availability, not a broken rule: charged to no requirement
        outcome = "unanswered"
        message = no_answer_message(exc, unanswered)  # type: ignore[arg-type]
    elif report.skipped:
        outcome = "skipped"
        longrepr = report.longrepr
        message = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        message = message.removeprefix("Skipped: ")
    elif report.failed:
        outcome = "failed" if report.when == "call" else "error"
        attribution = attribute(exc, requirements)
        failed_requirement = attribution.requirement or requirements[0]
        also_failed, message = attribution.also, attribution.message
    else:
        outcome = "passed"
    log = item.stash.get(_LOG, None)
    exchanges = tuple(log) if log is not None and outcome in ("failed", "error", "xfailed") else ()
    if log is not None and outcome != "unanswered":
        # The common checks judged this test's traffic too: it counts as a test of theirs.
        requirements = requirements + tuple(sorted(log.checked - set(requirements)))
    redactor = state.target.redactor if state.target else None
    if redactor is not None:
        message = redactor.text(message)
    nodeid = item.nodeid if report.when != "teardown" else f"{item.nodeid} (teardown)"
    return TestOutcome(
        nodeid=nodeid,
        requirements=requirements,
        outcome=outcome,  # type: ignore[arg-type]
        failed_requirement=failed_requirement,
        also_failed=also_failed,
        message=message[:_MAX_MESSAGE],
        exchanges=exchanges,
        duration_s=round(report.duration, 4),
        reproduce=reproduce_command(state.options, state.target.project_id if state.target else None, item.nodeid)
        if outcome in ("failed", "error", "unanswered") and state.options is not None else None,
        unanswered_requests=len(unanswered),
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    report: pytest.TestReport = yield
    requirements = _requirements(item)
    if not requirements:
        return report
    relevant = report.when == "call" or (report.when == "setup" and not report.passed) or (
        report.when == "teardown" and report.failed
    )
    if not relevant:
        return report
    state = item.config.stash[_STATE]
    outcome = _outcome_of(item, report, call)
    if state.deviations is not None:
        from drs_conformance.reporting import apply_deviations, expected_failure_reason

        outcome = apply_deviations(outcome, state.deviations, requirements)
        if outcome.outcome == "xfailed":
            report.outcome = "skipped"
            report.wasxfail = expected_failure_reason(outcome)
    if outcome.outcome in ("failed", "error", "unanswered") and is_judged_failure(call.excinfo.value if call.excinfo
                                                                                   else None):
        setattr(report, GROUPED_ATTR, True)  # the summary shows it grouped; pytest's traceback is left out
    if outcome.outcome in ("failed", "error"):
        from drs_conformance.reporting import test_verdict

        if test_verdict(outcome, strict=state.strict) == "warn":
            report.outcome = "skipped"
            report.wasxfail = f"WARN {outcome.failed_requirement} (SHOULD): {outcome.message.splitlines()[0]}"
        _add_failure_section(report, outcome, state)
    elif outcome.outcome == "unanswered":
        _add_failure_section(report, outcome, state)
    _label_for_allure(item, outcome, state)
    setattr(report, _OUTCOME_ATTR, outcome.to_dict())
    if report.when == "call":
        _attach_traffic(item, report, state)
    return report


def _add_failure_section(report: pytest.TestReport, outcome: TestOutcome, state: DrsSession) -> None:
    """Say which requirement broke, what the document says, and how to reproduce it."""
    from drs_conformance.reporting import curl_line

    requirement = catalogue()[outcome.failed_requirement] if outcome.failed_requirement else None
    lines = []
    if outcome.outcome == "unanswered":
        lines.append("unanswered: the target gave no answer; this test judges no requirement (not a failure of "
                     f"{', '.join(outcome.requirements)})")
    if requirement is not None:
        lines.append(f"requirement: {requirement.id} ({requirement.level}) {requirement.title}")
        lines.append(f"document:    {requirement.quote}")
    if outcome.reproduce:
        lines.append(f"reproduce:   {outcome.reproduce}")
    if outcome.exchanges:
        last = outcome.exchanges[-1]
        lines.append(f"last request: {curl_line(last, state.target.redactor if state.target else None)}")
        if last.response is not None:
            lines.append(f"last response: {last.response.status} {last.response.body[:500]}")
    report.sections.append(("drs-conformance", "\n".join(lines)))


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    state = config.stash[_STATE]
    if state.options is None or not _is_suite_run(config):
        return None
    options = state.options
    where = options.base_url or "embedded sandbox"
    return [f"drs-conformance {__version__}: target {where} ({options.mode}), seed {options.seed}, "
            f"strict {'on' if options.strict_conformance else 'off'}"]
