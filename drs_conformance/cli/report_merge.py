"""`drs-conformance report merge`: the report directories of a run's shards (`--shard K/N`) as one run's reports.

Fail-closed: the merged verdict never says more than the shards together judged. A shard missing, of another
run (fingerprint), given twice, running a node id another shard ran, stopped early or interrupted is named in the
verdict's reasons, and the run is `incomplete` (or `interrupted`), never `conformant`. The reports are written by
the kit's own writers (`reporting.build_report`, `write_reports`, `write_environment`) from the merged outcomes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import signal
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from drs_conformance.errors import ConfigError, UsageError
from drs_conformance.plugin.options import OPTIONS, add_argparse_options, resolve_options
from drs_conformance.plugin.sharding import PARTITION_FILE, PARTITION_FORMAT, fingerprint_of

__all__ = ["MERGE_OPTIONS", "MergedRun", "ShardReport", "add_arguments", "load_shard", "merge_shards", "run"]

# The run options report merge takes (flag, environment variable; no config file: the shards had theirs).
MERGE_OPTIONS = ("report_dir", "require_complete", "known_deviations")
_JUNIT = "junit.xml"
_ALLURE = "allure-results"
_CONFORMANCE = "conformance.json"
_COUNTS = ("errors", "failures", "skipped", "tests")  # a JUnit testsuite's counts


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("shard_dirs", nargs="+", type=Path, metavar="DIR", help="a shard's report directory")
    add_argparse_options(parser, only=MERGE_OPTIONS)


@dataclass(frozen=True, kw_only=True)
class ShardReport:
    """One shard's report directory as read: its partition record and conformance.json, or why it cannot be used."""

    path: Path
    partition: Mapping[str, Any] | None = None
    report: Mapping[str, Any] | None = None
    problem: str | None = None

    @property
    def record(self) -> Mapping[str, Any]:
        """The partition record (a shard that has one)."""
        assert self.partition is not None, f"{self.path}: no partition record ({self.problem})"
        return self.partition

    @property
    def run(self) -> Mapping[str, Any]:
        """conformance.json's run section (a shard that was read whole)."""
        assert self.report is not None, f"{self.path}: no conformance.json ({self.problem})"
        return self.report["run"]

    @property
    def name(self) -> str:
        if self.partition is None:
            return str(self.path)
        shard = self.partition["shard"]
        return f"shard {shard['index']}/{shard['count']} ({self.path})"


def _read_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def load_shard(path: Path) -> ShardReport:
    """A shard's directory: partition.json and conformance.json read, or the problem in words."""
    partition_path = path / PARTITION_FILE
    if not partition_path.is_file():
        why = "does not exist" if not path.exists() else f"has no {PARTITION_FILE}"
        return ShardReport(
            path=path, problem=f"{path} {why} (not a shard's report directory, or the shard never ended)"
        )
    try:
        partition = _read_json(partition_path)
    except (OSError, ValueError) as exc:
        return ShardReport(path=path, problem=f"{partition_path} cannot be read: {exc}")
    if not isinstance(partition, dict) or partition.get("format") != PARTITION_FORMAT:
        return ShardReport(path=path, problem=f"{partition_path} is not a partition record of drs-conformance")
    try:
        report = _read_json(path / _CONFORMANCE)
    except (OSError, ValueError) as exc:
        return ShardReport(path=path, partition=partition, problem=f"{path / _CONFORMANCE} cannot be read: {exc}")
    return ShardReport(path=path, partition=partition, report=report)


def _differences(one: Mapping[str, Any], other: Mapping[str, Any]) -> str:
    """'seed "3" (the others: "0"), target.sandbox_defect ...': how a fingerprint differs from the reference."""

    def flat(data: Mapping[str, Any]) -> dict[str, Any]:
        items: dict[str, Any] = {}
        for key, value in fingerprint_of(data).items():
            if isinstance(value, Mapping):
                items.update({f"{key}.{sub}": inner for sub, inner in value.items()})
            else:
                items[key] = value
        return items

    mine, theirs = flat(one), flat(other)
    keys = [key for key in {**mine, **theirs} if mine.get(key) != theirs.get(key)]
    return (
        ", ".join(f"{key} {json.dumps(mine.get(key))} (the others: {json.dumps(theirs.get(key))})" for key in keys)
        or "its fingerprint"
    )


@dataclass(kw_only=True)
class MergedRun:
    """What the accepted shards hold together, and every reason the merge is not the whole run."""

    reference: Mapping[str, Any]  # the partition record the accepted shards share
    accepted: list[ShardReport] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    stopped_by: int | None = None
    stopped_early: str | None = None

    @property
    def count(self) -> int:
        return int(self.reference["shard"]["count"])

    @property
    def outcomes(self) -> list[dict[str, Any]]:
        return [outcome for shard in self.accepted for outcome in shard.record["outcomes"]]


def merge_shards(shards: Sequence[ShardReport]) -> MergedRun:
    """The shards of one run (the most common fingerprint; a tie: the first given), checked fail-closed."""
    readable = [shard for shard in shards if shard.problem is None]
    if not readable:
        problems = "; ".join(str(shard.problem) for shard in shards)
        raise UsageError(
            f"no shard report to merge: {problems}; run drs-conformance run --shard K/N --report-dir DIR first"
        )
    prints = Counter(str(shard.record["fingerprint"]) for shard in readable)
    best = max(prints.values())
    chosen = next(str(s.record["fingerprint"]) for s in readable if prints[str(s.record["fingerprint"])] == best)
    ours = [shard for shard in readable if shard.record["fingerprint"] == chosen]
    merged = MergedRun(reference=ours[0].record)
    merged.partial.extend(f"{shard.problem}: not merged" for shard in shards if shard.problem is not None)
    for shard in readable:
        if shard.record["fingerprint"] != chosen:
            merged.partial.append(
                f"{shard.name} is of another run: {_differences(shard.record, merged.reference)}; not merged"
            )
    by_index: dict[int, list[ShardReport]] = {}
    for shard in ours:
        by_index.setdefault(int(shard.record["shard"]["index"]), []).append(shard)
    for index in range(1, merged.count + 1):
        given = by_index.get(index, [])
        if not given:
            merged.partial.append(
                f"shard {index}/{merged.count} missing: no report directory of it was given (or it never ended); "
                "its tests did not run"
            )
        elif len(given) > 1:
            where = ", ".join(str(shard.path) for shard in given)
            merged.partial.append(
                f"shard {index}/{merged.count} given {len(given)} times ({where}): none of them merged"
            )
        else:
            merged.accepted.append(given[0])
    _check_accepted(merged)
    return merged


def _check_accepted(merged: MergedRun) -> None:
    """Node ids run twice, tests the shards did not cover, shards stopped early or interrupted."""
    seen: dict[str, str] = {}
    for shard in merged.accepted:
        record = shard.record
        for nodeid in record["nodeids"]:
            if nodeid in seen:
                merged.partial.append(f"{nodeid} ran in {seen[nodeid]} and in {shard.name}: the split is not one run's")
            seen.setdefault(nodeid, shard.name)
        ended = {str(o["nodeid"]).removesuffix(" (teardown)") for o in record["outcomes"]}
        unended = [nodeid for nodeid in record["nodeids"] if nodeid not in ended]
        if record.get("stopped_by"):
            merged.partial.append(f"{shard.name} was interrupted ({record['stopped_by']})")
            merged.stopped_by = merged.stopped_by or int(signal.Signals[record["stopped_by"]])
        elif record.get("stopped_early"):
            merged.partial.append(f"{shard.name} stopped early: {record['stopped_early']}")
            merged.stopped_early = merged.stopped_early or str(record["stopped_early"])
        elif unended:
            merged.partial.append(f"{shard.name}: {len(unended)} of its tests gave no result ({unended[0]}, ...)")
    whole = int(merged.reference["tests"]["count"])
    if len(merged.accepted) == merged.count and len(seen) != whole:
        merged.partial.append(f"the shards ran {len(seen)} distinct tests of the {whole} their fingerprint names")


def _scope(merged: MergedRun) -> Any:
    from drs_conformance.plugin.selection import COMMON_CHECKS, Plan
    from drs_conformance.reporting import RunScope

    plans = [Plan.from_dict(shard.record["plan"]) for shard in merged.accepted]
    reference = Plan.from_dict(merged.reference["plan"])
    selected: Counter[str] = Counter()
    for plan in plans:
        selected.update(plan.selected)
    return RunScope(
        selected=dict(selected),
        deselected=dict(reference.deselected),
        selection=reference.selection,
        traffic_checks=frozenset(COMMON_CHECKS),
        collected=int(merged.reference["tests"]["count"]),
        stopped_by=merged.stopped_by,
        stopped_early=merged.stopped_early,
        chosen=frozenset(merged.reference["options"]["requirements"]),
        partial=tuple(dict.fromkeys(merged.partial)),
    )


def _live_jobs(merged: MergedRun) -> dict[str, Any] | None:
    """The shards' live jobs together: each job left paused says which shard (whose machine has its journal)."""
    parts: list[tuple[ShardReport, Mapping[str, Any]]] = [
        (shard, shard.run["live_jobs"]) for shard in merged.accepted if shard.run.get("live_jobs")
    ]
    if not parts:
        return None
    first = parts[0][1]
    left = [
        {"job_id": job["job_id"], "why": f"{job['why']} ({shard.name}: restore on its machine, with its journal)"}
        for shard, live in parts
        for job in live["left_paused"]
    ]
    return {
        "journal": first["journal"],
        "run_id": first["run_id"],
        "put_back_at_start": [job for _, live in parts for job in live["put_back_at_start"]],
        "paused_by_others": sorted({job for _, live in parts for job in live["paused_by_others"]}),
        "left_paused": left,
        "restore_command": next((live["restore_command"] for _, live in parts if live["restore_command"]), None),
    }


def _info(merged: MergedRun, *, report_dir: Path, require_complete: bool) -> Any:
    from drs_conformance.reporting import RunInfo

    sources = merged.accepted or []
    run_of = (sources[0].report if sources else None) or {}
    run = dict(run_of.get("run") or {})
    requests: Counter[str] = Counter()
    for shard in sources:
        requests.update((shard.run.get("requests") or {}).get("by_operation") or {})
    times = [shard.run for shard in sources]
    now = dt.datetime.now(tz=dt.UTC)
    target = run.get("target") or {"base_url": "embedded sandbox", "mode": merged.reference["target"]["mode"]}
    return RunInfo(
        base_url=str(target["base_url"]),
        mode=target["mode"],
        project_id=str(target.get("project_id") or merged.reference["target"]["project_id"]),
        kit_version=str(merged.reference["kit_version"]),
        spec_version=str(run.get("spec_version") or "unknown"),
        seed=merged.reference["seed"],
        hypothesis_profile=merged.reference["options"]["hypothesis_profile"],
        strict=bool(merged.reference["options"]["strict_conformance"]),
        require_complete=require_complete,
        options={**(run.get("options") or {}), "shard": None, "report_dir": str(report_dir)},
        deviations_file=run.get("deviations_file"),
        live_jobs=_live_jobs(merged),
        requests=dict(requests),
        started_at=min((dt.datetime.fromisoformat(t["started_at"]) for t in times), default=now),
        finished_at=max((dt.datetime.fromisoformat(t["finished_at"]) for t in times), default=now),
    )


def _merge_junit(merged: MergedRun, out: Path, report: Mapping[str, Any]) -> Path | None:
    """One junit.xml: every shard's test cases in one testsuite, its counts summed, the merged verdict's properties."""
    from drs_conformance.reporting import junit_properties

    cases: list[ET.Element] = []
    totals: Counter[str] = Counter()
    time_s = 0.0
    for shard in merged.accepted:
        path = shard.path / _JUNIT
        if not path.is_file():
            continue
        try:
            root = ET.parse(path).getroot()  # the shard's own file, written by pytest's junitxml
        except ET.ParseError as exc:
            raise ConfigError(f"{path} is not valid XML ({exc}); run the shard again") from None
        for suite in root.iter("testsuite"):
            for key in _COUNTS:
                totals[key] += int(suite.get(key, "0"))
            time_s = max(time_s, float(suite.get("time", "0")))
            cases.extend(suite.iter("testcase"))
    if not cases:
        return None
    root = ET.Element("testsuites", name="drs-conformance")
    suite = ET.SubElement(root, "testsuite", {"name": "pytest"} | {key: str(totals[key]) for key in _COUNTS})
    suite.set("time", f"{time_s:.3f}")
    properties = ET.SubElement(suite, "properties")
    for name, value in junit_properties(report):
        ET.SubElement(properties, "property", name=name, value=value)
    suite.extend(cases)
    path = out / _JUNIT
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
    return path


def _merge_allure(merged: MergedRun, out: Path, report: Mapping[str, Any], redactor: Any) -> Path:
    """allure-results/: every shard's results (each file named by its own uuid), the merged run's environment."""
    from drs_conformance.reporting import write_environment

    results = out / _ALLURE
    shutil.rmtree(results, ignore_errors=True)  # as the run's --clean-alluredir: no result of an earlier merge
    results.mkdir(parents=True)
    for shard in merged.accepted:
        source = shard.path / _ALLURE
        for item in sorted(source.glob("*")) if source.is_dir() else ():
            if item.is_file() and item.name != "environment.properties":
                shutil.copy2(item, results / item.name)
    write_environment(results, report, redactor)
    return results


def _options(args: argparse.Namespace) -> Any:
    """--report-dir, --require-complete and --known-deviations from flags or their environment variables."""
    import os

    names = {option.env for option in OPTIONS if option.dest in MERGE_OPTIONS and option.env}
    given = {dest: getattr(args, dest, None) for dest in MERGE_OPTIONS}
    return resolve_options(given, environ={name: value for name, value in os.environ.items() if name in names})


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Merge the shard directories into --report-dir; print the verdict; exit as `run` does (README: Exit codes)."""
    from drs_conformance.contract.catalogue import catalogue
    from drs_conformance.reporting import build_report, load_deviations, summary_lines, write_reports
    from drs_conformance.reporting.outcomes import TestOutcome
    from drs_conformance.transport.redaction import Redactor

    out = out or sys.stdout
    options = _options(args)
    report_dir = Path(options.report_dir)
    for path in args.shard_dirs:
        if path.exists() and path.resolve() == report_dir.resolve():
            raise UsageError(f"--report-dir {report_dir} is one of the shard directories; give another directory")
    merged = merge_shards([load_shard(path) for path in args.shard_dirs])
    deviations = load_deviations(options.known_deviations) if options.known_deviations is not None else None
    shards_ran_with = merged.reference["options"].get("known_deviations_sha256")
    if shards_ran_with and options.known_deviations is None:
        merged.partial.append("the shards ran with --known-deviations: give report merge the same file")
    redactor = Redactor()  # the shards' records are redacted already; every string is redacted again on writing
    info = _info(merged, report_dir=report_dir, require_complete=options.require_complete)
    outcomes = [TestOutcome.from_dict(data) for data in merged.outcomes]
    report = build_report(info, outcomes, catalogue(), deviations, redactor=redactor, scope=_scope(merged))
    paths: dict[str, Path] = {}
    junit = _merge_junit_safely(merged, report_dir, report)
    if junit is not None:
        paths["junit"] = junit
    paths["allure"] = _merge_allure(merged, report_dir, report, redactor)
    paths.update(write_reports(report, report_dir, redactor))
    accepted = ", ".join(str(shard.record["shard"]["index"]) for shard in merged.accepted) or "none"
    print(f"drs-conformance: merged shards {accepted} of {merged.count}", file=out)
    for reason in merged.partial:
        print(f"  not the whole run: {reason}", file=out)
    for line in summary_lines(report, paths, redactor=redactor):
        print(line, file=out)
    return int(report["summary"]["exit_code"])


def _merge_junit_safely(merged: MergedRun, report_dir: Path, report: Mapping[str, Any]) -> Path | None:
    try:
        report_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot write reports into {report_dir}: {exc.strerror or exc}; check --report-dir"
        ) from None
    return _merge_junit(merged, report_dir, report)
