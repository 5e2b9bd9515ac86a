"""The control API (`/_sandbox/...`), the test hook through which the kit seeds, reads and removes jobs.

The basic endpoints of the contract notes (health, reset, put and get one job) and the optional additions
listed under `extensions` by /_sandbox/health (delete one job; put, query and delete many in one request).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox.config import CONTROL_BULK_LIMIT, SandboxConfig
from drs_conformance.sandbox.errors import (
    BadRequest,
    ControlBadRequest,
    ControlNotFound,
)
from drs_conformance.sandbox.pipeline import RequestPipeline, parse_json
from drs_conformance.sandbox.rendering import json_response
from drs_conformance.sandbox.state import JobStore

__all__ = ["ControlEndpoints"]

_RECORD_KEYS = ("project_id", "status", "type")
_BULK_RECORD_KEYS = ("id", *_RECORD_KEYS)


class ControlEndpoints:
    """The control endpoints of one sandbox; bodies are read as the API reads them (same size limit)."""

    def __init__(self, config: SandboxConfig, store: JobStore, pipeline: RequestPipeline) -> None:
        self.config = config
        self.store = store
        self.pipeline = pipeline

    # -- basic endpoints -------------------------------------------------------------------------

    async def health(self, request: Request) -> Response:
        extensions = list(self.config.control_extensions)
        return json_response({"status": "ok", "jobs": len(self.store), "extensions": extensions})

    async def reset(self, request: Request) -> Response:
        self.store.reset()
        return Response(status_code=204)

    async def get_job(self, request: Request) -> Response:
        job_id = _path_job_id(request)
        job = self.store.get(job_id)
        if job is None:
            raise ControlNotFound(job_id=job_id)
        return json_response(job.as_dict())

    async def put_job(self, request: Request) -> Response:
        job_id = _path_job_id(request)
        document = await self._document(request, ", ".join(_RECORD_KEYS))
        project_id, status, type_ = _job_record(document, _RECORD_KEYS)
        job = self.store.put(job_id, project_id=project_id, status=status, type=type_)
        return json_response(job.as_dict())

    async def delete_job(self, request: Request) -> Response:
        job_id = _path_job_id(request)
        if not self.store.delete(job_id):
            raise ControlNotFound(job_id=job_id)
        return Response(status_code=204)

    # -- bulk forms (optional additions of the contract notes) -----------------------------------

    async def put_jobs(self, request: Request) -> Response:
        """PUT /_sandbox/jobs: create or replace every job of the list, or none (the whole list is checked first)."""
        records = []
        for index, entry in enumerate(await self._bulk_list(request, "jobs")):
            project_id, status, type_ = _job_record(entry, _BULK_RECORD_KEYS, f"jobs[{index}]")
            records.append((_checked_job_id(entry["id"]), project_id, status, type_))
        jobs = self.store.put_all(records)
        return json_response({"jobs": [job.as_dict() for job in jobs], "count": len(jobs)})

    async def query_jobs(self, request: Request) -> Response:
        """POST /_sandbox/jobs/query: the jobs of the list that exist, whatever their project (others left out)."""
        ids = [_checked_job_id(job_id) for job_id in await self._bulk_list(request, "ids")]
        jobs = [job.as_dict() for job in self.store.get_many(ids) if job is not None]
        return json_response({"jobs": jobs, "count": len(jobs)})

    async def delete_jobs(self, request: Request) -> Response:
        """POST /_sandbox/jobs/delete: remove the jobs of the list; says which were there and which were not."""
        ids = [_checked_job_id(job_id) for job_id in await self._bulk_list(request, "ids")]
        removed = self.store.delete_many(ids)
        return json_response(
            {
                "deleted": [job_id for job_id, gone in zip(ids, removed, strict=False) if gone],
                "not_found": [job_id for job_id, gone in zip(ids, removed, strict=False) if not gone],
            }
        )

    # -- bodies ----------------------------------------------------------------------------------

    async def _document(self, request: Request, fields: str) -> Any:
        try:
            return parse_json(await self.pipeline.read_body(request))
        except BadRequest:
            raise ControlBadRequest("control.body", fields=fields) from None

    async def _bulk_list(self, request: Request, field: str) -> list[Any]:
        """The body's `field`: a list of 1 to CONTROL_BULK_LIMIT entries (bulk forms of the control API)."""
        document = await self._document(request, field)
        entries = document.get(field) if isinstance(document, dict) else None
        if not isinstance(entries, list) or not 1 <= len(entries) <= CONTROL_BULK_LIMIT or set(document) != {field}:
            raise ControlBadRequest("control.bulk_body", field=field, limit=CONTROL_BULK_LIMIT)
        return entries


def _checked_job_id(job_id: Any) -> str:
    """A job id held to the contract's rule as the API holds it: the whole id, and its length."""
    schema = contract().schema("JobId")
    fits = isinstance(job_id, str) and schema.get("minLength", 0) <= len(job_id) <= schema.get("maxLength", len(job_id))
    if not (fits and contract().job_id_regex.fullmatch(job_id)):
        raise ControlBadRequest("control.job_id", job_id=job_id)
    return job_id


def _path_job_id(request: Request) -> str:
    """The path's job id (see `_checked_job_id`)."""
    return _checked_job_id(request.path_params["job_id"])


def _job_record(document: Any, keys: tuple[str, ...], where: str | None = None) -> tuple[str, str, str]:
    """(project_id, status, type) of a control-API job record (the body, or the entry `where` of a bulk
    body), or a ControlBadRequest naming the field."""
    c = contract()
    if not isinstance(document, dict) or not set(keys) <= set(document):
        if where is None:
            raise ControlBadRequest("control.body", fields=", ".join(keys))
        raise ControlBadRequest("control.entry", where=where, fields=", ".join(keys))
    prefix = "" if where is None else f"{where}."
    extra = next((key for key in document if key not in keys), None)
    if extra is not None:
        raise ControlBadRequest("control.extra_field", field=prefix + extra)
    project_id, status, type_ = document["project_id"], document["status"], document["type"]
    if not isinstance(project_id, str) or not project_id or "/" in project_id:
        raise ControlBadRequest("control.project_id", field=f"{prefix}project_id")
    if status not in c.statuses:
        raise ControlBadRequest("control.status", field=f"{prefix}status", allowed=", ".join(c.statuses))
    if type_ not in c.job_types:
        raise ControlBadRequest("control.type", field=f"{prefix}type", allowed=", ".join(c.job_types))
    return project_id, status, type_
