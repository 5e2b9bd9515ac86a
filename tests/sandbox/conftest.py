"""Fixtures of the sandbox tests: an in-process client per test, and one live uvicorn sandbox per session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from sandbox_helpers import Api, open_api, two_project_config

from drs_conformance.sandbox import RunningSandbox, start_in_thread


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
async def api(anyio_backend: str) -> AsyncIterator[Api]:
    async with open_api(two_project_config()) as client:
        yield client


@pytest.fixture(scope="session")
def live_sandbox() -> Iterator[RunningSandbox]:
    """One real uvicorn sandbox for the session (reset explicitly by the tests that change it)."""
    with start_in_thread(two_project_config()) as sandbox:
        yield sandbox


@pytest.fixture
def live(live_sandbox: RunningSandbox) -> Iterator[httpx.Client]:
    """A sync client on the live sandbox, which is reset to its seed before the test."""
    with httpx.Client(base_url=live_sandbox.url, timeout=10.0, trust_env=False) as client:
        assert client.post("/_sandbox/reset").status_code == 204
        yield client
