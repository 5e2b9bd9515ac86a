"""Observing jobs through batch-status on a target that answers one page of results at a time."""

from __future__ import annotations

import json

import httpx
import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.spec import contract
from drs_conformance.live.jobs import observe_statuses, resume
from drs_conformance.transport.client import DrsClient
from drs_conformance.transport.credentials import TokenCredentials
from drs_conformance.transport.redaction import Redactor

JOBS = [f"{n:08x}-aaaa-bbbb-cccc-00000000jb{n:02d}" for n in range(1, 13)]


class PagingTarget:
    """batch-status answers the first 5 results only (no page_req); batch-retry-task resumes `resumable` jobs."""

    def __init__(self, resumable: set[str]) -> None:
        self.statuses = dict.fromkeys(JOBS, "PAUSING")
        self.resumable = resumable
        self.asked: list[int] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        ids = [job if isinstance(job, str) else job["job_id"] for job in json.loads(request.content)["jobs"]]
        if request.url.path.endswith("/batch-retry-task"):
            for job_id in ids:
                if job_id in self.resumable:
                    self.statuses[job_id] = "INCRE_TRANSFER_STARTED"
            results = [{"id": job_id, "status": "success"} for job_id in ids]
        else:
            self.asked.append(len(ids))
            results = [{"id": job_id, "status": self.statuses[job_id]} for job_id in ids[:5]]
        return httpx.Response(200, json={"results": results, "count": len(ids)})


def _client(target: PagingTarget) -> DrsClient:
    return DrsClient(
        base_url="http://127.0.0.1:9",
        project_id="p1",
        credentials=TokenCredentials("t"),
        redactor=Redactor(),
        transport=httpx.MockTransport(target),
    )


def test_every_job_is_observed_when_the_target_answers_a_page_at_a_time() -> None:
    target = PagingTarget(resumable=set())
    seen = observe_statuses(_client(target), JOBS, "test")
    assert seen == dict.fromkeys(JOBS, "PAUSING"), f"jobs not observed: {[j for j in JOBS if seen.get(j) is None]}"
    page = contract().status_page_size
    assert max(target.asked) <= page, f"asked {target.asked} ids at a time, a page holds {page}"


def test_a_job_left_pausing_beyond_the_first_page_is_found() -> None:
    """Resume must not take a job missing from a page for a resumed one (it would stay paused on staging)."""
    target = PagingTarget(resumable=set(JOBS[:7]))
    with pytest.raises(NonConformance) as failure:
        resume(_client(target), JOBS, timeout=0.2)
    assert failure.value.requirement == "SUPPORT-RESUME", f"named {failure.value.requirement}"
    assert JOBS[7] in failure.value.detail, f"the job left PAUSING is not named: {failure.value.detail}"


def test_resume_returns_once_every_page_shows_the_jobs_resumed() -> None:
    target = PagingTarget(resumable=set(JOBS))
    resume(_client(target), JOBS, timeout=0.2)
    assert set(target.statuses.values()) == {"INCRE_TRANSFER_STARTED"}, "not every job was resumed"
