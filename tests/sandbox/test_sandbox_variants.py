"""The variants: every allowed option of an "Either" rule, one focused test each, and the registry."""

from __future__ import annotations

import json

import httpx
import jsonschema
import pytest
from sandbox_helpers import OTHER_PROJECT, OTHER_TOKEN, assert_language, new_job_id, open_api, two_project_config

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.spec import PAUSE_PATH, STATUS_PATH, contract
from drs_conformance.errors import UsageError
from drs_conformance.sandbox import DEFAULT_PROJECT, DEFAULT_TOKEN, SandboxConfig, list_variants, start_in_thread
from drs_conformance.sandbox.variants import BODY_LIMIT_SERVED

pytestmark = pytest.mark.anyio
C = contract()


def with_variant(name: str, option: str) -> SandboxConfig:
    return two_project_config(variants={name: option})


# -- registry ------------------------------------------------------------------------------------------


def test_registry_is_consistent() -> None:
    variants = list_variants()
    names = [v.name for v in variants]
    assert len(names) == len(set(names)), "received a variant name twice"
    for variant in variants:
        assert variant.requirement is None or variant.requirement in catalogue(), (
            f"variant {variant.name} names unknown requirement {variant.requirement}"
        )
        assert len(variant.options) >= 1 and len(set(variant.options)) == len(variant.options)
        assert variant.default == variant.options[0]
    assert {
        "duplicates",
        "extra-fields",
        "unknown-language",
        "large-batch",
        "large-body",
        "result-order",
        "project-mismatch-status",
        "response-extras",
        "failed-lookup-status",
        "gateway",
    } <= set(names)


def test_defaults_fill_every_variant() -> None:
    config = SandboxConfig()
    assert dict(config.variants) == {v.name: v.default for v in list_variants()}
    assert config.variants.non_default == {}


@pytest.mark.parametrize(
    ("variants", "message"),
    [({"nope": "x"}, "unknown variant 'nope'"), ({"duplicates": "twice"}, "variant duplicates has no option 'twice'")],
)
def test_unknown_variant_or_option_is_a_usage_error(variants: dict[str, str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        SandboxConfig(variants=variants)


# -- each option ---------------------------------------------------------------------------------------


async def test_duplicates_refuse_gets_400_m00301_and_changes_nothing() -> None:
    async with open_api(with_variant("duplicates", "refuse")) as api:
        job_id = await api.put_job()
        response = await api.pause([{"job_id": job_id, "pause_mode": "target"}] * 2)
        assert response.status_code == 400 and response.json()["error_code"] == "DRS.M00301", (
            f"received {response.status_code} {response.text}"
        )
        assert (await api.job(job_id))["pause_mode"] is None


@pytest.mark.parametrize(
    "body",
    [
        pytest.param({"jobs": [{"job_id": "ID", "pause_mode": "all"}], "dry_run": True}, id="top-level"),
        pytest.param({"jobs": [{"job_id": "ID", "pause_mode": "all", "note": "x"}]}, id="in-item"),
    ],
)
async def test_extra_fields_refuse_gets_400(body: dict) -> None:
    async with open_api(with_variant("extra-fields", "refuse")) as api:
        job_id = await api.put_job()
        response = await api.post(PAUSE_PATH, json.loads(json.dumps(body).replace("ID", job_id)))
        assert response.status_code == 400 and response.json()["error_code"] in C.documented_error_codes, (
            f"received {response.text}"
        )
        assert (await api.job(job_id))["pause_mode"] is None
        clean = await api.pause_one(job_id)
        assert clean.status_code == 200, "the variant refused a request without extra fields"


async def test_unknown_language_fallback_answers_in_english() -> None:
    async with open_api(with_variant("unknown-language", "fallback")) as api:
        response = await api.pause_one(new_job_id(), headers=api.headers(x_language="fr-fr"))
        assert response.status_code == 200, f"received {response.status_code}, expected the fallback to serve"
        assert_language(response.json()["results"][0]["error_msg"], "en-us")


@pytest.mark.parametrize(("size", "status"), [(C.batch_limit, 200), (C.batch_limit + 1, 413)])
async def test_large_batch_refuse(size: int, status: int) -> None:
    async with open_api(with_variant("large-batch", "refuse")) as api:
        response = await api.pause([{"job_id": new_job_id(), "pause_mode": "all"} for _ in range(size)])
        assert response.status_code == status, f"received {response.status_code} for {size} jobs, expected {status}"
        if status == 413:
            assert response.json()["error_code"] == "DRS.M00273"


@pytest.mark.parametrize(("padding", "status"), [(2 * C.body_limit, 200), (BODY_LIMIT_SERVED + 1, 413)])
async def test_large_body_serve(padding: int, status: int) -> None:
    async with open_api(with_variant("large-body", "serve")) as api:
        job_id = await api.put_job()
        response = await api.post(PAUSE_PATH, {"jobs": [{"job_id": job_id, "pause_mode": "all"}], "pad": "x" * padding})
        assert response.status_code == status, (
            f"received {response.status_code} for a {padding}-byte body, expected {status}"
        )


@pytest.mark.parametrize("option", ["request", "reversed", "shuffled"])
async def test_result_order(option: str) -> None:
    async with open_api(with_variant("result-order", option)) as api:
        ids = [new_job_id() for _ in range(20)]
        response = await api.pause([{"job_id": job_id, "pause_mode": "all"} for job_id in ids])
        received = [result["id"] for result in response.json()["results"]]
        assert sorted(received) == sorted(ids), "received other ids than requested"
        expected = {"request": ids, "reversed": ids[::-1]}.get(option)
        if expected is not None:
            assert received == expected
        else:
            assert received not in (ids, ids[::-1]), "received the request order from the shuffled variant"


async def test_project_mismatch_401() -> None:
    async with open_api(with_variant("project-mismatch-status", "401")) as api:
        job_id = await api.put_job()
        response = await api.pause_one(job_id, headers=api.headers(x_auth_token=OTHER_TOKEN))
        assert response.status_code == 401, f"received {response.status_code}, expected 401 from the variant"
        assert (await api.job(job_id))["pause_mode"] is None


async def test_response_extras_present_stay_schema_valid() -> None:
    async with open_api(with_variant("response-extras", "present")) as api:
        job_id = await api.put_job()
        response = await api.pause(
            [{"job_id": job_id, "pause_mode": "all"}, {"job_id": new_job_id(), "pause_mode": "all"}]
        )
        body = response.json()
        assert "request_id" in body and all("request_id" in result for result in body["results"])
        jsonschema.validate(body, C.resolved_schema("BatchPauseResponse"))
        error = (await api.post(PAUSE_PATH, content=b"{")).json()
        assert "request_id" in error and error["error_code"]
        jsonschema.validate(error, C.resolved_schema("ErrorResponse"))


@pytest.mark.parametrize(
    ("paging", "expected"),
    [
        pytest.param(None, slice(0, 5), id="default-page-of-5"),
        pytest.param({"cur_page": 2, "per_page": 5}, slice(5, 10), id="second-page"),
        pytest.param({"cur_page": 1, "per_page": 0}, slice(0, 12), id="per-page-0-is-all"),
        pytest.param({"cur_page": 4, "per_page": 5}, slice(0, 0), id="past-the-last-page"),
    ],
)
async def test_status_paging_pages(paging: dict | None, expected: slice) -> None:
    async with open_api(with_variant("status-paging", "pages")) as api:
        ids = [await api.put_job() for _ in range(12)]
        body = {"jobs": ids} if paging is None else {"jobs": ids, "page_req": paging}
        answer = (await api.post(STATUS_PATH, body)).json()
        received = [result["id"] for result in answer["results"]]
        assert received == ids[expected], f"received {len(received)} results, expected ids[{expected}]"
        assert answer["count"] == len(ids), f"count {answer['count']}, expected the {len(ids)} ids asked"


async def test_status_paging_all_ignores_page_req() -> None:
    async with open_api(SandboxConfig()) as api:
        ids = [await api.put_job() for _ in range(7)]
        answer = (await api.post(STATUS_PATH, {"jobs": ids, "page_req": {"cur_page": 1, "per_page": 2}})).json()
        assert [r["id"] for r in answer["results"]] == ids, "the default sandbox pages batch-status"


@pytest.mark.parametrize("option", ["absent", "empty", "null"])
async def test_failed_lookup_status(option: str) -> None:
    """Unknown ids and other projects' jobs: error fields, and a status left out, "" or null; found jobs as before."""
    async with open_api(with_variant("failed-lookup-status", option)) as api:
        found = await api.put_job(status="CREATING")
        foreign = await api.put_job(project_id=OTHER_PROJECT)
        answer = (await api.status([found, foreign, new_job_id()])).json()
        by_id = {result["id"]: result for result in answer["results"]}
        assert by_id.pop(found) == {"id": found, "status": "CREATING"}, "a found job's result changed"
        for result in by_id.values():
            assert result["error_code"] and result["error_message"], f"a failed look-up lost its error fields: {result}"
            if option == "absent":
                assert "status" not in result, f"received a status in {result}"
            else:
                assert "status" in result and result["status"] == {"empty": "", "null": None}[option], f"{result}"
        jsonschema.validate(answer, C.resolved_schema("BatchStatusResponse", documented=True))


def test_chunked_framing_sends_answers_in_pieces_without_a_length() -> None:
    """body-framing=chunked, over a real server: Transfer-Encoding chunked, no Content-Length, the body intact."""
    sandbox = start_in_thread(with_variant("body-framing", "chunked"))
    try:
        with httpx.Client(base_url=sandbox.url, headers={"X-Auth-Token": DEFAULT_TOKEN}) as client:
            url = PAUSE_PATH.replace("{project_id}", DEFAULT_PROJECT)
            with client.stream(
                "POST", url, json={"jobs": [{"job_id": C.example_job_id, "pause_mode": "all"}]}
            ) as reply:
                pieces = [piece for piece in reply.iter_raw() if piece]
                headers = reply.headers
    finally:
        sandbox.stop()
    assert headers.get("transfer-encoding") == "chunked" and "content-length" not in headers, dict(headers)
    assert json.loads(b"".join(pieces)) == C.example_response
