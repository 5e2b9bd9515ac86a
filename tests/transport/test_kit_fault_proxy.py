"""The fault-injecting proxy (tests/fault_proxy.py): every rule observed through httpx, against a counting upstream."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from drs_conformance.sandbox.server import bind_socket, uvicorn_config
from tests.fault_proxy import (
    FaultProxy,
    UpstreamAnswer,
    close_after,
    delay,
    passthrough,
    reset,
    respond,
    rewrite,
    stall,
    truncate,
)

Start = Callable[..., FaultProxy]
BIG = b"x" * 20_000


class Upstream:
    """A tiny service that counts what reached it."""

    def __init__(self) -> None:
        self.hits: list[str] = []
        self.url = ""

    def app(self) -> Starlette:
        async def hit(request: Request) -> Response:
            self.hits.append(request.url.path)
            body = await request.body()
            return JSONResponse({"n": len(self.hits), "echo": body.decode()})

        async def big(request: Request) -> Response:
            self.hits.append(request.url.path)
            return Response(BIG, media_type="text/plain")

        return Starlette(
            routes=[
                Route("/hit", hit, methods=["GET", "POST"]),
                Route("/other", hit, methods=["POST"]),
                Route("/big", big),
            ]
        )


@pytest.fixture(scope="module")
def _upstream_server() -> Iterator[Upstream]:
    upstream = Upstream()
    sock = bind_socket("127.0.0.1", 0)
    server = uvicorn.Server(uvicorn_config(upstream.app(), quiet=True))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    upstream.url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    deadline = time.monotonic() + 15
    while not server.started:
        assert time.monotonic() < deadline, "the upstream did not start"
        time.sleep(0.01)
    yield upstream
    server.should_exit = True
    thread.join(10)
    sock.close()


@pytest.fixture
def upstream(_upstream_server: Upstream) -> Upstream:
    _upstream_server.hits.clear()
    return _upstream_server


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0, trust_env=False) as http:
        yield http


def test_passthrough_keeps_the_client_connection_alive(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    proxy = fault_proxy(upstream.url)
    answers = [client.post(proxy.url + "/hit", content=f"body {i}") for i in range(3)]
    assert [a.json()["echo"] for a in answers] == ["body 0", "body 1", "body 2"]
    assert upstream.hits == ["/hit"] * 3
    assert proxy.connections == 1, f"3 requests took {proxy.connections} client connections, documented 1"
    assert proxy.requests == {"POST /hit": 3} and not proxy.faults
    assert len(client.get(proxy.url + "/big").content) == len(BIG)


def test_latency_is_added_in_each_direction(fault_proxy: Start, upstream: Upstream, client: httpx.Client) -> None:
    proxy = fault_proxy(upstream.url, [delay(0.025, 0.025, path="^/hit$")])
    started = time.perf_counter()
    assert client.post(proxy.url + "/hit").status_code == 200
    elapsed = time.perf_counter() - started
    assert elapsed >= 0.05, f"received a round trip of {elapsed * 1000:.1f} ms, 25 ms each way adds at least 50 ms"
    assert proxy.faults == {"delay": 1}


def test_reset_before_forwarding_never_reaches_the_service(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    proxy = fault_proxy(upstream.url, [reset(path="/hit")])
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post(proxy.url + "/hit")
    assert upstream.hits == []
    assert proxy.faults == {"reset": 1}


def test_reset_after_forwarding_loses_the_answer_of_a_request_served(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    proxy = fault_proxy(upstream.url, [reset(forwarded=True, path="/hit")])
    with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
        client.post(proxy.url + "/hit")
    assert upstream.hits == ["/hit"], "the request must reach the service before the answer is lost"


def test_reset_partway_cuts_the_request_while_it_comes_in(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    """After the request's headers, its body unread: the client is cut while sending (or waiting), nothing forwarded."""
    proxy = fault_proxy(upstream.url, [reset(partway=True, path="/hit")])
    with pytest.raises((httpx.ReadError, httpx.WriteError, httpx.RemoteProtocolError)):
        client.post(proxy.url + "/hit", content=BIG * 50)  # 1 MB: still being written when the RST comes
    assert upstream.hits == [], "a request cut while it comes in must never reach the service"
    assert proxy.faults == {"reset": 1}


def test_reset_partway_after_forwarding_cuts_the_answer_while_it_goes_back(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    """The service answered: the client receives the status line and part of the body, then an RST."""
    proxy = fault_proxy(upstream.url, [reset(forwarded=True, partway=True, path="/big")])
    with client.stream("GET", proxy.url + "/big") as answer:
        assert answer.status_code == 200, f"received {answer.status_code} before the cut, documented 200"
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            answer.read()
    assert upstream.hits == ["/big"], "the request must reach the service before its answer is cut"
    assert proxy.faults == {"reset": 1}


def test_respond_answers_without_forwarding(fault_proxy: Start, upstream: Upstream, client: httpx.Client) -> None:
    proxy = fault_proxy(
        upstream.url,
        [respond(429, headers=[("Retry-After", "2")], body='{"error_code": "APIG.0308"}', method="POST", path="/hit")],
    )
    answer = client.post(proxy.url + "/hit")
    assert (answer.status_code, answer.headers["retry-after"], answer.json()) == (429, "2", {"error_code": "APIG.0308"})
    assert upstream.hits == []
    assert client.get(proxy.url + "/hit").status_code == 200, "GET does not match method=POST"
    assert proxy.faults == {"respond": 1}


def test_truncated_body_is_a_protocol_error(fault_proxy: Start, upstream: Upstream, client: httpx.Client) -> None:
    proxy = fault_proxy(upstream.url, [truncate(keep_bytes=100, path="/big")])
    with pytest.raises(httpx.RemoteProtocolError, match=r"incomplete|peer closed"):
        client.get(proxy.url + "/big")
    assert upstream.hits == ["/big"]


def test_stall_holds_the_answer_until_the_client_gives_up(fault_proxy: Start, upstream: Upstream) -> None:
    proxy = fault_proxy(upstream.url, [stall(30.0, path="/hit")])
    with httpx.Client(timeout=0.3, trust_env=False) as impatient, pytest.raises(httpx.ReadTimeout):
        impatient.post(proxy.url + "/hit")
    assert upstream.hits == []
    proxy.stop()  # bounded: a stalled connection does not hold stop() for its 30 s


def test_stall_is_bounded_then_closes(fault_proxy: Start, upstream: Upstream, client: httpx.Client) -> None:
    proxy = fault_proxy(upstream.url, [stall(0.2, forwarded=True, nth=[1])])
    with pytest.raises(httpx.RemoteProtocolError, match="without sending a response"):
        client.post(proxy.url + "/hit")
    assert upstream.hits == ["/hit"]
    assert client.post(proxy.url + "/hit").status_code == 200


def test_close_after_a_response_is_survived_by_a_new_connection(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    proxy = fault_proxy(upstream.url, [close_after(nth=[1])])
    assert client.post(proxy.url + "/hit").status_code == 200
    time.sleep(0.05)  # the close reaches the client's pool before its next request
    assert client.post(proxy.url + "/hit").status_code == 200
    assert proxy.connections == 2, f"received {proxy.connections} connections, documented 2 (the first was closed)"


def test_nth_limit_and_passthrough_choose_which_requests(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    rules = [passthrough(path="^/other$"), respond(503, nth=[2, 3]), respond(502, limit=1)]
    proxy = fault_proxy(upstream.url, rules)
    statuses = [client.post(proxy.url + path).status_code for path in ("/hit", "/other", "/hit", "/hit", "/hit")]
    # /other is shielded; the 503 rule counts every request (the 2nd and 3rd), the 502 rule fires once.
    assert statuses == [502, 200, 503, 200, 200]
    assert [e.action for e in proxy.events] == ["respond", "pass", "respond", "pass", "pass"]
    assert proxy.faults == {"respond": 2}
    assert proxy.requests == {"POST /hit": 4, "POST /other": 1}


def _actions(proxy: FaultProxy, client: httpx.Client, count: int) -> list[str]:
    for _ in range(count):
        client.post(proxy.url + "/hit")
    return [event.action for event in proxy.events]


def test_probability_is_drawn_from_the_seed(fault_proxy: Start, upstream: Upstream, client: httpx.Client) -> None:
    rule = respond(503, probability=0.3)
    first = _actions(fault_proxy(upstream.url, [rule], seed=7), client, 40)
    again = _actions(fault_proxy(upstream.url, [rule], seed=7), client, 40)
    other = _actions(fault_proxy(upstream.url, [rule], seed=8), client, 40)
    assert first == again, "the same seed must inject the same faults"
    assert first != other, "another seed must draw other faults"
    assert 0 < first.count("respond") < 40


def test_rewrite_sees_the_request_headers(fault_proxy: Start, upstream: Upstream, client: httpx.Client) -> None:
    def echo(headers: dict[str, str], answer: UpstreamAnswer) -> bytes:
        return json.dumps({**json.loads(answer.body), "seen": headers.get("x-probe")}).encode()

    proxy = fault_proxy(upstream.url, [rewrite(echo)])
    assert client.post(proxy.url + "/hit", headers={"X-Probe": "p-1"}).json()["seen"] == "p-1"


def test_a_dead_upstream_is_a_502(fault_proxy: Start, closed_url: str, client: httpx.Client) -> None:
    proxy = fault_proxy(closed_url)
    assert client.get(proxy.url + "/hit").status_code == 502
    assert proxy.faults == {"upstream-error": 1}


def test_stop_closes_kept_alive_connections_and_leaves_no_thread(
    fault_proxy: Start, upstream: Upstream, client: httpx.Client
) -> None:
    proxy = fault_proxy(upstream.url)
    assert client.post(proxy.url + "/hit").status_code == 200
    proxy.stop()
    assert not [t for t in threading.enumerate() if t.name.startswith("fault-proxy")]
    with pytest.raises(httpx.TransportError):
        client.post(proxy.url + "/hit")


def test_rules_are_checked_when_made() -> None:
    with pytest.raises(AssertionError, match=r"probability=1\.5"):
        respond(503, probability=1.5)
    with pytest.raises(AssertionError, match="counts from 1"):
        reset(nth=[0])
