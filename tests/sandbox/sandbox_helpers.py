"""Helpers of the sandbox tests: job ids, language checks, and a client on an in-process sandbox."""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from huaweicloudsdkcore.auth.credentials import BasicCredentials
from huaweicloudsdkcore.sdk_request import SdkRequest
from huaweicloudsdkcore.signer.signer import Signer

from drs_conformance.contract.spec import PAUSE_PATH, RETRY_PATH, STATUS_PATH, contract
from drs_conformance.sandbox import (
    DEFAULT_AK,
    DEFAULT_PROJECT,
    DEFAULT_SK,
    DEFAULT_TOKEN,
    SandboxConfig,
    create_app,
)

OTHER_PROJECT = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
OTHER_TOKEN = "other-project-token"
CJK = re.compile(r"[\u3400-\u9fff]")
_counter = itertools.count(1)
DATE_FORMAT = contract().signing["date_format"]


def new_job_id() -> str:
    """A fresh well-formed job id whose last group is not hexadecimal, like the document's ids."""
    text = str(uuid.uuid4())
    return f"{text[:-6]}jb{next(_counter) % 10000:04d}"


LANGUAGES = [pytest.param(language, id=language) for language in contract().languages]


def assert_language(text: str, language: str) -> None:
    """zh-cn messages contain Chinese characters; en-us messages contain none."""
    if language == "zh-cn":
        assert CJK.search(text), f"received {text!r}, documented a Chinese message for X-Language zh-cn"
    else:
        assert not CJK.search(text), f"received {text!r}, documented an English message for X-Language {language}"


@dataclass
class Api:
    """An httpx client on one sandbox, with the operations and the control API as methods."""

    client: httpx.AsyncClient
    project_id: str = DEFAULT_PROJECT
    token: str = DEFAULT_TOKEN
    app: Any = None
    language: str | None = None
    extra_headers: dict[str, str] = field(default_factory=dict)

    def headers(self, **overrides: str | None) -> dict[str, str]:
        headers = {"X-Auth-Token": self.token, "Content-Type": "application/json", **self.extra_headers}
        if self.language is not None:
            headers["X-Language"] = self.language
        for keyword, value in overrides.items():
            name = keyword.replace("_", "-")
            for existing in [key for key in headers if key.lower() == name.lower()]:
                del headers[existing]
            if value is not None:
                headers[name] = value
        return headers

    async def post(
        self,
        path: str,
        body: Any = None,
        *,
        content: bytes | None = None,
        project_id: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        url = path.format(project_id=project_id or self.project_id)
        if content is None and body is not None:
            content = json.dumps(body).encode("utf-8")
        return await self.client.post(
            url, content=content, headers=dict(headers if headers is not None else self.headers())
        )

    async def pause(self, jobs: Any, **kwargs: Any) -> httpx.Response:
        return await self.post(PAUSE_PATH, {"jobs": jobs}, **kwargs)

    async def pause_one(self, job_id: str, mode: str = "target", **kwargs: Any) -> httpx.Response:
        return await self.pause([{"job_id": job_id, "pause_mode": mode}], **kwargs)

    async def status(self, job_ids: list[str], **kwargs: Any) -> httpx.Response:
        return await self.post(STATUS_PATH, {"jobs": job_ids}, **kwargs)

    async def retry(self, job_ids: list[str], **kwargs: Any) -> httpx.Response:
        return await self.post(RETRY_PATH, {"jobs": [{"job_id": job_id} for job_id in job_ids]}, **kwargs)

    async def status_of(self, job_id: str) -> str | None:
        """The job's status through batch-status (None if the project does not see it)."""
        response = await self.status([job_id])
        assert response.status_code == 200, f"batch-status received {response.status_code}: {response.text}"
        return response.json()["results"][0].get("status")

    async def put_job(
        self,
        job_id: str | None = None,
        *,
        status: str = "INCRE_TRANSFER_STARTED",
        type: str = "sync",
        project_id: str | None = None,
    ) -> str:
        job_id = job_id or new_job_id()
        body = {"project_id": project_id or self.project_id, "status": status, "type": type}
        response = await self.client.put(f"/_sandbox/jobs/{job_id}", json=body)
        assert response.status_code == 200, f"control PUT received {response.status_code}: {response.text}"
        return job_id

    async def job(self, job_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/_sandbox/jobs/{job_id}")
        assert response.status_code == 200, f"control GET received {response.status_code}: {response.text}"
        return response.json()


@contextlib.asynccontextmanager
async def open_api(config: SandboxConfig | None = None, **api_options: Any) -> AsyncIterator[Api]:
    """A fresh in-process sandbox (httpx.ASGITransport) and a client on it."""
    app = create_app(config or two_project_config())
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        yield Api(client=client, app=app, **api_options)


def two_project_config(**options: Any) -> SandboxConfig:
    """The default config plus a token of another project (for tenant tests)."""
    return SandboxConfig(tokens={DEFAULT_TOKEN: DEFAULT_PROJECT, OTHER_TOKEN: OTHER_PROJECT}, **options)


def sign(
    url: str,
    body: bytes,
    *,
    ak: str = DEFAULT_AK,
    sk: str = DEFAULT_SK,
    when: datetime | None = None,
    headers: dict[str, str] | None = None,
) -> dict[str, str]:
    """The headers the SDK would send: its Signer over method, path, query, headers and body."""
    parts = urlsplit(url)
    header_params = {"Content-Type": "application/json", **(headers or {})}
    if when is not None:
        header_params["X-Sdk-Date"] = when.strftime(DATE_FORMAT)
    query = [tuple(pair.split("=", 1)) for pair in parts.query.split("&") if pair]
    request = SdkRequest(
        method="POST",
        schema=parts.scheme,
        host=parts.netloc,
        resource_path=parts.path,
        query_params=query,
        header_params=header_params,
        body=body,
    )
    Signer(BasicCredentials(ak, sk)).sign(request)
    return dict(request.header_params)


def now() -> datetime:
    """UTC now, naive, as the SDK's signer formats it."""
    return datetime.now(UTC).replace(tzinfo=None)


async def signed_pause(
    api: Api, job_id: str, *, project_id: str = DEFAULT_PROJECT, tamper: str | None = None, **sign_options: Any
) -> httpx.Response:
    """Pause one job with an AK/SK-signed request (dated now unless `when` is given), optionally tampered after signing."""
    url = "http://sandbox.test" + PAUSE_PATH.format(project_id=project_id)
    body = json.dumps({"jobs": [{"job_id": job_id, "pause_mode": "target"}]}).encode()
    sign_options.setdefault("when", now())
    headers = sign(url, body, **sign_options)
    if tamper == "body":
        body = body.replace(b"target", b"all")
    elif tamper == "query":
        url += "?extra=1"
    elif tamper == "header":
        headers["X-Sdk-Date"] = (now() - timedelta(seconds=1)).strftime(DATE_FORMAT)
    return await api.client.post(url, content=body, headers=headers)
