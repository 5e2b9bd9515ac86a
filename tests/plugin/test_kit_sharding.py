"""`run --shard K/N` and `report merge`: N shards merged judge as one run did; a merge short of the whole run is
never conformant (a shard missing, of another run, given twice, interrupted)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from drs_conformance.contract.catalogue import catalogue
from drs_conformance.errors import ExitCode, UsageError
from drs_conformance.live.jobs import shard_of_jobs
from drs_conformance.plugin.options import child_run_environment, resolve_options
from drs_conformance.plugin.shard_costs import measured_costs, test_cost
from drs_conformance.plugin.sharding import assign_shards, parse_shard
from drs_conformance.reporting import RunScope, overall_verdict, requirement_verdicts, validate_report
from drs_conformance.reporting.outcomes import TestOutcome

# A requirement with a handful of tests: the subset runs below split it over two shards in seconds.
SUBSET = ("--requirement", "COUNT-EQUALS-RESULTS")


def _report(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "conformance.json").read_text(encoding="utf-8"))


def _partition(directory: Path) -> dict[str, Any]:
    return json.loads((directory / "partition.json").read_text(encoding="utf-8"))


def _verdicts(report: dict[str, Any]) -> dict[str, str]:
    return {entry["id"]: entry["verdict"] for entry in report["requirements"]}


def _outcomes(report: dict[str, Any]) -> dict[str, str]:
    return {test["nodeid"]: test["outcome"] for entry in report["requirements"] for test in entry["tests"]}


def _junit_cases(directory: Path) -> set[str]:
    root = ET.parse(directory / "junit.xml").getroot()
    return {f"{case.get('classname')}::{case.get('name')}" for case in root.iter("testcase")}


def _shards(kit: Callable, count: int, *args: str, prefix: str = "shard") -> list[str]:
    directories = []
    for index in range(1, count + 1):
        directory = f"{prefix}-{index}"
        run = kit("run", "--shard", f"{index}/{count}", "--report-dir", directory, *args)
        assert run.code in (ExitCode.CONFORMANT, ExitCode.NON_CONFORMANT), run.output[-3000:]
        directories.append(directory)
    return directories


# -- the option and the split -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "environ", "config", "expected"),
    [
        pytest.param({"shard": "2/4"}, {}, None, (2, 4), id="flag"),
        pytest.param({}, {"DRS_SHARD": "1/3"}, None, (1, 3), id="environment"),
        pytest.param({}, {}, "run:\n  shard: 3/3\n", (3, 3), id="config-file"),
        pytest.param({}, {}, None, None, id="default-none"),
    ],
)
def test_shard_resolves_like_every_option(
    tmp_path: Path, given: dict, environ: dict, config: str | None, expected: tuple[int, int] | None
) -> None:
    if config is not None:
        path = tmp_path / "kit.yaml"
        path.write_text(config, encoding="utf-8")
        given = {**given, "config": str(path)}
    options = resolve_options(given, environ)
    assert options.shard == expected
    assert options.public()["shard"] == (None if expected is None else f"{expected[0]}/{expected[1]}")


@pytest.mark.parametrize(
    "value",
    [
        pytest.param("0/2", id="zero-index"),
        pytest.param("3/2", id="index-over-count"),
        pytest.param("x", id="not-k-of-n"),
        pytest.param("1/0", id="zero-count"),
        pytest.param("-1/2", id="negative"),
        pytest.param("1/2/3", id="three-parts"),
    ],
)
def test_a_bad_shard_is_one_line_naming_the_flag(value: str) -> None:
    with pytest.raises(UsageError) as raised:
        resolve_options({"shard": value})
    message = str(raised.value)
    assert message.startswith("--shard: ") and "\n" not in message, f"received {message!r}, documented one line"
    assert "--shard 1/" in message, f"received {message!r}: it must say how to give it"


def test_a_bad_shard_exits_with_the_usage_code_before_any_test(kit: Callable) -> None:
    run = kit("run", "--shard", "3/2")
    assert run.code == ExitCode.USAGE, run.output[-2000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "--shard" in lines[0] and "Traceback" not in run.output, run.output[-2000:]


def test_the_split_is_deterministic_balanced_and_keeps_long_tests_apart() -> None:
    costs = {f"test_{n:03d}": 7 for n in range(120)} | {"long_a": 360, "long_b": 320, "long_c": 100, "long_d": 95}
    one = assign_shards(costs, 4)
    shuffled = dict(sorted(costs.items(), key=lambda item: item[0][::-1]))
    assert assign_shards(shuffled, 4) == one, "the split depends on the order tests were collected in"
    assert set(one) == set(costs) and set(one.values()) == {1, 2, 3, 4}
    longs = [one[name] for name in ("long_a", "long_b", "long_c", "long_d")]
    assert len(set(longs)) == 4, f"the long tests share shards: {longs}"
    loads = [sum(cost for name, cost in costs.items() if one[name] == shard) for shard in (1, 2, 3, 4)]
    assert max(loads) - min(loads) <= 7, f"received loads {loads}: the short tests, placed last, even them out"
    lopsided = assign_shards({"long": 360, "a": 7, "b": 7}, 2)
    assert lopsided == {"long": 1, "a": 2, "b": 2}, f"received {lopsided}: the long test stands alone"


def test_costs_are_the_measured_seconds_else_estimated_from_the_marker() -> None:
    known = "test_stateful.py::test_target_follows_the_model_step_by_step"
    quick = measured_costs()["quick"]
    assert test_cost(known, profile="quick", long_running_requests=360, short_requests=7) == round(quick[known] * 1000)
    as_pytest_names_it = f"drs_conformance/suites/{known}"
    assert test_cost(as_pytest_names_it, profile="quick", long_running_requests=360, short_requests=7) == round(
        quick[known] * 1000
    ), "`pytest suites/` names the test with its directories: the same cost"
    new_long = test_cost("test_new.py::test_long", profile="quick", long_running_requests=300, short_requests=7)
    new_short = test_cost("test_new.py::test_short", profile="quick", long_running_requests=None, short_requests=7)
    assert new_long > 20 * new_short, f"received {new_long} ms and {new_short} ms: the marker says 300 requests"
    unknown_profile = test_cost(known, profile="no-such-profile", long_running_requests=360, short_requests=7)
    assert unknown_profile == round(quick[known] * 1000), "a profile without a table uses the quick one"


def test_tests_sharing_a_job_are_placed_in_one_shard() -> None:
    costs = {f"test_{n}": 7 for n in range(9)}
    groups = {"test_0": "example", "test_4": "example", "test_8": "example"}
    assigned = assign_shards(costs, 3, groups)
    assert len({assigned[name] for name in groups}) == 1, f"received {assigned}: a shared job on two shards"
    assert set(assigned.values()) == {1, 2, 3}


def test_shards_on_one_inventory_lease_disjoint_jobs_that_cover_it() -> None:
    jobs = [f"job-{n}" for n in range(7)]
    parts = [shard_of_jobs(jobs, (index, 3)) for index in (1, 2, 3)]
    assert sorted(job for part in parts for job in part) == sorted(jobs)
    assert not set(parts[0]) & set(parts[1]) and not set(parts[1]) & set(parts[2]) and not set(parts[0]) & set(parts[2])
    assert shard_of_jobs(jobs, None) == jobs
    assert parse_shard(" 2/3 ").index == 2


def test_a_partial_scope_is_incomplete_even_when_every_requirement_was_judged() -> None:
    """A merge short of a shard can judge every requirement through the shards it has: still not conformant."""
    known = catalogue()
    outcomes = [TestOutcome(nodeid=f"t::{r.id}", requirements=(r.id,), outcome="passed") for r in known]
    scope = RunScope(partial=("shard 3/3 missing",))
    verdicts = requirement_verdicts(outcomes, known, strict=False, scope=scope)
    overall = overall_verdict(verdicts, strict=False, scope=scope, outcomes=outcomes, require_complete=True)
    assert overall.coverage is not None and overall.coverage.complete
    assert (overall.verdict, overall.exit_code) == ("incomplete", ExitCode.INCOMPLETE)
    assert overall.reasons[0] == "shard 3/3 missing"
    whole = overall_verdict(verdicts, strict=False, scope=RunScope(), outcomes=outcomes)
    assert whole.verdict == "conformant", "the same outcomes without the partial scope are conformant"


# -- whole runs -----------------------------------------------------------------------------------


def test_three_shards_merged_judge_as_one_run_and_two_of_three_are_incomplete(kit: Callable, tmp_path: Path) -> None:
    """The whole embedded run as 3 shards: merged, the same verdicts and outcomes; without one, incomplete."""
    single = kit("run", "--report-dir", "single")
    assert single.code == ExitCode.CONFORMANT, single.output[-3000:]
    shards = _shards(kit, 3)
    for directory in shards:
        alone = _report(tmp_path / directory)
        assert alone["summary"]["verdict"] == "incomplete", f"{directory} alone said {alone['summary']['verdict']}"
    merge = kit("report", "merge", *shards, "--report-dir", "merged", "--require-complete")
    assert merge.code == ExitCode.CONFORMANT, merge.output[-3000:]
    example = ("test_documented_example_is_answered_as_documented", "test_sdk_plays_the_documented_example")
    holders = [
        directory
        for directory in shards
        if any(nodeid.endswith(example) for nodeid in _partition(tmp_path / directory)["nodeids"])
    ]
    assert len(holders) == 1, f"the tests of the document's example job ran in {holders}: one shard must hold them"

    one, merged = _report(tmp_path / "single"), _report(tmp_path / "merged")
    validate_report(merged)
    assert merged["summary"]["verdict"] == one["summary"]["verdict"] == "conformant"
    assert _verdicts(merged) == _verdicts(one)
    assert _outcomes(merged) == _outcomes(one)
    assert merged["summary"]["coverage"]["text"] == one["summary"]["coverage"]["text"]
    assert merged["summary"]["tests"] == one["summary"]["tests"]
    assert _junit_cases(tmp_path / "merged") == _junit_cases(tmp_path / "single")
    allure = {p.name for p in (tmp_path / "merged" / "allure-results").glob("*-result.json")}
    assert len(allure) == len(list((tmp_path / "single" / "allure-results").glob("*-result.json")))
    # Each shard starts its own session (a health check, a reset, a preflight pause): one more of each per shard.
    ours, theirs = merged["run"]["requests"]["by_operation"], one["run"]["requests"]["by_operation"]
    for operation, count in theirs.items():
        assert 0 <= ours[operation] - count <= 2, f"{operation}: received {ours[operation]}, one run sent {count}"

    short = kit("report", "merge", *shards[:2], "--report-dir", "short", "--require-complete")
    assert short.code == ExitCode.INCOMPLETE, short.output[-3000:]
    report = _report(tmp_path / "short")
    assert report["summary"]["verdict"] == "incomplete"
    assert any(reason.startswith("shard 3/3 missing") for reason in report["summary"]["reasons"]), report["summary"]
    assert "shard 3/3 missing" in short.stdout

    shutil.copytree(tmp_path / shards[0], tmp_path / "again")
    twice = kit("report", "merge", *shards, "again", "--report-dir", "twice")
    assert twice.code == ExitCode.CONFORMANT, twice.output[-3000:]  # incomplete, without --require-complete
    reasons = _report(tmp_path / "twice")["summary"]["reasons"]
    assert _report(tmp_path / "twice")["summary"]["verdict"] == "incomplete"
    assert any("shard 1/3 given 2 times" in reason for reason in reasons), reasons


def test_two_shards_merged_are_conformant_and_one_alone_exits_5(kit: Callable, tmp_path: Path) -> None:
    """The issue's 'done when', on a subset: 1/2 + 2/2 merged conformant (exit 0); 1/2 alone incomplete (exit 5)."""
    shards = _shards(kit, 2, *SUBSET)
    whole = kit("report", "merge", *shards, "--report-dir", "merged", "--require-complete")
    assert whole.code == ExitCode.CONFORMANT, whole.output[-3000:]
    assert _report(tmp_path / "merged")["summary"]["verdict"] == "conformant"
    alone = kit("report", "merge", shards[0], "--report-dir", "alone", "--require-complete")
    assert alone.code == ExitCode.INCOMPLETE, alone.output[-3000:]
    assert "shard 2/2 missing" in " ".join(_report(tmp_path / "alone")["summary"]["reasons"])


def test_a_defect_is_caught_by_the_merged_verdict_of_the_shards(kit: Callable, tmp_path: Path) -> None:
    shards = _shards(kit, 2, *SUBSET, "--sandbox-defect", "count-wrong")
    alone = {_report(tmp_path / directory)["summary"]["verdict"] for directory in shards}
    assert alone <= {"incomplete", "non-conformant"} and "non-conformant" in alone, alone
    merge = kit("report", "merge", *shards, "--report-dir", "merged")
    assert merge.code == ExitCode.NON_CONFORMANT, merge.output[-3000:]
    report = _report(tmp_path / "merged")
    assert report["summary"]["verdict"] == "non-conformant"
    assert _verdicts(report)["COUNT-EQUALS-RESULTS"] == "fail"
    assert "COUNT-EQUALS-RESULTS" in merge.stdout


def test_a_shard_of_another_run_is_refused(kit: Callable, tmp_path: Path) -> None:
    """Shard 2/2 ran with another seed: not merged, named with what differs; the run is incomplete."""
    first = kit("run", "--shard", "1/2", "--report-dir", "one", *SUBSET)
    other = kit("run", "--shard", "2/2", "--seed", "1", "--report-dir", "two", *SUBSET)
    assert first.code == other.code == ExitCode.CONFORMANT, (first.output + other.output)[-3000:]
    merge = kit("report", "merge", "one", "two", "--report-dir", "merged", "--require-complete")
    assert merge.code == ExitCode.INCOMPLETE, merge.output[-3000:]
    reasons = " ".join(_report(tmp_path / "merged")["summary"]["reasons"])
    assert "is of another run: seed" in reasons and "shard 2/2 missing" in reasons, reasons


def test_an_interrupted_shard_makes_the_merge_interrupted(kit: Callable, tmp_path: Path) -> None:
    """A shard stopped by SIGTERM writes its partition marked so (stopped_by): the merge is interrupted, 143."""
    shards = _shards(kit, 2, *SUBSET)
    record = json.loads((tmp_path / shards[1] / "partition.json").read_text(encoding="utf-8"))
    record["stopped_by"] = "SIGTERM"  # what write_shard_partition records for a run that SIGTERM stopped
    (tmp_path / shards[1] / "partition.json").write_text(json.dumps(record), encoding="utf-8")
    merge = kit("report", "merge", *shards, "--report-dir", "merged")
    assert merge.code == ExitCode.TERMINATED, merge.output[-3000:]
    report = _report(tmp_path / "merged")
    assert report["summary"]["verdict"] == "interrupted"
    assert any("was interrupted (SIGTERM)" in reason for reason in report["summary"]["reasons"])


def test_a_merge_of_nothing_is_one_usage_line(kit: Callable, tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    run = kit("report", "merge", "empty", "absent", "--report-dir", "merged")
    assert run.code == ExitCode.USAGE, run.output[-2000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "no shard report to merge" in lines[0] and "--shard K/N" in lines[0], lines


# -- live: two shards on one inventory, each with its own journal (two machines) ---------------------

PROJECT = "054ba152d480d55b2f5dc0069e7ddef0"
# Requirements whose tests lease pausable and non-pausable inventory jobs (the rest would only slow the test).
LIVE_SUBSET = ("--requirement", "PAUSABLE-SUCCEEDS", "--requirement", "NON-PAUSABLE-STATE-FAILS")
LIVE_JOBS = [f"{n:08x}-aaaa-bbbb-cccc-0000000shard" for n in range(1, 7)]
LIVE_INVENTORY = f"project_id: {PROJECT}\njobs:\n" + "".join(
    f"  - id: {job}\n    type: sync\n" + ("    status: CONFIGURATION\n" if n == 5 else "")
    for n, job in enumerate(LIVE_JOBS)
)


def _live_statuses(url: str) -> dict[str, str]:
    reply = httpx.post(
        f"{url}/v3/{PROJECT}/jobs/batch-status", json={"jobs": LIVE_JOBS}, headers={"X-Auth-Token": "sandbox-token"}
    )
    return {result["id"]: result["status"] for result in reply.json()["results"]}


def _tried(journal: Path) -> set[str]:
    """The jobs a run tried to lease: each has a lock file beside its journal (the journal itself is compacted)."""
    return {lock.stem for lock in journal.parent.glob(f"{journal.name}.locks/*/*.lock")}


def test_shards_on_one_inventory_at_once_lease_apart_and_put_back(
    kit: Callable, sandbox_process: Callable, tmp_path: Path
) -> None:
    """Two shards at once, journals apart (locks cannot see each other): each leases only its own jobs."""
    inventory = tmp_path / "inventory.yaml"
    inventory.write_text(LIVE_INVENTORY, encoding="utf-8")
    sandbox = sandbox_process("--seed", str(inventory), "--no-control-api")
    before = _live_statuses(sandbox.url)
    target = ["--base-url", sandbox.url, "--auth-token", "sandbox-token", "--inventory", str(inventory)]
    running = []
    for index in (1, 2):
        journal = tmp_path / f"machine-{index}" / "journal.jsonl"
        command = [sys.executable, "-m", "drs_conformance", "run", "--shard", f"{index}/2", *target]
        command += ["--journal", str(journal), "--report-dir", f"shard-{index}", *LIVE_SUBSET]
        env = {**child_run_environment(os.environ), "XDG_STATE_HOME": str(tmp_path / f"machine-{index}")}
        with (tmp_path / f"shard-{index}.log").open("wb") as log:  # a file: an unread pipe would fill and block
            running.append((journal, subprocess.Popen(command, cwd=tmp_path, env=env, stdout=log, stderr=log)))
    for index, (journal, process) in enumerate(running, start=1):
        code = process.wait(timeout=600)
        output = (tmp_path / f"shard-{index}.log").read_text(encoding="utf-8", errors="replace")
        assert code == ExitCode.CONFORMANT, f"shard {index}/2 exit {code}:\n{output[-3000:]}"
        leased = _tried(journal)
        ours = set(shard_of_jobs(LIVE_JOBS, (index, 2)))
        assert leased, f"shard {index}/2 leased no job"
        assert leased <= ours, f"shard {index}/2 leased {sorted(leased - ours)}, which fall to the other shard"
        categories = {
            gap["category"] for gap in _report(tmp_path / f"shard-{index}")["summary"]["coverage"]["not_judged"]
        }
        assert "inconclusive" not in categories, f"shard {index}/2 saw jobs change under it: {categories}"
        restore = kit("restore", *target, "--journal", str(journal))
        assert restore.code == 0, restore.output[-2000:]
    assert _live_statuses(sandbox.url) == before, "the shards left jobs changed"
    merge = kit("report", "merge", "shard-1", "shard-2", "--report-dir", "merged")
    assert merge.code == ExitCode.CONFORMANT, merge.output[-3000:]
    assert _report(tmp_path / "merged")["run"]["target"]["mode"] == "inventory"
