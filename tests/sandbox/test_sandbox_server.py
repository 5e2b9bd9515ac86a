"""The sandbox under uvicorn: start_in_thread, serve (curl example, Ctrl-C), concurrency, hostile connections."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from sandbox_helpers import new_job_id

from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.errors import UsageError
from drs_conformance.sandbox import (
    DEFAULT_PROJECT,
    DEFAULT_TOKEN,
    RunningSandbox,
    SandboxConfig,
    example_curl,
    start_in_thread,
)
from drs_conformance.sandbox.server import ServerLimits, bind_socket

HEADERS = {"X-Auth-Token": DEFAULT_TOKEN, "Content-Type": "application/json"}
REPO = Path(__file__).resolve().parents[2]


def put_job(client: httpx.Client, **fields: str) -> str:
    job_id = new_job_id()
    body = {"project_id": DEFAULT_PROJECT, "status": "INCRE_TRANSFER_STARTED", "type": "sync", **fields}
    assert client.put(f"/_sandbox/jobs/{job_id}", json=body).status_code == 200
    return job_id


def concurrent_pauses(url: str, job_id: str, count: int = 50) -> list[str]:
    """`count` clients pause one job at once (released together by a barrier); their result statuses."""
    barrier = threading.Barrier(count, timeout=10)
    body = json.dumps({"jobs": [{"job_id": job_id, "pause_mode": "target"}]})

    def one() -> str:
        with httpx.Client(base_url=url, timeout=10.0, trust_env=False) as client:
            barrier.wait()
            response = client.post(PAUSE_PATH.format(project_id=DEFAULT_PROJECT), content=body, headers=HEADERS)
            assert response.status_code == 200, f"received {response.status_code}"
            return str(response.json()["results"][0]["status"])

    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = [pool.submit(one) for _ in range(count)]
        return [future.result(timeout=30) for future in futures]


# -- start_in_thread ------------------------------------------------------------------------------


def test_start_in_thread_serves_on_loopback_and_stops(capfd: pytest.CaptureFixture[str]) -> None:
    with start_in_thread(SandboxConfig()) as sandbox:
        assert sandbox.url.startswith("http://127.0.0.1:"), f"received {sandbox.url}"
        with httpx.Client(base_url=sandbox.url, trust_env=False) as client:
            assert client.get("/_sandbox/health").status_code == 200
            assert client.get("/nowhere").status_code == 404
            assert (
                client.post(PAUSE_PATH.format(project_id=DEFAULT_PROJECT), content=b"{", headers=HEADERS).status_code
                == 400
            )
    out, err = capfd.readouterr()
    assert out == "", f"start_in_thread printed to stdout: {out!r}"
    assert err == "", f"start_in_thread printed to stderr: {err!r}"
    with pytest.raises(httpx.TransportError):
        httpx.get(sandbox.url + "/_sandbox/health", timeout=2.0, trust_env=False)


def test_stop_is_idempotent() -> None:
    sandbox = start_in_thread()
    sandbox.stop()
    sandbox.stop()


def test_port_in_use_is_a_usage_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        with pytest.raises(UsageError, match=f"port {port} on 127.0.0.1 is already in use") as caught:
            bind_socket("127.0.0.1", port)
        assert "\n" not in str(caught.value)


def test_without_control_api_the_hooks_are_404() -> None:
    with (
        start_in_thread(SandboxConfig(control_api=False)) as sandbox,
        httpx.Client(base_url=sandbox.url, trust_env=False) as client,
    ):
        assert client.get("/_sandbox/health").status_code == 404
        assert client.post("/_sandbox/reset").status_code == 404
        response = client.post(
            PAUSE_PATH.format(project_id=DEFAULT_PROJECT), json=contract().example_request, headers=HEADERS
        )
        assert response.json() == contract().example_response


# -- concurrency (rule 17) ----------------------------------------------------------------------


def test_concurrent_pauses_of_one_job_give_exactly_one_success(
    live: httpx.Client, live_sandbox: RunningSandbox
) -> None:
    job_id = put_job(live)
    statuses = concurrent_pauses(live_sandbox.url, job_id)
    assert statuses.count("success") == 1, (
        f"received {statuses.count('success')} successes of 50, documented exactly one"
    )


def test_race_defect_gives_more_than_one_success() -> None:
    with (
        start_in_thread(SandboxConfig(defect="race-double-pause")) as sandbox,
        httpx.Client(base_url=sandbox.url, trust_env=False) as client,
    ):
        job_id = put_job(client)
        statuses = concurrent_pauses(sandbox.url, job_id)
    assert statuses.count("success") > 1, (
        f"received {statuses.count('success')} successes with race-double-pause, expected more than one"
    )


# -- hostile connections: a clear 4xx, never a hang ---------------------------------------------------


def raw_response(sock: socket.socket) -> bytes:
    """One whole response read from the socket (its head, and as much body as Content-Length says)."""
    chunks: list[bytes] = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
        if b"\r\n\r\n" in b"".join(chunks):
            head, _, rest = b"".join(chunks).partition(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                None,
            )
            if length is not None and len(rest) >= length:
                break
    return b"".join(chunks)


def raw_exchange(url: str, data: bytes, timeout: float = 10.0) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(data)
        return raw_response(sock)


def test_body_shorter_than_declared_is_refused_not_hung() -> None:
    with start_in_thread(SandboxConfig(body_timeout=0.5)) as sandbox:
        request = (
            f"POST {PAUSE_PATH.format(project_id=DEFAULT_PROJECT)} HTTP/1.1\r\nHost: x\r\n"
            f'X-Auth-Token: {DEFAULT_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{"jobs"'
        ).encode()
        answer = raw_exchange(sandbox.url, request)  # a hang ends in the socket's timeout: an empty answer
    assert answer.startswith(b"HTTP/1.1 400"), f"received {answer[:60]!r}, documented 400"
    assert b"application/json" in answer


def test_declared_oversized_body_is_refused_at_once(live_sandbox: RunningSandbox) -> None:
    request = (
        f"POST {PAUSE_PATH.format(project_id=DEFAULT_PROJECT)} HTTP/1.1\r\nHost: x\r\n"
        f"X-Auth-Token: {DEFAULT_TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 50000000\r\n\r\n{{"
    ).encode()
    answer = raw_exchange(live_sandbox.url, request)
    assert answer.startswith(b"HTTP/1.1 413"), f"received {answer[:60]!r}, documented 413"


def test_oversized_body_over_http_gets_413_json(live_sandbox: RunningSandbox) -> None:
    body = json.dumps(
        {"jobs": [{"job_id": new_job_id(), "pause_mode": "target"}], "pad": "x" * (3 * 1024 * 1024)}
    ).encode()
    response = httpx.post(
        live_sandbox.url + PAUSE_PATH.format(project_id=DEFAULT_PROJECT),
        content=body,
        headers=HEADERS,
        timeout=10,
        trust_env=False,
    )
    assert response.status_code == 413 and response.json()["error_code"], (
        f"received {response.status_code} {response.text[:200]}"
    )


def test_chunked_oversized_body_gets_413(live_sandbox: RunningSandbox) -> None:
    def chunks():
        yield b'{"jobs": [], "pad": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'

    response = httpx.post(
        live_sandbox.url + PAUSE_PATH.format(project_id=DEFAULT_PROJECT),
        content=chunks(),
        headers=HEADERS,
        timeout=10,
        trust_env=False,
    )
    assert response.status_code == 413, f"received {response.status_code}"


def test_huge_header_gets_a_json_answer(live_sandbox: RunningSandbox) -> None:
    response = httpx.post(
        live_sandbox.url + PAUSE_PATH.format(project_id=DEFAULT_PROJECT),
        json=contract().example_request,
        headers={"X-Auth-Token": "t" * 200_000, "X-Padding": "p" * 200_000},
        timeout=10,
        trust_env=False,
    )
    assert response.status_code == 401 and response.headers["content-type"].startswith("application/json"), (
        f"received {response.status_code}"
    )


# -- limits: slow, idle and too many connections -------------------------------------------------------


def _closed_within(sock: socket.socket, seconds: float) -> float | None:
    """Seconds until the server closed the connection (EOF or reset), or None if it was still open after `seconds`."""
    started = time.monotonic()
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return time.monotonic() - started


def _connect(url: str) -> socket.socket:
    host, port = url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=5)


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout() -> None:
    with (
        start_in_thread(SandboxConfig(), limits=ServerLimits(header_timeout=0.5)) as sandbox,
        _connect(sandbox.url) as sock,
    ):
        waited = _closed_within(sock, 5)
    assert waited is not None, "an idle new connection was still open after 5 s (header timeout 0.5 s)"


def test_a_request_head_sent_too_slowly_is_cut_off() -> None:
    with (
        start_in_thread(SandboxConfig(), limits=ServerLimits(header_timeout=0.5)) as sandbox,
        _connect(sandbox.url) as sock,
    ):
        sock.sendall(f"POST {PAUSE_PATH.format(project_id=DEFAULT_PROJECT)} HTTP/1.1\r\nHost: x\r\n".encode())
        for _ in range(3):  # a byte now and then: each one used to restart nothing, now the head has a deadline
            time.sleep(0.3)
            try:
                sock.sendall(b"X-Slow: 1\r\n")
            except OSError:
                break
        waited = _closed_within(sock, 5)
    assert waited is not None, "a request head trickled over 1 s was still accepted after 5 s (header timeout 0.5 s)"


def test_an_idle_kept_alive_connection_is_closed_and_a_busy_one_is_not() -> None:
    limits = ServerLimits(header_timeout=0.5, keep_alive_timeout=1.0)
    request = b"GET /openapi.json HTTP/1.1\r\nHost: x\r\n\r\n"
    with start_in_thread(SandboxConfig(), limits=limits) as sandbox, _connect(sandbox.url) as sock:
        for _ in range(3):  # requests closer together than either timeout keep the connection
            sock.sendall(request)
            assert raw_response(sock).startswith(b"HTTP/1.1 200"), "a kept-alive request was not answered"
            time.sleep(0.3)
        waited = _closed_within(sock, 5)
    assert waited is not None and waited < 3, f"an idle kept-alive connection was closed after {waited} s, limit 1 s"


def test_connections_over_the_limit_are_closed_and_those_under_it_served() -> None:
    with start_in_thread(SandboxConfig(), limits=ServerLimits(limit_concurrency=4, header_timeout=5)) as sandbox:
        held = [_connect(sandbox.url) for _ in range(4)]
        try:
            extra = _connect(sandbox.url)
            with extra:
                assert _closed_within(extra, 3) is not None, "a connection over --limit-concurrency stayed open"
            for sock in held:
                sock.close()
            time.sleep(0.2)
            response = httpx.get(sandbox.url + "/openapi.json", timeout=5, trust_env=False)
            assert response.status_code == 200, f"received {response.status_code} once the connections were gone"
        finally:
            for sock in held:
                sock.close()


def _rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for process {pid}")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads a process's RSS from /proc")
def test_many_slow_header_connections_do_not_grow_memory_without_bound(sandbox_process: Callable) -> None:
    """150 connections each holding ~1 MiB of unfinished head (the measured attack): capped by count and time."""
    sandbox = sandbox_process("--limit-concurrency", "16", "--header-timeout", "3")
    pid = sandbox.process.pid
    before = _rss_mib(pid)
    head = (f"POST {PAUSE_PATH.format(project_id=DEFAULT_PROJECT)} HTTP/1.1\r\nHost: x\r\nX-Pad: ").encode()
    padding = b"p" * (1024 * 1024 - 4096)
    sockets: list[socket.socket] = []
    peak = before
    try:
        for _ in range(150):
            sock = _connect(sandbox.url)
            sockets.append(sock)
            with contextlib.suppress(OSError):  # closed at once: over the limit
                sock.sendall(head + padding)
            peak = max(peak, _rss_mib(pid))
        time.sleep(0.5)
        peak = max(peak, _rss_mib(pid))
        closed = [_closed_within(sock, 6) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()
    assert all(waited is not None for waited in closed), (
        f"{sum(w is None for w in closed)} slow-header connections still open 6 s after a 3 s header timeout"
    )
    # Unbounded, 150 such connections took the sandbox from 68 to 234 MiB; capped at 16, about 16 MiB of heads.
    assert peak - before < 60, f"RSS grew from {before:.0f} to {peak:.0f} MiB for 150 slow-header connections"
    assert httpx.get(sandbox.url + "/openapi.json", timeout=5, trust_env=False).status_code == 200


@pytest.mark.parametrize("method", ["PROPFIND", "QUERY", "HEAD", "OPTIONS"])
def test_unusual_methods_get_405_json(live_sandbox: RunningSandbox, method: str) -> None:
    response = httpx.request(
        method,
        live_sandbox.url + PAUSE_PATH.format(project_id=DEFAULT_PROJECT),
        headers=HEADERS,
        timeout=5,
        trust_env=False,
    )
    assert response.status_code == 405 and response.headers["allow"] == "POST", f"received {response.status_code}"


# -- serve(): the command a newcomer runs -------------------------------------------------------------


def _start_serving(tmp_path: Path, *args: str) -> tuple[subprocess.Popen[str], str, list[str]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")}
    process = subprocess.Popen(
        [sys.executable, "-m", "drs_conformance.cli.sandbox", "--port", str(port), *args],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl-C"):
            break
    url = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(url + "/openapi.json", timeout=1, trust_env=False)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    return process, url, lines


def _stop(process: subprocess.Popen[str]) -> tuple[int, str]:
    process.send_signal(signal.SIGINT)
    try:
        _, err = process.communicate(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise
    return process.returncode, err


def test_serve_prints_a_curl_that_gives_the_documented_response(tmp_path: Path) -> None:
    process, url, lines = _start_serving(tmp_path)
    try:
        assert any(url in line for line in lines), f"received {lines}, expected the URL {url}"
        start = next(i for i, line in enumerate(lines) if line.startswith("curl "))
        command = " ".join(line.rstrip("\\").strip() for line in lines[start : start + 3])
        argv = shlex.split(command)
        if shutil.which("curl"):
            answer = subprocess.run(
                argv,
                capture_output=True,
                text=True,
                timeout=20,
                env={"PATH": os.environ["PATH"], "NO_PROXY": "*"},
                check=False,
            ).stdout
            body = json.loads(answer)
        else:  # pragma: no cover - curl is on the test machines
            body = httpx.post(
                argv[4], content=argv[-1], headers=dict(h.split(": ", 1) for h in argv[6:-2:2]), trust_env=False
            ).json()
        assert body == contract().example_response, f"received {body}, documented {contract().example_response}"
    finally:
        code, err = _stop(process)
    assert code == 0, f"received exit code {code} after Ctrl-C, expected 0"
    assert "Traceback" not in err, f"received a traceback on Ctrl-C: {err}"


def test_curl_example_uses_the_environment_for_custom_tokens() -> None:
    text = example_curl("http://127.0.0.1:8080", SandboxConfig(tokens={"secret-token": DEFAULT_PROJECT}))
    assert '-H "X-Auth-Token: $DRS_AUTH_TOKEN"' in text and "secret-token" not in text
    assert f"X-Auth-Token: {DEFAULT_TOKEN}" in example_curl("http://127.0.0.1:8080", SandboxConfig())
