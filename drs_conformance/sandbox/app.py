"""The sandbox as an ASGI application: `create_app(config) -> Starlette`."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from drs_conformance.contract.inventory import FOREIGN_PROJECT_DEFAULT, Inventory, load_inventory
from drs_conformance.contract.spec import contract
from drs_conformance.sandbox.config import DEFAULT_PROJECT, DEFAULT_SEED_STATUS, DEFAULT_SEED_TYPE, SandboxConfig
from drs_conformance.sandbox.control import ControlEndpoints
from drs_conformance.sandbox.errors import SandboxCrash, SandboxError
from drs_conformance.sandbox.framing import Chunked
from drs_conformance.sandbox.gateway import Gateway
from drs_conformance.sandbox.handlers import Handlers
from drs_conformance.sandbox.pipeline import RequestPipeline
from drs_conformance.sandbox.policy import build_policy
from drs_conformance.sandbox.rendering import Renderer
from drs_conformance.sandbox.routes import api_routes, control_routes
from drs_conformance.sandbox.state import JobStore

__all__ = ["Seeded", "create_app", "seed_store"]

logger = logging.getLogger("drs_conformance.sandbox")


@dataclass(frozen=True)
class Seeded:
    """What seeding put in the store: how many jobs, the home project and a job of it for examples."""

    count: int
    project_id: str
    example_job_id: str | None


def seed_store(store: JobStore, seed: Inventory | Path | str | None) -> Seeded:
    """Fill the store from an inventory (or inventory file); without one, the document's example job."""
    if seed is None:
        c = contract()
        store.put(c.example_job_id, project_id=DEFAULT_PROJECT, status=DEFAULT_SEED_STATUS, type=DEFAULT_SEED_TYPE)
        return Seeded(1, DEFAULT_PROJECT, c.example_job_id)
    inventory = seed if isinstance(seed, Inventory) else load_inventory(seed)
    own = (
        (job.id, inventory.project_id, job.status or DEFAULT_SEED_STATUS, job.type or DEFAULT_SEED_TYPE)
        for job in inventory.jobs
    )
    foreign = (
        (
            job.id,
            job.project_id or FOREIGN_PROJECT_DEFAULT,
            job.status or DEFAULT_SEED_STATUS,
            job.type or DEFAULT_SEED_TYPE,
        )
        for job in inventory.foreign_jobs
    )
    count = store.put_many(own) + store.put_many(foreign)
    example = inventory.jobs[0].id if inventory.jobs else None
    return Seeded(count, inventory.project_id, example)


def create_app(config: SandboxConfig | None = None) -> Starlette:
    """A sandbox application, seeded and ready (also in-process: no lifespan needed to serve).

    `app.state.store` is its JobStore, `app.state.config` its SandboxConfig (with `seed=None`: the seed is
    in the store), `app.state.policy` what its defect and variants change (a `SandboxPolicy`),
    `app.state.seeded` what seeding put in the store (a `Seeded`).
    """
    config = config or SandboxConfig()
    store = JobStore()
    seeded = seed_store(store, config.seed)
    # The app keeps a config without the seed, so that a million seeded jobs are not held twice.
    config = replace(config, seed=None)
    policy = build_policy(config)
    store.lag = policy.effect_lag
    pipeline = RequestPipeline(config, store, policy)
    renderer = Renderer(policy.answers)
    handlers = Handlers(store, policy, pipeline, renderer)

    async def sandbox_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, SandboxError)
        return renderer.error(request, exc)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        return renderer.http_exception(request, exc)

    async def unexpected(request: Request, exc: Exception) -> Response:
        # A bug of the sandbox: answer JSON, and let Starlette log the traceback.
        return renderer.error(request, SandboxCrash())

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        logger.info(
            "sandbox ready: %d jobs, defect=%s, variants=%s",
            len(store),
            config.defect.name,
            config.variants.non_default,
        )
        yield

    routes = api_routes(handlers)
    if config.control_api:
        routes += control_routes(ControlEndpoints(config, store, pipeline), config.control_extensions)
    # behind an API gateway (variant gateway=apig): compression, throttling, closed connections
    gateway = [Middleware(Gateway)] if policy.gateway else []
    if policy.chunked:  # variant body-framing=chunked: answers streamed in chunks, no Content-Length
        gateway.append(Middleware(Chunked))
    app = Starlette(
        routes=routes,
        middleware=gateway,
        exception_handlers={SandboxError: sandbox_error, HTTPException: http_error, Exception: unexpected},
        lifespan=lifespan,
    )
    app.router.redirect_slashes = False  # a trailing slash is another (unknown) path: 404, not a redirect
    app.state.config = config
    app.state.store = store
    app.state.handlers = handlers
    app.state.policy = policy
    app.state.seeded = seeded
    return app
