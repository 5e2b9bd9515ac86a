"""Smoke: the document's own example, played end to end against the target."""

from __future__ import annotations

import json

import pytest

from drs_conformance.contract.judge import describe, single_result
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import Jobs
from drs_conformance.transport.client import DrsClient


@pytest.mark.shares_job("example")
@pytest.mark.requirement(Req.DOC_EXAMPLE)
def test_documented_example_is_answered_as_documented(api: DrsClient, jobs: Jobs) -> None:
    """The example request gets the example response (with the id of a job the run may pause)."""
    spec = contract()
    if jobs.target.can_create_jobs:
        job_id = jobs.create(
            job_id=spec.example_job_id, status=spec.pausable_status("INCRE_TRANSFER_STARTED"), type="sync"
        )
    else:
        job_id = jobs.pausable()  # live targets: the example's shape on a job the inventory gives
    body = json.loads(json.dumps(spec.example_request).replace(spec.example_job_id, job_id))
    documented = spec.example_response

    reply = api.pause(body)

    assert reply.status == 200, f"received {describe(reply)}, documented 200 OK for the example request"
    result = single_result(reply, job_id)
    expected = documented["results"][0]["status"]
    assert result.get("status") == expected, (
        f"received status {result.get('status')!r}, documented {expected!r} (example response)"
    )
    assert reply.json()["count"] == documented["count"], (
        f"received count {reply.json()['count']!r}, documented {documented['count']} (example response)"
    )
