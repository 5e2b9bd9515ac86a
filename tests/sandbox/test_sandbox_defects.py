"""The defect gallery: every defect names a requirement and really changes behaviour (clean does X, defect does Y)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sandbox_helpers import (
    CJK,
    OTHER_PROJECT,
    OTHER_TOKEN,
    Api,
    new_job_id,
    now,
    open_api,
    signed_pause,
    two_project_config,
)

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.errors import UsageError
from drs_conformance.sandbox import DEFAULT_PROJECT, SandboxConfig, list_defects
from drs_conformance.sandbox.defects import ActiveDefect, get_defect

C = contract()
Scenario = Callable[[Api], Awaitable[Any]]


@dataclass(frozen=True)
class Case:
    """Observe `scenario` on a clean sandbox and on one with the defect: the two observations."""

    scenario: Scenario
    clean: Any
    broken: Any
    variants: dict[str, str] = field(default_factory=dict)


# -- small observations ------------------------------------------------------------------------------


async def pause_status_code(api: Api, jobs: Any, **kwargs: Any) -> int:
    return (await api.pause(jobs, **kwargs)).status_code


async def first_result(api: Api, job_id: str, mode: str = "target", **kwargs: Any) -> dict[str, Any]:
    response = await api.pause_one(job_id, mode, **kwargs)
    assert response.status_code == 200, f"received {response.status_code}: {response.text}"
    return response.json()["results"][0]


async def mixed_batch(api: Api) -> dict[str, Any]:
    """A pausable job and an unknown id in one batch: the answer body."""
    good = await api.put_job()
    response = await api.pause(
        [{"job_id": good, "pause_mode": "target"}, {"job_id": new_job_id(), "pause_mode": "target"}]
    )
    assert response.status_code == 200
    return {"good": good, **response.json()}


async def signed_status_code(api: Api, **options: Any) -> int:
    return (await signed_pause(api, await api.put_job(), **options)).status_code


async def concurrent_successes(api: Api) -> int:
    job_id = await api.put_job()
    responses = await asyncio.gather(*(api.pause_one(job_id) for _ in range(10)))
    return min(2, sum(r.json()["results"][0]["status"] == "success" for r in responses))


async def concurrent_batches_all_paused(api: Api) -> bool:
    """Pauses of four different jobs sent at once: whether every one of them reads PAUSING afterwards."""
    job_ids = [await api.put_job() for _ in range(4)]
    await asyncio.gather(*(api.pause_one(job_id) for job_id in job_ids))
    return all([await api.status_of(job_id) == C.paused_status for job_id in job_ids])


async def language_of_messages(api: Api) -> tuple[bool, bool]:
    """With zh-cn: (request-level message is Chinese, item message is Chinese)."""
    refused = await api.post(PAUSE_PATH, content=b"{", headers=api.headers(x_language="zh-cn"))
    served = await api.pause_one(await api.put_job(status="CREATING"), headers=api.headers(x_language="zh-cn"))
    return bool(CJK.search(refused.json()["error_msg"])), bool(CJK.search(served.json()["results"][0]["error_msg"]))


async def pause_then_status(api: Api) -> str | None:
    job_id = await api.put_job()
    await api.pause_one(job_id)
    return await api.status_of(job_id)


async def pause_retry_status(api: Api) -> str | None:
    job_id = await api.put_job()
    await api.pause_one(job_id)
    await api.retry([job_id])
    return await api.status_of(job_id)


async def refused_then_job(api: Api) -> tuple[int, str | None]:
    good = await api.put_job()
    response = await api.pause([{"job_id": good, "pause_mode": "target"}, {"job_id": "bad", "pause_mode": "target"}])
    return response.status_code, (await api.job(good))["pause_mode"]


async def trimmed(api: Api) -> tuple[int, str | None]:
    job_id = await api.put_job()
    response = await api.pause_one(job_id + " ")
    return response.status_code, (await api.job(job_id))["pause_mode"]


async def foreign_after(api: Api) -> tuple[str, str]:
    job_id = await api.put_job(project_id=OTHER_PROJECT)
    result = await first_result(api, job_id)
    return result["status"], (await api.job(job_id))["status"]


async def job_after_state_failure(api: Api) -> tuple[str, str]:
    job_id = await api.put_job(status="CREATING")
    result = await first_result(api, job_id)
    return result["status"], (await api.job(job_id))["status"]


async def duplicates(api: Api) -> Any:
    job_id = await api.put_job()
    response = await api.pause([{"job_id": job_id, "pause_mode": "target"}] * 2)
    if response.status_code != 200:
        return response.status_code, response.json()["error_code"]
    return sum(result["status"] == "success" for result in response.json()["results"])


async def example(api: Api) -> Any:
    return (await api.post(PAUSE_PATH, C.example_request, project_id=C.example_project_id)).json()


async def example_job_id_status_code(api: Api) -> int:
    job_id = await api.put_job(C.example_job_id)
    return (await api.pause_one(job_id)).status_code


async def method_get(api: Api) -> int:
    return (await api.client.get(PAUSE_PATH.format(project_id=DEFAULT_PROJECT), headers=api.headers())).status_code


def big_batch(size: int) -> Scenario:
    async def run(api: Api) -> int:
        return await pause_status_code(api, [{"job_id": new_job_id(), "pause_mode": "target"} for _ in range(size)])

    return run


CASES: dict[str, Case] = {
    "job-id-unchecked": Case(
        lambda api: pause_status_code(api, [{"job_id": "not-a-uuid", "pause_mode": "target"}]), 400, 200
    ),
    "job-id-hex-only": Case(example_job_id_status_code, 200, 400),
    "job-id-length-only": Case(
        lambda api: pause_status_code(api, [{"job_id": "x" * 36, "pause_mode": "target"}]), 400, 200
    ),
    "job-id-trimmed": Case(trimmed, (400, None), (200, "target")),
    "mode-unchecked": Case(
        lambda api: pause_status_code(api, [{"job_id": new_job_id(), "pause_mode": "stop"}]), 400, 200
    ),
    "mode-case-insensitive": Case(
        lambda api: pause_status_code(api, [{"job_id": new_job_id(), "pause_mode": "TARGET"}]), 400, 200
    ),
    "mode-default-when-missing": Case(lambda api: pause_status_code(api, [{"job_id": new_job_id()}]), 400, 200),
    "empty-jobs-accepted": Case(lambda api: pause_status_code(api, []), 400, 200),
    "empty-object-per-item": Case(lambda api: pause_status_code(api, [{}]), 400, 200),
    "null-job-id-per-item": Case(
        lambda api: pause_status_code(api, [{"job_id": None, "pause_mode": "target"}]), 400, 200
    ),
    "error-body-nested": Case(lambda api: _keys_of_error(api), ["error_code", "error_msg"], ["error"]),
    "error-code-undocumented": Case(lambda api: _code_of_error(api), "DRS.M00201", "DRS.M00099"),
    "any-state-pausable": Case(lambda api: _status_of_pause(api, status="CREATING"), "failed", "success"),
    "repause-succeeds": Case(lambda api: _status_of_pause(api, status=C.paused_status), "failed", "success"),
    "dr-jobs-pausable": Case(lambda api: _status_of_pause(api, type="cloudDataGuard"), "failed", "success"),
    "full-transfer-complete-refused": Case(
        lambda api: _status_of_pause(api, status="FULL_TRANSFER_COMPLETE"), "success", "failed"
    ),
    "status-not-updated": Case(pause_then_status, C.paused_status, "INCRE_TRANSFER_STARTED"),
    "mode-not-recorded": Case(lambda api: _mode_after_pause(api), "all", None),
    "failure-changes-state": Case(job_after_state_failure, ("failed", "CREATING"), ("failed", C.paused_status)),
    "count-wrong": Case(lambda api: _field(mixed_batch(api), "count"), 2, 1),
    "drop-failed-results": Case(lambda api: _len_results(api), 2, 1),
    "ids-rewritten": Case(lambda api: _id_rewritten(api), False, True),
    "failures-without-codes": Case(
        lambda api: _failed_result_keys(api), ["error_code", "error_msg", "id", "status"], ["id", "status"]
    ),
    "failed-status-word": Case(lambda api: _status_of_pause(api, status="CREATING"), "failed", "error"),
    "count-as-string": Case(lambda api: _count_type(api), "int", "str"),
    "null-optional-fields": Case(
        lambda api: _success_keys(api), ["id", "status"], ["error_code", "error_msg", "id", "status"]
    ),
    "refusal-not-atomic": Case(refused_then_job, (400, None), (400, "target")),
    "cross-project-pause": Case(foreign_after, ("failed", "INCRE_TRANSFER_STARTED"), ("failed", C.paused_status)),
    "existence-leak": Case(lambda api: _foreign_code(api), "DRS.M05003", "DRS.M00304"),
    "unknown-job-succeeds": Case(lambda api: _unknown_result_status(api), "failed", "success"),
    "auth-missing-accepted": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(x_auth_token=None)
        ),
        401,
        200,
    ),
    "auth-any-token": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(x_auth_token="forged")
        ),
        401,
        200,
    ),
    "aksk-signature-unchecked": Case(lambda api: signed_status_code(api, sk="wrong"), 401, 200),
    "aksk-stale-date-accepted": Case(lambda api: signed_status_code(api, when=now().replace(year=2020)), 401, 200),
    "auth-project-unchecked": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(x_auth_token=OTHER_TOKEN)
        ),
        403,
        200,
    ),
    "auth-status-400": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(x_auth_token="forged")
        ),
        401,
        400,
    ),
    "auth-project-status-404": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(x_auth_token=OTHER_TOKEN)
        ),
        403,
        404,
    ),
    "content-type-unchecked": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(content_type="text/plain")
        ),
        415,
        200,
    ),
    "content-type-400": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(content_type="text/plain")
        ),
        415,
        400,
    ),
    "batch-limit-50": Case(big_batch(51), 200, 413),
    "large-batch-422": Case(big_batch(101), 200, 422),
    "large-body-422": Case(lambda api: _big_body(api), 413, 422),
    "language-ignored": Case(language_of_messages, (True, True), (False, False)),
    "language-mixed": Case(language_of_messages, (True, True), (True, False)),
    "unknown-language-422": Case(
        lambda api: pause_status_code(
            api, [{"job_id": new_job_id(), "pause_mode": "target"}], headers=api.headers(x_language="fr-fr")
        ),
        400,
        422,
    ),
    "crash-on-non-object": Case(lambda api: _raw_status(api, b"[]"), 400, 500),
    "crash-on-unicode": Case(
        lambda api: pause_status_code(api, [{"job_id": "任务", "pause_mode": "target"}]), 400, 500
    ),
    "text-errors": Case(lambda api: _error_media_type(api), "application/json", "text/plain"),
    "duplicates-double-success": Case(duplicates, 1, 2),
    "duplicates-code-wrong": Case(duplicates, (400, "DRS.M00301"), (400, "DRS.M00300"), {"duplicates": "refuse"}),
    "extra-fields-422": Case(
        lambda api: _raw_status(
            api, json.dumps({"jobs": [{"job_id": new_job_id(), "pause_mode": "all"}], "x": 1}).encode()
        ),
        200,
        422,
    ),
    "one-failure-fails-all": Case(lambda api: _good_status_in_mixed_batch(api), "success", "failed"),
    "race-double-pause": Case(concurrent_successes, 1, 2),
    "lost-update": Case(concurrent_batches_all_paused, True, False),
    "status-stale": Case(pause_then_status, C.paused_status, "INCRE_TRANSFER_STARTED"),
    "retry-noop": Case(pause_retry_status, "INCRE_TRANSFER_STARTED", C.paused_status),
    "methods-404": Case(method_get, 405, 404),
    "success-word-capitalised": Case(
        example,
        C.example_response,
        {**C.example_response, "results": [{**C.example_response["results"][0], "status": "Success"}]},
    ),
}


async def _keys_of_error(api: Api) -> list[str]:
    return sorted((await api.post(PAUSE_PATH, content=b"{")).json())


async def _code_of_error(api: Api) -> str:
    return (await api.post(PAUSE_PATH, content=b"{")).json()["error_code"]


async def _error_media_type(api: Api) -> str:
    return (await api.post(PAUSE_PATH, content=b"{")).headers["content-type"].split(";")[0]


async def _raw_status(api: Api, content: bytes) -> int:
    return (await api.post(PAUSE_PATH, content=content)).status_code


async def _big_body(api: Api) -> int:
    return await _raw_status(
        api, json.dumps({"jobs": [{"job_id": new_job_id(), "pause_mode": "all"}], "pad": "x" * (1024 * 1024)}).encode()
    )


async def _status_of_pause(api: Api, **job: str) -> str:
    job_id = await api.put_job(**job)
    return (await first_result(api, job_id))["status"]


async def _mode_after_pause(api: Api) -> str | None:
    job_id = await api.put_job()
    await api.pause_one(job_id, "all")
    return (await api.job(job_id))["pause_mode"]


async def _field(body: Awaitable[dict[str, Any]], name: str) -> Any:
    return (await body)[name]


async def _len_results(api: Api) -> int:
    return len((await mixed_batch(api))["results"])


async def _id_rewritten(api: Api) -> bool:
    job_id = await api.put_job()
    return (await first_result(api, job_id))["id"] != job_id


async def _failed_result_keys(api: Api) -> list[str]:
    return sorted(await first_result(api, await api.put_job(status="CREATING")))


async def _unknown_result_status(api: Api) -> str:
    return (await first_result(api, new_job_id()))["status"]


async def _success_keys(api: Api) -> list[str]:
    return sorted(await first_result(api, await api.put_job()))


async def _count_type(api: Api) -> str:
    return type((await mixed_batch(api))["count"]).__name__


async def _foreign_code(api: Api) -> str:
    job_id = await api.put_job(project_id=OTHER_PROJECT)
    return (await first_result(api, job_id))["error_code"]


async def _good_status_in_mixed_batch(api: Api) -> str:
    body = await mixed_batch(api)
    return next(result["status"] for result in body["results"] if result["id"] == body["good"])


def config_for(defect: str | None, variants: dict[str, str]) -> SandboxConfig:
    return two_project_config(defect=defect, variants=variants)


# -- the registry ----------------------------------------------------------------------------------


def test_every_defect_names_a_catalogue_requirement() -> None:
    ids = catalogue().ids
    wrong = [(d.name, d.requirement) for d in list_defects() if d.requirement not in ids]
    assert not wrong, f"received defects naming unknown requirements: {wrong}"


def test_defect_names_are_unique_and_described() -> None:
    names = [d.name for d in list_defects()]
    assert len(names) == len(set(names)), "received a defect name twice"
    assert all(d.description and d.name == d.name.lower() for d in list_defects())


def test_every_defect_has_a_focused_test() -> None:
    assert set(CASES) == {d.name for d in list_defects()}, (
        f"defects without a case: {sorted({d.name for d in list_defects()} - set(CASES))}"
    )


def test_unknown_defect_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="unknown defect 'no-such-defect'"):
        SandboxConfig(defect="no-such-defect")
    with pytest.raises(UsageError):
        get_defect("ids")


def test_consulting_an_unregistered_defect_is_a_bug() -> None:
    with pytest.raises(KeyError):
        ActiveDefect("ids-rewritten").active("ids-rewriten")


# -- each defect changes what it says ------------------------------------------------------------


@pytest.mark.anyio
@pytest.mark.parametrize("name", [pytest.param(d.name, id=d.name) for d in list_defects()])
async def test_defect_changes_behaviour(name: str) -> None:
    case = CASES[name]
    async with open_api(config_for(None, case.variants)) as clean_api:
        clean = await case.scenario(clean_api)
    async with open_api(config_for(name, case.variants)) as broken_api:
        broken = await case.scenario(broken_api)
    assert clean == case.clean, f"clean sandbox: received {clean!r}, documented {case.clean!r}"
    assert broken == case.broken, f"with defect {name}: received {broken!r}, expected {case.broken!r}"
