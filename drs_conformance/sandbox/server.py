"""Running the sandbox under uvicorn: in the foreground (`serve`) or in a background thread (`start_in_thread`)."""

from __future__ import annotations

import asyncio
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

import h11
import httpx
import uvicorn
from starlette.applications import Starlette
from uvicorn.protocols.http.h11_impl import H11Protocol

from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.errors import UsageError
from drs_conformance.sandbox.app import create_app
from drs_conformance.sandbox.config import DEFAULT_TOKEN, SandboxConfig
from drs_conformance.sandbox.routes import CONTROL_PREFIX, OPENAPI_PATH

__all__ = [
    "RunningSandbox",
    "ServerLimits",
    "bind_socket",
    "example_curl",
    "serve",
    "start_in_thread",
    "uvicorn_config",
]

# Headers up to this size reach the application (which answers JSON) instead of uvicorn's text 400.
MAX_HEADER_BYTES = 1024 * 1024


@dataclass(frozen=True, kw_only=True)
class ServerLimits:
    """What one client may hold of the sandbox: time to send a request head, idle time, connections, head size.

    Bounded together, a flood of slow or idle connections costs at most `limit_concurrency` x
    `max_header_bytes` of memory, for at most `header_timeout` seconds each.
    """

    header_timeout: float = 10.0  # from a connection's first byte (or its opening) to a complete request head
    keep_alive_timeout: float = 5.0  # idle time between requests on a kept-alive connection (uvicorn's)
    limit_concurrency: int = 128  # open connections; beyond, closed at once (and uvicorn answers 503 at the limit)
    max_header_bytes: int = MAX_HEADER_BYTES  # a request head larger than this gets uvicorn's 400 (h11's limit)

    def __post_init__(self) -> None:
        for name in ("header_timeout", "keep_alive_timeout", "limit_concurrency", "max_header_bytes"):
            if getattr(self, name) <= 0:
                raise UsageError(f"--{name.replace('_', '-')} must be positive, not {getattr(self, name)!r}")


class _GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline for each request head and a cap on open connections.

    uvicorn times out idle kept-alive connections only after a response: a connection that never completes
    a request head (or never sends a byte) would stay open, holding up to max_header_bytes, for ever.
    """

    header_timeout: float = ServerLimits.header_timeout

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = None
        if self.limit_concurrency is not None and len(self.connections) > self.limit_concurrency:
            transport.abort()  # over the cap: not one byte of it is read or kept
            return
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            if self._head_deadline is None:
                self._arm_head_deadline()  # a new head begins: it must be complete in time
        else:
            self._disarm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm_head_deadline()
        super().connection_lost(exc)

    def on_response_complete(self) -> None:
        super().on_response_complete()  # arms uvicorn's keep-alive timeout for the idle time that follows
        self._disarm_head_deadline()

    def _arm_head_deadline(self) -> None:
        if not self.transport.is_closing():
            self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _disarm_head_deadline(self) -> None:
        if getattr(self, "_head_deadline", None) is not None:
            self._head_deadline.cancel()  # type: ignore[union-attr]
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def _protocol(limits: ServerLimits) -> type[H11Protocol]:
    return type("SandboxH11Protocol", (_GuardedH11Protocol,), {"header_timeout": limits.header_timeout})


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket on host:port (0 = ephemeral), or a UsageError saying what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(
        family, socket.SOCK_STREAM, socket.IPPROTO_TCP
    )  # asyncio sets TCP_NODELAY only with IPPROTO_TCP
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use; choose another with --port (or stop the process using it)"
            ) from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror or exc}; check --host and --port") from None
    sock.set_inheritable(True)
    return sock


def uvicorn_config(app: Starlette, *, quiet: bool, limits: ServerLimits | None = None) -> uvicorn.Config:
    """The uvicorn settings every sandbox (and the benchmark's hello-world) runs with."""
    limits = limits or ServerLimits()
    return uvicorn.Config(
        app,
        http=_protocol(limits),
        lifespan="on",
        log_level="warning" if quiet else "info",
        access_log=not quiet,
        log_config=None if quiet else uvicorn.config.LOGGING_CONFIG,
        h11_max_incomplete_event_size=limits.max_header_bytes,
        timeout_keep_alive=limits.keep_alive_timeout,  # type: ignore[arg-type]  # a float works (call_later)
        limit_concurrency=limits.limit_concurrency,
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


def serve(
    config: SandboxConfig,
    host: str = "127.0.0.1",
    port: int = 8080,
    *,
    out: TextIO | None = None,
    limits: ServerLimits | None = None,
) -> int:
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
    jobs = f"{seeded.count} job{'' if seeded.count == 1 else 's'}"
    print(f"DRS sandbox on {url} ({jobs}{defect}{variants})", file=out)
    if config.control_api:
        print(f"control API: {url}{CONTROL_PREFIX}/health, OpenAPI: {url}{OPENAPI_PATH}", file=out)
    print("Try the documented request:", file=out)
    print(example_curl(url, config, project_id=seeded.project_id, job_id=seeded.example_job_id), file=out)
    print("Press Ctrl-C to stop.", file=out, flush=True)
    server = uvicorn.Server(uvicorn_config(app, quiet=False, limits=limits))
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
    config: SandboxConfig | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    ready_timeout: float = 15.0,
    limits: ServerLimits | None = None,
) -> RunningSandbox:
    """Start a sandbox under uvicorn in a daemon thread and return once it answers HTTP; logs nothing to stdout."""
    app = create_app(config or SandboxConfig())
    config = app.state.config
    sock = bind_socket(host, port)
    server = uvicorn.Server(uvicorn_config(app, quiet=True, limits=limits))
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
