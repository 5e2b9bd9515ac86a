"""Each rule of the contract notes against the clean sandbox, in both languages where messages are involved."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sandbox_helpers import (
    LANGUAGES,
    OTHER_PROJECT,
    Api,
    assert_language,
    new_job_id,
    open_api,
)

from drs_conformance.contract.spec import PAUSE_PATH, contract, load_document
from drs_conformance.sandbox import DEFAULT_PROJECT, SandboxConfig

pytestmark = pytest.mark.anyio

C = contract()
PAUSED = C.paused_status
DOCUMENTED = set(C.documented_error_codes)
ID = "8d0e8e36-a618-490d-8a46-8c61ac9jb503"


def assert_refused(response: Any, language: str, status: int = 400) -> dict[str, Any]:
    """A refusal: the status, a JSON object with error_code and error_msg at top level, in the language."""
    assert response.status_code == status, f"received {response.status_code}, documented {status}: {response.text}"
    assert response.headers["content-type"].startswith("application/json"), (
        f"received Content-Type {response.headers['content-type']}, documented application/json"
    )
    body = response.json()
    assert (
        isinstance(body, dict) and isinstance(body.get("error_code"), str) and isinstance(body.get("error_msg"), str)
    ), f"received {body!r}, documented {{error_code, error_msg}} at top level"
    assert_language(body["error_msg"], language)
    return body


def results_by_id(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, f"received {response.status_code}, documented 200: {response.text}"
    body = response.json()
    assert body["count"] == len(body["results"]), f"received count {body['count']}, documented {len(body['results'])}"
    return {result["id"]: result for result in body["results"]}


# -- the documented example ------------------------------------------------------------------------


async def test_documented_example_is_answered_as_documented(api: Api) -> None:
    response = await api.post(PAUSE_PATH, C.example_request, project_id=C.example_project_id)
    assert response.status_code == 200, f"received {response.status_code}, documented 200"
    assert response.json() == C.example_response, f"received {response.json()}, documented {C.example_response}"


async def test_the_openapi_document_is_served_as_json(api: Api) -> None:
    response = await api.client.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert response.json() == load_document(), "received a document other than the contract"


# -- rule 1 (and 3, 18): structurally invalid bodies are refused with 400 ---------------------------

GOOD = {"job_id": ID, "pause_mode": "target"}
INVALID_BODIES = [
    pytest.param(b"{", id="not-json"),
    pytest.param(b"", id="empty-body"),
    pytest.param(b"\xff\xfe{}", id="not-utf8"),
    pytest.param(b'{"jobs": [' + b"[" * 5000 + b"]" * 5000 + b"]}", id="deep-nesting"),
    pytest.param(b'{"jobs": NaN}', id="nan"),
    pytest.param(b"[]", id="array"),
    pytest.param(b'"jobs"', id="string"),
    pytest.param(b"42", id="number"),
    pytest.param(b"null", id="null"),
    pytest.param(b"{}", id="jobs-missing"),
    pytest.param({"jobs": {}}, id="jobs-object"),
    pytest.param({"jobs": "x"}, id="jobs-string"),
    pytest.param({"jobs": None}, id="jobs-null"),
    pytest.param({"jobs": []}, id="jobs-empty"),
    pytest.param({"jobs": ["x"]}, id="item-string"),
    pytest.param({"jobs": [1]}, id="item-number"),
    pytest.param({"jobs": [None]}, id="item-null"),
    pytest.param({"jobs": [[GOOD]]}, id="item-array"),
    pytest.param({"jobs": [{}]}, id="item-empty"),
    pytest.param({"jobs": [{"pause_mode": "target"}]}, id="job-id-missing"),
    pytest.param({"jobs": [{"job_id": None, "pause_mode": "target"}]}, id="job-id-null"),
    pytest.param({"jobs": [{"job_id": 8, "pause_mode": "target"}]}, id="job-id-number"),
    pytest.param({"jobs": [{"job_id": ID}]}, id="pause-mode-missing"),
    pytest.param({"jobs": [{"job_id": ID, "pause_mode": None}]}, id="pause-mode-null"),
    pytest.param({"jobs": [{"job_id": ID, "pause_mode": 1}]}, id="pause-mode-number"),
    pytest.param({"jobs": [{"job_id": ID[:-1], "pause_mode": "target"}]}, id="job-id-35-chars"),
    pytest.param({"jobs": [{"job_id": ID + "0", "pause_mode": "target"}]}, id="job-id-37-chars"),
    pytest.param({"jobs": [{"job_id": f" {ID[1:]}", "pause_mode": "target"}]}, id="job-id-padded"),
    pytest.param({"jobs": [{"job_id": ID.replace("-", ""), "pause_mode": "target"}]}, id="job-id-no-dashes"),
    pytest.param(
        {"jobs": [{"job_id": "8d0e8e36a-618-490d-8a46-8c61ac9jb50", "pause_mode": "target"}]}, id="job-id-groups"
    ),
    pytest.param({"jobs": [{"job_id": ID[:-1] + "é", "pause_mode": "target"}]}, id="job-id-non-ascii"),
    pytest.param({"jobs": [{"job_id": ID[:-1] + "_", "pause_mode": "target"}]}, id="job-id-underscore"),
    pytest.param({"jobs": [{"job_id": ID, "pause_mode": "TARGET"}]}, id="pause-mode-upper"),
    pytest.param({"jobs": [{"job_id": ID, "pause_mode": " all"}]}, id="pause-mode-padded"),
    pytest.param({"jobs": [{"job_id": ID, "pause_mode": "stop"}]}, id="pause-mode-other"),
    pytest.param({"jobs": [{"job_id": ID, "pause_mode": ""}]}, id="pause-mode-empty"),
    pytest.param({"jobs": [GOOD, {}]}, id="second-item-empty"),
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("body", INVALID_BODIES)
async def test_invalid_body_is_refused_with_a_documented_code(api: Api, body: Any, language: str) -> None:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    response = await api.post(PAUSE_PATH, content=content, headers=api.headers(x_language=language))
    error = assert_refused(response, language)
    assert error["error_code"] in DOCUMENTED, f"received {error['error_code']}, documented one of {sorted(DOCUMENTED)}"


async def test_empty_object_names_the_document_rule(api: Api) -> None:
    response = await api.pause([{}])
    assert "cannot contain empty objects" in response.json()["error_msg"], f"received {response.json()}"


async def test_bad_job_id_and_bad_mode_have_their_own_codes(api: Api) -> None:
    bad_id = await api.pause([{"job_id": "nope", "pause_mode": "target"}])
    bad_mode = await api.pause([{"job_id": ID, "pause_mode": "nope"}])
    assert bad_id.json()["error_code"] == "DRS.M00200", f"received {bad_id.json()}"
    assert bad_mode.json()["error_code"] == "DRS.M00305", f"received {bad_mode.json()}"


# -- rule 2: a refused request changes no job -----------------------------------------------------


@pytest.mark.parametrize(
    "refusal",
    [
        pytest.param("schema", id="bad-item"),
        pytest.param("content-type", id="content-type"),
        pytest.param("token", id="token"),
        pytest.param("project", id="other-project"),
        pytest.param("language", id="language"),
        pytest.param("size", id="too-large"),
    ],
)
async def test_refused_request_changes_no_job(api: Api, refusal: str) -> None:
    job_id = await api.put_job()
    jobs: list[Any] = [{"job_id": job_id, "pause_mode": "all"}]
    headers = api.headers()
    project = None
    if refusal == "schema":
        jobs.append({"job_id": ID, "pause_mode": "never"})
    elif refusal == "content-type":
        headers = api.headers(content_type="text/plain")
    elif refusal == "token":
        headers = api.headers(x_auth_token="forged")
    elif refusal == "project":
        project = OTHER_PROJECT
    elif refusal == "language":
        headers = api.headers(x_language="fr-fr")
    elif refusal == "size":
        jobs.append({"job_id": ID, "pause_mode": "target", "padding": "x" * (1024 * 1024)})
    response = await api.pause(jobs, headers=headers, project_id=project)
    assert 400 <= response.status_code < 500, f"received {response.status_code}, documented a 4xx"
    job = await api.job(job_id)
    assert job["status"] == "INCRE_TRANSFER_STARTED" and job["pause_mode"] is None, (
        f"received {job} after a refused request, documented the job unchanged"
    )


# -- rule 4 (default option): duplicates answered per occurrence ---------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_duplicated_job_gets_one_result_per_occurrence_and_one_success(api: Api, language: str) -> None:
    job_id = await api.put_job()
    api.language = language
    response = await api.pause([{"job_id": job_id, "pause_mode": "target"}] * 3)
    body = response.json()
    assert response.status_code == 200 and body["count"] == 3, f"received {response.status_code} {body}"
    statuses = [result["status"] for result in body["results"]]
    assert statuses.count("success") == 1, f"received {statuses}, documented at most one success"
    for result in body["results"]:
        if result["status"] != "success":
            assert_language(result["error_msg"], language)


# -- rule 5 (default option): extra fields are ignored -------------------------------------------


async def test_extra_fields_are_ignored(api: Api) -> None:
    job_id = await api.put_job()
    body = {"jobs": [{"job_id": job_id, "pause_mode": "all", "note": 1}], "dry_run": True}
    response = await api.post(PAUSE_PATH, body)
    assert results_by_id(response)[job_id]["status"] == "success", f"received {response.json()}"


# -- rule 7: Content-Type -------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",
        "application/xml",
        "application/x-www-form-urlencoded",
        "application/jsonx",
        "application/json-patch+json",
        None,
    ],
)
async def test_other_content_type_gets_415(api: Api, content_type: str | None, language: str) -> None:
    job_id = await api.put_job()
    headers = api.headers(content_type=content_type, x_language=language)
    if content_type is None:
        headers.pop("Content-Type", None)
    response = await api.pause([{"job_id": job_id, "pause_mode": "target"}], headers=headers)
    assert_refused(response, language, 415)
    assert (await api.job(job_id))["pause_mode"] is None, "received a paused job after a 415"


@pytest.mark.parametrize(
    "content_type", ["application/json; charset=utf-8", "Application/JSON", "application/json ;charset=UTF-8"]
)
async def test_json_content_type_with_parameters_is_served(api: Api, content_type: str) -> None:
    job_id = await api.put_job()
    response = await api.pause(
        [{"job_id": job_id, "pause_mode": "target"}], headers=api.headers(content_type=content_type)
    )
    assert results_by_id(response)[job_id]["status"] == "success"


# -- rule 8: sizes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [1, 100, 101, 1000])
async def test_batches_are_served(api: Api, size: int) -> None:
    ids = [await api.put_job() for _ in range(size)]
    response = await api.pause([{"job_id": job_id, "pause_mode": "all"} for job_id in ids])
    results = results_by_id(response)
    assert all(results[job_id]["status"] == "success" for job_id in ids), (
        "received a failed item in a batch of pausable jobs"
    )


@pytest.mark.parametrize("language", LANGUAGES)
async def test_body_over_one_mebibyte_gets_413(api: Api, language: str) -> None:
    padding = "x" * (1024 * 1024)
    response = await api.post(
        PAUSE_PATH, {"jobs": [GOOD], "padding": padding}, headers=api.headers(x_language=language)
    )
    assert_refused(response, language, 413)


async def test_ten_thousand_items_are_answered(api: Api) -> None:
    """Served in full (its time is benchmarks/sandbox_throughput.py's figure, not a test's bound)."""
    jobs = [{"job_id": f"{index:08d}-a618-490d-8a46-8c61ac9jb502", "pause_mode": "target"} for index in range(10_000)]
    response = await api.pause(jobs)
    assert response.status_code == 200 and response.json()["count"] == 10_000


# -- rule 9 (default option): an unknown X-Language is refused ------------------------------------


@pytest.mark.parametrize("value", ["fr-fr", "EN-US", "zh", "", "en-us, zh-cn"])
async def test_unknown_language_is_refused(api: Api, value: str) -> None:
    response = await api.pause([GOOD], headers=api.headers(x_language=value))
    error = assert_refused(response, C.default_language)
    assert error["error_code"] == "DRS.M00007", f"received {error['error_code']}, documented DRS.M00007"


# -- rule 11: one result per item, ids unchanged, count ---------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_one_result_per_item_with_the_requested_id(api: Api, language: str) -> None:
    api.language = language
    ids = [await api.put_job(), new_job_id(), await api.put_job(status="CREATING")]
    response = await api.pause([{"job_id": job_id, "pause_mode": "target"} for job_id in ids])
    body = response.json()
    assert [result["id"] for result in body["results"]] == ids, (
        f"received ids {[r['id'] for r in body['results']]}, documented {ids}"
    )
    assert body["count"] == len(ids), f"received count {body['count']}, documented {len(ids)}"


# -- rule 12: pausable jobs are paused, with the mode recorded ------------------------------------


@pytest.mark.parametrize("mode", [pytest.param(m, id=m) for m in C.pause_modes])
@pytest.mark.parametrize("job_type", [pytest.param(t, id=t) for t in C.pausable_types])
@pytest.mark.parametrize("status", [pytest.param(s, id=s) for s in C.pausable_statuses])
async def test_pausable_job_is_paused(api: Api, status: str, job_type: str, mode: str) -> None:
    job_id = await api.put_job(status=status, type=job_type)
    response = await api.pause_one(job_id, mode)
    assert results_by_id(response)[job_id] == {"id": job_id, "status": "success"}, f"received {response.json()}"
    assert await api.status_of(job_id) == PAUSED, f"batch-status does not report {PAUSED}"
    assert (await api.job(job_id))["pause_mode"] == mode, "received another pause_mode, documented the requested one"


# -- rule 13: other states and DR jobs fail and stay unchanged ----------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("status", [pytest.param(s, id=s) for s in C.non_pausable_statuses])
async def test_non_pausable_state_fails_and_is_left_unchanged(api: Api, status: str, language: str) -> None:
    api.language = language
    job_id = await api.put_job(status=status)
    result = results_by_id(await api.pause_one(job_id))[job_id]
    assert result["status"] == "failed", f"received {result}, documented failed"
    assert result["error_code"] == "DRS.M00304", f"received {result['error_code']}, documented DRS.M00304"
    assert_language(result["error_msg"], language)
    assert await api.job(job_id) == {
        "id": job_id,
        "project_id": DEFAULT_PROJECT,
        "status": status,
        "type": "sync",
        "pause_mode": None,
    }


async def test_paused_job_cannot_be_paused_again(api: Api) -> None:
    job_id = await api.put_job()
    await api.pause_one(job_id, "target")
    result = results_by_id(await api.pause_one(job_id, "all"))[job_id]
    assert result["status"] == "failed", f"received {result}, documented failed for a PAUSING job"
    assert (await api.job(job_id))["pause_mode"] == "target", "the mode of a paused job changed on a refused re-pause"


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("job_type", [pytest.param(t, id=t) for t in C.non_pausable_types])
@pytest.mark.parametrize("status", [pytest.param(s, id=s) for s in C.pausable_statuses])
async def test_dr_job_fails_and_is_left_unchanged(api: Api, job_type: str, status: str, language: str) -> None:
    api.language = language
    job_id = await api.put_job(status=status, type=job_type)
    result = results_by_id(await api.pause_one(job_id))[job_id]
    assert result["status"] == "failed" and result["error_code"] == "DRS.M00304", f"received {result}"
    assert_language(result["error_msg"], language)
    assert (await api.job(job_id))["status"] == status


# -- rule 14: unknown and foreign jobs fail alike ------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_unknown_and_foreign_jobs_fail_indistinguishably(api: Api, language: str) -> None:
    api.language = language
    foreign = await api.put_job(project_id=OTHER_PROJECT)
    unknown = new_job_id()
    results = results_by_id(
        await api.pause([{"job_id": foreign, "pause_mode": "all"}, {"job_id": unknown, "pause_mode": "all"}])
    )
    strip = lambda result: {k: v for k, v in result.items() if k != "id"}  # noqa: E731
    assert results[foreign]["status"] == "failed" and results[foreign]["error_code"] == "DRS.M05003", (
        f"received {results[foreign]}"
    )
    assert strip(results[foreign]) == strip(results[unknown]), (
        f"received {results[foreign]} and {results[unknown]}, documented the same failure"
    )
    assert_language(results[unknown]["error_msg"], language)
    assert (await api.job(foreign))["status"] == "INCRE_TRANSFER_STARTED", "a job of another project was changed"


# -- rules 15, 16: failed items, independence ---------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_items_are_independent(api: Api, language: str) -> None:
    api.language = language
    good, creating, dr = (
        await api.put_job(),
        await api.put_job(status="CREATING"),
        await api.put_job(type="cloudDataGuard"),
    )
    unknown = new_job_id()
    response = await api.pause([{"job_id": j, "pause_mode": "all"} for j in (creating, good, unknown, dr)])
    results = results_by_id(response)
    assert results[good]["status"] == "success", f"received {results[good]} next to failing items, documented success"
    for job_id in (creating, unknown, dr):
        assert (
            results[job_id]["status"] == "failed" and results[job_id]["error_code"] and results[job_id]["error_msg"]
        ), f"received {results[job_id]}"
        assert_language(results[job_id]["error_msg"], language)


# -- supporting operations -------------------------------------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
async def test_batch_status_reports_each_job_and_hides_foreign_ones(api: Api, language: str) -> None:
    api.language = language
    own, foreign, unknown = (
        await api.put_job(status="CREATING"),
        await api.put_job(project_id=OTHER_PROJECT),
        new_job_id(),
    )
    response = await api.status([own, foreign, unknown])
    results = results_by_id(response)
    assert results[own] == {"id": own, "status": "CREATING"}
    for job_id in (foreign, unknown):
        assert "status" not in results[job_id] and results[job_id]["error_code"] == "DRS.M05003", (
            f"received {results[job_id]}"
        )
        assert_language(results[job_id]["error_message"], language)


async def test_retry_resumes_a_paused_job_to_its_previous_status(api: Api) -> None:
    job_id = await api.put_job(status="FULL_TRANSFER_COMPLETE")
    await api.pause_one(job_id, "all")
    response = await api.retry([job_id])
    assert results_by_id(response)[job_id]["status"] == "success"
    assert await api.job(job_id) == {
        "id": job_id,
        "project_id": DEFAULT_PROJECT,
        "status": "FULL_TRANSFER_COMPLETE",
        "type": "sync",
        "pause_mode": None,
    }


@pytest.mark.parametrize("language", LANGUAGES)
async def test_retry_of_other_states(api: Api, language: str) -> None:
    api.language = language
    running, failed, foreign = (
        await api.put_job(),
        await api.put_job(status="INCRE_TRANSFER_FAILED"),
        await api.put_job(project_id=OTHER_PROJECT, status=PAUSED),
    )
    results = results_by_id(await api.retry([running, failed, foreign]))
    assert results[running]["status"] == "failed" and results[running]["error_code"] == "DRS.M00304", (
        f"received {results[running]}"
    )
    assert_language(results[running]["error_msg"], language)
    assert results[failed]["status"] == "success", (
        f"received {results[failed]}, documented success for a retry of a failed job"
    )
    assert results[foreign]["error_code"] == "DRS.M05003"
    assert (await api.job(failed))["status"] == "INCRE_TRANSFER_FAILED"
    assert (await api.job(foreign))["status"] == PAUSED


# -- HTTP semantics --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"])
async def test_other_methods_get_405_with_allow(api: Api, method: str) -> None:
    response = await api.client.request(method, PAUSE_PATH.format(project_id=DEFAULT_PROJECT), headers=api.headers())
    assert response.status_code == 405, f"received {response.status_code}, documented 405"
    assert response.headers.get("allow") == "POST", f"received Allow {response.headers.get('allow')!r}, documented POST"
    assert response.json()["error_code"]


@pytest.mark.parametrize(
    "path",
    ["/", "/v3", "/v3/x/jobs", PAUSE_PATH.format(project_id=DEFAULT_PROJECT) + "/", "/v3//jobs/batch-pause-task"],
)
async def test_unknown_paths_get_404_json(api: Api, path: str) -> None:
    response = await api.client.post(path, headers=api.headers(), content=b"{}")
    assert response.status_code == 404, f"received {response.status_code}, documented 404"
    assert response.headers["content-type"].startswith("application/json") and response.json()["error_code"]


async def test_default_sandbox_holds_the_example_job_only() -> None:
    async with open_api(SandboxConfig()) as api:
        assert api.app.state.seeded.count == 1
        job = await api.job(C.example_job_id)
        assert job == {
            "id": C.example_job_id,
            "project_id": C.example_project_id,
            "status": "INCRE_TRANSFER_STARTED",
            "type": "sync",
            "pause_mode": None,
        }
