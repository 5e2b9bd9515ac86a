"""A suite test's `TestOutcome` from pytest's report of it: how it ended, which requirement a failure broke, the
requirements the common checks judged on its traffic, and how to rerun it."""

from __future__ import annotations

from typing import Any

import pytest

from drs_conformance.live.target import Target
from drs_conformance.plugin.attribution import attribute, no_answer_message, no_answers, reproduce_command
from drs_conformance.plugin.options import KitOptions
from drs_conformance.plugin.selection import requirements_of
from drs_conformance.reporting.outcomes import TestOutcome
from drs_conformance.transport.client import ExchangeLog

__all__ = ["MAX_MESSAGE", "outcome_of"]

MAX_MESSAGE = 2000  # characters of a failure message an outcome keeps


def outcome_of(
    item: pytest.Item,
    report: pytest.TestReport,
    call: pytest.CallInfo[None],
    *,
    log: ExchangeLog | None,
    options: KitOptions | None,
    target: Target | None,
) -> TestOutcome:
    """The outcome of one relevant report of a test (its call, a failed set-up or a failed teardown)."""
    requirements = requirements_of(item)
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
    exchanges = tuple(log) if log is not None and outcome in ("failed", "error", "xfailed") else ()
    if log is not None and outcome != "unanswered":
        # The common checks judged this test's traffic too: it counts as a test of theirs.
        requirements = requirements + tuple(sorted(log.checked - set(requirements)))
    redactor = target.redactor if target else None
    if redactor is not None:
        message = redactor.text(message)
    nodeid = item.nodeid if report.when != "teardown" else f"{item.nodeid} (teardown)"
    return TestOutcome(
        nodeid=nodeid,
        requirements=requirements,
        outcome=outcome,  # type: ignore[arg-type]
        failed_requirement=failed_requirement,
        also_failed=also_failed,
        message=message[:MAX_MESSAGE],
        exchanges=exchanges,
        duration_s=round(report.duration, 4),
        reproduce=reproduce_command(options, target.project_id if target else None, item.nodeid)
        if outcome in ("failed", "error", "unanswered") and options is not None
        else None,
        unanswered_requests=len(unanswered),
    )
