"""A lost connection is never a broken rule: on the control API (sent again, then NoAnswer), through the official
SDK, and in whole runs behind the fault proxy resetting every kind of request, in each direction."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from drs_conformance.contract.spec import contract
from drs_conformance.errors import ExitCode, NoAnswer
from drs_conformance.live.journal import REPLACED, Entry
from drs_conformance.live.putback import NO_ANSWER, put_back_record
from drs_conformance.live.target import ControlApi
from drs_conformance.sandbox import DEFAULT_AK, DEFAULT_PROJECT, DEFAULT_SK, SandboxConfig, start_in_thread
from drs_conformance.transport.redaction import Redactor
from drs_conformance.transport.sdk import close_client, pause, sdk_client
from tests.fault_proxy import FaultProxy, Rule, reset

TOKEN = "faults-token-" + "3b9d0f7e" * 5
RECORD = {"id": "x", "project_id": DEFAULT_PROJECT, "status": "FULL_TRANSFER_STARTED", "type": "sync"}


class Flaky:
    """A control API whose first `failures` requests lose their connection (then, or always, it answers)."""

    def __init__(self, failures: int, error: type[httpx.TransportError] = httpx.ReadError) -> None:
        self.failures = failures
        self.error = error
        self.seen: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        if len(self.seen) <= self.failures:
            raise self.error("[Errno 104] Connection reset by peer", request=request)
        if request.url.path == "/_sandbox/health":
            return httpx.Response(200, json={"status": "ok"})
        return httpx.Response(200, json=RECORD)


@pytest.fixture
def control() -> Iterator[Callable[[Flaky], ControlApi]]:
    opened: list[ControlApi] = []

    def make(flaky: Flaky) -> ControlApi:
        api = ControlApi("http://vendor.invalid", 5.0, transport=httpx.MockTransport(flaky))
        opened.append(api)
        return api

    yield make
    for api in opened:
        api.close()


@pytest.mark.parametrize(
    ("call", "route"),
    [
        pytest.param(lambda api: api.get_job("x"), "GET /_sandbox/jobs/x", id="get"),
        pytest.param(
            lambda api: api.put_job("x", project_id=DEFAULT_PROJECT, status="PAUSING", type="sync"),
            "PUT /_sandbox/jobs/x",
            id="put",
        ),
        pytest.param(lambda api: api.health(), "GET /_sandbox/health", id="health"),
    ],
)
def test_a_control_api_request_that_lost_its_connection_is_sent_again(
    control: Callable[[Flaky], ControlApi], call: Callable[[ControlApi], Any], route: str
) -> None:
    flaky = Flaky(failures=3)
    assert call(control(flaky)), f"received nothing after {flaky.seen}, documented the answer of the 4th attempt"
    assert flaky.seen == [route] * 4, f"received {flaky.seen}, documented 3 attempts lost and a 4th answered"


@pytest.mark.parametrize(
    "error", [pytest.param(httpx.ReadError, id="reset"), pytest.param(httpx.RemoteProtocolError, id="disconnected")]
)
def test_a_control_api_request_that_never_gets_an_answer_is_no_answer(
    control: Callable[[Flaky], ControlApi], error: type[httpx.TransportError]
) -> None:
    """Bounded: 4 attempts, then NoAnswer (a test ending on it is unanswered), never httpx's own error."""
    flaky = Flaky(failures=100, error=error)
    api = control(flaky)
    with pytest.raises(NoAnswer, match=r"GET /_sandbox/jobs/x: .*no answer after 4 attempts"):
        api.get_jobs(["x"])
    with pytest.raises(NoAnswer, match="no answer after 4 attempts"):
        api.health()  # unreachable is not "serves no control API"
    assert len(flaky.seen) == 8, f"received {len(flaky.seen)} attempts for 2 requests, documented 4 each"


def test_put_back_through_a_control_api_that_never_answers_says_no_answer(
    control: Callable[[Flaky], ControlApi],
) -> None:
    entry = Entry(
        job_id="x",
        project_id=DEFAULT_PROJECT,
        target="http://vendor.invalid",
        run_id="r",
        status_before="FULL_TRANSFER_STARTED",
        kind=REPLACED,
        record_before=RECORD,
    )
    left = put_back_record(control(Flaky(failures=1000)), entry, timeout=0.0)
    assert left is not None and left.cause == NO_ANSWER, f"received {left}, documented a job left for NO_ANSWER"


def test_an_sdk_pause_that_lost_its_connection_is_no_answer(fault_proxy: Callable[..., FaultProxy]) -> None:
    """The official SDK's ConnectionException is the target's availability; the pause is not sent again."""
    sandbox = start_in_thread(SandboxConfig())
    proxy = fault_proxy(sandbox.url, [reset(path="batch-pause-task")])
    client, traffic = sdk_client(
        proxy.url, ak=DEFAULT_AK, sk=DEFAULT_SK, project_id=DEFAULT_PROJECT, redactor=Redactor()
    )
    try:
        call = pause(client, traffic, [(contract().example_job_id, "target")])
    finally:
        close_client(client)
        sandbox.stop()
    assert call.reply is None and isinstance(call.no_answer, NoAnswer), (
        f"received reply {call.reply} and no_answer {call.no_answer!r}, documented a NoAnswer"
    )
    assert "not sent again" in str(call.no_answer), f"received {call.no_answer}, documented a pause sent once"
    assert proxy.requests == {f"POST /v3/{DEFAULT_PROJECT}/jobs/batch-pause-task": 1}, proxy.requests
    assert DEFAULT_SK not in str(call.no_answer), "the secret key reached the message"


# -- whole runs, the way it broke -----------------------------------------------------------------------------

RUNS = [
    pytest.param(
        ["--token", f"{TOKEN}={DEFAULT_PROJECT}", "--basic-control-api"],
        ["--auth-token", TOKEN],
        [reset(probability=0.015, forwarded=True), reset(probability=0.015, forwarded=True, partway=True)],
        2,
        id="basic-control-api-3pct-answers-lost-or-cut",
    ),
    pytest.param(
        [],  # the demo credentials
        ["--ak", DEFAULT_AK, "--sk", DEFAULT_SK],  # AK/SK: the official SDK's interop suite runs too
        [reset(probability=0.05), reset(probability=0.05, partway=True)],
        3,
        id="bulk-control-api-10pct-requests-reset-or-cut",
    ),
]


@pytest.mark.parametrize(("serve", "credentials", "rules", "seed"), RUNS)
def test_a_run_through_resets_charges_no_requirement(
    kit: Callable,
    sandbox_process: Callable,
    fault_proxy: Callable[..., FaultProxy],
    tmp_path: Path,
    serve: list[str],
    credentials: list[str],
    rules: list[Rule],
    seed: int,
) -> None:
    """Every request of the run may be reset, the control API's too: no requirement fails, every test is judged or
    unanswered, no job is left paused, no secret is written."""
    sandbox = sandbox_process(*serve)
    proxy = fault_proxy(sandbox.url, rules, seed=seed)
    reports = tmp_path / "reports"
    run = kit(
        "run", "--base-url", proxy.url, "--project-id", DEFAULT_PROJECT, *credentials, "--control-api",
        "--max-workers", "1", "--seed", str(seed), "--report-dir", str(reports),
        timeout=900,
    )  # fmt: skip
    assert (reports / "conformance.json").is_file(), f"the run wrote no report: {run.output[-2000:]}"
    assert proxy.faults["reset"] >= 10, f"received {proxy.faults['reset']} resets: the run was not faulty enough"
    report = json.loads((reports / "conformance.json").read_text(encoding="utf-8"))
    failed = {r["id"]: r["tests"] for r in report["requirements"] if r["verdict"] == "fail"}
    messages = [t["message"][:300] for tests in failed.values() for t in tests if t["outcome"] in ("failed", "error")]
    assert not failed, f"received {sorted(failed)} failed, documented none (lost connections): {messages[:3]}"
    tests = report["summary"]["tests"]
    assert tests["failed"] == tests["error"] == 0, f"received {tests}, documented every test judged or unanswered"
    assert run.code == (ExitCode.TARGET if tests["unanswered"] else ExitCode.CONFORMANT), run.output[-2000:]
    assert "unanswered" in run.output or not tests["unanswered"], "the unanswered tests were not listed"
    assert report["run"]["live_jobs"]["left_paused"] == [], report["run"]["live_jobs"]
    example = httpx.get(f"{sandbox.url}/_sandbox/jobs/{contract().example_job_id}", trust_env=False, timeout=10)
    if example.status_code == 200:  # borrowed by the run: put back as it was
        assert example.json()["status"] != contract().paused_status, f"the example job is left {example.json()}"
    for secret in (TOKEN, DEFAULT_SK):
        leaked = [p.name for p in reports.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()]
        assert not leaked and secret not in run.output, f"a secret reached {leaked or 'the terminal'}"


def test_the_kill_matrix_row_through_resets_charges_no_requirement(tmp_path: Path) -> None:
    """The row `drs-conformance selftest` runs (basic control API, 3 % resets before forwarding): ok."""
    from drs_conformance.cli import program as cli
    from drs_conformance.selftest import matrix as selftest
    from drs_conformance.selftest.runner import run_commands

    args = cli.build_parser().parse_args(["selftest", "--report-dir", str(tmp_path), "--no-variants", "--defect", "x"])
    row = selftest.Row("fault", selftest.FAULT_ROW, None, "unanswered, no requirement failed")
    command = selftest.row_command(row, args, tmp_path, cli.main)
    command.output.parent.mkdir(parents=True)
    [(_, result)] = list(run_commands([command], jobs=1))
    selftest.record_result(row, result, tmp_path)
    assert row.ok, f"received exit {row.exit_code}, failed {row.failed} {row.error}, documented exit 3 and none"


@pytest.mark.parametrize(
    ("exit_code", "failed", "ok"),
    [
        pytest.param(3, [], True, id="unanswered-none-charged"),
        pytest.param(1, ["PAUSABLE-SUCCEEDS"], False, id="a-reset-charged"),
        pytest.param(3, ["NO-5XX"], False, id="unanswered-but-charged"),
        pytest.param(0, [], False, id="no-reset-reached-a-test"),
        pytest.param(4, [], False, id="kit-crashed"),
    ],
)
def test_the_fault_row_is_ok_only_unanswered_and_uncharged(exit_code: int, failed: list[str], ok: bool) -> None:
    from drs_conformance.selftest.matrix import FAULT_ROW, Row

    row = Row("fault", FAULT_ROW, None, "unanswered, no requirement failed", exit_code=exit_code, failed=failed)
    assert row.ok is ok, f"received ok={row.ok} for exit {exit_code} and failed {failed}, documented {ok}"
