"""`drs-conformance report compare OLD.json NEW.json`: what regressed and what was fixed since a baseline."""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from drs_conformance.errors import UsageError
from drs_conformance.reporting.markdown import one_line
from drs_conformance.reporting.run_report import REPORT_FORMAT
from drs_conformance.reporting.schema import report_errors
from drs_conformance.reporting.verdicts import JUDGED

__all__ = ["Change", "Comparison", "compare_reports", "load_report", "run_compare"]

_BAD = frozenset({"fail", "warn"})
_GOOD = frozenset({"pass", "fixed"})


@dataclass(frozen=True, kw_only=True)
class Change:
    """One requirement whose verdict differs between the two reports (None: absent from that report)."""

    id: str
    level: str
    old: str | None
    new: str | None
    detail: str = ""

    def line(self, id_width: int) -> str:
        arrow = f"{self.old or '-'} -> {self.new or '-'}"
        return f"  {self.id:<{id_width}}  {self.level:<6}  {arrow:<26}  {self.detail}".rstrip()


@dataclass(frozen=True, kw_only=True)
class Comparison:
    """Regressions, fixes, other changes.

    Regressions: fail or warn where there was none, or warn -> fail; a requirement judged in the
    baseline (pass, fail, warn, expected-fail, fixed) and not judged now (skip, not-tested: coverage lost);
    and the run's verdict no longer conformant (`verdict`).
    """

    regressed: tuple[Change, ...] = ()
    fixed: tuple[Change, ...] = ()
    changed: tuple[Change, ...] = ()
    added: tuple[Change, ...] = ()
    removed: tuple[Change, ...] = ()
    unchanged: int = 0
    notes: tuple[str, ...] = ()
    # "conformant -> incomplete" when the run's verdict is no longer conformant, else None.
    verdict: str | None = None

    @property
    def has_regressions(self) -> bool:
        return bool(self.regressed) or self.verdict is not None

    @property
    def exit_code(self) -> int:
        return 1 if self.has_regressions else 0

    def lines(self) -> list[str]:
        """A readable summary, regressions first."""
        everything = (*self.regressed, *self.fixed, *self.changed, *self.added, *self.removed)
        width = max((len(c.id) for c in everything), default=0)
        lines = [f"note: {note}" for note in self.notes]
        if self.verdict:
            lines.append(f"Verdict regressed: {self.verdict}.")
        sections = (
            ("Regressed", self.regressed),
            ("Fixed", self.fixed),
            ("Other changes", self.changed),
            ("New requirements", self.added),
            ("Removed requirements", self.removed),
        )
        for title, changes in sections:
            if changes:
                lines.append(f"{title} ({len(changes)}):")
                lines += [change.line(width) for change in changes]
        lines.append(f"Unchanged: {self.unchanged} requirements.")
        if self.has_regressions:
            count = len(self.regressed) + (1 if self.verdict else 0)
            lines.append(f"Result: {count} regression(s) since the baseline.")
        else:
            lines.append(f"Result: no regression since the baseline ({len(self.fixed)} fixed).")
        return lines


def _detail(requirement: Mapping[str, Any]) -> str:
    if requirement["verdict"] not in JUDGED:
        gaps = requirement.get("not_judged") or []  # format 1 reports have reasons only
        why = gaps[0]["category"] + ": " if gaps else ""
        return f"no longer judged ({why}{one_line('; '.join(requirement['reasons']), 90)})"
    if requirement["failures"]:
        failure = requirement["failures"][0]
        return f"{failure['nodeid']}: {one_line(failure['message'], 100)}"
    return one_line("; ".join(requirement["reasons"]), 100)


def _notes(old: Mapping[str, Any], new: Mapping[str, Any]) -> tuple[str, ...]:
    notes = []
    for label, get in (
        ("target", lambda r: r["run"]["target"]["base_url"]),
        ("target mode", lambda r: r["run"]["target"]["mode"]),
        ("spec version", lambda r: r["run"]["spec_version"]),
        ("kit version", lambda r: r["run"]["kit_version"]),
        ("strict", lambda r: r["run"]["strict"]),
    ):
        if get(old) != get(new):
            notes.append(f"{label} differs: {get(old)} (old) / {get(new)} (new)")
    coverage = [_coverage_text(report) for report in (old, new)]
    if coverage[0] != coverage[1]:
        notes.append(f"coverage differs: {coverage[0]} (old) / {coverage[1]} (new)")
    return tuple(notes)


def _coverage_text(report: Mapping[str, Any]) -> str:
    coverage = report["summary"].get("coverage")  # format 1 reports did not record it
    return coverage["text"] if coverage else f"not recorded (report format {report['format_version']})"


def compare_reports(old: Mapping[str, Any], new: Mapping[str, Any]) -> Comparison:
    """Compare two conformance.json documents requirement by requirement."""
    old_by_id = {r["id"]: r for r in old["requirements"]}
    new_by_id = {r["id"]: r for r in new["requirements"]}
    regressed, fixed, changed, added, removed = [], [], [], [], []
    unchanged = 0
    for rid, now in new_by_id.items():
        before = old_by_id.get(rid)
        lost = before is not None and before["verdict"] in JUDGED and now["verdict"] not in JUDGED
        change = Change(
            id=rid,
            level=now["level"],
            old=before["verdict"] if before else None,
            new=now["verdict"],
            detail=_detail(now) if now["verdict"] in _BAD or lost else "",
        )
        if before is None:
            added.append(change)
            if now["verdict"] in _BAD:
                regressed.append(change)
        elif now["verdict"] == before["verdict"]:
            unchanged += 1
        elif (now["verdict"] in _BAD and (before["verdict"] not in _BAD or now["verdict"] == "fail")) or lost:
            regressed.append(change)
        elif before["verdict"] in (_BAD | {"expected-fail"}) and now["verdict"] in _GOOD:
            fixed.append(change)
        else:
            changed.append(change)
    for rid, before in old_by_id.items():
        if rid not in new_by_id:
            removed.append(Change(id=rid, level=before["level"], old=before["verdict"], new=None))
    return Comparison(
        regressed=tuple(regressed),
        fixed=tuple(fixed),
        changed=tuple(changed),
        added=tuple(added),
        removed=tuple(removed),
        unchanged=unchanged,
        notes=_notes(old, new),
        verdict=_verdict_change(old, new),
    )


def _verdict_change(old: Mapping[str, Any], new: Mapping[str, Any]) -> str | None:
    """'conformant -> incomplete' when the baseline was conformant and this run is not."""
    before, now = old["summary"]["verdict"], new["summary"]["verdict"]
    return f"{before} -> {now}" if before == "conformant" and now != "conformant" else None


def load_report(path: str | Path) -> dict[str, Any]:
    """Read a conformance.json and validate it against the schema, or raise a one-line UsageError."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UsageError(f"{path}: not valid JSON: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != REPORT_FORMAT:
        raise UsageError(f'{path}: not a conformance.json report (it has no "format": "{REPORT_FORMAT}")')
    errors = report_errors(document)
    if errors:
        more = f" (and {len(errors) - 1} more problems)" if len(errors) > 1 else ""
        raise UsageError(f"{path}: not a conformance.json report: {errors[0]}{more}")
    return document


def run_compare(old_path: str | Path, new_path: str | Path, out: TextIO | None = None) -> int:
    """Print what regressed and what was fixed; 1 on any regression, 0 otherwise.

    An unusable file raises UsageError (one line; the CLI prints it and exits 2).
    """
    out = sys.stdout if out is None else out
    old, new = load_report(old_path), load_report(new_path)
    comparison = compare_reports(old, new)
    print(
        f"Baseline {old_path} ({old['summary']['verdict']}, {old['run']['finished_at']}) -> "
        f"{new_path} ({new['summary']['verdict']}, {new['run']['finished_at']})",
        file=out,
    )
    for line in comparison.lines():
        print(line, file=out)
    return comparison.exit_code
