"""The reference endpoint: an ASGI sandbox of DRS batch-pause-task with a defect gallery and variants.

from drs_conformance.sandbox import SandboxConfig, create_app, start_in_thread

app = create_app(SandboxConfig())                 # in-process, e.g. httpx.ASGITransport(app)
with start_in_thread(SandboxConfig(defect="ids-rewritten")) as sandbox:
    ...                                           # sandbox.url on 127.0.0.1, ephemeral port
"""

from __future__ import annotations

from drs_conformance.sandbox.app import Seeded, create_app
from drs_conformance.sandbox.config import (
    DEFAULT_AK,
    DEFAULT_PROJECT,
    DEFAULT_SK,
    DEFAULT_TOKEN,
    AccessKey,
    SandboxConfig,
)
from drs_conformance.sandbox.defects import Defect, list_defects
from drs_conformance.sandbox.routes import CONTROL_PREFIX, OPENAPI_PATH
from drs_conformance.sandbox.server import RunningSandbox, example_curl, serve, start_in_thread
from drs_conformance.sandbox.state import Job, JobStore
from drs_conformance.sandbox.variants import Variant, list_variants

__all__ = [
    "CONTROL_PREFIX",
    "DEFAULT_AK",
    "DEFAULT_PROJECT",
    "DEFAULT_SK",
    "DEFAULT_TOKEN",
    "OPENAPI_PATH",
    "AccessKey",
    "Defect",
    "Job",
    "JobStore",
    "RunningSandbox",
    "SandboxConfig",
    "Seeded",
    "Variant",
    "create_app",
    "example_curl",
    "list_defects",
    "list_variants",
    "serve",
    "start_in_thread",
]
