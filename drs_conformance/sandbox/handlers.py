"""The three DRS operations and the OpenAPI document, so each endpoint reads as: pipeline, store, rendered answer.

Every check and refusal is the request pipeline's (`pipeline.py`), every body the renderer's
(`rendering.py`), every defect and variant a field of the sandbox's policy (`policy.py`); the control
API is `control.py`.
"""

from __future__ import annotations

import functools
import json

from starlette.requests import Request
from starlette.responses import Response

from drs_conformance.contract.spec import load_document
from drs_conformance.sandbox.pipeline import JSON_MEDIA_TYPE, RequestPipeline
from drs_conformance.sandbox.policy import SandboxPolicy
from drs_conformance.sandbox.rendering import Renderer
from drs_conformance.sandbox.state import JobStore

__all__ = ["Handlers"]


@functools.cache
def _openapi_bytes() -> bytes:
    return json.dumps(load_document(), ensure_ascii=False).encode("utf-8")


class Handlers:
    """The API endpoints of one sandbox: each reads through the pipeline, asks the store, renders the answer."""

    def __init__(self, store: JobStore, policy: SandboxPolicy, pipeline: RequestPipeline, renderer: Renderer) -> None:
        self.store = store
        self.policy = policy
        self.pipeline = pipeline
        self.renderer = renderer
        self._openapi = _openapi_bytes()

    async def pause(self, request: Request) -> Response:
        """POST /v3/{project_id}/jobs/batch-pause-task."""
        items, outcomes = await self.pipeline.pause(request)
        return self.renderer.pause_answer(request, items, outcomes)

    async def status(self, request: Request) -> Response:
        """POST /v3/{project_id}/jobs/batch-status."""
        project_id, document = await self.pipeline.status(request)
        job_ids: list[str] = document["jobs"]
        statuses = self.store.statuses(project_id, job_ids, report_previous=self.policy.request.status_reports_previous)
        return self.renderer.status_answer(request, job_ids, statuses, document.get("page_req") or {})

    async def retry(self, request: Request) -> Response:
        """POST /v3/{project_id}/jobs/batch-retry-task."""
        project_id, job_ids = await self.pipeline.retry(request)
        outcomes = self.store.resume_many(project_id, job_ids, self.policy.resume)
        return self.renderer.retry_answer(request, job_ids, outcomes)

    async def openapi(self, request: Request) -> Response:
        """GET /openapi.json."""
        return Response(self._openapi, media_type=JSON_MEDIA_TYPE)
