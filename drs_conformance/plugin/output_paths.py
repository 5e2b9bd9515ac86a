"""Before the first request: the run can write its reports and its journal, or it says so in one line (exit 2)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from drs_conformance.errors import UsageError
from drs_conformance.live.journal import Journal
from drs_conformance.plugin.options import KitOptions

__all__ = ["check_journal", "check_outputs", "check_report_dir"]

# What the run writes into the report directory: files, and the directory allure-pytest fills.
_REPORT_FILES = ("junit.xml", "conformance.json", "conformance.md", "conformance.html")
_REPORT_DIRS = ("allure-results", "evidence")


def _writable_dir(directory: Path, what: str, fix: str) -> None:
    """Create `directory` if missing and prove a file can be made in it."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{what} {directory} is a file, not a directory; {fix}")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".drs-write-check-"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write into {what} {directory}: {exc.strerror or exc}; {fix}") from None


def check_report_dir(report_dir: Path) -> None:
    """The report directory can be created and written, and no report's name is taken by something else."""
    fix = "choose another with --report-dir"
    _writable_dir(report_dir, "the report directory", fix)
    for name in _REPORT_FILES:
        path = report_dir / name
        if path.is_dir():
            raise UsageError(f"{path} is a directory, but the run writes its report {name} there; remove it or {fix}")
        if path.exists() and not os.access(path, os.W_OK):
            raise UsageError(f"{path} exists and is not writable; remove it or {fix}")
    for name in _REPORT_DIRS:
        path = report_dir / name
        if path.exists() and not path.is_dir():
            raise UsageError(f"{path} is a file, but the run writes the directory {name} there; remove it or {fix}")


def check_journal(journal: Path) -> None:
    """The journal file (and its lock directory beside it) can be created and appended to."""
    fix = "choose another file with --journal (or DRS_JOURNAL)"
    if journal.is_dir():
        raise UsageError(f"the journal {journal} is a directory; {fix}")
    _writable_dir(journal.parent, "the journal's directory", fix)
    if journal.exists() and not os.access(journal, os.W_OK):
        raise UsageError(f"the journal {journal} is not writable; {fix}")
    _writable_dir(Journal(journal).locks_dir, "the journal's lock directory", fix)


def check_outputs(options: KitOptions) -> None:
    """Everything the run will write, checked before it sends anything (a UsageError names the first problem)."""
    check_report_dir(options.report_dir)
    if options.bundle is not None:
        from drs_conformance.evidence.bundle import check_bundle_outputs

        check_bundle_outputs(options)  # the zip can be written, the signing key read
    if options.keeps_journal:
        check_journal(options.journal_path)
