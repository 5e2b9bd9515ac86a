"""The kit's client on live targets: throttling, Retry-After, retries of reads only, timeouts, redaction."""

from __future__ import annotations

import json
import time
from typing import Callable

import httpx
import pytest

from drs_conformance.checks import NonConformance
from drs_conformance.client import DrsClient, RateLimiter, TargetTimeout
from drs_conformance.credentials import AkSkCredentials, TokenCredentials
from drs_conformance.errors import TargetUnreachable
from drs_conformance.redaction import REDACTED, Redactor

TOKEN = "tok-live-secret-123456"
OK_BODY = {"results": [], "count": 0}


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
    return httpx.Response(status, content=json.dumps(body).encode(), headers={"content-type": "application/json",
                                                                                  **headers})


def test_rate_limit_spaces_requests() -> None:
    """--rate-limit N: N requests per second at most."""
    seen: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(time.monotonic())
        return _json(200, OK_BODY)

    client = _client(handler, rate_limiter=RateLimiter(20.0))
    for _ in range(5):
        client.batch_status(["x"])
    gaps = [b - a for a, b in zip(seen, seen[1:])]
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
    """batch-status is idempotent and retried on a dropped connection; a pause is not sent twice."""
    attempts = {"status": 0, "pause": 0}

    def handler(request: httpx.Request) -> httpx.Response:
        kind = "status" if request.url.path.endswith("batch-status") else "pause"
        attempts[kind] += 1
        if attempts[kind] == 1:
            raise httpx.ConnectError("connection reset", request=request)
        return _json(200, OK_BODY)

    client = _client(handler)
    assert client.batch_status(["x"]).status == 200 and attempts["status"] == 2
    with pytest.raises(TargetUnreachable):
        client.pause({"jobs": []})
    assert attempts["pause"] == 1, "a pause must never be retried after a transport error"


def test_timeout_says_what_to_do() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with pytest.raises(TargetTimeout, match=r"did not answer within 3 s .*--request-timeout"):
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
