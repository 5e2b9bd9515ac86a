"""The official SDK (huaweicloudsdkdrs DrsClient, AK/SK) against a live sandbox on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from sandbox_helpers import new_job_id

from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_SK, RunningSandbox
from drs_conformance.transport.redaction import Redactor
from drs_conformance.transport.sdk import SdkCall, close_client, pause, sdk_client
from drs_conformance.transport.signing import sign_request_headers


def put_job(sandbox: RunningSandbox) -> str:
    job_id = new_job_id()
    response = httpx.put(
        f"{sandbox.url}/_sandbox/jobs/{job_id}",
        trust_env=False,
        json={"project_id": DEFAULT_PROJECT, "status": "FULL_TRANSFER_STARTED", "type": "migration"},
    )
    assert response.status_code == 200
    return job_id


def job(sandbox: RunningSandbox, job_id: str) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{sandbox.url}/_sandbox/jobs/{job_id}", trust_env=False).json()


@pytest.fixture
def sandbox(live_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    assert live_sandbox.url.startswith("http://127.0.0.1:")
    return live_sandbox


def sdk_pause(sandbox: RunningSandbox, job_id: str, mode: str, *, sk: str = DEFAULT_SK) -> SdkCall:
    """One batch_stop_jobs call through the kit's offline SDK client (no IAM, no region, no proxy)."""
    client, traffic = sdk_client(sandbox.url, ak=DEFAULT_AK, sk=sk, project_id=DEFAULT_PROJECT, redactor=Redactor())
    try:
        return pause(client, traffic, [(job_id, mode)])
    finally:
        close_client(client)


def test_sdk_pauses_a_seeded_job(sandbox: RunningSandbox) -> None:
    job_id = put_job(sandbox)
    call = sdk_pause(sandbox, job_id, "all")
    assert call.response is not None, f"the SDK got no response: {call.error or call.crash}"
    assert call.response.count == 1 and call.response.results[0].id == job_id, f"received {call.received}"
    assert call.response.results[0].status == "success", f"received {call.received}, documented success"
    assert job(sandbox, job_id)["status"] == contract().paused_status and job(sandbox, job_id)["pause_mode"] == "all"


def test_sdk_with_a_wrong_secret_key_gets_401(sandbox: RunningSandbox) -> None:
    job_id = put_job(sandbox)
    call = sdk_pause(sandbox, job_id, "target", sk="wrong-secret")
    assert isinstance(call.error, ClientRequestException), f"received {call.received}, documented a 401 raised"
    assert call.error.status_code == 401, f"received {call.error.status_code}, documented 401"
    assert job(sandbox, job_id)["pause_mode"] is None, "a refused SDK call changed the job"


@pytest.mark.parametrize("minutes", [pytest.param(-20, id="20-minutes-old"), pytest.param(20, id="20-minutes-ahead")])
def test_sdk_signature_with_a_stale_date_gets_401(sandbox: RunningSandbox, minutes: int) -> None:
    """The SDK's own Signer, given an X-Sdk-Date outside the window, sent over real HTTP."""
    job_id = put_job(sandbox)
    url = sandbox.url + PAUSE_PATH.format(project_id=DEFAULT_PROJECT)
    body = (f'{{"jobs": [{{"job_id": "{job_id}", "pause_mode": "target"}}]}}').encode()
    headers = {"Content-Type": "application/json"}
    headers.update(
        sign_request_headers(
            method="POST",
            url=url,
            headers=headers,
            body=body,
            ak=DEFAULT_AK,
            sk=DEFAULT_SK,
            now=datetime.now(UTC) + timedelta(minutes=minutes),
        )
    )
    response = httpx.post(url, content=body, headers=headers, trust_env=False)
    assert response.status_code == 401, f"received {response.status_code}, documented 401"
