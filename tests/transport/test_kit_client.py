"""The kit's client on live targets: throttling, Retry-After, retries of reads only, timeouts, redaction."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.spec import contract
from drs_conformance.errors import NoAnswer
from drs_conformance.live.target import new_job_id
from drs_conformance.sandbox import (
    DEFAULT_PROJECT,
    DEFAULT_TOKEN,
    RunningSandbox,
    SandboxConfig,
    start_in_thread,
)
from drs_conformance.transport.client import DrsClient, RateLimiter
from drs_conformance.transport.credentials import AkSkCredentials, TokenCredentials
from drs_conformance.transport.redaction import REDACTED, Redactor
from tests.fault_proxy import FaultProxy, close_after, reset, respond, stall, truncate

TOKEN = "tok-live-secret-123456"
OK_BODY = {"results": [], "count": 0}
EXAMPLE_JOB = contract().example_job_id


def _client(handler: Callable[[httpx.Request], httpx.Response], **options: object) -> DrsClient:
    return DrsClient(
        base_url="http://127.0.0.1:9",
        project_id="p1",
        credentials=TokenCredentials(TOKEN),
        redactor=Redactor(),
        transport=httpx.MockTransport(handler),
        **options,  # type: ignore[arg-type]
    )


def _json(status: int, body: object, **headers: str) -> httpx.Response:
    return httpx.Response(
        status, content=json.dumps(body).encode(), headers={"content-type": "application/json", **headers}
    )


def test_rate_limit_spaces_requests() -> None:
    """--rate-limit N: N requests per second at most."""
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return _json(200, OK_BODY)

    client = _client(handler, rate_limiter=RateLimiter(20.0))
    for _ in range(5):
        client.batch_status(["x"])
    gaps = [b - a for a, b in itertools.pairwise(seen)]
    assert min(gaps) >= 0.045, f"requests 1/20 s apart at most, received gaps {gaps}"


@pytest.mark.parametrize("status", [pytest.param(429, id="429"), pytest.param(503, id="503")])
def test_retry_after_is_honoured_even_for_a_pause(status: int) -> None:
    """429/503 with Retry-After: the target asked to come back; the request is sent again after waiting."""
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return _json(status, {"error_code": "APIG.0308", "error_msg": "slow down"}, **{"retry-after": "0.2"})
        return _json(200, OK_BODY)

    reply = _client(handler).pause({"jobs": []})
    assert reply.status == 200 and len(calls) == 2
    assert calls[1] - calls[0] >= 0.19, "Retry-After was not waited for"


def test_persistent_503_is_a_5xx_after_the_retries() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return _json(503, {"error_code": "x", "error_msg": "down"}, **{"retry-after": "0"})

    with pytest.raises(NonConformance) as raised:
        _client(handler, max_retries=2).pause({"jobs": []})
    assert raised.value.requirement == "NO-5XX"


def test_transport_errors_are_retried_for_reads_only() -> None:
    """batch-status is read-only and retried on a reset connection; a pause that may have arrived is not sent twice."""
    attempts = {"status": 0, "pause": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        kind = "status" if request.url.path.endswith("batch-status") else "pause"
        attempts[kind] += 1
        if attempts[kind] == 1:
            raise httpx.ReadError("connection reset by peer", request=request)
        return _json(200, OK_BODY)

    client = _client(handler)
    assert client.batch_status(["x"]).status == 200 and attempts["status"] == 2
    with pytest.raises(NoAnswer, match=r"POST /v3/p1/jobs/batch-pause-task: the connection was reset .*not sent again"):
        client.pause({"jobs": []})
    assert attempts["pause"] == 1, "a pause must never be sent again after a transport error once it may have arrived"
    assert [e.error is not None for e in client.log] == [True, False, True], "every attempt is recorded"


def test_timeout_is_no_answer_and_says_what_to_do() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(NoAnswer, match=r"did not answer within 3 s .*--request-timeout"):
        _client(handler, timeout=3.0).pause({"jobs": []})


def test_recorded_exchanges_carry_no_secret() -> None:
    """The token by value and the signature by header name never reach the record."""

    def handler(request: httpx.Request) -> httpx.Response:
        return _json(200, {"results": [], "count": 0, "echo": request.headers.get("x-auth-token")})

    client = _client(handler)
    client.pause({"jobs": [], "note": TOKEN})
    aksk = AkSkCredentials("AKLIVE0000000001", "SK-live-secret-0001")
    client.pause({"jobs": []}, credentials=aksk)
    text = json.dumps([exchange.to_dict() for exchange in client.log])
    for secret in (TOKEN, aksk.ak, aksk.sk):
        assert secret not in text, f"{secret} reached the recorded exchanges"
    assert REDACTED in text
    assert "SDK-HMAC-SHA256" not in text, "the Authorization header (signature) was recorded"


def test_no_answer_is_not_an_assertion() -> None:
    """A transport failure must never be charged to a requirement: NoAnswer is the kit's, not an AssertionError."""
    assert not issubclass(NoAnswer, AssertionError)


@pytest.mark.parametrize(
    ("error", "said"),
    [
        pytest.param(httpx.ReadError("[Errno 104] Connection reset by peer"), "connection was reset", id="reset"),
        pytest.param(
            httpx.RemoteProtocolError(
                "peer closed connection without sending complete message body: received 10 bytes, expected 64"
            ),
            "cut short",
            id="truncated",
        ),
        pytest.param(
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            "closed the connection without answering",
            id="closed",
        ),
        pytest.param(httpx.WriteError("[Errno 32] Broken pipe"), "broke while sending", id="write"),
        pytest.param(httpx.ReadTimeout("timed out"), "did not answer within 30 s", id="timeout"),
    ],
)
def test_every_transport_failure_of_a_pause_is_no_answer(error: httpx.TransportError, said: str) -> None:
    """Refused, reset, cut short, timed out: one NoAnswer naming method, path and what happened, redacted."""
    attempts: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request)
        raise type(error)(f"{error} (token {TOKEN})", request=request)

    with pytest.raises(NoAnswer) as raised:
        _client(handler).pause({"jobs": []})
    message = str(raised.value)
    assert message.startswith("POST /v3/p1/jobs/batch-pause-task: ") and said in message, message
    assert TOKEN not in message, message
    assert len(attempts) == 1, f"a pause that may have arrived was sent {len(attempts)} times"


def test_a_connection_never_made_is_retried_for_any_operation() -> None:
    """ConnectError: not a byte of the request left, so even a pause is sent again."""
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        if len(attempts) < 3:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        return _json(200, OK_BODY)

    assert _client(handler).pause({"jobs": []}).status == 200
    assert len(attempts) == 3


def test_a_refused_target_is_no_answer_after_the_retries() -> None:
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with pytest.raises(NoAnswer, match=r"cannot connect .*Connection refused.*after 3 attempts"):
        _client(handler, max_retries=2).retry(["j1"])
    assert len(attempts) == 3


def test_headers_never_written_count_as_never_sent() -> None:
    """httpcore's trace says the request's headers failed to go out (a kept-alive connection the server closed)."""
    attempts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        attempts.append(request.url.path)
        trace = request.extensions["trace"]
        trace("http11.send_request_headers.started", {})
        if len(attempts) == 1:
            trace("http11.send_request_headers.failed", {})
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request)
        trace("http11.send_request_headers.complete", {})
        return _json(200, OK_BODY)

    assert _client(handler).pause({"jobs": []}).status == 200
    assert len(attempts) == 2


def test_429_without_retry_after_is_sent_again_after_a_short_backoff() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        return (
            _json(429, {"error_code": "APIG.0308", "error_msg": "throttled"})
            if len(calls) == 1
            else _json(200, OK_BODY)
        )

    assert _client(handler).pause({"jobs": []}).status == 200
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.45, "a 429 without Retry-After waits a little, then re-sends"


def test_503_without_retry_after_is_never_sent_again() -> None:
    """A 503 may come from the service after it acted: without Retry-After it is the answer (NO-5XX)."""
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return _json(503, {"error_code": "x", "error_msg": "down"})

    with pytest.raises(NonConformance) as raised:
        _client(handler).pause({"jobs": []})
    assert raised.value.requirement == "NO-5XX" and len(calls) == 1


def test_an_echoed_signature_is_redacted_by_value() -> None:
    """The target puts the Authorization header into its answer: the recorded body keeps no signature."""
    signatures: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        authorization = request.headers["authorization"]
        signatures.append(authorization.rsplit("Signature=", 1)[1])
        return _json(
            400, {"error_code": "DRS.M00001", "error_msg": f"bad request {authorization}", "raw": signatures[-1]}
        )

    client = _client(handler)
    reply = client.pause(
        {"jobs": []}, credentials=AkSkCredentials("AKLIVE0000000001", "SK-live-secret-0001"), validate=False
    )
    text = json.dumps(reply.exchange.to_dict())
    assert len(signatures[0]) == 64 and signatures[0] not in text, "the echoed signature reached the record"
    assert client.redactor.text(f"bare {signatures[0]} value") == f"bare {REDACTED} value"


def test_credentials_and_replies_have_reprs_without_secrets() -> None:
    aksk = AkSkCredentials("AKLIVE0000000001", "SK-live-secret-0001")

    def handler(request: httpx.Request) -> httpx.Response:
        return _json(200, {**OK_BODY, "echo": TOKEN})

    client = _client(handler)
    shown = repr((TokenCredentials(TOKEN), aksk, client, client.pause({"jobs": []})))
    for secret in (TOKEN, aksk.ak, aksk.sk):
        assert secret not in shown, f"{secret} is in a repr: {shown}"


def test_user_info_of_the_base_url_is_sent_as_basic_and_never_shown() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", ""))
        return _json(200, {**OK_BODY, "echo": seen[-1]})

    client = DrsClient(
        base_url="http://robot:Pa55-w0rd-secret@127.0.0.1:9",
        project_id="p1",
        credentials=TokenCredentials(TOKEN),
        redactor=Redactor(),
        transport=httpx.MockTransport(handler),
    )
    reply = client.pause({"jobs": []})
    assert seen[0].startswith("Basic ")
    assert client.base_url == "http://127.0.0.1:9"
    text = json.dumps(reply.exchange.to_dict()) + repr(client)
    for secret in ("Pa55-w0rd-secret", "robot", seen[0].split()[1]):
        assert secret not in text, f"{secret} reached the record"


# -- through the fault proxy, in front of a real sandbox -------------------------------------------


@pytest.fixture(scope="module")
def sandbox_upstream() -> Iterator[RunningSandbox]:
    with start_in_thread(SandboxConfig()) as sandbox:
        yield sandbox


@pytest.fixture
def live_client() -> Iterator[Callable[..., DrsClient]]:
    """DrsClient(url) as the sandbox's project; every one made is closed after the test."""
    made: list[DrsClient] = []

    def make(url: str, *, timeout: float = 5.0) -> DrsClient:
        made.append(
            DrsClient(
                base_url=url,
                project_id=DEFAULT_PROJECT,
                credentials=TokenCredentials(DEFAULT_TOKEN),
                redactor=Redactor(),
                timeout=timeout,
            )
        )
        return made[-1]

    yield make
    for client in made:
        client.close()


def _sandbox_status(sandbox: RunningSandbox, job_id: str) -> str:
    answer = httpx.get(f"{sandbox.url}/_sandbox/jobs/{job_id}", trust_env=False)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])


def test_proxy_reset_before_forwarding_a_pause_is_no_answer_sent_once(
    fault_proxy: Callable[..., FaultProxy], sandbox_upstream: RunningSandbox, live_client: Callable[..., DrsClient]
) -> None:
    proxy = fault_proxy(sandbox_upstream.url, [reset(path="batch-pause-task")])
    client = live_client(proxy.url)
    with pytest.raises(NoAnswer, match=r"connection was reset|closed the connection without answering"):
        client.pause_jobs([("j-never-sent", "target")])
    assert sum(proxy.requests.values()) == 1, "the client cannot know the pause did not arrive: it is sent once"


def test_proxy_reset_after_a_batch_status_arrived_is_retried(
    fault_proxy: Callable[..., FaultProxy], sandbox_upstream: RunningSandbox, live_client: Callable[..., DrsClient]
) -> None:
    proxy = fault_proxy(sandbox_upstream.url, [reset(forwarded=True, nth=[1])])
    client = live_client(proxy.url)
    reply = client.batch_status([EXAMPLE_JOB])
    assert reply.status == 200 and sum(proxy.requests.values()) == 2
    assert [e.response is None for e in client.log] == [True, False], "both attempts are in the exchange log"


def test_proxy_truncated_answer_of_a_pause_is_no_answer(
    fault_proxy: Callable[..., FaultProxy], sandbox_upstream: RunningSandbox, live_client: Callable[..., DrsClient]
) -> None:
    proxy = fault_proxy(sandbox_upstream.url, [truncate(path="batch-pause-task")])
    client = live_client(proxy.url)
    with pytest.raises(NoAnswer, match="cut short"):
        client.pause_jobs([("j-truncated", "target")])
    assert sum(proxy.requests.values()) == 1


def test_proxy_stall_is_no_answer_naming_the_timeout_option(
    fault_proxy: Callable[..., FaultProxy], sandbox_upstream: RunningSandbox, live_client: Callable[..., DrsClient]
) -> None:
    proxy = fault_proxy(sandbox_upstream.url, [stall(10.0, path="batch-pause-task")])
    client = live_client(proxy.url, timeout=0.3)
    with pytest.raises(NoAnswer, match=r"within 0.3 s .*--request-timeout"):
        client.pause_jobs([("j-stalled", "target")])


def test_proxy_429_keeps_the_pause_from_the_service_and_it_is_sent_again(
    fault_proxy: Callable[..., FaultProxy], sandbox_upstream: RunningSandbox, live_client: Callable[..., DrsClient]
) -> None:
    job_id = new_job_id("k429")
    control = httpx.put(
        f"{sandbox_upstream.url}/_sandbox/jobs/{job_id}",
        trust_env=False,
        json={"project_id": DEFAULT_PROJECT, "status": "INCRE_TRANSFER_STARTED", "type": "sync"},
    )
    assert control.status_code == 200, control.text
    proxy = fault_proxy(
        sandbox_upstream.url,
        [
            respond(
                429,
                headers=[("Retry-After", "0")],
                nth=[1],
                body='{"error_code": "APIG.0308", "error_msg": "throttled"}',
            )
        ],
    )
    reply = live_client(proxy.url).pause_jobs([(job_id, "target")])
    assert reply.status == 200 and proxy.faults == {"respond": 1} and sum(proxy.requests.values()) == 2
    assert reply.json()["results"][0]["status"] == "success"
    assert _sandbox_status(sandbox_upstream, job_id) == "PAUSING"


def test_proxy_closing_kept_alive_connections_is_survived(
    fault_proxy: Callable[..., FaultProxy], sandbox_upstream: RunningSandbox, live_client: Callable[..., DrsClient]
) -> None:
    proxy = fault_proxy(sandbox_upstream.url, [close_after()])
    client = live_client(proxy.url)
    for _ in range(3):
        assert client.pause_jobs([("j-unknown-1", "target")]).status in (200, 400)
        time.sleep(0.05)  # the proxy's close reaches the client's pool before the next request
    assert proxy.connections == 3 and sum(proxy.requests.values()) == 3


def test_a_refused_connection_is_no_answer(closed_url: str, live_client: Callable[..., DrsClient]) -> None:
    client = live_client(closed_url)
    with pytest.raises(NoAnswer, match=r"cannot connect .*after 4 attempts"):
        client.pause_jobs([("j-refused", "target")])
