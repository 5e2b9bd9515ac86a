"""The official SDK (huaweicloudsdkdrs DrsClient, AK/SK) against a live sandbox on 127.0.0.1."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkcore.http.http_config import HttpConfig
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer
from huaweicloudsdkdrs.v3 import BatchPauseJobReq, BatchStopJobsRequest, DrsClient, PauseInfo
from sandbox_helpers import new_job_id

from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_SK, RunningSandbox
from drs_conformance.spec import PAUSE_PATH, contract


@pytest.fixture(autouse=True)
def no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """requests (under the SDK) honours proxy variables; loopback must never go through one."""
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")


def drs_client(url: str, sk: str = DEFAULT_SK) -> DrsClient:
    """A DrsClient on the sandbox: project id given (no IAM lookup), explicit http endpoint (no region)."""
    config = HttpConfig.get_default_config()
    config.timeout = (5, 10)
    config.retry_times = 0
    credentials = BasicCredentials(DEFAULT_AK, sk, DEFAULT_PROJECT)
    return DrsClient.new_builder().with_http_config(config).with_credentials(credentials).with_endpoints([url]).build()


def pause_request(job_id: str, mode: str = "target") -> BatchStopJobsRequest:
    return BatchStopJobsRequest(body=BatchPauseJobReq(jobs=[PauseInfo(job_id=job_id, pause_mode=mode)]))


def put_job(sandbox: RunningSandbox) -> str:
    job_id = new_job_id()
    response = httpx.put(f"{sandbox.url}/_sandbox/jobs/{job_id}", json={"project_id": DEFAULT_PROJECT, "status": "FULL_TRANSFER_STARTED", "type": "migration"}, trust_env=False)
    assert response.status_code == 200
    return job_id


@pytest.fixture
def sandbox(live_sandbox: RunningSandbox) -> Iterator[RunningSandbox]:
    assert live_sandbox.url.startswith("http://127.0.0.1:")
    yield live_sandbox


def test_sdk_pauses_a_seeded_job(sandbox: RunningSandbox) -> None:
    job_id = put_job(sandbox)
    client = drs_client(sandbox.url)
    with pytest.warns(DeprecationWarning, match="batch_stop_jobs"):  # the SDK marks the method deprecated
        response = client.batch_stop_jobs(pause_request(job_id, "all"))
    assert response.count == 1 and response.results[0].id == job_id, f"received {response}"
    assert response.results[0].status == "success", f"received {response.results[0]}, documented success"
    job = httpx.get(f"{sandbox.url}/_sandbox/jobs/{job_id}", trust_env=False).json()
    assert job["status"] == contract().paused_status and job["pause_mode"] == "all"


def test_sdk_with_a_wrong_secret_key_gets_401(sandbox: RunningSandbox) -> None:
    job_id = put_job(sandbox)
    client = drs_client(sandbox.url, sk="wrong-secret")
    with pytest.warns(DeprecationWarning, match="batch_stop_jobs"), pytest.raises(ClientRequestException) as caught:
        client.batch_stop_jobs(pause_request(job_id))
    assert caught.value.status_code == 401, f"received {caught.value.status_code}, documented 401"
    job = httpx.get(f"{sandbox.url}/_sandbox/jobs/{job_id}", trust_env=False).json()
    assert job["pause_mode"] is None, "a refused SDK call changed the job"


@pytest.mark.parametrize("minutes", [pytest.param(-20, id="20-minutes-old"), pytest.param(20, id="20-minutes-ahead")])
def test_sdk_signature_with_a_stale_date_gets_401(sandbox: RunningSandbox, minutes: int) -> None:
    """The SDK's own Signer, given an X-Sdk-Date outside the window, sent over real HTTP."""
    job_id = put_job(sandbox)
    host = sandbox.url.removeprefix("http://")
    body = ('{"jobs": [{"job_id": "%s", "pause_mode": "target"}]}' % job_id).encode()
    when = datetime.now(timezone.utc) + timedelta(minutes=minutes)
    request = SdkRequest(
        method="POST",
        schema="http",
        host=host,
        resource_path=PAUSE_PATH.format(project_id=DEFAULT_PROJECT),
        query_params=[],
        header_params={"Content-Type": "application/json", "X-Sdk-Date": when.strftime(contract().signing["date_format"])},
        body=body,
    )
    Signer(BasicCredentials(DEFAULT_AK, DEFAULT_SK)).sign(request)
    response = httpx.post(sandbox.url + request.resource_path, content=body, headers=request.header_params, trust_env=False)
    assert response.status_code == 401, f"received {response.status_code}, documented 401"
