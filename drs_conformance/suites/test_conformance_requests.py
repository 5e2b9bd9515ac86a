"""Conformance, per request: which requests are refused, which are served, and how a refusal reads."""

from __future__ import annotations

import functools
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.judge import (
    describe,
    expect_ok,
    expect_refused,
    is_success,
    results_by_id,
)
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.live.jobs import Jobs
from drs_conformance.strategies import (
    Fault,
    duplicate_id_batches,
    extra_fields,
    fault_kinds,
    job_ids,
    oversized_batches,
    request_faults,
)
from drs_conformance.transport.client import DrsClient, Reply

SPEC = contract()
PAUSING = SPEC.paused_status
STARTED = SPEC.pausable_status("FULL_TRANSFER_STARTED")  # the jobs a drawn request names
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def _send(api: DrsClient, fault: Fault, **options: object) -> Reply:
    """Send a fault's body exactly as drawn, with its content type."""
    return api.pause(content=fault.body, content_type=fault.content_type, **options)


def _seed_pausable(jobs: Jobs, job_ids_: tuple[str, ...]) -> bool:
    """With the control API, make every id of a drawn body a pausable job (to see what a request changes)."""
    if jobs.target.control is None:
        return False
    jobs.create_many({"job_id": job_id, "status": STARTED, "type": "sync"} for job_id in dict.fromkeys(job_ids_))
    return True


def _assert_unchanged(jobs: Jobs, job_ids_: tuple[str, ...], why: str) -> None:
    for job_id, state in jobs.states(dict.fromkeys(job_ids_)).items():
        if state.status != STARTED:
            raise NonConformance(
                Req.REFUSAL_ATOMIC,
                f"{why}: job {job_id} is {state.status} after the refusal, documented unchanged ({STARTED})",
            )


# -- requests that must be refused with 400 -----------------------------------------------------

REFUSED_KINDS = [
    pytest.param(kind.kind, id=kind.kind, marks=pytest.mark.requirement(kind.requirement))
    for kind in fault_kinds(expects=["refuse-400"])
]


@functools.cache
def _faults_of(kind: str) -> st.SearchStrategy[Fault]:
    """One strategy per kind, built (and validated by hypothesis) once, not once per example."""
    return request_faults(kinds=[kind])


@pytest.mark.parametrize("kind", REFUSED_KINDS)
@given(data=st.data())
def test_malformed_request_is_refused_with_400(api: DrsClient, jobs: Jobs, kind: str, data: st.DataObject) -> None:
    """Every structurally invalid body (rule 1) is refused with 400 and a top-level error_code/error_msg."""
    fault = jobs.fresh(data.draw(_faults_of(kind), label="fault"))
    reply = _send(api, fault)
    expect_refused(reply, fault.requirement, f"{fault.kind}: {fault.reason}")


@pytest.mark.requirement(Req.ERROR_BODY)
@pytest.mark.parametrize("language", [pytest.param(None, id="default"), pytest.param("zh-cn", id="zh-cn")])
def test_refusal_carries_error_code_and_message(api: DrsClient, language: str | None) -> None:
    """A 400 names what is wrong: error_code and error_msg strings at the top level (that they are not
    empty is the kit's inference, judged by INFERRED-CONSTRAINTS)."""
    reply = api.pause({"jobs": []}, language=language)
    expect_refused(reply, Req.BODY_SHAPE, "an empty jobs array")
    body = reply.json()
    for field in ("error_code", "error_msg"):
        assert isinstance(body.get(field), str), (
            f"received {field}={body.get(field)!r} in a 400, documented a string at the top level"
        )


@pytest.mark.requirement(Req.ERROR_CODE_DOCUMENTED)
@given(fault=request_faults(expects=["refuse-400"]))
def test_refusal_code_is_documented(api: DrsClient, jobs: Jobs, fault: Fault) -> None:
    """The error_code of a 400 SHOULD be one of the documented DRS codes."""
    fault = jobs.fresh(fault)
    reply = _send(api, fault)
    expect_refused(reply, fault.requirement, f"{fault.kind}: {fault.reason}")
    code = reply.json().get("error_code")
    assert code in SPEC.documented_error_codes, (
        f"received error_code {code!r} for {fault.kind}, documented one of {', '.join(SPEC.documented_error_codes)}"
    )


@pytest.mark.requirement(Req.REFUSAL_ATOMIC)
@pytest.mark.parametrize(
    ("bad_item", "broken"),
    [
        pytest.param({"job_id": "not-a-uuid", "pause_mode": "target"}, Req.JOB_ID_RULE, id="bad-id-last"),
        pytest.param({"job_id": None, "pause_mode": "all"}, Req.ITEM_SHAPE, id="null-id-last"),
        pytest.param({}, Req.ITEM_SHAPE, id="empty-object-last"),
    ],
)
def test_refused_batch_changes_no_job(
    api: DrsClient,
    jobs: Jobs,
    bad_item: dict,
    broken: str,
) -> None:
    """A batch refused for one bad item leaves its well-formed items' jobs as they were."""
    good = jobs.pausable()
    before = jobs.state(good)
    reply = api.pause({"jobs": [{"job_id": good, "pause_mode": "target"}, bad_item]})
    expect_refused(reply, broken, f"a batch with the bad item {bad_item}")
    jobs.after_earlier_effects()  # a wrong pause shown late shows by then
    after = jobs.state(good)
    jobs.rule_out_interference(good, before, after)
    assert after == before, f"job {good} changed from {before} to {after} although its batch was refused"


# -- ids of the documented shape ------------------------------------------------------------------


@pytest.mark.requirement(Req.JOB_ID_WELL_FORMED)
@given(job_id=job_ids(shapes=("documented", "any")))
def test_well_formed_id_is_not_refused(api: DrsClient, jobs: Jobs, job_id: str) -> None:
    """Ids of the documented shape (non-hex letters in the last group included) are served, not refused."""
    if job_id in jobs.protected_ids:
        job_id = jobs.new_id()
    reply = api.pause_jobs([(job_id, "target")])
    expect_ok(reply, Req.JOB_ID_WELL_FORMED, f"{job_id!r} follows the UUID rule of the document")
    results_by_id(reply, [job_id])


@pytest.mark.shares_job("example")
@pytest.mark.requirement(Req.JOB_ID_WELL_FORMED)
def test_documented_example_id_is_well_formed(api: DrsClient, jobs: Jobs) -> None:
    """The document's own example id is accepted as well formed."""
    jobs.skip_unless_control("send the document's example id (on live targets it could name a real job)")
    job_id = SPEC.example_job_id
    jobs.borrow(job_id)  # a vendor's sandbox may hold it: put back as it was after the test
    reply = api.pause_jobs([(job_id, "target")])
    expect_ok(reply, Req.JOB_ID_WELL_FORMED, f"{job_id} is the document's own example")


# -- allowed choices ("Either") -----------------------------------------------------------------


def _served_or_refused(api: DrsClient, jobs: Jobs, fault: Fault) -> tuple[dict[str, list[dict[str, Any]]], bool] | None:
    """Send an allowed-choice fault: a 400 must change nothing (None); a 200 gives its results by id.

    With the control API the body's ids are pausable jobs first (`seeded`), so what a choice does is seen.
    """
    seeded = _seed_pausable(jobs, fault.job_ids)
    reply = _send(api, fault)
    if reply.status == 400:
        if seeded:
            _assert_unchanged(jobs, fault.job_ids, f"a batch refused for {fault.kind}")
        return None
    if reply.status != 200:
        raise NonConformance(fault.requirement, f"received {describe(reply)}, documented 200 or 400 ({fault.reason})")
    return results_by_id(reply, [item["job_id"] for item in fault.json()["jobs"]]), seeded


@pytest.mark.long_running(requests=60)
@pytest.mark.requirement(Req.DUPLICATE_IDS)
@given(fault=duplicate_id_batches(max_size=8))
def test_duplicated_id_is_refused_or_answered_per_occurrence(api: DrsClient, jobs: Jobs, fault: Fault) -> None:
    """A job named twice: refused with 400, or one result per occurrence with at most one success."""
    fault = jobs.fresh(fault)
    served = _served_or_refused(api, jobs, fault)
    if served is None:
        return
    grouped, seeded = served
    successes = sum(is_success(r) for r in grouped[fault.value])
    assert successes <= 1, (
        f"received {successes} successes for job {fault.value} named {len(grouped[fault.value])} times, "
        "documented at most one"
    )
    if seeded:
        # "At most one" success: every occurrence may fail too (then, as any failed item, it changes nothing).
        status = jobs.state(fault.value).status
        expected = PAUSING if successes else STARTED
        assert status == expected, (
            f"job {fault.value} named twice got {successes} success(es) and reads {status}, documented {expected}"
        )


@pytest.mark.requirement(Req.DUPLICATE_CODE)
def test_duplicated_id_refusal_code(api: DrsClient, jobs: Jobs) -> None:
    """When a duplicated id is refused, the code SHOULD be DRS.M00301."""
    job_id = jobs.new_id()
    reply = api.pause_jobs([(job_id, "target"), (job_id, "all")])
    if reply.status == 200:
        results_by_id(reply, [job_id, job_id])
        return  # the other allowed choice: answered per occurrence
    expect_refused(reply, Req.DUPLICATE_IDS, "a duplicated id is refused with 400 or answered per occurrence")
    code = reply.json().get("error_code")
    assert code == "DRS.M00301", f"received error_code {code!r} for a duplicated id, documented DRS.M00301"


@pytest.mark.long_running(requests=40)
@pytest.mark.requirement(Req.EXTRA_FIELDS)
@given(fault=extra_fields())
def test_extra_field_is_ignored_or_refused(api: DrsClient, jobs: Jobs, fault: Fault) -> None:
    """An unknown extra field is ignored (served as without it) or refused with 400."""
    fault = jobs.fresh(fault)
    served = _served_or_refused(api, jobs, fault)
    if served is None:
        return
    grouped, seeded = served
    if seeded:
        for job_id, results in grouped.items():
            assert is_success(results[0]), (
                f"pausable job {job_id} got {results[0].get('status')!r} with an extra field ignored, documented "
                "'success' (served as without the field)"
            )


@pytest.mark.requirement(Req.BATCH_100)
def test_batch_of_100_is_served(api: DrsClient, jobs: Jobs) -> None:
    """A batch of 100 jobs (the batch limit) is served, with 100 results."""
    limit, pausable = SPEC.batch_limit, SPEC.pausable_statuses
    if jobs.target.control is not None:
        ids = jobs.create_many({"status": pausable[i % len(pausable)], "type": "migration"} for i in range(limit))
    else:
        ids = [jobs.new_id() for _ in range(limit)]
    reply = api.pause_jobs([(job_id, "all") for job_id in ids])
    expect_ok(reply, Req.BATCH_100, f"batches of up to {limit} jobs are served")
    grouped = results_by_id(reply, ids)
    if jobs.target.control is not None:
        failed = [job_id for job_id in ids if not is_success(grouped[job_id][0])]
        assert not failed, f"{len(failed)} of {limit} pausable jobs were not paused, e.g. {failed[0]}"


@pytest.mark.requirement(Req.BATCH_OVER_100)
@given(fault=oversized_batches(max_size=300))
def test_batch_over_100_is_served_or_refused(api: DrsClient, jobs: Jobs, fault: Fault) -> None:
    """More than 100 jobs: served, or refused with 400 or 413."""
    fault = jobs.fresh(fault)
    reply = _send(api, fault)
    if reply.status == 200:
        results_by_id(reply, [item["job_id"] for item in fault.json()["jobs"]])
        return
    assert reply.status in (400, 413), f"received {describe(reply)} for {fault.value} items, documented 200, 400 or 413"


UNKNOWN_LANGUAGES = [pytest.param(v, id=v) for v in ("fr-fr", "ja-jp", "klingon")]


@pytest.mark.requirement(Req.LANGUAGE_UNKNOWN)
@pytest.mark.parametrize("language", UNKNOWN_LANGUAGES)
def test_unknown_language_falls_back_or_is_refused(api: DrsClient, jobs: Jobs, language: str) -> None:
    """An unknown X-Language falls back to en-us, or the request is refused with 400."""
    job_id = jobs.new_id()
    reply = api.pause_jobs([(job_id, "target")], language=language)
    if reply.status == 400:
        return
    if reply.status != 200:
        raise NonConformance(
            Req.LANGUAGE_UNKNOWN,
            f"received {describe(reply)} for X-Language {language}, documented 200 (falls back to en-us) or 400",
        )
    message = str(results_by_id(reply, [job_id])[job_id][0].get("error_msg", ""))
    assert not CJK.search(message), (
        f"X-Language {language} answered in Chinese ({message!r}), documented a fall back to en-us"
    )


def _messages(api: DrsClient, jobs: Jobs, language: str | None) -> list[str]:
    """The error_msg of a refusal and of a failed item, in the given language."""
    refused = api.pause({"jobs": [{}]}, language=language)
    expect_refused(refused, Req.ITEM_SHAPE, "an empty object in jobs")
    job_id = jobs.new_id()
    served = api.pause_jobs([(job_id, "target")], language=language)
    expect_ok(served, Req.UNKNOWN_JOB_FAILS, "a well-formed batch")
    item = results_by_id(served, [job_id])[job_id][0]
    return [str(refused.json().get("error_msg", "")), str(item.get("error_msg", ""))]


@pytest.mark.requirement(Req.LANGUAGE_MESSAGES)
def test_messages_are_chinese_with_zh_cn(api: DrsClient, jobs: Jobs) -> None:
    """With X-Language: zh-cn every error_msg SHOULD be Chinese."""
    for message in _messages(api, jobs, "zh-cn"):
        assert CJK.search(message), f"received error_msg {message!r} with X-Language: zh-cn, documented Chinese"


@pytest.mark.requirement(Req.LANGUAGE_MESSAGES)
@pytest.mark.parametrize("language", [pytest.param(None, id="no-header"), pytest.param("en-us", id="en-us")])
def test_messages_are_english_by_default(api: DrsClient, jobs: Jobs, language: str | None) -> None:
    """With X-Language: en-us, or none, every error_msg SHOULD be English."""
    for message in _messages(api, jobs, language):
        assert LATIN.search(message) and not CJK.search(message), (
            f"received error_msg {message!r} with X-Language {language or '(none)'}, documented English (en-us)"
        )


# -- methods --------------------------------------------------------------------------------------


@pytest.mark.requirement(Req.HTTP_METHODS)
@pytest.mark.parametrize("method", [pytest.param(m, id=m) for m in ("GET", "PUT", "DELETE", "PATCH")])
def test_other_methods_get_405_with_allow(api: DrsClient, method: str) -> None:
    """Methods the path does not serve SHOULD get 405 with an Allow header naming POST."""
    reply = api.call(PAUSE_PATH, {"jobs": []}, method=method)
    assert reply.status == 405, f"received {describe(reply)} for {method}, documented 405 Method Not Allowed"
    allow = reply.headers.get("allow", "")
    assert "POST" in allow.upper(), f"received Allow: {allow!r} with the 405, documented an Allow header naming POST"
