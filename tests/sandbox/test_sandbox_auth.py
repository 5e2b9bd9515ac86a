"""Credentials: X-Auth-Token bound to projects, and AK/SK signed exactly as the official SDK signs."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sandbox_helpers import (
    LANGUAGES,
    OTHER_PROJECT,
    OTHER_TOKEN,
    Api,
    assert_language,
    now,
    open_api,
    signed_pause,
    two_project_config,
)

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, AccessKey

pytestmark = pytest.mark.anyio
MAX_SKEW = contract().signing["max_skew_seconds"]


async def test_sdk_signature_is_accepted(api: Api) -> None:
    job_id = await api.put_job()
    response = await signed_pause(api, job_id)
    assert response.status_code == 200 and response.json()["results"][0]["status"] == "success", (
        f"received {response.status_code} {response.text}"
    )


@pytest.mark.parametrize(
    ("case", "options"),
    [
        pytest.param("wrong-sk", {"sk": "not-the-secret"}, id="wrong-sk"),
        pytest.param("unknown-ak", {"ak": "UNKNOWNACCESSKEY"}, id="unknown-ak"),
        pytest.param("stale", {"skew": -(MAX_SKEW + 60)}, id="stale-date"),
        pytest.param("future", {"skew": MAX_SKEW + 60}, id="future-date"),
        pytest.param("body", {"tamper": "body"}, id="body-changed"),
        pytest.param("query", {"tamper": "query"}, id="query-added"),
        pytest.param("header", {"tamper": "header"}, id="signed-header-changed"),
    ],
)
async def test_bad_signature_gets_401_and_changes_nothing(api: Api, case: str, options: dict[str, Any]) -> None:
    options = dict(options)
    if "skew" in options:  # dated when the test runs, not when the module was imported
        options["when"] = now() + timedelta(seconds=options.pop("skew"))
    job_id = await api.put_job()
    response = await signed_pause(api, job_id, **options)
    assert response.status_code == 401, f"received {response.status_code}, documented 401 ({case})"
    assert response.json()["error_code"] and response.json()["error_msg"]
    assert (await api.job(job_id))["pause_mode"] is None, "a refused signature changed the job"


async def test_date_within_the_window_is_accepted(api: Api) -> None:
    job_id = await api.put_job()
    response = await signed_pause(api, job_id, when=now() - timedelta(seconds=MAX_SKEW - 60))
    assert response.status_code == 200, (
        f"received {response.status_code}, documented 200 for a date {MAX_SKEW - 60} s old"
    )


@pytest.mark.parametrize(
    "authorization",
    [
        "SDK-HMAC-SHA256 Access=x",
        "Bearer abc",
        f"SDK-HMAC-SHA256 Access={DEFAULT_AK}, SignedHeaders=content-type, Signature=00",
        "",
    ],
)
async def test_malformed_authorization_gets_401(api: Api, authorization: str) -> None:
    response = await api.pause_one(
        contract().example_job_id, headers={"Content-Type": "application/json", "Authorization": authorization}
    )
    assert response.status_code == 401, f"received {response.status_code}, documented 401"


async def test_access_key_is_bound_to_its_project(api: Api) -> None:
    job_id = await api.put_job(project_id=OTHER_PROJECT)
    response = await signed_pause(api, job_id, project_id=OTHER_PROJECT)
    assert response.status_code == 403, f"received {response.status_code}, documented 403"


async def test_access_key_of_another_project_is_configurable() -> None:
    config = two_project_config(access_keys=(AccessKey("OTHERAK", "other-sk", OTHER_PROJECT),))
    async with open_api(config) as api:
        job_id = await api.put_job(project_id=OTHER_PROJECT)
        response = await signed_pause(api, job_id, project_id=OTHER_PROJECT, ak="OTHERAK", sk="other-sk")
        assert response.status_code == 200, f"received {response.status_code}: {response.text}"


# -- tokens ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "token", [pytest.param(None, id="missing"), pytest.param("", id="empty"), pytest.param("forged", id="unknown")]
)
async def test_missing_or_invalid_token_gets_401_and_changes_nothing(
    api: Api, token: str | None, language: str
) -> None:
    job_id = await api.put_job()
    response = await api.pause_one(job_id, headers=api.headers(x_auth_token=token, x_language=language))
    assert response.status_code == 401, f"received {response.status_code}, documented 401"
    assert response.headers["content-type"].startswith("application/json")
    assert_language(response.json()["error_msg"], language)
    assert (await api.job(job_id))["pause_mode"] is None


@pytest.mark.parametrize("language", LANGUAGES)
async def test_token_of_another_project_gets_403_and_changes_nothing(api: Api, language: str) -> None:
    job_id = await api.put_job()
    response = await api.pause_one(job_id, headers=api.headers(x_auth_token=OTHER_TOKEN, x_language=language))
    assert response.status_code == 403, f"received {response.status_code}, documented 403"
    assert_language(response.json()["error_msg"], language)
    assert (await api.job(job_id))["pause_mode"] is None


async def test_valid_token_does_not_excuse_a_bad_authorization(api: Api) -> None:
    job_id = await api.put_job()
    response = await api.pause_one(
        job_id, headers=api.headers(authorization="SDK-HMAC-SHA256 Access=x, SignedHeaders=host, Signature=00")
    )
    assert response.status_code == 401, (
        f"received {response.status_code}, documented 401: every credential presented must be valid"
    )


@pytest.mark.parametrize("path", ["batch-status", "batch-retry-task"])
async def test_supporting_operations_need_credentials_too(api: Api, path: str) -> None:
    response = await api.client.post(
        f"/v3/{DEFAULT_PROJECT}/jobs/{path}", json={"jobs": []}, headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 401, f"received {response.status_code}, documented 401"
