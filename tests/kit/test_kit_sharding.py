"""`run --shard K/N` and `report merge`: N shards merged judge as one run did; a merge short of the whole run is
never conformant (a shard missing, of another run, given twice, interrupted)."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from drs_conformance.catalogue import catalogue
from drs_conformance.errors import ExitCode, UsageError
from drs_conformance.options import resolve_options
from drs_conformance.outcomes import TestOutcome
from drs_conformance.reporting import RunScope, overall_verdict, requirement_verdicts, validate_report
from drs_conformance.sharding import assign_shards, parse_shard, shard_of_jobs

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
