"""Security: credentials, tenant isolation, content type, oversized bodies, concurrent pauses."""

from __future__ import annotations

import json
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.judge import describe, expect_4xx, expect_ok, is_success, results_by_id, single_result
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.live.jobs import Jobs
from drs_conformance.live.target import Target
from drs_conformance.transport.client import DrsClient, Reply
from drs_conformance.transport.credentials import AkSkCredentials, Credentials, NoCredentials, TokenCredentials
from drs_conformance.transport.signing import sign_request_headers

SPEC = contract()
PAUSING = SPEC.paused_status
BODY_LIMIT = SPEC.body_limit


def _refused_and_unchanged(jobs: Jobs, reply: Reply, job_id: str, requirement: str, why: str) -> None:
    """The request got a 4xx and the (pausable) job it named was not paused."""
    expect_4xx(reply, requirement, why)
    if jobs.is_real(job_id):
        after = jobs.state(job_id)
        assert after.status != PAUSING, f"{why}: job {job_id} is {after.status} although the request was refused"


def _body(job_id: str) -> dict[str, Any]:
    return {"jobs": [{"job_id": job_id, "pause_mode": "target"}]}


def _stored(jobs: Jobs, job_id: str) -> dict[str, Any] | None:
    """The job as the control API stores it (project and all), or None without a control API."""
    control = jobs.target.control
    return control.get_job(job_id) if control is not None else None


# -- credentials --------------------------------------------------------------------------------

BAD_TOKENS = [
    pytest.param(NoCredentials(), id="no-token"),
    pytest.param(TokenCredentials("MIIbogus-token-of-no-one-0000"), id="unknown-token"),
    pytest.param(TokenCredentials(""), id="empty-token"),
]


def _aksk(target: Target) -> AkSkCredentials:
    """The run's AK/SK (skips when the kit has none)."""
    if target.aksk is None:
        pytest.skip("needs AK/SK credentials to test signing: give --ak and --sk")
    return target.aksk


def _aksk_variants(target: Target) -> dict[str, Credentials]:
    aksk = _aksk(target)
    return {
        "wrong-sk": AkSkCredentials(aksk.ak, aksk.sk + "x"),
        "unknown-ak": AkSkCredentials("UNKNOWNAK" + aksk.ak[:4], aksk.sk),
        "date-20-minutes-old": AkSkCredentials(aksk.ak, aksk.sk, skew_seconds=-20 * 60),
        "date-20-minutes-ahead": AkSkCredentials(aksk.ak, aksk.sk, skew_seconds=20 * 60),
    }


@pytest.mark.requirement(Req.AUTH_REQUIRED)
@pytest.mark.parametrize("credentials", BAD_TOKENS)
def test_missing_or_invalid_token_is_refused(api: DrsClient, jobs: Jobs, credentials: Credentials) -> None:
    """A missing or invalid token gets a 4xx and changes nothing."""
    job_id = jobs.subject()
    reply = api.pause(_body(job_id), credentials=credentials)
    _refused_and_unchanged(jobs, reply, job_id, Req.AUTH_REQUIRED, f"credentials: {credentials.describe()}")


@pytest.mark.requirement(Req.AUTH_REQUIRED)
@pytest.mark.parametrize("variant", ["wrong-sk", "unknown-ak", "date-20-minutes-old", "date-20-minutes-ahead"])
def test_bad_signature_is_refused(api: DrsClient, jobs: Jobs, target: Target, variant: str) -> None:
    """An AK/SK signature that is wrong, or dated outside the 15-minute window, gets a 4xx."""
    credentials = _aksk_variants(target)[variant]
    job_id = jobs.subject()
    reply = api.pause(_body(job_id), credentials=credentials)
    _refused_and_unchanged(jobs, reply, job_id, Req.AUTH_REQUIRED, f"AK/SK signature: {variant}")


@pytest.mark.requirement(Req.AUTH_REQUIRED)
def test_body_changed_after_signing_is_refused(api: DrsClient, jobs: Jobs, target: Target) -> None:
    """A signature covers the body: a body swapped after signing gets a 4xx."""
    aksk = _aksk(target)
    job_id = jobs.subject()
    signed_for = json.dumps(_body(jobs.new_id())).encode()
    sent = json.dumps(_body(job_id)).encode()
    path = PAUSE_PATH.replace("{project_id}", target.project_id)
    headers = {"Content-Type": "application/json", "X-Project-Id": target.project_id}
    headers.update(
        sign_request_headers(
            method="POST", url=f"{target.base_url}{path}", headers=headers, body=signed_for, ak=aksk.ak, sk=aksk.sk
        )
    )
    reply = api.pause(content=sent, headers=headers, credentials=NoCredentials())
    _refused_and_unchanged(jobs, reply, job_id, Req.AUTH_REQUIRED, "a body that is not the one signed")


@pytest.mark.requirement(Req.AUTH_STATUS_401)
@pytest.mark.parametrize("credentials", BAD_TOKENS)
def test_refused_token_gets_401(api: DrsClient, jobs: Jobs, credentials: Credentials) -> None:
    """A missing or invalid token SHOULD get 401."""
    reply = api.pause(_body(jobs.new_id()), credentials=credentials)
    assert reply.status == 401, f"received {describe(reply)} for {credentials.describe()}, documented 401"


# -- projects -----------------------------------------------------------------------------------


@pytest.mark.requirement(Req.AUTH_PROJECT_SCOPE)
def test_credentials_on_another_projects_path_are_refused(api: DrsClient, jobs: Jobs, target: Target) -> None:
    """This project's credentials on another project's path get a 4xx and change nothing."""
    job_id = jobs.subject()
    reply = api.pause(_body(job_id), project_id=target.foreign_project_id)
    _refused_and_unchanged(
        jobs,
        reply,
        job_id,
        Req.AUTH_PROJECT_SCOPE,
        f"credentials of project {target.project_id} on the path of {target.foreign_project_id}",
    )


@pytest.mark.requirement(Req.AUTH_PROJECT_SCOPE)
def test_foreign_job_on_its_own_projects_path_is_refused(api: DrsClient, jobs: Jobs, target: Target) -> None:
    """A job of another project, asked for on that project's path with these credentials: 4xx, unchanged."""
    job_id = jobs.foreign()
    before = _stored(jobs, job_id)
    reply = api.pause(_body(job_id), project_id=target.foreign_project_id)
    expect_4xx(reply, Req.AUTH_PROJECT_SCOPE, "credentials of one project on the path of another")
    if before is not None:
        assert _stored(jobs, job_id) == before, f"foreign job {job_id} changed"


@pytest.mark.requirement(Req.AUTH_PROJECT_STATUS)
def test_another_projects_path_gets_401_or_403(api: DrsClient, jobs: Jobs, target: Target) -> None:
    """Credentials on another project's path SHOULD get 401 or 403."""
    reply = api.pause(_body(jobs.new_id()), project_id=target.foreign_project_id)
    assert reply.status in (401, 403), f"received {describe(reply)}, documented 401 or 403"


@pytest.mark.requirement(Req.FOREIGN_JOB_FAILS)
def test_job_of_another_project_fails_and_is_unchanged(api: DrsClient, jobs: Jobs) -> None:
    """A job of another project named on this project's path fails its item and is not paused."""
    job_id = jobs.foreign()
    before = _stored(jobs, job_id)
    reply = api.pause(_body(job_id))
    expect_ok(reply, Req.FOREIGN_JOB_FAILS, "a well-formed batch is served; the foreign job fails its item")
    result = single_result(reply, job_id)
    assert not is_success(result), f"received 'success' for job {job_id} of another project, documented a failure"
    if before is not None:
        jobs.after_earlier_effects()  # a wrong pause shown late shows by then
        after = _stored(jobs, job_id)
        assert after == before, f"job {job_id} of another project changed from {before} to {after}"


_TELLTALES = re.compile(
    r"project|tenant|another|other|belong|owner|permission|forbidden|authori[sz]|access|denied|"
    r"项目|租户|权限|无权|禁止",
    re.IGNORECASE,
)


@pytest.mark.requirement(Req.FOREIGN_INDISTINGUISHABLE)
@pytest.mark.parametrize("language", [pytest.param(None, id="default"), pytest.param("zh-cn", id="zh-cn")])
def test_foreign_job_fails_like_an_unknown_one(api: DrsClient, jobs: Jobs, language: str | None) -> None:
    """A foreign job's failure has the unknown id's error_code and a message that tells nothing more."""
    foreign, unknown = jobs.foreign(), jobs.new_id()
    reply = api.pause_jobs([(foreign, "target"), (unknown, "target")], language=language)
    expect_ok(reply, Req.FOREIGN_JOB_FAILS, "a well-formed batch is served")
    grouped = results_by_id(reply, [foreign, unknown])
    theirs, nobodys = grouped[foreign][0], grouped[unknown][0]
    assert theirs.get("status") == nobodys.get("status"), (
        f"foreign job got status {theirs.get('status')!r}, unknown id {nobodys.get('status')!r}: "
        "documented indistinguishable"
    )
    assert theirs.get("error_code") == nobodys.get("error_code"), (
        f"foreign job got error_code {theirs.get('error_code')!r}, unknown id {nobodys.get('error_code')!r}: "
        "documented the same error_code"
    )
    their_msg = str(theirs.get("error_msg", "")).replace(foreign, "<id>")
    nobodys_msg = str(nobodys.get("error_msg", "")).replace(unknown, "<id>")
    if their_msg != nobodys_msg:
        hint = _TELLTALES.search(their_msg)
        assert not (hint and not _TELLTALES.search(nobodys_msg)), (
            f"foreign job's message {their_msg!r} mentions {hint.group(0)!r} where an unknown id's says "
            f"{nobodys_msg!r}: documented that the message must not reveal the job exists"
        )


# -- content type -------------------------------------------------------------------------------

OTHER_CONTENT_TYPES = [
    pytest.param("text/plain", id="text-plain"),
    pytest.param("application/xml", id="xml"),
    pytest.param("application/x-www-form-urlencoded", id="form"),
    pytest.param("multipart/form-data; boundary=drs", id="multipart"),
]


@pytest.mark.requirement(Req.CONTENT_TYPE_REFUSED)
@pytest.mark.parametrize("content_type", OTHER_CONTENT_TYPES)
def test_other_content_type_is_refused(api: DrsClient, jobs: Jobs, content_type: str) -> None:
    """A JSON body labelled with another Content-Type gets a 4xx and changes nothing."""
    job_id = jobs.subject()
    reply = api.pause(_body(job_id), content_type=content_type)
    _refused_and_unchanged(jobs, reply, job_id, Req.CONTENT_TYPE_REFUSED, f"Content-Type {content_type}")


@pytest.mark.requirement(Req.CONTENT_TYPE_415)
@pytest.mark.parametrize("content_type", OTHER_CONTENT_TYPES)
def test_other_content_type_gets_415(api: DrsClient, jobs: Jobs, content_type: str) -> None:
    """Another Content-Type SHOULD get 415."""
    reply = api.pause(_body(jobs.new_id()), content_type=content_type)
    assert reply.status == 415, f"received {describe(reply)} for Content-Type {content_type}, documented 415"


# -- size -----------------------------------------------------------------------------------------


@pytest.mark.requirement(Req.BODY_OVER_1MIB)
def test_body_over_one_mib_is_served_or_refused(api: DrsClient, jobs: Jobs) -> None:
    """A well-formed body over 1 MiB is served, or refused with 400 or 413 (the document leaves the choice)."""
    ids: list[str] = []
    size = 0
    while size <= BODY_LIMIT + 1024:
        ids.append(jobs.new_id())
        size += 60  # {"job_id": "<36>", "pause_mode": "target"}, roughly
    body = json.dumps({"jobs": [{"job_id": i, "pause_mode": "target"} for i in ids]}).encode()
    assert len(body) > BODY_LIMIT, "the probe body must exceed 1 MiB"
    reply = api.pause(content=body)
    if reply.status == 200:
        results_by_id(reply, ids)
        return
    assert reply.status in (400, 413), (
        f"received {describe(reply)} for a {len(body)}-byte body, documented 200, 400 or 413"
    )


# -- concurrency ----------------------------------------------------------------------------------


@pytest.mark.requirement(Req.CONCURRENT_SINGLE_SUCCESS)
@pytest.mark.parametrize("round_", [pytest.param(n, id=f"round-{n}") for n in range(3)])
def test_concurrent_pauses_of_one_job_yield_one_success(api: DrsClient, jobs: Jobs, round_: int) -> None:
    """Many concurrent requests pausing the same job: exactly one success."""
    job_id = jobs.pausable()
    requests = 16 if jobs.target.control is not None else 6  # bounded; gentler on live targets

    def pause(_: int) -> Reply:
        return api.pause_jobs([(job_id, "target")])

    with ThreadPoolExecutor(max_workers=requests) as pool:
        replies = list(pool.map(pause, range(requests)))
    successes = 0
    for reply in replies:
        if reply.status != 200:
            raise NonConformance(Req.ONE_RESULT_PER_ITEM, f"a concurrent well-formed pause got {describe(reply)}")
        successes += is_success(single_result(reply, job_id))
    assert successes == 1, (
        f"received {successes} successes from {requests} concurrent pauses of job {job_id}, documented exactly one"
    )
    assert jobs.state(job_id).status == PAUSING, f"job {job_id} is not PAUSING after the concurrent pauses"


@pytest.mark.requirement(Req.PAUSABLE_SUCCEEDS)
def test_concurrent_pauses_of_different_jobs_all_take_effect(api: DrsClient, jobs: Jobs) -> None:
    """Concurrent batches over different jobs, each answered success: every one of the jobs reads PAUSING.

    A target that applies a pause as a read-copy-write of its job table loses all but one of them.
    """
    count = 8 if jobs.target.control is not None else 3  # bounded; gentler on live targets
    if jobs.target.control is not None:
        running = SPEC.pausable_status("INCRE_TRANSFER_STARTED")
        job_ids = jobs.create_many({"status": running, "type": "sync"} for _ in range(count))
    else:
        job_ids = [jobs.pausable() for _ in range(count)]

    def pause(job_id: str) -> Reply:
        return api.pause_jobs([(job_id, "target")])

    with ThreadPoolExecutor(max_workers=count) as pool:
        replies = list(pool.map(pause, job_ids))
    for job_id, reply in zip(job_ids, replies, strict=True):
        expect_ok(reply, Req.PAUSABLE_SUCCEEDS, "a well-formed batch pausing a pausable job, sent beside others")
        result = single_result(reply, job_id)
        assert is_success(result), (
            f"received status {result.get('status')!r} for pausable job {job_id} paused beside {count - 1} other "
            "batches, documented 'success'"
        )
    states = jobs.states(job_ids)
    lost = [f"{job_id} ({states[job_id].status})" for job_id in job_ids if states[job_id].status != PAUSING]
    assert not lost, (
        f"received 'success' for {count} concurrent batches over different jobs, but {', '.join(lost)} did not "
        f"become {PAUSING}; documented: a pausable job that gets success is then {PAUSING}"
    )
