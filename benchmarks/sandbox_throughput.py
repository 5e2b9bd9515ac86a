"""Throughput and latency of the sandbox under uvicorn, next to a bare Starlette hello-world; prints figures only.

    python benchmarks/sandbox_throughput.py [--seconds 5] [--connections 4] [--skip-million]

Servers run in child processes on 127.0.0.1 (ephemeral ports) with the sandbox's own uvicorn settings; this
process drives them with a few keep-alive httpx clients in threads. Every pause names jobs not paused before
(the sandbox server is pre-seeded with enough jobs), so each item takes the success path.
Figures: requests/s, p50/p99 latency; batch-size scaling (time per request, server peak RSS); start-up time
and RSS of `drs-conformance sandbox --seed` with 1,000,000 jobs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from drs_conformance.contract.spec import PAUSE_PATH
from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN
from drs_conformance.sandbox.server import bind_socket
from drs_conformance.transport.client import http_transport

PRESEEDED = 400_000
HEADERS = {"X-Auth-Token": DEFAULT_TOKEN, "Content-Type": "application/json"}
PAUSE = PAUSE_PATH.format(project_id=DEFAULT_PROJECT)


def job_id(index: int) -> str:
    return f"{index:08x}-a618-490d-8a46-8c61ac9jb502"


# -- server side (child processes) -----------------------------------------------------------------


def serve_child(kind: str) -> None:
    """Run one server on an ephemeral loopback port; print the port once listening."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from drs_conformance.sandbox import SandboxConfig, create_app
    from drs_conformance.sandbox.server import uvicorn_config

    if kind == "hello":

        async def hello(request: object) -> PlainTextResponse:
            return PlainTextResponse("Hello, world!")

        app = Starlette(routes=[Route("/", hello)])
    else:
        app = create_app(SandboxConfig())
        app.state.store.put_many(
            (job_id(i), DEFAULT_PROJECT, "INCRE_TRANSFER_STARTED", "sync") for i in range(PRESEEDED)
        )
    sock = bind_socket("127.0.0.1", 0)
    print(sock.getsockname()[1], flush=True)
    uvicorn.Server(uvicorn_config(app, quiet=True)).run(sockets=[sock])


def start_child(*argv: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, __file__, *argv], stdout=subprocess.PIPE, text=True)


def wait_ready(url: str, path: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            httpx.get(url + path, timeout=1, trust_env=False)
            return
        except httpx.TransportError:
            time.sleep(0.02)
    raise RuntimeError(f"{url} did not answer")


def rss_mib(pid: int) -> tuple[float, float]:
    """(current RSS, peak RSS) of a process in MiB, from /proc."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        fields[name] = value.strip()
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


# -- client side --------------------------------------------------------------------------------------


class Ids:
    """Fresh pre-seeded job ids, handed out once each (thread-safe)."""

    def __init__(self) -> None:
        self._next = itertools.count()
        self._lock = threading.Lock()

    def take(self, count: int) -> list[str]:
        with self._lock:
            return [job_id(next(self._next) % PRESEEDED) for _ in range(count)]


def drive(
    url: str, request: Callable[[httpx.Client], httpx.Response], seconds: float, connections: int
) -> tuple[float, list[float], int]:
    """Send `request(client)` from `connections` threads for `seconds`; (req/s, latencies in ms, errors)."""
    stop_at = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections

    def worker(slot: int) -> None:
        with httpx.Client(base_url=url, timeout=30, trust_env=False) as client:
            while time.perf_counter() < stop_at:
                began = time.perf_counter()
                response = request(client)
                latencies[slot].append((time.perf_counter() - began) * 1000)
                errors[slot] += response.status_code != 200

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(worker, range(connections)))
    elapsed = time.perf_counter() - started
    flat = [value for chunk in latencies for value in chunk]
    return len(flat) / elapsed, flat, sum(errors)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def pause_body(ids: list[str]) -> bytes:
    return json.dumps({"jobs": [{"job_id": i, "pause_mode": "target"} for i in ids]}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="duration of each throughput scenario")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections")
    parser.add_argument("--skip-million", action="store_true", help="skip the 1,000,000-job start-up figure")
    parser.add_argument("--serve", choices=["hello", "sandbox"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve_child(args.serve)
        return

    print(
        f"python {sys.version.split()[0]}, {os.cpu_count()} CPUs, {args.connections} connections, {args.seconds:.0f} s per scenario"
    )
    hello = start_child("--serve", "hello")
    sandbox = start_child("--serve", "sandbox")
    assert hello.stdout is not None and sandbox.stdout is not None, "the children's stdout is a pipe"
    try:
        hello_url = f"http://127.0.0.1:{hello.stdout.readline().strip()}"
        sandbox_url = f"http://127.0.0.1:{sandbox.stdout.readline().strip()}"
        wait_ready(hello_url, "/", time.monotonic() + 30)
        wait_ready(sandbox_url, "/_sandbox/health", time.monotonic() + 60)
        ids = Ids()
        scenarios = [
            ("hello-world GET /", hello_url, lambda c: c.get("/")),
            (
                "single-job pause",
                sandbox_url,
                lambda c: c.post(PAUSE, content=pause_body(ids.take(1)), headers=HEADERS),
            ),
            (
                "100-job batch pause",
                sandbox_url,
                lambda c: c.post(PAUSE, content=pause_body(ids.take(100)), headers=HEADERS),
            ),
        ]
        print(f"\n{'scenario':<24} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'non-200':>8}")
        for name, url, request in scenarios:
            rate, latencies, errors = drive(url, request, args.seconds, args.connections)
            print(
                f"{name:<24} {rate:>9.0f} {percentile(latencies, 0.5):>8.2f} {percentile(latencies, 0.99):>8.2f} {errors:>8}"
            )

        print(f"\n{'batch size':>10} {'ms/request':>11} {'body KiB':>9} {'server RSS MiB':>15} {'peak RSS MiB':>13}")
        with httpx.Client(base_url=sandbox_url, timeout=60, trust_env=False) as client:
            for size in (1, 10, 100, 1000, 10_000):
                repeats = max(3, min(50, 20_000 // size))
                times = []
                for _ in range(repeats):
                    body = pause_body(ids.take(size))
                    began = time.perf_counter()
                    response = client.post(PAUSE, content=body, headers=HEADERS)
                    times.append((time.perf_counter() - began) * 1000)
                    assert response.status_code == 200 and response.json()["count"] == size
                rss, peak = rss_mib(sandbox.pid)
                print(
                    f"{size:>10} {statistics.median(times):>11.2f} {len(body) / 1024:>9.0f} {rss:>15.0f} {peak:>13.0f}"
                )
        print(f"(the sandbox server holds {PRESEEDED:,} pre-seeded jobs; {next(ids._next):,} ids used)")
    finally:
        for process in (hello, sandbox):
            process.terminate()
            process.wait(10)

    if not args.skip_million:
        million_startup()


def million_startup() -> None:
    """Start-up time and RSS of `drs-conformance sandbox --seed FILE` with 1,000,000 jobs (JSON inventory)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "inventory.json"
        jobs = [{"id": job_id(i), "type": "sync"} for i in range(1_000_000)]
        path.write_text(json.dumps({"project_id": DEFAULT_PROJECT, "jobs": jobs}), encoding="utf-8")
        del jobs
        size_mib = path.stat().st_size / 2**20
        with bind_socket("127.0.0.1", 0) as probe:
            port = probe.getsockname()[1]
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "drs_conformance.cli.sandbox", "--seed", str(path), "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            wait_ready(f"http://127.0.0.1:{port}", "/_sandbox/health", time.monotonic() + 600)
            ready = time.perf_counter() - started
            rss, peak = rss_mib(process.pid)
            health = httpx.get(f"http://127.0.0.1:{port}/_sandbox/health", trust_env=False).json()
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=http_transport()) as client:
                statuses, latencies = [], []
                for n in range(500):  # pause 500 seeded jobs spread over the million, one at a time
                    began = time.perf_counter()
                    response = client.post(PAUSE, content=pause_body([job_id(n * 1999)]), headers=HEADERS)
                    latencies.append((time.perf_counter() - began) * 1000)
                    statuses.append(response.json()["results"][0]["status"])
        finally:
            process.terminate()
            process.wait(30)
        latencies.sort()
        print(
            f"\n1,000,000 seeded jobs ({size_mib:.0f} MiB JSON inventory): ready after {ready:.1f} s, "
            f"RSS {rss:.0f} MiB (peak {peak:.0f} MiB), {health['jobs']:,} jobs; single-job pause over 500 "
            f"jobs: p50 {latencies[250]:.2f} ms, p99 {latencies[494]:.2f} ms, "
            f"{statuses.count('success')}/500 success"
        )


if __name__ == "__main__":
    main()
