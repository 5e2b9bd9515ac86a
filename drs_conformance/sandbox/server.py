"""Running the sandbox under uvicorn: in the foreground (`serve`) or in a background thread (`start_in_thread`)."""

from __future__ import annotations

import errno
import gc
import json
import shlex
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, TextIO

import httpx
import uvicorn
from starlette.applications import Starlette

from drs_conformance.errors import UsageError
from drs_conformance.sandbox.app import create_app
from drs_conformance.sandbox.config import DEFAULT_TOKEN, SandboxConfig
from drs_conformance.sandbox.routes import CONTROL_PREFIX, OPENAPI_PATH
from drs_conformance.spec import PAUSE_PATH, contract

__all__ = ["serve", "start_in_thread", "RunningSandbox", "example_curl", "bind_socket", "uvicorn_config"]

# Headers up to this size reach the application (which answers JSON) instead of uvicorn's text 400.
MAX_HEADER_BYTES = 1024 * 1024


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (0 = ephemeral), or a UsageError saying what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)  # asyncio sets TCP_NODELAY only with IPPROTO_TCP
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"port {port} on {host} is already in use; choose another with --port (or stop the process using it)") from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; check --host and --port") from None
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Starlette, *, quiet: bool) -> uvicorn.Config:
    """The uvicorn settings every sandbox (and the benchmark's hello-world) runs with."""
    return uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        timeout_graceful_shutdown=5,
    )


def _url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def example_curl(url: str, config: SandboxConfig, *, project_id: str | None = None, job_id: str | None = None) -> str:
    """A ready-to-paste curl of the documented request (by default the document's own job and project)."""
    project = project_id or config.home_project
    job_id = job_id or contract().example_job_id
    body = {"jobs": [{**contract().example_request["jobs"][0], "job_id": job_id}]}
    if config.uses_default_credentials:
        token = f"-H {shlex.quote('X-Auth-Token: ' + DEFAULT_TOKEN)}"
    else:
        token = '-H "X-Auth-Token: $DRS_AUTH_TOKEN"'
    endpoint = url.rstrip("/") + PAUSE_PATH.format(project_id=project)
    return (
        f"curl -sS -X POST {shlex.quote(endpoint)} \\\n"
        f"  -H 'Content-Type: application/json' {token} \\\n"
        f"  -d {shlex.quote(json.dumps(body))}"
    )


def serve(config: SandboxConfig, host: str = "127.0.0.1", port: int = 8080, *, out: TextIO | None = None) -> int:
    """Serve in the foreground until Ctrl-C; print the URL and a curl example first. Returns 0."""
    out = out or sys.stdout
    app = create_app(config)
    config = app.state.config  # drop the caller's seed: it is in the store now
    sock = bind_socket(host, port)
    gc.collect()
    gc.freeze()  # a million seeded jobs need not be walked by every collection
    url = _url(sock)
    defect = f", defect {config.defect.name}" if config.defect else ""
    variants = "".join(f", {k}={v}" for k, v in config.variants.non_default.items())
    seeded = app.state.seeded
    print(f"DRS sandbox on {url} ({seeded.count} jobs{defect}{variants})", file=out)
    if config.control_api:
        print(f"control API: {url}{CONTROL_PREFIX}/health, OpenAPI: {url}{OPENAPI_PATH}", file=out)
    print("Try the documented request:", file=out)
    print(example_curl(url, config, project_id=seeded.project_id, job_id=seeded.example_job_id), file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)
    server = uvicorn.Server(uvicorn_config(app, quiet=False))
    try:
        server.run(sockets=[sock])
    except KeyboardInterrupt:  # uvicorn re-raises the SIGINT it handled once it has shut down
        pass
    finally:
        sock.close()
    return 0


@dataclass
class RunningSandbox:
    """A sandbox serving from a daemon thread; `stop()` (or leaving the `with` block) shuts it down."""

    url: str
    config: SandboxConfig
    app: Starlette
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _socket: socket.socket = field(repr=False)

    @property
    def store(self) -> Any:
        return self.app.state.store

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit, wait for the thread, close the socket (idempotent)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
        self._socket.close()

    def __enter__(self) -> RunningSandbox:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_in_thread(
    config: SandboxConfig | None = None, host: str = "127.0.0.1", port: int = 0, *, ready_timeout: float = 15.0
) -> RunningSandbox:
    """Start a sandbox under uvicorn in a daemon thread and return once it answers HTTP; logs nothing to stdout."""
    app = create_app(config or SandboxConfig())
    config = app.state.config
    sock = bind_socket(host, port)
    server = uvicorn.Server(uvicorn_config(app, quiet=True))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="drs-sandbox", daemon=True)
    thread.start()
    running = RunningSandbox(url=_url(sock), config=config, app=app, _server=server, _thread=thread, _socket=sock)
    deadline = time.monotonic() + ready_timeout
    while True:
        if server.started:
            try:
                # Any JSON answer will do: the control API may be off, the document is always served.
                httpx.get(running.url + OPENAPI_PATH, timeout=2.0, trust_env=False)
                return running
            except httpx.TransportError:
                pass
        if not thread.is_alive() or time.monotonic() > deadline:
            running.stop()
            raise RuntimeError(f"the sandbox did not answer on {running.url} within {ready_timeout} s")
        time.sleep(0.01)
