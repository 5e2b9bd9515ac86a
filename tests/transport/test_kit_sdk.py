"""drs_conformance.transport.sdk: the official DrsClient built offline, its traffic recorded, its parsing compared."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdrs.v3 import BatchStopJobsResponse, PauseJobResp

from drs_conformance.sandbox import (
    DEFAULT_AK,
    DEFAULT_PROJECT,
    DEFAULT_SK,
    RunningSandbox,
    SandboxConfig,
    start_in_thread,
)
from drs_conformance.transport.client import ExchangeLog
from drs_conformance.transport.redaction import REDACTED, Redactor
from drs_conformance.transport.sdk import close_client, error_fields, model_differences, pause, sdk_client


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with start_in_thread(SandboxConfig()) as running:
        yield running


def test_client_reaches_loopback_past_a_proxy_and_records_redacted(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens: used, it would refuse
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    log = ExchangeLog()
    client, traffic = sdk_client(
        sandbox.url, ak=DEFAULT_AK, sk=DEFAULT_SK, project_id=DEFAULT_PROJECT, redactor=Redactor(), log=log, timeout=5
    )
    try:
        call = pause(client, traffic, [("8d0e8e36-a618-490d-8a46-8c61ac9jb999", "target")])
    finally:
        close_client(client)
    assert call.crash is None and call.error is None and call.response is not None
    assert call.response.count == 1 and call.response.results[0].status == "failed"
    assert len(log) == 1
    exchange = next(iter(log))
    assert exchange.request.header("Authorization") == REDACTED
    text = str(exchange.to_dict())
    assert DEFAULT_SK not in text and DEFAULT_AK not in text


def test_refusal_raises_client_request_exception(sandbox: RunningSandbox) -> None:
    client, traffic = sdk_client(
        sandbox.url, ak=DEFAULT_AK, sk=DEFAULT_SK, project_id=DEFAULT_PROJECT, redactor=Redactor(), timeout=5
    )
    try:
        call = pause(client, traffic, [])
    finally:
        close_client(client)
    assert isinstance(call.error, ClientRequestException) and call.error.status_code == 400
    assert call.reply is not None and error_fields(call.reply.content) == (call.error.error_code, call.error.error_msg)


def test_model_differences_see_a_coerced_count_and_lost_fields() -> None:
    model = BatchStopJobsResponse(results=[PauseJobResp(id="a", status="failed")], count=1)
    assert model_differences(model, b'{"results": [{"id": "a", "status": "failed"}], "count": 1}') == []
    found = model_differences(model, b'{"results": [{"id": "a", "status": "failed", "error_code": "X"}], "count": "1"}')
    assert found == ['body.count is "1" but the SDK reads 1', 'results[0].error_code is "X" but the SDK reads None']
    assert model_differences(model, b"not json") == ["the body is not JSON: the SDK gives an empty response model"]


def test_error_fields_read_the_top_level_only() -> None:
    assert error_fields(b'{"error_code": "DRS.M00300", "error_msg": "m"}') == ("DRS.M00300", "m")
    assert error_fields(b'{"error": {"error_code": "DRS.M00300", "error_msg": "m"}}') == (None, None)
    assert error_fields(b"DRS.M00300: m") == (None, None)
