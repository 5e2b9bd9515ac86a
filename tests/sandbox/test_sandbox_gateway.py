"""The gateway variant (gateway=apig): compression as accepted, throttling with Retry-After, closed connections."""

from __future__ import annotations

import gzip
import json
import socket
import zlib
from collections.abc import Iterator
from urllib.parse import urlsplit

import h11
import httpx
import pytest
from sandbox_helpers import Api, new_job_id, open_api, two_project_config

from drs_conformance.contract.spec import STATUS_PATH
from drs_conformance.sandbox import RunningSandbox, start_in_thread
from drs_conformance.sandbox.gateway import APIG_THROTTLED, CLOSE_EVERY, THROTTLE_EVERY, accepted_encodings

pytestmark = pytest.mark.anyio
GATEWAY = {"gateway": "apig"}


def encodings_of(responses: list[httpx.Response]) -> list[str | None]:
    return [response.headers.get("content-encoding") for response in responses]


async def statuses(api: Api, count: int, **headers: str) -> list[httpx.Response]:
    """`count` batch-status requests of one unknown id, in order."""
    return [await api.status([new_job_id()], headers=api.headers(**headers)) for _ in range(count)]


# -- compression --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        pytest.param("gzip", {"gzip"}, id="gzip"),
        pytest.param("deflate", {"deflate"}, id="deflate"),
        pytest.param("gzip, deflate, br", {"gzip", "deflate"}, id="both-in-turn"),
        pytest.param("deflate;q=0, gzip", {"gzip"}, id="q-0-refuses"),
        pytest.param("identity", {None}, id="identity"),
    ],
)
async def test_answers_are_compressed_as_the_client_accepts(accept: str, expected: set[str | None]) -> None:
    async with open_api(two_project_config(variants=GATEWAY)) as api:
        responses = await statuses(api, 4, accept_encoding=accept)
        assert set(encodings_of(responses)) == expected, f"Accept-Encoding {accept!r}: {encodings_of(responses)}"
        for response in responses:
            if response.status_code == 200:
                assert response.json()["count"] == 1, "the decoded body is not the service's answer"


async def test_a_compressed_body_is_the_service_body_on_the_wire() -> None:
    """Read raw (httpx decodes on its own): gzip and deflate bodies decode to the same JSON."""
    async with open_api(two_project_config(variants=GATEWAY)) as api:
        raw = []
        for accept, decode in (("gzip", gzip.decompress), ("deflate", zlib.decompress)):
            request = api.client.build_request(
                "POST",
                STATUS_PATH.format(project_id=api.project_id),
                content=json.dumps({"jobs": [new_job_id()]}).encode(),
                headers=api.headers(accept_encoding=accept),
            )
            response = await api.client.send(request, stream=True)
            body = b"".join([chunk async for chunk in response.aiter_raw()])
            assert response.headers["content-encoding"] == accept and response.headers["vary"] == "Accept-Encoding"
            raw.append(json.loads(decode(body))["count"])
        assert raw == [1, 1]


def test_accepted_encodings_follow_the_gateways_preference() -> None:
    def scope(value: str) -> dict:  # type: ignore[type-arg]
        return {"type": "http", "headers": [(b"accept-encoding", value.encode())]}

    assert accepted_encodings(scope("br, deflate, gzip")) == ["gzip", "deflate"]
    assert accepted_encodings(scope("*")) == ["gzip", "deflate"]
    assert accepted_encodings(scope("gzip;q=0.0, deflate;q=0.5")) == ["deflate"]
    assert accepted_encodings({"type": "http", "headers": []}) == []


# -- throttling ---------------------------------------------------------------------------------------


async def test_every_nth_api_request_is_throttled_with_retry_after() -> None:
    async with open_api(two_project_config(variants=GATEWAY)) as api:
        responses = []
        for _ in range(2 * THROTTLE_EVERY):
            responses += await statuses(api, 1)
            assert (await api.client.get("/_sandbox/health")).status_code == 200, "the control API was throttled"
        throttled = [number for number, response in enumerate(responses, 1) if response.status_code == 429]
        assert throttled == [THROTTLE_EVERY, 2 * THROTTLE_EVERY], f"throttled: {throttled}"
        answer = responses[THROTTLE_EVERY - 1]
        assert answer.headers["retry-after"] == "0" and answer.headers["content-type"] == "application/json"
        assert {key: answer.json()[key] for key in APIG_THROTTLED} == APIG_THROTTLED


async def test_a_throttled_request_never_reaches_the_service() -> None:
    async with open_api(two_project_config(variants=GATEWAY)) as api:
        job_id = await api.put_job()
        await statuses(api, THROTTLE_EVERY - 1)
        throttled = await api.pause_one(job_id)
        assert throttled.status_code == 429, f"received {throttled.status_code}, expected the throttled turn"
        assert (await api.job(job_id))["pause_mode"] is None, "a throttled pause reached the service"
        again = await api.pause_one(job_id)
        assert again.status_code == 200 and again.json()["results"][0]["status"] == "success"


async def test_every_answer_carries_a_request_id() -> None:
    async with open_api(two_project_config(variants=GATEWAY)) as api:
        responses = await statuses(api, 3) + [await api.client.get("/_sandbox/health")]
        ids = {response.headers.get("x-request-id") for response in responses}
        assert None not in ids and len(ids) == len(responses), f"request ids: {ids}"


# -- connections closed -------------------------------------------------------------------------------


@pytest.fixture
def gateway() -> Iterator[RunningSandbox]:
    with start_in_thread(two_project_config(variants=GATEWAY)) as sandbox:
        yield sandbox


def _get(connection: h11.Connection, sock: socket.socket, target: str) -> h11.Response:
    """One GET on a kept-alive socket, its whole answer read."""
    sock.sendall(connection.send(h11.Request(method="GET", target=target, headers=[("Host", "sandbox")])) or b"")
    sock.sendall(connection.send(h11.EndOfMessage()) or b"")
    response = None
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA:
            connection.receive_data(sock.recv(65536))
        elif isinstance(event, h11.Response):
            response = event
        elif isinstance(event, h11.EndOfMessage):
            assert response is not None
            return response


def test_kept_alive_connections_are_closed_now_and_then(gateway: RunningSandbox) -> None:
    """Within CLOSE_EVERY answers one says Connection: close, and the server then closes the socket."""
    host, port = urlsplit(gateway.url).hostname, urlsplit(gateway.url).port
    with socket.create_connection((host, port), timeout=5) as sock:
        connection = h11.Connection(h11.CLIENT)
        for _number in range(1, CLOSE_EVERY + 1):
            response = _get(connection, sock, "/_sandbox/health")
            assert response.status_code == 200
            if (b"connection", b"close") in response.headers:
                break
            connection.start_next_cycle()
        else:
            pytest.fail(f"no answer said Connection: close in {CLOSE_EVERY} requests")
        assert sock.recv(1) == b"", "the server kept the connection open after Connection: close"


def test_a_client_goes_on_over_new_connections(gateway: RunningSandbox) -> None:
    with httpx.Client(base_url=gateway.url, timeout=5, trust_env=False) as client:
        answers = [client.get("/_sandbox/health") for _ in range(3 * CLOSE_EVERY)]
    closing = sum(answer.headers.get("connection") == "close" for answer in answers)
    assert all(answer.status_code == 200 for answer in answers) and closing == 3, f"{closing} closing answers"
