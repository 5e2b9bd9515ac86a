"""The conformance.json document: what the run was, and every requirement's verdict with its evidence."""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from drs_conformance import __version__
from drs_conformance.contract.catalogue import LEVELS, Catalogue
from drs_conformance.contract.catalogue import catalogue as shipped_catalogue
from drs_conformance.contract.spec import contract
from drs_conformance.reporting.curl import curl_line
from drs_conformance.reporting.deviations import Deviations
from drs_conformance.reporting.groups import group_entries
from drs_conformance.reporting.outcomes import TestOutcome
from drs_conformance.reporting.verdicts import (
    NOT_JUDGED,
    VERDICTS,
    JudgedTest,
    Overall,
    RequirementVerdict,
    RunScope,
    overall_verdict,
    requirement_verdicts,
    tests_run,
)
from drs_conformance.transport.redaction import REDACTED, Redactor

__all__ = [
    "REPORT_FORMAT",
    "REPORT_FORMAT_VERSION",
    "TARGET_MODES",
    "RunInfo",
    "TargetMode",
    "anchor",
    "build_report",
    "redact_data",
    "redacted_options",
]

REPORT_FORMAT = "drs-conformance-report"
# 2: the verdicts incomplete and interrupted, coverage, unanswered tests, not-judged reasons, require_complete.
REPORT_FORMAT_VERSION = 2
TargetMode = Literal["embedded", "control-api", "inventory", "read-only"]
TARGET_MODES: tuple[TargetMode, ...] = get_args(TargetMode)  # as KitOptions.mode names them
OUTCOMES = ("passed", "failed", "error", "skipped", "xfailed", "xpassed", "unanswered")
# Option names whose values are credentials, whatever the values are.
_SECRET_OPTION = re.compile(
    r"token|secret|passw|signature|authori[sz]ation|credential|cookie|access[-_.]?key|(^|[-_.])(ak|sk)($|[-_.])",
    re.IGNORECASE,
)


def _spec_version() -> str:
    return contract().version


@dataclass(frozen=True, kw_only=True)
class RunInfo:
    """What was tested, with which kit and settings, and when."""

    base_url: str
    mode: TargetMode
    project_id: str
    # Aware datetimes, or seconds since the epoch (time.time()), turned into UTC datetimes.
    started_at: dt.datetime
    finished_at: dt.datetime
    kit_version: str = __version__
    spec_version: str = field(default_factory=_spec_version)
    seed: int | str | None = None
    hypothesis_profile: str | None = None
    strict: bool = False
    # --require-complete: a run that left a MUST/EITHER requirement not judged exits 5.
    require_complete: bool = False
    # The effective options (flags, environment, config file); pass them through redacted_options.
    options: Mapping[str, Any] = field(default_factory=dict)
    deviations_file: str | None = None
    # Live runs: the journal, jobs put back first, paused by others, not put back (live_run.LiveRun.report_data).
    live_jobs: Mapping[str, Any] | None = None
    # Requests the run sent to the target, by operation (client.operation_of), summed over its processes.
    requests: Mapping[str, int] | None = None
    # Effects awaited (settle.SettleStats.to_dict): the window used and the slowest settle seen.
    settle: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.mode not in TARGET_MODES:
            raise ValueError(f"mode={self.mode!r} is not one of {TARGET_MODES}")
        for name in ("started_at", "finished_at"):
            value = getattr(self, name)
            if isinstance(value, (int, float)):
                object.__setattr__(self, name, dt.datetime.fromtimestamp(value, tz=dt.UTC))
            elif not isinstance(value, dt.datetime):
                raise TypeError(f"{name} must be a datetime or seconds since the epoch, not {value!r}")

    @property
    def duration_s(self) -> float:
        return max(0.0, (self.finished_at - self.started_at).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": {"base_url": self.base_url, "mode": self.mode, "project_id": self.project_id},
            "kit_version": self.kit_version,
            "spec_version": self.spec_version,
            "seed": None if self.seed is None else str(self.seed),
            "hypothesis_profile": self.hypothesis_profile,
            "strict": self.strict,
            "require_complete": self.require_complete,
            "options": dict(self.options),
            "deviations_file": self.deviations_file,
            "started_at": self.started_at.isoformat(),
            "finished_at": self.finished_at.isoformat(),
            "duration_s": round(self.duration_s, 3),
            **({"live_jobs": dict(self.live_jobs)} if self.live_jobs is not None else {}),
            **(
                {
                    "requests": {
                        "total": sum(self.requests.values()),
                        "by_operation": dict(sorted(self.requests.items(), key=lambda item: (-item[1], item[0]))),
                    }
                }
                if self.requests is not None
                else {}
            ),
            **({"settle": dict(self.settle)} if self.settle is not None else {}),
        }


def redact_data(value: Any, redactor: Redactor) -> Any:
    """A JSON-ready copy of the data with every string (keys included) redacted by value.

    Mappings become dicts with string keys, sequences and sets lists; anything that is not a JSON
    scalar (a Path, a date) becomes its string.
    """
    if isinstance(value, str):
        return redactor.text(value)
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, Mapping):
        return {redactor.text(str(k)): redact_data(v, redactor) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(item, redactor) for item in value]
    if isinstance(value, (set, frozenset)):
        return sorted((redact_data(item, redactor) for item in value), key=str)
    return redactor.text(str(value))


def redacted_options(options: Mapping[str, Any], redactor: Redactor | None = None) -> dict[str, Any]:
    """Options for the report: credential-named options masked, every other value redacted by value."""
    redactor = redactor or Redactor()
    result: dict[str, Any] = {}
    for key, value in options.items():
        if _SECRET_OPTION.search(str(key)) and value not in (None, "", False):
            result[str(key)] = REDACTED
        elif isinstance(value, Mapping):
            result[str(key)] = redacted_options(value, redactor)
        else:
            result[str(key)] = redact_data(value, redactor)
    return result


def anchor(requirement_id: str) -> str:
    """The HTML anchor of a requirement's row: `req-BODY-SHAPE`."""
    return "req-" + re.sub(r"[^A-Za-z0-9_-]", "-", requirement_id)


def _test_entry(judged: JudgedTest) -> dict[str, Any]:
    outcome = judged.outcome
    return {
        "nodeid": outcome.nodeid,
        "outcome": outcome.outcome,
        "verdict": judged.verdict,
        "failed_requirement": outcome.failed_requirement,
        "also_failed": list(outcome.also_failed),
        "also_covered": list(outcome.also_covered),
        "message": outcome.message,
        "duration_s": round(outcome.duration_s, 3),
        "deviation": outcome.deviation,
    }


def _unanswered_entry(outcome: TestOutcome) -> dict[str, Any]:
    return {
        "nodeid": outcome.nodeid,
        "requirements": list(outcome.requirements),
        "message": outcome.message,
        "requests": max(1, outcome.unanswered_requests),
        "reproduce": outcome.reproduce,
    }


def _failure_entry(judged: JudgedTest, redactor: Redactor) -> dict[str, Any]:
    outcome = judged.outcome
    exchanges = []
    for exchange in outcome.exchanges:
        exchanges.append({**exchange.to_dict(), "curl": curl_line(exchange, redactor)})
    return {
        "nodeid": outcome.nodeid,
        "outcome": outcome.outcome,
        "verdict": judged.verdict,
        "message": outcome.message,
        "reproduce": outcome.reproduce,
        "deviation": outcome.deviation,
        "exchanges": exchanges,
        "curl": exchanges[-1]["curl"] if exchanges else None,
    }


def _requirement_entry(item: RequirementVerdict, expiry_notes: list[str], redactor: Redactor) -> dict[str, Any]:
    requirement = item.requirement
    failures = [_failure_entry(f, redactor) for f in item.failures]
    groups = group_entries(requirement.id, failures)
    return {
        "id": requirement.id,
        "level": requirement.level,
        "title": requirement.title,
        "source": requirement.source,
        "quote": requirement.quote,
        "options": list(requirement.options),
        "anchor": anchor(requirement.id),
        "verdict": item.verdict,
        "reasons": [*item.reasons, *expiry_notes],
        "not_judged": [{"category": gap.category, "reason": gap.reason} for gap in item.gaps],
        "tests": [_test_entry(t) for t in item.tests],
        "failures": failures,
        "groups": groups,
    }


def _counts(entries: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {level: dict.fromkeys(VERDICTS, 0) for level in (*LEVELS, "total")}
    for entry in entries:
        counts[entry["level"]][entry["verdict"]] += 1
        counts["total"][entry["verdict"]] += 1
    return counts


def _coverage_entry(overall: Overall) -> dict[str, Any]:
    covered = overall.coverage
    assert covered is not None
    return {
        "text": covered.text(),
        "complete": covered.complete,
        "levels": {level: {"judged": covered.judged[level], "total": covered.total[level]} for level in LEVELS},
        "not_judged": [
            {
                "id": item.id,
                "level": item.level,
                "category": item.gaps[0].category if item.gaps else "skipped",
                "reason": "; ".join(gap.reason for gap in item.gaps) or "; ".join(item.reasons),
            }
            for item in covered.not_judged
        ],
        "categories": dict(NOT_JUDGED),
        "scope": {"requirements": list(covered.chosen), "out_of_scope": covered.out_of_scope}
        if covered.chosen
        else None,
    }


def _interruption_entry(scope: RunScope, outcomes: list[TestOutcome]) -> dict[str, Any] | None:
    if scope.stopped_by is None:
        return None
    return {"signal": scope.signal_name, "tests_run": tests_run(outcomes), "tests_collected": scope.collected}


def build_report(
    info: RunInfo,
    outcomes: Iterable[TestOutcome],
    catalogue: Catalogue | None = None,
    deviations: Deviations | None = None,
    *,
    strict: bool | None = None,
    today: dt.date | None = None,
    redactor: Redactor | None = None,
    scope: RunScope | None = None,
) -> dict[str, Any]:
    """The conformance.json document (see conformance.schema.json), redacted by `redactor`.

    `scope` says what the run selected and how it ended (a signal, -x, --collect-only): the reasons of
    the requirements it did not judge, and the interrupted verdict.
    """
    known = shipped_catalogue() if catalogue is None else catalogue
    strict = info.strict if strict is None else strict
    today = today or dt.date.today()
    redactor = redactor or Redactor()
    outcomes = list(outcomes)
    scope = scope or RunScope()
    verdicts = requirement_verdicts(outcomes, known, strict=strict, scope=scope)
    left_paused = [job["job_id"] for job in (info.live_jobs or {}).get("left_paused", ())]
    overall = overall_verdict(
        verdicts,
        strict=strict,
        scope=scope,
        outcomes=outcomes,
        require_complete=info.require_complete,
        left_paused=left_paused,
    )

    expired = deviations.expired(today) if deviations else ()
    active = deviations.active(today) if deviations else ()
    entries = [
        _requirement_entry(item, [d.expiry_note() for d in expired if d.requirement == item.id], redactor)
        for item in verdicts
    ]
    unused = [d for d in active if not any(d.covers(o.nodeid, o.requirements) for o in outcomes)]
    test_counts: Counter[str] = Counter(o.outcome for o in outcomes)
    report = {
        "format": REPORT_FORMAT,
        "format_version": REPORT_FORMAT_VERSION,
        "run": {**info.to_dict(), "strict": strict},
        "summary": {
            "verdict": overall.verdict,
            "exit_code": int(overall.exit_code),
            "reasons": list(overall.reasons),
            "coverage": _coverage_entry(overall),
            "counts": _counts(entries),
            "tests": {name: test_counts.get(name, 0) for name in OUTCOMES}
            | {"total": len(outcomes), "run": tests_run(outcomes), "collected": scope.collected},
            "unanswered": [_unanswered_entry(o) for o in outcomes if o.outcome == "unanswered"],
            "interruption": _interruption_entry(scope, outcomes),
        },
        "requirements": entries,
        "deviations": {
            "file": deviations.source if deviations else None,
            "declared": len(deviations) if deviations else 0,
            "expired": [{**d.to_dict(), "note": d.expiry_note()} for d in expired],
            "unused": [d.to_dict() for d in unused],
        },
    }
    return redact_data(report, redactor)
