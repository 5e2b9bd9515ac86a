"""Inferred: what the kit expects where the documents are silent; a SHOULD at most, never a MUST.

Every answer of the other suites is judged against what the documents state (RESPONSE-SCHEMA,
ERROR-BODY). The constraints the kit adds on its own reading (`x-drs-inferred` in the contract:
optional fields left out rather than null, non-empty error fields, platform errors as objects) are
judged here only, on one answer of each kind, at SHOULD level (INFERRED-CONSTRAINTS).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from drs_conformance.contract.checks import check_inferred
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH
from drs_conformance.live.jobs import Jobs
from drs_conformance.transport.client import DrsClient, Reply
from drs_conformance.transport.credentials import NoCredentials

Answer = Callable[[DrsClient, Jobs], Reply]


def _mixed_pause(api: DrsClient, jobs: Jobs) -> Reply:
    """A success (where the run may pause a job) beside an unknown id: both kinds of PauseJobResp."""
    return api.pause_jobs([(jobs.subject(), "target"), (jobs.new_id(), "all")])


def _refused_pause(api: DrsClient, jobs: Jobs) -> Reply:
    return api.pause({"jobs": []})


def _pause_without_credentials(api: DrsClient, jobs: Jobs) -> Reply:
    return api.pause_jobs([(jobs.new_id(), "target")], credentials=NoCredentials())


def _pause_as_text(api: DrsClient, jobs: Jobs) -> Reply:
    return api.pause_jobs([(jobs.new_id(), "target")], content_type="text/plain")


def _status_lookup(api: DrsClient, jobs: Jobs) -> Reply:
    """A job that exists (where the run has one) beside a failed look-up."""
    ids = [jobs.new_id()]
    if jobs.can_pause_something:
        ids.insert(0, jobs.pausable())
    return api.batch_status(ids)


def _resume_of_unknown_job(api: DrsClient, jobs: Jobs) -> Reply:
    return api.retry([jobs.new_id()])


ANSWERS = [
    pytest.param(_mixed_pause, PAUSE_PATH, id="pause-200"),
    pytest.param(_refused_pause, PAUSE_PATH, id="pause-400"),
    pytest.param(_pause_without_credentials, PAUSE_PATH, id="pause-401"),
    pytest.param(_pause_as_text, PAUSE_PATH, id="pause-415"),
    pytest.param(_status_lookup, STATUS_PATH, id="batch-status-200"),
    pytest.param(_resume_of_unknown_job, RETRY_PATH, id="batch-retry-task-200"),
]


@pytest.mark.requirement(Req.INFERRED_CONSTRAINTS)
@pytest.mark.parametrize(("answer", "operation"), ANSWERS)
def test_answer_meets_the_kits_inferred_constraints(api: DrsClient, jobs: Jobs, answer: Answer, operation: str) -> None:
    """The answer (already judged against the documents) SHOULD also meet the constraints the kit infers."""
    check_inferred(answer(api, jobs), operation)
