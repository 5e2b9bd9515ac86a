"""pytest plugin for the kill matrix's runs: counts their tests; a defect's own tests first, stop once it is caught.

Loaded by `drs-conformance selftest` into every run, with `--selftest-catch REQ` in a defect run.
A requirement that failed once keeps the verdict fail whatever the remaining tests do, so the row's
judgement (caught by its own requirement or not) is the one a whole run gives; only the collateral
(the other requirements the defect breaks) is partial, and the matrix says so. A defect that is not
caught runs every test, as before.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from drs_conformance.reporting.outcomes import TestOutcome

__all__ = ["PROGRESS", "RunProgress"]

_SESSION_PLUGIN = "drs-conformance-session"  # drs_conformance.plugin.hooks's DrsSession, which collects the outcomes


@dataclass
class RunProgress:
    """How far the run went, for the kill matrix (read in the same process, after the run)."""

    collected: int = 0
    ran: int = 0
    caught_by: str | None = None  # the node id of the test whose failure stopped the run


PROGRESS = RunProgress()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.getgroup("drs-conformance").addoption(
        "--selftest-catch",
        dest="selftest_catch",
        default=None,
        metavar="REQ",
        help="kill matrix: run the tests of requirement REQ first and stop once REQ fails",
    )


def pytest_configure(config: pytest.Config) -> None:
    requirement = config.getoption("selftest_catch")
    if requirement and not hasattr(config, "workerinput"):  # under xdist the controller decides
        config.pluginmanager.register(_StopWhenCaught(requirement), "drs-selftest-catch")


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    PROGRESS.collected = len(items)


def pytest_runtest_logfinish() -> None:
    PROGRESS.ran += 1


def _marked(item: pytest.Item) -> set[str]:
    return {requirement for marker in item.iter_markers("requirement") for requirement in marker.args}


def _breaks(outcome: TestOutcome, requirement: str) -> bool:
    return outcome.outcome in ("failed", "error") and requirement in (outcome.failed_requirement, *outcome.also_failed)


class _StopWhenCaught:
    """Orders the defect's tests first and stops the session after the first test that fails its requirement."""

    def __init__(self, requirement: str) -> None:
        self.requirement = requirement
        self.session: pytest.Session | None = None
        self.seen = 0

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.session = session

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        items.sort(key=lambda item: self.requirement not in _marked(item))  # stable: suite order otherwise

    @pytest.hookimpl(trylast=True)  # after the session plugin recorded the test's outcome
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        assert self.session is not None, "pytest_sessionstart comes before any test report"
        recorder = self.session.config.pluginmanager.get_plugin(_SESSION_PLUGIN)
        assert recorder is not None, f"the {_SESSION_PLUGIN} plugin records the outcomes this plugin reads"
        outcomes: list[TestOutcome] = recorder.outcomes
        fresh, self.seen = outcomes[self.seen :], len(outcomes)
        caught = next((outcome for outcome in fresh if _breaks(outcome, self.requirement)), None)
        if caught is not None and PROGRESS.caught_by is None:
            PROGRESS.caught_by = caught.nodeid
            self.session.shouldfail = (
                f"{self.requirement} failed: the defect is caught"  # as -x: exit 1, reports written
            )
