"""The suites' fixtures (options, target, api, jobs, the test's exchange log): a pytest plugin the plugin loads.

They need four things of the plugin's session (`SessionForFixtures`); the plugin puts its session in the config's
stash under `SESSION`, so this module does not depend on the plugin.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import TYPE_CHECKING, NoReturn, Protocol

import pytest

from drs_conformance.errors import KitError
from drs_conformance.evidence.run_evidence import ExchangeSink, RecordingLog
from drs_conformance.live.jobs import Jobs
from drs_conformance.live.target import Target, open_target
from drs_conformance.plugin.options import KitOptions
from drs_conformance.transport.client import DrsClient, ExchangeLog
from drs_conformance.transport.redaction import Redactor

if TYPE_CHECKING:
    from drs_conformance.plugin.live_run import LiveRun

__all__ = [
    "SESSION",
    "TEST_LOG",
    "SessionForFixtures",
    "api",
    "drs_exchange_sink",
    "drs_log",
    "drs_options",
    "jobs",
    "target",
]


class SessionForFixtures(Protocol):
    """What the fixtures read and set of the plugin's per-session state."""

    options: KitOptions | None
    error: KitError | None  # bad options: the first fixture stops the run with it
    target: Target | None  # set here, once the target is open (the reports read its redactor and project)
    live: LiveRun | None  # a live run's journal and put-back, attached to the target

    def fatal(self, error: KitError) -> NoReturn: ...


SESSION = pytest.StashKey[SessionForFixtures]()
TEST_LOG = pytest.StashKey[ExchangeLog]()  # on the test item: its exchanges (outcomes, failure sections, Allure)


@pytest.fixture(scope="session")
def drs_options(pytestconfig: pytest.Config) -> KitOptions:
    """The run's options (flags over environment over config file)."""
    state = pytestconfig.stash[SESSION]
    if state.error is not None:
        state.fatal(state.error)
    assert state.options is not None, "the plugin resolved no options and recorded no error"
    return state.options


@pytest.fixture(scope="session")
def target(drs_options: KitOptions, pytestconfig: pytest.Config) -> Iterator[Target]:
    """The target of the run: the embedded sandbox, or the external endpoint the options name."""
    state = pytestconfig.stash[SESSION]
    try:
        opened = open_target(drs_options)
    except KitError as exc:
        state.fatal(exc)
    state.target = opened
    if state.live is not None:
        state.live.attach(opened)  # the run's journal; what is left is put back at the session's end
    yield opened
    opened.close()


@pytest.fixture(scope="session")
def drs_exchange_sink(drs_options: KitOptions, pytestconfig: pytest.Config) -> Iterator[ExchangeSink]:
    """Where this process writes every exchange of its tests (the evidence a bundle carries)."""
    state = pytestconfig.stash[SESSION]
    sink = ExchangeSink(
        report_dir=drs_options.report_dir,
        redactor=lambda: state.target.redactor if state.target else Redactor(drs_options.secrets),
    )
    yield sink
    sink.close()


@pytest.fixture
def drs_log(request: pytest.FixtureRequest, drs_exchange_sink: ExchangeSink) -> ExchangeLog:
    """The exchanges of this test (the last few are shown when it fails; every one goes to the evidence)."""
    log = RecordingLog(test=request.node.nodeid, sink=drs_exchange_sink)
    request.node.stash[TEST_LOG] = log
    return log


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
