"""The sandbox control API's optional additions (contract notes), by the names GET /_sandbox/health lists them under
`extensions`: stated once for the sandbox that serves them and the kit's client that uses them.

A module of its own, not in `sandbox/`: importing the sandbox package brings Starlette into every process of a run
against an external target.
"""

from __future__ import annotations

__all__ = [
    "BULK_DELETE_EXTENSION",
    "BULK_PUT_EXTENSION",
    "BULK_QUERY_EXTENSION",
    "CONTROL_BULK_LIMIT",
    "CONTROL_EXTENSIONS",
    "DELETE_JOB_EXTENSION",
]

DELETE_JOB_EXTENSION = "delete-job"  # DELETE /_sandbox/jobs/{job_id} -> 204, or 404 for no such job
# Bulk forms, to cut round trips on a remote sandbox (each takes 1 to CONTROL_BULK_LIMIT jobs):
BULK_PUT_EXTENSION = "bulk-put"  # PUT /_sandbox/jobs {"jobs": [{id, project_id, status, type}]} -> 200 {"jobs": [...]}
BULK_QUERY_EXTENSION = "bulk-query"  # POST /_sandbox/jobs/query {"ids": [...]} -> 200 {"jobs": [found ones]}
BULK_DELETE_EXTENSION = "bulk-delete"  # POST /_sandbox/jobs/delete {"ids": [...]} -> 200 {"deleted", "not_found"}
CONTROL_EXTENSIONS = (DELETE_JOB_EXTENSION, BULK_PUT_EXTENSION, BULK_QUERY_EXTENSION, BULK_DELETE_EXTENSION)
CONTROL_BULK_LIMIT = 1000
