"""The reports of a suite run: its verdict built from the outcomes (`build_run_report`), JUnit's testsuite
properties, conformance.json/.md/.html and Allure's environment written shielded from a stop
(`write_run_reports`), and the files the terminal names.

The plugin imports this module only once a report is due: it loads the reporting package (jsonschema, allure, the
HTML page), which a run without reports does not need.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import pytest
from _pytest.junitxml import xml_key  # what pytest's junitxml plugin writes through (absent: -p no:junitxml)

from drs_conformance import __version__
from drs_conformance.contract.catalogue import catalogue
from drs_conformance.contract.inventory import load_inventory
from drs_conformance.contract.settle import EFFECTS
from drs_conformance.contract.spec import contract
from drs_conformance.live import interruption
from drs_conformance.live.target import Target
from drs_conformance.plugin.options import KitOptions
from drs_conformance.plugin.profiles import DEFAULT_PROFILE
from drs_conformance.plugin.selection import COMMON_CHECKS, Plan
from drs_conformance.plugin.sharding import PARTITION_FILE, ShardPlan, partition_record, write_partition
from drs_conformance.reporting import (
    REPORT_FILES,
    Deviations,
    RunInfo,
    RunScope,
    build_report,
    junit_properties,
    redact_data,
    write_environment,
    write_reports,
)
from drs_conformance.reporting.outcomes import TestOutcome
from drs_conformance.transport.client import REQUESTS
from drs_conformance.transport.redaction import Redactor

if TYPE_CHECKING:
    from drs_conformance.plugin.live_run import LiveRun
    from drs_conformance.reporting.run_report import TargetMode

__all__ = [
    "add_junit_properties",
    "build_run_report",
    "remove_previous_reports",
    "report_locations",
    "run_scope",
    "write_run_reports",
    "write_shard_partition",
]


def run_scope(
    session: pytest.Session,
    *,
    options: KitOptions | None,
    plan: Plan | None,
    collected: int | None,
    stopped_early: str | None,
    partial: tuple[str, ...] = (),
) -> RunScope:
    """What the run selected and how it ended: the verdicts of requirements it did not judge say why."""
    return RunScope(
        selected=None if plan is None else plan.selected,
        deselected={} if plan is None else plan.deselected,
        selection="" if plan is None else plan.selection,
        traffic_checks=frozenset(COMMON_CHECKS),
        collected=collected if plan is None else plan.collected,
        collect_only=bool(session.config.option.collectonly),
        stopped_by=interruption.stopped_by(),
        stopped_early=str(session.shouldfail) if session.shouldfail else stopped_early,
        chosen=frozenset(options.requirements) if options else frozenset(),
        partial=partial,
    )


def _project_of(options: KitOptions) -> str:
    """The run's project when no target was opened in this process (the xdist controller)."""
    if options.project_id:
        return options.project_id
    if options.inventory is not None:
        return load_inventory(options.inventory).project_id
    # The sandbox package loads Starlette: imported only when the run is embedded.
    from drs_conformance.sandbox import DEFAULT_PROJECT

    return DEFAULT_PROJECT


def build_run_report(
    session: pytest.Session,
    *,
    options: KitOptions,
    target: Target | None,
    live: LiveRun | None,
    outcomes: Iterable[TestOutcome],
    deviations: Deviations | None,
    scope: RunScope,
    started: float,
) -> tuple[dict[str, Any], Redactor]:
    """The conformance.json document of the run so far, and the redactor every report is written through."""
    redactor = target.redactor if target else Redactor(options.secrets)
    info = RunInfo(
        base_url=target.base_url if target else (options.base_url or "embedded sandbox"),
        mode=cast("TargetMode", options.mode),  # checked against TARGET_MODES by RunInfo
        project_id=target.project_id if target else _project_of(options),
        kit_version=__version__,
        spec_version=contract().version,
        seed=options.seed,
        hypothesis_profile=str(session.config.getoption("hypothesis_profile", default=None) or DEFAULT_PROFILE),
        strict=options.strict_conformance,
        require_complete=options.require_complete,
        options=options.public(),
        live_jobs=live.report_data() if live is not None else None,
        requests=REQUESTS.snapshot(),
        settle=EFFECTS.stats().to_dict(),
        started_at=dt.datetime.fromtimestamp(started, tz=dt.UTC),
        finished_at=dt.datetime.now(tz=dt.UTC),
    )
    report = build_report(
        info, list(outcomes), catalogue(), deviations, strict=options.strict_conformance, redactor=redactor, scope=scope
    )
    return report, redactor


def write_run_reports(
    session: pytest.Session,
    report: dict[str, Any],
    report_dir: Path,
    redactor: Redactor,
    rebuild: Callable[[], dict[str, Any]],
    written_paths: dict[str, Path],
) -> dict[str, Any]:
    """Write the reports, shielded; a stop that arrives meanwhile rewrites them marked interrupted (`rebuild`).

    Returns the report as last written; `written_paths` receives the files as soon as they are written.
    """
    while True:
        written = False
        try:
            with interruption.shielded("writing reports"):
                paths = write_reports(report, report_dir, redactor)
                written_paths.clear()
                written_paths.update(paths)
                allure_dir = getattr(session.config.option, "allure_report_dir", None)
                if allure_dir:
                    write_environment(allure_dir, report, redactor)
                written = True
        except KeyboardInterrupt:
            if not written:
                print("drs-conformance: reports not written: a second signal abandoned them", file=sys.stderr)
                raise
        if report["summary"]["interruption"] is not None or interruption.stopped_by() is None:
            return report
        report = rebuild()  # stopped while writing: the run was interrupted after all


def add_junit_properties(config: pytest.Config, report: dict[str, Any]) -> None:
    """The verdict, coverage and exit code as testsuite properties of junit.xml (written after this)."""
    xml = config.stash.get(xml_key, None)
    if xml is not None:
        for name, value in junit_properties(report):
            xml.add_global_property(name, value)


def report_locations(config: pytest.Config, written: dict[str, Path]) -> dict[str, Path]:
    """Every report of the run the terminal names: JUnit and Allure (when on), then the kit's own."""
    paths: dict[str, Path] = {}
    if config.stash.get(xml_key, None) is not None:
        paths["junit"] = Path(config.option.xmlpath)
    if config.pluginmanager.has_plugin("allure_pytest") and getattr(config.option, "allure_report_dir", None):
        paths["allure"] = Path(config.option.allure_report_dir)
    paths.update(written)
    return paths


def _file_sha256(path: Path | None) -> str | None:
    import hashlib

    try:
        return None if path is None else hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def write_shard_partition(
    report: dict[str, Any],
    *,
    options: KitOptions,
    shard_plan: ShardPlan,
    outcomes: Iterable[TestOutcome],
    stopped_early: str | None,
    redactor: Redactor,
) -> Path:
    """--shard: partition.json beside the reports (the fingerprint, the node ids, the outcomes `report merge` reads)."""
    run = report["run"]
    record = partition_record(
        shard_plan=shard_plan,
        seed=options.seed,
        options={
            "requirements": sorted(options.requirements),
            "selection": shard_plan.plan.selection,
            "hypothesis_profile": run["hypothesis_profile"],
            "strict_conformance": options.strict_conformance,
            "known_deviations_sha256": _file_sha256(options.known_deviations),
        },
        target={  # the embedded sandbox listens on a port of its own in every shard: not part of the fingerprint
            "base_url": options.base_url or "embedded sandbox",
            "mode": options.mode,
            "project_id": run["target"]["project_id"],
            "sandbox_defect": options.sandbox_defect,
            "sandbox_variants": sorted(options.sandbox_variants),
        },
        outcomes=[outcome.to_dict() for outcome in outcomes],
        stopped_by=(report["summary"]["interruption"] or {}).get("signal"),
        stopped_early=stopped_early,
    )
    with interruption.shielded("writing partition.json"):
        return write_partition(options.report_dir, redact_data(record, redactor))


def remove_previous_reports(report_dir: Path) -> None:
    """The previous run's conformance reports are removed first: a stopped run never leaves them behind."""
    for name in (*REPORT_FILES.values(), PARTITION_FILE):
        with contextlib.suppress(OSError):
            (report_dir / name).unlink(missing_ok=True)
