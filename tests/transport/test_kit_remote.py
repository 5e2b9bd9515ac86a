"""A run against a remote target: workers chosen from the round-trip time (and capped), the run's requests counted by
operation over every worker, --rate-limit shared by the workers, jobs made and read in bulk (or one by one where the
sandbox serves only the basic control API), and reads a test already has the answer to left out.

Speed itself is a benchmark figure (benchmarks/remote_latency.py), never asserted here.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from drs_conformance.contract.spec import contract
from drs_conformance.errors import ExitCode
from drs_conformance.live.jobs import Jobs
from drs_conformance.live.target import Target, open_target
from drs_conformance.plugin.options import KitOptions, resolve_options
from drs_conformance.plugin.xdist_handoff import LONG_RUNNING, long_ones_apart
from drs_conformance.reporting import summary_lines, validate_report
from drs_conformance.transport import client as client_module
from drs_conformance.transport.client import REQUESTS, RateLimiter, operation_of
from drs_conformance.transport.concurrency import (
    DEFAULT_MAX_WORKERS,
    choose_workers,
    user_chose_workers,
    worker_args,
)
from tests.fault_proxy import delay, respond

PROJECT = contract().example_project_id
TOKEN = "sandbox-token"
PAUSING = contract().paused_status

# -- how many workers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rtt_ms", "options", "workers"),
    [
        pytest.param(None, {}, 1, id="not-measured-embedded"),
        pytest.param(0.5, {}, 1, id="loopback"),
        pytest.param(5, {}, 2, id="5-ms"),
        pytest.param(10, {}, 4, id="10-ms"),
        pytest.param(50, {}, 6, id="50-ms"),
        pytest.param(1000, {}, DEFAULT_MAX_WORKERS, id="far-away-at-most-the-default"),
        pytest.param(50, {"cap": 3}, 3, id="capped"),
        pytest.param(50, {"cap": 1}, 1, id="capped-to-one-process"),
        pytest.param(10, {"cap": 12}, 4, id="a-cap-is-no-demand"),
        pytest.param(50, {"rate_limit": 10}, 2, id="no-more-than-the-rate-keeps-busy"),
    ],
)
def test_workers_follow_the_round_trip_time(rtt_ms: float | None, options: dict[str, Any], workers: int) -> None:
    assert choose_workers(None if rtt_ms is None else rtt_ms / 1000, **options) == workers


@pytest.mark.parametrize(
    ("args", "chose"),
    [
        pytest.param([], False, id="nothing"),
        pytest.param(["-k", "concurrent", "--hypothesis-profile", "thorough"], False, id="other-options"),
        pytest.param(["-n", "4"], True, id="-n-4"),
        pytest.param(["-n4"], True, id="-n4"),
        pytest.param(["--numprocesses=auto"], True, id="--numprocesses=auto"),
        pytest.param(["-p", "no:xdist"], True, id="xdist-off"),
        pytest.param(["--dist", "loadfile"], True, id="--dist"),
        pytest.param(["--pdb"], True, id="--pdb"),
    ],
)
def test_the_kit_adds_no_workers_when_the_pytest_arguments_decide(args: list[str], chose: bool) -> None:
    assert user_chose_workers(args) is chose


def test_one_worker_is_one_process() -> None:
    assert worker_args(1) == []
    assert worker_args(3)[:2] == ["-n", "3"] and "--maxschedchunk" in worker_args(3)


def test_max_workers_is_an_option_of_the_one_table() -> None:
    assert resolve_options({}, {"DRS_MAX_WORKERS": "4"}).max_workers == 4
    assert resolve_options({"max_workers": "2"}, {"DRS_MAX_WORKERS": "4"}).max_workers == 2
    from drs_conformance.errors import UsageError

    with pytest.raises(UsageError, match="--max-workers: '0' is not a whole number of at least 1"):
        resolve_options({"max_workers": "0"}, {})


def _item(name: str, requests: int | None = None) -> Any:
    marker = None if requests is None else SimpleNamespace(kwargs={"requests": requests})
    return SimpleNamespace(name=name, get_closest_marker=lambda wanted: marker if wanted == LONG_RUNNING else None)


def test_long_tests_are_handed_out_first_most_first_one_per_pair() -> None:
    """xdist (--maxschedchunk 1) gives each worker two tests at first: each long test is first of a pair."""
    items = [
        _item("a"),
        _item("state-machine", 360),
        _item("b"),
        _item("contract", 320),
        _item("c"),
        _item("d"),
        _item("properties", 95),
    ]
    assert [item.name for item in long_ones_apart(items)] == [
        "state-machine",
        "a",
        "contract",
        "b",
        "properties",
        "c",
        "d",
    ]


# -- the request count --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        pytest.param("POST", "/v3/p/jobs/batch-pause-task", "batch-pause-task", id="pause"),
        pytest.param("POST", "/v3/p/jobs/batch-status", "batch-status", id="status"),
        pytest.param("PATCH", "/v3/p/jobs/batch-status", "other methods", id="another-method"),
        pytest.param(
            "PUT",
            "/_sandbox/jobs/k0000000-1111-2222-3333-444444444444",
            "control PUT /_sandbox/jobs/{id}",
            id="control-one-job",
        ),
        pytest.param(
            "POST",
            "/prefix/_sandbox/jobs/query",
            "control POST /_sandbox/jobs/query",
            id="control-bulk-under-a-base-path",
        ),
    ],
)
def test_requests_are_counted_by_operation(method: str, path: str, operation: str) -> None:
    assert operation_of(method, path) == operation


def test_the_summary_says_how_many_requests_the_run_sent(report_with_requests: dict[str, Any]) -> None:
    lines = "\n".join(summary_lines(report_with_requests, width=100))
    assert "requests sent: 1,234 (batch-pause-task 1,000, batch-status 200; control API: PUT /_sandbox/jobs 34)" in (
        lines.replace("\n    ", " ")
    ), lines


@pytest.fixture
def report_with_requests(tmp_path: Path) -> dict[str, Any]:
    from drs_conformance.contract.catalogue import catalogue
    from drs_conformance.reporting import RunInfo, build_report

    info = RunInfo(
        base_url="http://127.0.0.1:1",
        mode="control-api",
        project_id=PROJECT,
        started_at=0.0,
        finished_at=1.0,
        requests={"batch-status": 200, "control PUT /_sandbox/jobs": 34, "batch-pause-task": 1000},
    )
    report = build_report(info, [], catalogue(), None, strict=False)
    validate_report(report)
    assert report["run"]["requests"] == {
        "total": 1234,
        "by_operation": {"batch-pause-task": 1000, "batch-status": 200, "control PUT /_sandbox/jobs": 34},
    }
    return report


# -- --rate-limit across processes ----------------------------------------------------------------------------


class FrozenClock:
    """time.monotonic that stands still, and time.sleep that only notes how long it was asked to wait."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return 1000.0

    def sleep(self, seconds: float) -> None:
        self.waits.append(round(seconds, 6))


def test_processes_sharing_the_rate_file_take_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two limiters on one file (two xdist workers) space their requests as one: 1/rate apart, whoever sends."""
    clock = FrozenClock()
    monkeypatch.setattr(client_module, "time", clock)
    shared = tmp_path / "next-slot"
    first, second = RateLimiter(10, shared), RateLimiter(10, shared)
    for limiter in (first, second, first, second):
        limiter.wait()
    assert clock.waits == [0.1, 0.2, 0.3], f"waited {clock.waits}: the limiters did not share their slots"


def test_a_limiter_of_its_own_does_not_wait_for_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    """What the shared file prevents: without it each process keeps its own pace (2 processes, twice the rate)."""
    clock = FrozenClock()
    monkeypatch.setattr(client_module, "time", clock)
    first, second = RateLimiter(10), RateLimiter(10)
    for limiter in (first, second, first, second):
        limiter.wait()
    assert clock.waits == [0.1, 0.1]


def test_workers_receive_the_shared_rate_file(tmp_path: Path) -> None:
    """The controller hands its options to every worker as plain data: the rate file survives the trip."""
    options = KitOptions(rate_limit=5.0, rate_limit_file=tmp_path / "next-slot")
    assert KitOptions.from_dict(json.loads(json.dumps(options.to_dict()))).rate_limit_file == tmp_path / "next-slot"


# -- reads a test already has the answer to -------------------------------------------------------------------


@pytest.fixture
def embedded() -> Iterator[Target]:
    target = open_target(KitOptions(resume_timeout=5.0))
    yield target
    target.close()


def _control_requests() -> int:
    return sum(n for operation, n in REQUESTS.snapshot().items() if operation.startswith("control "))


def test_made_and_read_jobs_are_read_again_only_after_a_request_that_may_change_them(embedded: Target) -> None:
    jobs = Jobs(embedded, embedded.client, "gw0")
    before = _control_requests()
    made = jobs.create_many([{"status": "FULL_TRANSFER_STARTED"}, {"status": "CREATING"}, {"status": PAUSING}])
    assert _control_requests() == before + 1, "three jobs were not made in one request"
    assert [state.status for state in jobs.states(made).values()] == ["FULL_TRANSFER_STARTED", "CREATING", PAUSING]
    assert _control_requests() == before + 1, "jobs just made were read again before any request"
    jobs.statuses(made)  # batch-status changes nothing
    assert [state.status for state in jobs.states(made).values()] == ["FULL_TRANSFER_STARTED", "CREATING", PAUSING]
    assert _control_requests() == before + 1, "a batch-status made the kit read the jobs again"

    embedded.client.pause_jobs([(made[0], "all")])

    after = jobs.states(made)
    assert after[made[0]].status == PAUSING and after[made[0]].pause_mode == "all", (
        "a pause did not make the kit read the job again (it kept the state from before the pause)"
    )
    assert _control_requests() == before + 2
    assert jobs.states(made) == after and _control_requests() == before + 2, (
        "jobs read since the last pause were read again"
    )
    jobs.states(made, fresh=True)
    assert _control_requests() == before + 3, "a fresh read was answered from what the kit had"


# -- runs --------------------------------------------------------------------------------------------------


def _requests_seen(proxy: Any) -> Counter[str]:
    seen: Counter[str] = Counter()
    for method_path, n in proxy.stats()["requests"].items():
        method, _, path = method_path.partition(" ")
        seen[operation_of(method, path)] += n
    return seen


def _report(folder: Path) -> dict[str, Any]:
    report = json.loads((folder / "conformance.json").read_text(encoding="utf-8"))
    validate_report(report)
    return report


def _failed(report: dict[str, Any]) -> list[str]:
    return sorted(
        {
            t["nodeid"]
            for r in report["requirements"]
            for t in r["tests"]
            if t["outcome"] in ("failed", "error", "unanswered")
        }
    )


SUBSET = "unknown_job or count_equals or one_result_per_item or every_item or batch_status_reports"


def test_a_run_counts_every_request_of_every_worker(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable, tmp_path: Path
) -> None:
    """Through a proxy 10 ms away, capped at 2 workers: the report's count is what the proxy saw, operation by
    operation (the preflight, both workers, their deletions at the end), with --rate-limit shared by them."""
    sandbox = sandbox_process()
    proxy = fault_proxy(sandbox.url, [delay(0.005, 0.005)])
    run = kit(
        "run",
        "--base-url",
        proxy.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--max-workers",
        "2",
        "--rate-limit",
        "200",
        "--report-dir",
        "out",
        "--",
        "-k",
        SUBSET,
    )
    assert run.code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), run.output[-3000:]
    assert "2 workers in parallel" in run.stderr, run.stderr
    report = _report(tmp_path / "out")
    assert not _failed(report), _failed(report)
    counted = report["run"]["requests"]
    assert counted["by_operation"] == dict(_requests_seen(proxy)), (
        f"the report counts {counted['by_operation']}, the proxy saw {dict(_requests_seen(proxy))}"
    )
    assert counted["total"] == sum(counted["by_operation"].values())
    assert "requests sent: " in run.stdout, run.stdout[-2000:]


def test_a_sandbox_with_the_basic_control_api_runs_every_test(
    kit: Callable, sandbox_process: Callable, tmp_path: Path
) -> None:
    """A vendor's sandbox with only health, reset, PUT and GET of one job: every test runs, one job per request,
    and the jobs the run made are left there (it cannot delete them), counted."""
    sandbox = sandbox_process("--basic-control-api")
    run = kit(
        "run",
        "--base-url",
        sandbox.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--max-workers",
        "1",
        "--report-dir",
        "out",
    )
    assert run.code == ExitCode.CONFORMANT, run.output[-3000:]
    report = _report(tmp_path / "out")
    assert not _failed(report) and report["summary"]["verdict"] == "conformant"
    used = set(report["run"]["requests"]["by_operation"])
    assert {"control PUT /_sandbox/jobs/{id}", "control GET /_sandbox/jobs/{id}"} <= used, used
    assert not used & {
        "control PUT /_sandbox/jobs",
        "control POST /_sandbox/jobs/query",
        "control POST /_sandbox/jobs/delete",
    }, f"a bulk form was asked of a basic sandbox: {used}"
    assert "job(s) this run created are left on the target" in run.stdout, run.stdout[-2000:]


def test_bulk_routes_a_gateway_does_not_pass_are_asked_once(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable, tmp_path: Path
) -> None:
    """The sandbox declares the bulk forms, a proxy in front answers 404 for them: the run falls back, passes."""
    sandbox = sandbox_process()
    proxy = fault_proxy(
        sandbox.url,
        [
            respond(
                404,
                path=r"^/_sandbox/jobs(/query|/delete)?$",
                headers=[("Content-Type", "application/json")],
                body="{}",
            )
        ],
    )
    run = kit(
        "run",
        "--base-url",
        proxy.url,
        "--project-id",
        PROJECT,
        "--auth-token",
        TOKEN,
        "--control-api",
        "--max-workers",
        "1",
        "--report-dir",
        "out",
        "--",
        "-k",
        SUBSET,
    )
    assert run.code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), run.output[-3000:]
    assert not _failed(_report(tmp_path / "out"))
    seen = proxy.stats()["requests"]
    for bulk in ("PUT /_sandbox/jobs", "POST /_sandbox/jobs/query", "POST /_sandbox/jobs/delete"):
        assert seen.get(bulk) == 1, f"{bulk} asked {seen.get(bulk)} times (once, then one job per request): {seen}"
    assert sum(n for key, n in seen.items() if key.startswith("PUT /_sandbox/jobs/")) > 1, seen


def test_the_official_client_keeps_its_connections_from_test_to_test(
    kit: Callable, sandbox_process: Callable, fault_proxy: Callable, tmp_path: Path
) -> None:
    """The interop suite's tests share one SDK client: a handful of connections, not one (or more) per test."""
    sandbox = sandbox_process()
    proxy = fault_proxy(sandbox.url)
    run = kit(
        "run",
        "--base-url",
        proxy.url,
        "--project-id",
        PROJECT,
        "--ak",
        "SANDBOXACCESSKEY0001",
        "--sk",
        "sandbox-secret-key-0001",
        "--control-api",
        "--max-workers",
        "1",
        "--report-dir",
        "out",
        "--",
        "-k",
        "interop",
    )
    assert run.code in (ExitCode.CONFORMANT, ExitCode.INCOMPLETE), run.output[-3000:]
    report = _report(tmp_path / "out")
    sdk_tests = {t["nodeid"] for r in report["requirements"] for t in r["tests"] if t["outcome"] == "passed"}
    assert len(sdk_tests) >= 15 and not _failed(report), (len(sdk_tests), _failed(report))
    # Two for each time the kit opens the target (API and control API: the preflight, the journal's replay, the
    # run's start, the tests), one for the SDK's client, one for the test that signs with a wrong secret key.
    assert proxy.connections < len(sdk_tests), (
        f"{proxy.connections} connections for {len(sdk_tests)} SDK tests: the clients do not keep them"
    )
