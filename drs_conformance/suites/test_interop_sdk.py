"""Interop: the official client (huaweicloudsdkdrs DrsClient, AK/SK) drives the target and parses every answer.

The SDK's traffic is recorded into the test's log by its own HttpHandler hooks (redacted: the
Authorization header by name, the AK and SK by value), and every raw answer passes the common
response checks as the kit's own traffic does; on top, each 200 must come out of the SDK as a
`BatchStopJobsResponse` that keeps every documented field as sent, and each 400 as a
`ClientRequestException` carrying the body's `error_code` and `error_msg`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from huaweicloudsdkcore.exceptions.exceptions import ClientRequestException
from huaweicloudsdkdrs.v3 import BatchStopJobsResponse, DrsClient

from drs_conformance.contract.checks import NonConformance, check_response, checked_requirements
from drs_conformance.contract.judge import SUCCESS, results_by_id
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import PAUSE_PATH, contract
from drs_conformance.live.jobs import Jobs
from drs_conformance.live.target import Target
from drs_conformance.transport.client import ExchangeLog, Reply
from drs_conformance.transport.sdk import (
    SdkCall,
    SdkTraffic,
    close_client,
    error_fields,
    model_differences,
    pause,
    sdk_client,
)

SPEC = contract()
PAUSING = SPEC.paused_status
PAUSE_MODES = SPEC.pause_modes
CJK = re.compile(r"[\u4e00-\u9fff]")
NEEDS_AKSK = "needs --ak/--sk: the official SDK signs with AK/SK, and this run has a token only"
Item = tuple[str | None, str | None]  # (job_id, pause_mode); None leaves the field out of the item


class Sdk:
    """The official client on the target as this test's project, recording into this test's log."""

    def __init__(self, target: Target, log: ExchangeLog, *, sk: str | None = None) -> None:
        assert target.aksk is not None
        self.target = target
        self.log = log
        self.client: DrsClient
        self.traffic: SdkTraffic
        self.client, self.traffic = sdk_client(
            target.base_url,
            ak=target.aksk.ak,
            sk=sk if sk is not None else target.aksk.sk,
            project_id=target.project_id,
            redactor=target.redactor,
            log=log,
            timeout=target.options.timeout,
        )

    def pause(self, items: list[Item], *, language: str | None = None) -> SdkCall:
        return pause(self.client, self.traffic, items, language=language)

    def recording_into(self, log: ExchangeLog) -> Sdk:
        """The same client (its connections kept) recording into another test's log."""
        self.log = self.traffic.log = log
        return self

    def close(self) -> None:
        close_client(self.client)


@pytest.fixture(scope="module")
def _sdk_client(target: Target) -> Iterator[Sdk | None]:
    """One official client for the module's tests, so that they share its connections (None without AK/SK)."""
    if target.aksk is None:
        yield None
        return
    client = Sdk(target, ExchangeLog())
    yield client
    client.close()


@pytest.fixture
def sdk(_sdk_client: Sdk | None, drs_log: ExchangeLog) -> Sdk:
    """A DrsClient signing with the run's AK/SK, recording into this test's log (skips when the kit has none)."""
    if _sdk_client is None:
        pytest.skip(NEEDS_AKSK)
    return _sdk_client.recording_into(drs_log)


# -- reading what the SDK gave ------------------------------------------------------------------


def _sdk_view(call: SdkCall) -> str:
    """What the SDK made of an answer, for failure messages."""
    if call.error is not None:
        return (
            f"the SDK raised {type(call.error).__name__} (status_code {call.error.status_code}, error_code "
            f"{call.error.error_code!r})"
        )
    if call.crash is not None or call.response is None or call.reply is None:
        return f"the SDK failed: {call.crash}"
    changed = model_differences(call.response, call.reply.content)
    if changed:
        return f"the SDK's BatchStopJobsResponse hides it: {'; '.join(changed[:3])}"
    return "the SDK parses it without complaint"


def _answer(call: SdkCall, log: ExchangeLog) -> Reply:
    """The raw answer behind an SDK call, after the checks every response must pass."""
    if call.no_answer is not None:  # the connection failed: the target's availability, charged to no requirement
        raise call.no_answer
    if call.reply is None:
        raise AssertionError(f"the SDK got no answer from the target ({call.crash}); sent {call.sent}")
    log.checked.update(checked_requirements(call.reply.status))
    try:
        check_response(call.reply, PAUSE_PATH)
    except NonConformance as exc:
        raise NonConformance(exc.requirement, f"{exc.detail}; {_sdk_view(call)}") from None
    return call.reply


def _parsed(call: SdkCall, log: ExchangeLog, requirement: str, why: str) -> BatchStopJobsResponse:
    """A 200 that the SDK returned as a BatchStopJobsResponse keeping every documented field as sent."""
    reply = _answer(call, log)
    if reply.status != 200 or call.error is not None:
        raise NonConformance(
            requirement, f"received {call.received}, documented 200: {why}; {_sdk_view(call)}; sent {call.sent}"
        )
    if call.crash is not None or call.response is None:
        raise NonConformance(
            Req.RESPONSE_SCHEMA, f"the SDK could not parse the 200 answer ({call.crash}); received {call.received}"
        )
    lost = model_differences(call.response, reply.content)
    if lost:
        raise NonConformance(
            Req.RESPONSE_SCHEMA,
            f"the SDK's BatchStopJobsResponse does not keep the 200 body: {'; '.join(lost[:4])}; "
            f"received {call.received}",
        )
    return call.response


def _by_id(call: SdkCall, response: BatchStopJobsResponse, requested: list[str]) -> dict[str, Any]:
    """The SDK's PauseJobResp of each requested job (count and one result per item checked on the raw body)."""
    assert call.reply is not None
    results_by_id(call.reply, requested)
    return {result.id: result for result in response.results or []}


def _refused(call: SdkCall, log: ExchangeLog, requirement: str, why: str) -> ClientRequestException:
    """A 400 that the SDK raised as ClientRequestException with the body's error_code and error_msg."""
    reply = _answer(call, log)
    if call.error is None:
        raise NonConformance(
            requirement,
            f"received {call.received}, documented 400: {why}; the SDK returned it as a success; sent {call.sent}",
        )
    if not isinstance(call.error, ClientRequestException) or call.error.status_code != 400:
        raise NonConformance(
            requirement,
            f"received {call.received} (the SDK raised {type(call.error).__name__} with status "
            f"{call.error.status_code}), documented 400: {why}; sent {call.sent}",
        )
    code, message = error_fields(reply.content)
    # An empty error_code is the kit's business at SHOULD level (INFERRED-CONSTRAINTS), not the SDK's to carry.
    carried = not code or (call.error.error_code == code and call.error.error_msg == message)
    if not isinstance(code, str) or not carried:
        raise NonConformance(
            Req.ERROR_BODY,
            f"the SDK's ClientRequestException carries error_code {call.error.error_code!r} and error_msg "
            f"{call.error.error_msg!r}, the body has {code!r} and {message!r} at its top level; "
            f"received {call.received}",
        )
    return call.error


# -- served requests ----------------------------------------------------------------------------


@pytest.mark.shares_job("example")
@pytest.mark.requirement(Req.DOC_EXAMPLE)
def test_sdk_plays_the_documented_example(sdk: Sdk, jobs: Jobs) -> None:
    """The example request, built from the SDK's models, gets the example response as the SDK reads it."""
    example = SPEC.example_request["jobs"][0]
    if jobs.target.can_create_jobs:
        job_id = jobs.create(
            job_id=SPEC.example_job_id, status=SPEC.pausable_status("INCRE_TRANSFER_STARTED"), type="sync"
        )
    else:
        job_id = jobs.pausable()  # live targets: the example's shape on a job the inventory gives
    documented = SPEC.example_response

    call = sdk.pause([(job_id, example["pause_mode"])])

    response = _parsed(call, sdk.log, Req.DOC_EXAMPLE, "the documented example request")
    result = _by_id(call, response, [job_id])[job_id]
    expected = documented["results"][0]["status"]
    assert result.status == expected and response.count == documented["count"], (
        f"the SDK reads status {result.status!r} and count {response.count!r}, documented {expected!r} and "
        f"{documented['count']} (example response); received {call.received}"
    )


@pytest.mark.requirement(Req.PAUSABLE_SUCCEEDS)
@pytest.mark.parametrize("mode", [pytest.param(m, id=m) for m in PAUSE_MODES])
def test_sdk_pauses_a_pausable_job(sdk: Sdk, jobs: Jobs, mode: str) -> None:
    """batch_stop_jobs on a pausable job gives a parsed success, and the job then reads PAUSING."""
    job_id = jobs.pausable()

    call = sdk.pause([(job_id, mode)])

    response = _parsed(call, sdk.log, Req.PAUSABLE_SUCCEEDS, "a well-formed batch pausing a pausable job")
    result = _by_id(call, response, [job_id])[job_id]
    assert result.status == SUCCESS, (
        f"the SDK reads status {result.status!r} for pausable job {job_id}, documented {SUCCESS!r}; "
        f"received {call.received}"
    )
    after = jobs.state(job_id)
    assert after.status == PAUSING, f"job {job_id} reads {after.status!r} after the SDK paused it, documented {PAUSING}"


def _creating(jobs: Jobs) -> str:
    return jobs.create(status="CREATING", type="sync")


FAILING = [
    pytest.param(Jobs.new_id, id="unknown-id", marks=pytest.mark.requirement(Req.UNKNOWN_JOB_FAILS)),
    pytest.param(Jobs.paused, id="already-pausing", marks=pytest.mark.requirement(Req.NON_PAUSABLE_STATE_FAILS)),
    pytest.param(_creating, id="creating", marks=pytest.mark.requirement(Req.NON_PAUSABLE_STATE_FAILS)),
    pytest.param(Jobs.dr_job, id="cloud-data-guard", marks=pytest.mark.requirement(Req.DR_JOB_FAILS)),
    pytest.param(Jobs.foreign, id="other-project", marks=pytest.mark.requirement(Req.FOREIGN_JOB_FAILS)),
]


@pytest.mark.parametrize("make", FAILING)
def test_sdk_reads_a_failed_item(
    sdk: Sdk, jobs: Jobs, make: Callable[[Jobs], str], request: pytest.FixtureRequest
) -> None:
    """A job that must not be paused comes out of the SDK as a failed PauseJobResp with its error_code."""
    requirement = request.node.get_closest_marker("requirement").args[0]
    job_id = make(jobs)
    known = make is not Jobs.new_id and (make is not Jobs.foreign or jobs.target.control is not None)
    before = jobs.state(job_id) if known else None

    call = sdk.pause([(job_id, "target")])

    response = _parsed(call, sdk.log, requirement, "a well-formed batch is served; the item fails in its result")
    result = _by_id(call, response, [job_id])[job_id]
    assert result.status != SUCCESS, (
        f"the SDK reads status {result.status!r} for job {job_id} ({request.node.callspec.id}), documented a failed "
        f"item; received {call.received}"
    )
    if known:
        after = jobs.state(job_id)
        assert before is not None, "a known job's state is read before the pause"
        jobs.rule_out_interference(job_id, before, after)
        assert after == before, f"job {job_id} changed from {before} to {after} although its item failed"
    if not result.error_code:
        raise NonConformance(
            Req.FAILED_ERROR_DETAILS,
            f"the failed item of job {job_id} carries no error_code (the SDK reads "
            f"{result.error_code!r}); received {call.received}",
        )


@pytest.mark.requirement(Req.ONE_RESULT_PER_ITEM)
def test_sdk_reads_every_result_of_a_mixed_batch(sdk: Sdk, jobs: Jobs) -> None:
    """A batch of a pausable job and failing ones: one parsed result per job, matched by id."""
    pausable = jobs.pausable()
    failing = {jobs.new_id(): Req.UNKNOWN_JOB_FAILS, jobs.new_id(): Req.UNKNOWN_JOB_FAILS}
    if jobs.target.control is not None:
        failing[jobs.create(status="CONFIGURATION", type="migration")] = Req.NON_PAUSABLE_STATE_FAILS
        failing[jobs.dr_job()] = Req.DR_JOB_FAILS
    first, *others = failing
    batch = [first, pausable, *others]

    call = sdk.pause([(job_id, "all") for job_id in batch])

    response = _parsed(call, sdk.log, Req.ONE_RESULT_PER_ITEM, "a well-formed batch with failing items is served")
    results = _by_id(call, response, batch)
    assert response.count == len(batch), f"the SDK reads count {response.count!r} for {len(batch)} items"
    for job_id, requirement in failing.items():
        if results[job_id].status == SUCCESS:
            raise NonConformance(
                requirement,
                f"the SDK reads 'success' for failing item {job_id} in a mixed batch; received {call.received}",
            )
    if results[pausable].status != SUCCESS:
        paused = jobs.state(pausable).status == PAUSING
        raise NonConformance(
            Req.PAUSABLE_SUCCEEDS if paused else Req.ITEMS_INDEPENDENT,
            f"the SDK reads status {results[pausable].status!r} for pausable job {pausable} beside failing items "
            f"(the job is {'' if paused else 'not '}{PAUSING}), documented {SUCCESS!r}; received {call.received}",
        )


@pytest.mark.requirement(Req.LANGUAGE_MESSAGES)
def test_sdk_sends_x_language_and_reads_chinese_messages(sdk: Sdk, jobs: Jobs) -> None:
    """BatchStopJobsRequest(x_language="zh-cn") reaches the target; the SDK keeps the Chinese error_msg."""
    job_id = jobs.new_id()

    call = sdk.pause([(job_id, "target")], language="zh-cn")

    response = _parsed(call, sdk.log, Req.UNKNOWN_JOB_FAILS, "a well-formed batch is served")
    result = _by_id(call, response, [job_id])[job_id]
    if result.status == SUCCESS:
        raise NonConformance(
            Req.UNKNOWN_JOB_FAILS, f"the SDK reads 'success' for unknown job {job_id}; received {call.received}"
        )
    message = result.error_msg
    if not message:
        raise NonConformance(
            Req.FAILED_ERROR_DETAILS,
            f"the failed item of unknown job {job_id} carries no error_msg "
            f"(the SDK reads {message!r}); received {call.received}",
        )
    assert CJK.search(message), (
        f"the SDK reads error_msg {message!r} with X-Language zh-cn, documented a Chinese message"
    )


# -- refused requests ---------------------------------------------------------------------------


def _malformed_id(jobs: Jobs) -> list[Item]:
    return [(jobs.new_id()[:-1] + "_", "target")]  # 36 characters, one outside [0-9a-z-]


def _short_id(jobs: Jobs) -> list[Item]:
    return [(jobs.new_id()[:-1], "target")]


def _padded_id(jobs: Jobs) -> list[Item]:
    return [(f" {jobs.new_id()} ", "target")]  # a copy-and-paste slip the SDK sends as it is


def _non_ascii_id(jobs: Jobs) -> list[Item]:
    return [(jobs.new_id()[:-1] + "\u00e9", "target")]  # 36 characters, the last one é


def _empty_item(jobs: Jobs) -> list[Item]:
    return [(None, None)]  # PauseInfo(): the SDK sends {}


def _mode_capitalised(jobs: Jobs) -> list[Item]:
    return [(jobs.new_id(), "TARGET")]


def _mode_missing(jobs: Jobs) -> list[Item]:
    return [(jobs.new_id(), None)]  # PauseInfo(pause_mode=None): the SDK leaves the field out


def _job_id_missing(jobs: Jobs) -> list[Item]:
    return [(None, "all")]


def _no_jobs(jobs: Jobs) -> list[Item]:
    return []  # BatchPauseJobReq(jobs=[]): the SDK's model does not stop it


REFUSED = [
    pytest.param(_malformed_id, id="job-id-bad-character", marks=pytest.mark.requirement(Req.JOB_ID_RULE)),
    pytest.param(_short_id, id="job-id-35-characters", marks=pytest.mark.requirement(Req.JOB_ID_RULE)),
    pytest.param(_padded_id, id="job-id-padded", marks=pytest.mark.requirement(Req.JOB_ID_RULE)),
    pytest.param(_non_ascii_id, id="job-id-non-ascii", marks=pytest.mark.requirement(Req.JOB_ID_RULE)),
    pytest.param(_empty_item, id="item-empty", marks=pytest.mark.requirement(Req.ITEM_SHAPE)),
    pytest.param(_mode_capitalised, id="pause-mode-TARGET", marks=pytest.mark.requirement(Req.PAUSE_MODE_VALUES)),
    pytest.param(_mode_missing, id="pause-mode-missing", marks=pytest.mark.requirement(Req.ITEM_SHAPE)),
    pytest.param(_job_id_missing, id="job-id-missing", marks=pytest.mark.requirement(Req.ITEM_SHAPE)),
    pytest.param(_no_jobs, id="jobs-empty", marks=pytest.mark.requirement(Req.BODY_SHAPE)),
]


@pytest.mark.parametrize("items", REFUSED)
def test_sdk_raises_client_request_exception_for_a_400(
    sdk: Sdk, jobs: Jobs, items: Callable[[Jobs], list[Item]], request: pytest.FixtureRequest
) -> None:
    """A request the SDK's models let through but the contract refuses: 400, raised with the target's code."""
    requirement = request.node.get_closest_marker("requirement").args[0]

    call = sdk.pause(items(jobs))

    _refused(call, sdk.log, requirement, f"a structurally invalid request ({request.node.callspec.id})")


@pytest.mark.requirement(Req.AUTH_REQUIRED)
def test_sdk_signing_with_a_wrong_secret_key_is_refused(target: Target, drs_log: ExchangeLog, jobs: Jobs) -> None:
    """The SDK signing with a wrong SK gets a 4xx, raised as ClientRequestException, and changes nothing."""
    if target.aksk is None:
        pytest.skip(NEEDS_AKSK)
    job_id = jobs.subject()  # a job a wrongly accepted request would change, where the run has one
    wrong = Sdk(target, drs_log, sk=target.aksk.sk + "x")
    try:
        call = wrong.pause([(job_id, "target")])
    finally:
        wrong.close()

    _answer(call, drs_log)
    if call.error is None or not isinstance(call.error, ClientRequestException):
        raise NonConformance(
            Req.AUTH_REQUIRED,
            f"a request signed with a wrong secret key received {call.received}, documented a 4xx "
            f"(the SDK {'returned it as a success' if call.error is None else 'raised ' + type(call.error).__name__})",
        )
    if jobs.is_real(job_id):
        after = jobs.state(job_id)
        assert after.status != PAUSING, (
            f"job {job_id} is {after.status} although the wrongly signed request was refused"
        )
