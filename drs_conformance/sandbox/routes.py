"""URL routes of the sandbox: the three DRS operations, the OpenAPI document, the control API."""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING

from starlette.routing import Route

from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH
from drs_conformance.sandbox.config import (
    BULK_DELETE_EXTENSION,
    BULK_PUT_EXTENSION,
    BULK_QUERY_EXTENSION,
    DELETE_JOB_EXTENSION,
)

if TYPE_CHECKING:
    from drs_conformance.sandbox.control import ControlEndpoints
    from drs_conformance.sandbox.handlers import Handlers

__all__ = ["CONTROL_PREFIX", "OPENAPI_PATH", "api_routes", "control_routes"]

CONTROL_PREFIX = "/_sandbox"
OPENAPI_PATH = "/openapi.json"


def api_routes(handlers: Handlers) -> list[Route]:
    """The DRS operations (POST only; other methods get 405 with Allow) and the OpenAPI document."""
    return [
        Route(PAUSE_PATH, handlers.pause, methods=["POST"], name="batch-pause-task"),
        Route(STATUS_PATH, handlers.status, methods=["POST"], name="batch-status"),
        Route(RETRY_PATH, handlers.retry, methods=["POST"], name="batch-retry-task"),
        Route(OPENAPI_PATH, handlers.openapi, methods=["GET"], name="openapi"),
    ]


def control_routes(control: ControlEndpoints, extensions: Collection[str]) -> list[Route]:
    """The test hook of the contract notes: health, reset, put and get one job; and the optional additions
    among `extensions`: delete one job, and the bulk forms (put, query, delete many jobs in one request)."""
    jobs = f"{CONTROL_PREFIX}/jobs"
    bulk = [  # before /jobs/{job_id}, which would take "query" and "delete" for job ids
        (Route(jobs, control.put_jobs, methods=["PUT"], name="sandbox-put-jobs"), BULK_PUT_EXTENSION),
        (Route(f"{jobs}/query", control.query_jobs, methods=["POST"], name="sandbox-query-jobs"), BULK_QUERY_EXTENSION),
        (
            Route(f"{jobs}/delete", control.delete_jobs, methods=["POST"], name="sandbox-delete-jobs"),
            BULK_DELETE_EXTENSION,
        ),
    ]
    return [
        Route(f"{CONTROL_PREFIX}/health", control.health, methods=["GET"], name="sandbox-health"),
        Route(f"{CONTROL_PREFIX}/reset", control.reset, methods=["POST"], name="sandbox-reset"),
        *(route for route, extension in bulk if extension in extensions),
        Route(f"{jobs}/{{job_id}}", control.get_job, methods=["GET"], name="sandbox-get-job"),
        Route(f"{jobs}/{{job_id}}", control.put_job, methods=["PUT"], name="sandbox-put-job"),
        *(
            [Route(f"{jobs}/{{job_id}}", control.delete_job, methods=["DELETE"], name="sandbox-delete-job")]
            if DELETE_JOB_EXTENSION in extensions
            else []
        ),
    ]
