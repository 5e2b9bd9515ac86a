"""Generation throughput against one sandbox server: the kit's domain suites, plain schemathesis, a raw loop.

Prints figures only. One sandbox runs in its own process on 127.0.0.1 behind a request counter; each
driver runs in turn against it, and its rate is the requests the server counted over the driver's time:

  domain   `drs-conformance run --base-url ... --control-api` of the hypothesis-driven suites
           (strategies + checks; every response judged), quick profile unless --profile;
  schemathesis  plain `schemathesis run` of the spec, all checks, positive and negative,
           `--generation-database none` (the notes measured ~90 requests/s on a minimal spec);
  raw      an httpx loop of valid single-job pauses (the practical ceiling; no generation, no checks).

Usage: python benchmarks/generation_throughput.py [--profile quick|thorough] [--examples N] [--raw N]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from peer_baseline import schemathesis_command

from drs_conformance.contract.spec import PAUSE_PATH
from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN, SandboxConfig, create_app
from drs_conformance.sandbox.server import bind_socket, uvicorn_config
from drs_conformance.transport.client import http_transport

DOMAIN_SUITES = [
    "test_conformance_requests.py",
    "test_conformance_items.py",
    "test_security.py",
    "test_properties.py",
    "test_stateful.py",
    "test_smoke.py",
]
COUNT_PATH = "/_bench/count"


class Counter:
    """ASGI wrapper: counts HTTP requests and answers GET /_bench/count (outside the sandbox's routes)."""

    def __init__(self, app: Any) -> None:
        self.app, self.count = app, 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == COUNT_PATH:
            body = json.dumps({"count": self.count}).encode()
            await send(
                {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
            )
            await send({"type": "http.response.body", "body": body})
            return
        if scope["type"] == "http":
            self.count += 1
        await self.app(scope, receive, send)


def _serve(port: int) -> None:
    import uvicorn

    sock = bind_socket("127.0.0.1", port)
    config = uvicorn_config(Counter(create_app(SandboxConfig())), quiet=True)  # type: ignore[arg-type]
    uvicorn.Server(config).run(sockets=[sock])


def _count(url: str) -> int:
    return int(httpx.get(url + COUNT_PATH, timeout=10).json()["count"])


def _measure(url: str, name: str, action: Any) -> dict[str, Any]:
    before = _count(url)
    started = time.perf_counter()
    inner = action()
    seconds = time.perf_counter() - started
    requests = _count(url) - before
    row = {"driver": name, "requests": requests, "seconds": seconds, "rate": requests / seconds}
    if inner:
        row["inner_seconds"] = inner
        row["inner_rate"] = requests / inner
    return row


def _domain(url: str, profile: str, work: Path) -> float:
    """Run the domain suites; return the time pytest spent in the session (start-up excluded)."""
    import drs_conformance.suites as suites

    root = Path(next(iter(suites.__path__)))
    report = work / "domain"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "drs_conformance",
            "run",
            "--base-url",
            url,
            "--project-id",
            DEFAULT_PROJECT,
            "--auth-token",
            DEFAULT_TOKEN,
            "--control-api",
            "--report-dir",
            str(report),
            "--",
            "-q",
            "--hypothesis-profile",
            profile,
            *[str(root / s) for s in DOMAIN_SUITES],
        ],
        check=True,
        capture_output=True,
    )
    junit = (report / "junit.xml").read_text()
    marker = 'time="'
    suite = junit[junit.index("<testsuite ") :]
    return float(suite[suite.index(marker) + len(marker) :].split('"', 1)[0])


def _schemathesis(url: str, examples: int, work: Path) -> None:
    subprocess.run(schemathesis_command(url, examples=examples, where=work), capture_output=True, cwd=work, check=False)


def _raw(url: str, count: int) -> None:
    path = PAUSE_PATH.format(project_id=DEFAULT_PROJECT)
    headers = {"X-Auth-Token": DEFAULT_TOKEN, "Content-Type": "application/json"}
    with httpx.Client(base_url=url, transport=http_transport()) as client:
        for n in range(count):
            body = json.dumps({"jobs": [{"job_id": f"{n:08d}-0000-0000-0000-000000000000", "pause_mode": "target"}]})
            client.post(path, content=body, headers=headers)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="quick", help="hypothesis profile of the domain suites")
    parser.add_argument("--examples", type=int, default=100, help="schemathesis -n")
    parser.add_argument("--raw", type=int, default=3000, help="requests of the raw loop")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        probe = bind_socket("127.0.0.1", 0)
        port = probe.getsockname()[1]
        probe.close()
        server = multiprocessing.Process(target=_serve, args=(port,), daemon=True)
        server.start()
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                _count(url)
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the sandbox did not start"
                time.sleep(0.1)
        rows = [
            _measure(url, f"domain suites ({args.profile})", lambda: _domain(url, args.profile, work)),
            _measure(url, f"plain schemathesis (-n {args.examples})", lambda: _schemathesis(url, args.examples, work)),
            _measure(url, f"raw httpx loop ({args.raw})", lambda: _raw(url, args.raw)),
        ]
        server.terminate()

    print(f"{'driver':<34} {'requests':>9} {'seconds':>8} {'req/s':>8}  in-session req/s")
    for row in rows:
        inner = f"{row['inner_rate']:.0f} ({row['inner_seconds']:.1f} s)" if "inner_rate" in row else "-"
        print(f"{row['driver']:<34} {row['requests']:>9} {row['seconds']:>8.1f} {row['rate']:>8.0f}  {inner}")
    kit, peer, raw = rows[0], rows[1], rows[2]
    print(
        f"\ndomain suites / plain schemathesis: {kit['rate'] / peer['rate']:.1f}x wall "
        f"({kit.get('inner_rate', kit['rate']) / peer['rate']:.1f}x in-session); "
        f"domain suites / raw loop: {kit['rate'] / raw['rate']:.2f} wall "
        f"({kit.get('inner_rate', kit['rate']) / raw['rate']:.2f} in-session)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
