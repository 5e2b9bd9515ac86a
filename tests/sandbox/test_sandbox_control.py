"""The control API (test hook of the contract notes): health, reset, put, get and delete a job, input validation."""

from __future__ import annotations

import pytest
from sandbox_helpers import OTHER_PROJECT, Api, assert_language, new_job_id, open_api

from drs_conformance.contract.spec import contract
from drs_conformance.sandbox import SandboxConfig

pytestmark = pytest.mark.anyio
C = contract()


async def test_health(api: Api) -> None:
    response = await api.client.get("/_sandbox/health")
    assert response.status_code == 200 and response.json()["status"] == "ok"


async def test_health_declares_the_optional_delete(api: Api) -> None:
    """The contract notes' optional DELETE is found through health (a vendor's sandbox may lack it)."""
    assert "delete-job" in (await api.client.get("/_sandbox/health")).json()["extensions"]


async def test_delete_removes_one_job_and_then_answers_404(api: Api) -> None:
    job_id, kept = await api.put_job(), await api.put_job()
    response = await api.client.delete(f"/_sandbox/jobs/{job_id}")
    assert response.status_code == 204 and response.content == b"", f"received {response.status_code} {response.text}"
    assert (await api.client.get(f"/_sandbox/jobs/{job_id}")).status_code == 404
    assert (await api.client.get(f"/_sandbox/jobs/{kept}")).status_code == 200, "DELETE removed another job too"
    again = await api.client.delete(f"/_sandbox/jobs/{job_id}")
    assert again.status_code == 404 and again.json()["error_code"], f"received {again.status_code} {again.text}"


@pytest.mark.parametrize("method", ["PUT", "GET", "DELETE"])
@pytest.mark.parametrize(
    "job_id",
    [
        pytest.param(C.example_job_id + "%0A", id="trailing-newline"),
        pytest.param(C.example_job_id + "0", id="37-chars"),
        pytest.param(C.example_job_id[:-1], id="35-chars"),
        pytest.param(C.example_job_id.upper(), id="upper-case"),
        pytest.param("%0A" + C.example_job_id, id="leading-newline"),
    ],
)
async def test_ids_follow_the_contract_rule_as_the_api_does(api: Api, method: str, job_id: str) -> None:
    """The whole id must match the rule (fullmatch, 36 characters): nothing stored under a near-miss id."""
    body = {"project_id": api.project_id, "status": "CREATING", "type": "sync"}
    response = await api.client.request(method, f"/_sandbox/jobs/{job_id}", json=body if method == "PUT" else None)
    assert response.status_code == 400, f"{method} of id {job_id!r}: received {response.status_code}, expected 400"
    assert response.json()["error_code"]
    assert (await api.client.get("/_sandbox/health")).json()["jobs"] == 1, "a job was stored under a malformed id"


async def test_reset_removes_every_job(api: Api) -> None:
    job_id = await api.put_job()
    response = await api.client.post("/_sandbox/reset")
    assert response.status_code == 204 and response.content == b""
    assert (await api.client.get(f"/_sandbox/jobs/{job_id}")).status_code == 404
    assert (await api.client.get(f"/_sandbox/jobs/{C.example_job_id}")).status_code == 404
    assert (await api.client.get("/_sandbox/health")).json()["jobs"] == 0


async def test_put_then_get(api: Api) -> None:
    job_id = new_job_id()
    body = {"project_id": OTHER_PROJECT, "status": "CREATING", "type": "migration"}
    put = await api.client.put(f"/_sandbox/jobs/{job_id}", json=body)
    expected = {"id": job_id, **body, "pause_mode": None}
    assert put.status_code == 200 and put.json() == expected, f"received {put.status_code} {put.text}"
    assert (await api.client.get(f"/_sandbox/jobs/{job_id}")).json() == expected


async def test_put_replaces_a_paused_job(api: Api) -> None:
    job_id = await api.put_job()
    await api.pause_one(job_id, "all")
    assert (await api.job(job_id))["pause_mode"] == "all"
    await api.put_job(job_id, status="FULL_TRANSFER_STARTED")
    assert await api.job(job_id) == {
        "id": job_id,
        "project_id": api.project_id,
        "status": "FULL_TRANSFER_STARTED",
        "type": "sync",
        "pause_mode": None,
    }


async def test_get_unknown_job_is_404_json(api: Api) -> None:
    response = await api.client.get(f"/_sandbox/jobs/{new_job_id()}")
    assert response.status_code == 404 and response.json()["error_code"]


@pytest.mark.parametrize(
    ("job_id", "body"),
    [
        pytest.param("not-an-id", {"project_id": "p", "status": "CREATING", "type": "sync"}, id="bad-id"),
        pytest.param(None, {"project_id": "p", "status": "RUNNING", "type": "sync"}, id="bad-status"),
        pytest.param(None, {"project_id": "p", "status": "CREATING", "type": "dr"}, id="bad-type"),
        pytest.param(None, {"project_id": "", "status": "CREATING", "type": "sync"}, id="empty-project"),
        pytest.param(None, {"project_id": 5, "status": "CREATING", "type": "sync"}, id="project-not-string"),
        pytest.param(None, {"project_id": "a/b", "status": "CREATING", "type": "sync"}, id="project-with-slash"),
        pytest.param(None, {"status": "CREATING", "type": "sync"}, id="project-missing"),
        pytest.param(
            None, {"project_id": "p", "status": "CREATING", "type": "sync", "pause_mode": "all"}, id="extra-field"
        ),
        pytest.param(None, ["p"], id="not-object"),
        pytest.param(None, b"{", id="not-json"),
    ],
)
@pytest.mark.parametrize("language", ["en-us", "zh-cn"])
async def test_put_validates_its_input(api: Api, job_id: str | None, body: object, language: str) -> None:
    job_id = job_id or new_job_id()
    kwargs = {"content": body} if isinstance(body, bytes) else {"json": body}
    response = await api.client.put(f"/_sandbox/jobs/{job_id}", headers={"X-Language": language}, **kwargs)
    assert response.status_code == 400, f"received {response.status_code}, expected 400"
    assert response.json()["error_code"] and response.json()["error_msg"]
    assert_language(response.json()["error_msg"], language)


async def test_control_api_can_be_switched_off() -> None:
    async with open_api(SandboxConfig(control_api=False)) as api:
        for method, path in [
            ("GET", "/_sandbox/health"),
            ("POST", "/_sandbox/reset"),
            ("GET", f"/_sandbox/jobs/{C.example_job_id}"),
        ]:
            response = await api.client.request(method, path)
            assert response.status_code == 404, f"{method} {path}: received {response.status_code}, expected 404"


# -- bulk forms (optional additions, declared under extensions) -----------------------------------------------


def _record(job_id: str, **fields: str) -> dict[str, str]:
    return {
        "id": job_id,
        "project_id": fields.get("project_id", OTHER_PROJECT),
        "status": fields.get("status", "CREATING"),
        "type": fields.get("type", "sync"),
    }


async def test_health_declares_the_bulk_forms(api: Api) -> None:
    declared = (await api.client.get("/_sandbox/health")).json()["extensions"]
    assert {"bulk-put", "bulk-query", "bulk-delete"} <= set(declared), f"received extensions {declared}"


async def test_bulk_put_stores_every_job_and_returns_their_records(api: Api) -> None:
    jobs = [_record(new_job_id()), _record(new_job_id(), status="PAUSING", type="migration", project_id=api.project_id)]
    response = await api.client.put("/_sandbox/jobs", json={"jobs": jobs})
    assert response.status_code == 200, f"received {response.status_code} {response.text}"
    expected = [{**job, "pause_mode": None} for job in jobs]
    assert response.json() == {"jobs": expected, "count": 2}
    for record in expected:
        assert await api.job(record["id"]) == record


async def test_bulk_query_answers_the_jobs_there_whatever_their_project(api: Api) -> None:
    mine, theirs, nobody = await api.put_job(), new_job_id(), new_job_id()
    await api.client.put(f"/_sandbox/jobs/{theirs}", json={k: v for k, v in _record(theirs).items() if k != "id"})
    response = await api.client.post("/_sandbox/jobs/query", json={"ids": [nobody, theirs, mine]})
    assert response.status_code == 200, f"received {response.status_code} {response.text}"
    found = {record["id"]: record for record in response.json()["jobs"]}
    assert set(found) == {mine, theirs} and response.json()["count"] == 2, f"received {response.json()}"
    assert found[theirs] == {**_record(theirs), "pause_mode": None}
    assert found[mine] == await api.job(mine)


async def test_bulk_delete_says_which_jobs_were_there(api: Api) -> None:
    gone, kept, nobody = await api.put_job(), await api.put_job(), new_job_id()
    response = await api.client.post("/_sandbox/jobs/delete", json={"ids": [gone, nobody]})
    assert response.status_code == 200 and response.json() == {"deleted": [gone], "not_found": [nobody]}, (
        f"received {response.status_code} {response.text}"
    )
    assert (await api.client.get(f"/_sandbox/jobs/{gone}")).status_code == 404
    assert (await api.client.get(f"/_sandbox/jobs/{kept}")).status_code == 200, "a job not named was deleted"


@pytest.mark.parametrize(
    ("body", "says"),
    [
        pytest.param({"jobs": []}, "an array of 1 to 1000", id="empty"),
        pytest.param({"jobs": [_record("x")] * 1001}, "an array of 1 to 1000", id="over-the-limit"),
        pytest.param({"jobs": {}}, "an array of 1 to 1000", id="not-an-array"),
        pytest.param({"jobs": [], "extra": 1}, "an array of 1 to 1000", id="extra-field"),
        pytest.param({"jobs": ["x"]}, "jobs[0] must be a JSON object", id="entry-not-object"),
        pytest.param(
            {"jobs": [{"id": C.example_job_id, "status": "CREATING", "type": "sync"}]},
            "jobs[0] must be",
            id="entry-without-project",
        ),
        pytest.param({"jobs": [{**_record(C.example_job_id), "status": "RUNNING"}]}, "jobs[0].status", id="bad-status"),
        pytest.param(
            {"jobs": [_record(C.example_job_id), {**_record(C.example_job_id), "type": "dr"}]},
            "jobs[1].type",
            id="second-entry-bad-type",
        ),
        pytest.param(
            {"jobs": [{**_record(C.example_job_id), "pause_mode": "all"}]}, "jobs[0].pause_mode", id="entry-extra-field"
        ),
        pytest.param({"jobs": [_record(C.example_job_id + "0")]}, "UUID rule", id="bad-id"),
    ],
)
async def test_bulk_put_refuses_the_whole_list_for_one_bad_entry(api: Api, body: dict, says: str) -> None:  # type: ignore[type-arg]
    """All or nothing: the example job (seeded) is not replaced when any entry of the list is refused."""
    before = await api.job(C.example_job_id)
    response = await api.client.put("/_sandbox/jobs", json=body)
    assert response.status_code == 400 and response.json()["error_code"] == "SANDBOX.0400", (
        f"received {response.status_code} {response.text}"
    )
    assert says in response.json()["error_msg"], f"received {response.json()['error_msg']!r}, expected {says!r}"
    assert await api.job(C.example_job_id) == before, "a refused list changed a job"


@pytest.mark.parametrize("path", ["/_sandbox/jobs/query", "/_sandbox/jobs/delete"])
@pytest.mark.parametrize(
    "ids",
    [
        pytest.param([], id="empty"),
        pytest.param([C.example_job_id + "\n"], id="bad-id"),
        pytest.param([5], id="not-a-string"),
    ],
)
async def test_bulk_query_and_delete_refuse_malformed_ids(api: Api, path: str, ids: list[object]) -> None:
    response = await api.client.post(path, json={"ids": ids})
    assert response.status_code == 400 and response.json()["error_code"], (
        f"received {response.status_code} {response.text}"
    )
    assert (await api.client.get("/_sandbox/health")).json()["jobs"] == 1, "a malformed list deleted a job"


async def test_a_basic_control_api_serves_the_four_endpoints_and_declares_nothing() -> None:
    """What a vendor's sandbox may serve (and what `drs-conformance sandbox --basic-control-api` serves)."""
    async with open_api(SandboxConfig(control_extensions=())) as api:
        assert (await api.client.get("/_sandbox/health")).json()["extensions"] == []
        job_id = await api.put_job()
        assert (await api.client.get(f"/_sandbox/jobs/{job_id}")).status_code == 200
        for method, path, body in [
            ("PUT", "/_sandbox/jobs", {"jobs": [_record(new_job_id())]}),
            ("POST", "/_sandbox/jobs/query", {"ids": [job_id]}),
            ("POST", "/_sandbox/jobs/delete", {"ids": [job_id]}),
            ("DELETE", f"/_sandbox/jobs/{job_id}", None),
        ]:
            response = await api.client.request(method, path, json=body)
            assert response.status_code in (404, 405), f"{method} {path}: received {response.status_code}"
        assert (await api.client.get(f"/_sandbox/jobs/{job_id}")).status_code == 200, "the job was deleted"


def test_an_unknown_extension_is_one_clear_error() -> None:
    from drs_conformance.errors import UsageError

    with pytest.raises(UsageError, match="unknown control-API extension 'bulk-everything'"):
        SandboxConfig(control_extensions=("bulk-everything",))
