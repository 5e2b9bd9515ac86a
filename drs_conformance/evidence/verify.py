"""Checking a bundle: every file against the manifest, the signature, the kit's catalogue and document, the verdict
of every report, the run's completeness and its put-back. Each problem is one finding, in one line.
"""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from drs_conformance import __version__
from drs_conformance.errors import UsageError
from drs_conformance.evidence.bundle import (
    BUNDLE_FORMAT,
    JOURNAL_MEMBER,
    MANIFEST,
    PARTITION_MEMBER,
    REPORT_MEMBERS,
    SIGNATURE,
)
from drs_conformance.evidence.run_evidence import CATALOGUE_FILE, SPEC_FILE, kit_file

__all__ = ["Verification", "check_is_bundle", "open_bundle", "read_manifest", "verify_bundle"]

_NOT_A_BUNDLE = "give a bundle written by drs-conformance run --bundle or drs-conformance report bundle"
_MD_VERDICT = re.compile(r"^## DRS batch-pause-task conformance: \S+ ([A-Z-]+)\s*$", re.MULTILINE)
_HTML_VERDICT = re.compile(r"<title>DRS conformance: ([A-Z-]+) ")


@dataclass
class Verification:
    """What `report verify` found: problems (any one fails the bundle) and notes (said, not failing)."""

    findings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdict: str | None = None
    coverage: str | None = None
    files: int = 0
    signed_by: str | None = None

    @property
    def ok(self) -> bool:
        return not self.findings


@contextmanager
def open_bundle(path: Path) -> Iterator[zipfile.ZipFile]:
    """The bundle as an open zip, or a one-line UsageError when it is missing, not a zip or not a bundle."""
    try:
        archive = zipfile.ZipFile(path)
    except FileNotFoundError:
        raise UsageError(f"{path}: no such file; {_NOT_A_BUNDLE}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; {_NOT_A_BUNDLE}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except zipfile.BadZipFile:
        raise UsageError(f"{path} is not a zip archive; {_NOT_A_BUNDLE}") from None
    with archive:
        names = set(archive.namelist())
        if MANIFEST not in names and not names & set(REPORT_MEMBERS):
            raise UsageError(f"{path} is a zip but not a drs-conformance bundle (no {MANIFEST}); {_NOT_A_BUNDLE}")
        yield archive


def check_is_bundle(path: Path, archive: zipfile.ZipFile) -> None:
    """A UsageError unless the zip's manifest is a bundle's (for commands that only read a bundle)."""
    if MANIFEST not in archive.namelist():
        raise UsageError(f"{path} has lost its {MANIFEST}: nothing in it can be checked; {_NOT_A_BUNDLE}")
    try:
        read_manifest(path, archive)
    except _Damaged as exc:
        raise UsageError(f"{path}: {exc}; {_NOT_A_BUNDLE}") from None


def read_manifest(path: Path, archive: zipfile.ZipFile) -> tuple[bytes, dict[str, Any] | None]:
    """The manifest's bytes and content (None when it is not JSON: the bundle was changed); not a bundle: UsageError."""
    raw = _read(archive, MANIFEST)
    try:
        manifest = json.loads(raw)
    except ValueError:
        return raw, None
    if not isinstance(manifest, dict) or manifest.get("format") != BUNDLE_FORMAT:
        raise UsageError(f"{path}: {MANIFEST} is not a drs-conformance bundle's manifest; {_NOT_A_BUNDLE}")
    return raw, manifest


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, OSError, EOFError) as exc:  # a damaged member (CRC, truncation)
        raise _Damaged(f"{name} cannot be read from the zip ({exc})") from None


class _Damaged(Exception):
    """A member the zip cannot give back: a finding, not a crash."""


def _check_files(archive: zipfile.ZipFile, manifest: dict[str, Any], result: Verification) -> dict[str, bytes]:
    """Every file of the manifest present with its SHA-256, and nothing else; returns the members that match."""
    listed = manifest.get("files")
    if not isinstance(listed, dict) or not listed:
        result.findings.append(f"{MANIFEST} lists no files")
        return {}
    present = set(archive.namelist())
    good: dict[str, bytes] = {}
    for name, entry in sorted(listed.items()):
        if name not in present:
            result.findings.append(f"{name}: in the manifest, missing from the bundle")
            continue
        try:
            data = _read(archive, name)
        except _Damaged as exc:
            result.findings.append(str(exc))
            continue
        expected = entry.get("sha256") if isinstance(entry, dict) else None
        actual = hashlib.sha256(data).hexdigest()
        if actual != expected:
            result.findings.append(f"{name}: SHA-256 {actual[:16]}… received, the manifest says {str(expected)[:16]}…")
            continue
        good[name] = data
    for name in sorted(present - set(listed) - {MANIFEST, SIGNATURE}):
        result.findings.append(f"{name}: in the bundle, not in the manifest (added after bundling)")
    result.files = len(good)
    return good


def _check_signature(
    archive: zipfile.ZipFile, manifest_raw: bytes, public_key: Path | None, result: Verification
) -> None:
    from drs_conformance.evidence.signing import Signature, load_public_key, verify_signature

    signed = SIGNATURE in archive.namelist()
    key = load_public_key(public_key) if public_key is not None else None  # a bad key file: UsageError, exit 2
    if not signed:
        if key is not None:
            result.findings.append(f"the bundle is not signed ({SIGNATURE} is missing), but --public-key was given")
        return
    try:
        signature = Signature.from_dict(json.loads(_read(archive, SIGNATURE)))
    except (ValueError, _Damaged) as exc:
        result.findings.append(f"{SIGNATURE}: not a signature ({exc})")
        return
    result.signed_by = signature.public_key_sha256
    if key is None:
        result.notes.append(
            f"signed by key sha256 {signature.public_key_sha256[:16]}…; the signature was not checked: "
            "give the signer's public key with --public-key"
        )
        return
    problem = verify_signature(key, manifest_raw, signature)
    if problem is not None:
        result.findings.append(f"{SIGNATURE}: {problem}")


def _check_kit_files(good: dict[str, bytes], manifest: dict[str, Any], result: Verification) -> None:
    made_with = manifest.get("kit_version")
    for name, what in ((CATALOGUE_FILE, "the requirement catalogue"), (SPEC_FILE, "the OpenAPI document")):
        if name not in good:
            continue  # missing or altered: a finding already
        if good[name] != kit_file(name):
            result.findings.append(
                f"{name}: {what} of the run differs from the one drs-conformance {__version__} ships "
                f"(the run was made with {made_with})"
            )


def _junit_verdict(data: bytes) -> str | None:
    try:
        root = ElementTree.fromstring(data)
    except ElementTree.ParseError:
        return None
    for prop in root.iter("property"):
        if prop.get("name") == "verdict":
            return prop.get("value")
    return None


def _check_reports(good: dict[str, bytes], manifest: dict[str, Any], result: Verification) -> dict[str, Any] | None:
    """The verdict in every report agrees with conformance.json's; returns conformance.json when it is readable."""
    listed = manifest.get("files", {})
    for name in REPORT_MEMBERS:
        if name not in listed:
            result.findings.append(f"{name}: not in the bundle (every report of the run is)")
    if "conformance.json" not in good:
        return None
    try:
        report = json.loads(good["conformance.json"])
        verdict = report["summary"]["verdict"]
    except (ValueError, KeyError, TypeError):
        result.findings.append("conformance.json: not a drs-conformance report")
        return None
    result.verdict = verdict
    result.coverage = (report["summary"].get("coverage") or {}).get("text")
    if manifest.get("verdict") != verdict:
        result.findings.append(f"{MANIFEST} says {manifest.get('verdict')}, conformance.json says {verdict}")
    readers = {
        "conformance.md": lambda data: _first(_MD_VERDICT, data),
        "conformance.html": lambda data: _first(_HTML_VERDICT, data),
        "junit.xml": _junit_verdict,
    }
    for name, read in readers.items():
        if name not in good:
            continue
        said = read(good[name])
        if said is None:
            result.findings.append(f"{name}: no verdict found in it")
        elif said.lower() != verdict:
            result.findings.append(f"{name} says {said.lower()}, conformance.json says {verdict}")
    for key in ("kit_version", "seed"):
        if str(manifest.get(key)) != str(report.get("run", {}).get(key)):
            result.findings.append(
                f"{MANIFEST} says {key} {manifest.get(key)}, conformance.json says {report['run'].get(key)}"
            )
    return report


def _first(pattern: re.Pattern[str], data: bytes) -> str | None:
    match = pattern.search(data.decode("utf-8", errors="replace"))
    return match.group(1) if match else None


def _check_complete(report: dict[str, Any], result: Verification) -> None:
    summary = report["summary"]
    coverage = summary.get("coverage") or {}
    if summary.get("interruption"):
        stop = summary["interruption"]
        result.findings.append(f"the run was interrupted ({stop.get('signal')} after {stop.get('tests_run')} tests)")
    if not coverage.get("complete"):
        missing = [
            str(item.get("id", item)) if isinstance(item, dict) else str(item)
            for item in coverage.get("not_judged", ())
        ]
        shown = ", ".join(missing[:8]) + (f" and {len(missing) - 8} more" if len(missing) > 8 else "")
        result.findings.append(
            f"the run is incomplete: {coverage.get('text', 'coverage unknown')}"
            + (f"; not judged: {shown}" if shown else "")
        )
    if coverage.get("scope"):
        result.findings.append("the run judged chosen requirements only (--requirement): its verdict covers them only")


def _check_put_back(good: dict[str, bytes], report: dict[str, Any], result: Verification) -> None:
    left = [job.get("job_id") for job in (report["run"].get("live_jobs") or {}).get("left_paused", ())]
    for job_id in left:
        result.findings.append(f"job {job_id} was left paused on the target (conformance.json: run.live_jobs)")
    if JOURNAL_MEMBER not in good:
        return
    try:
        journal = json.loads(good[JOURNAL_MEMBER])
    except ValueError:
        result.findings.append(f"{JOURNAL_MEMBER}: not JSON")
        return
    for job_id in journal.get("not_closed", ()):
        if job_id not in left:
            result.findings.append(f"job {job_id}: journaled by the run and never closed ({JOURNAL_MEMBER})")


def _check_partition(good: dict[str, bytes], report: dict[str, Any], result: Verification) -> None:
    """A shard's fingerprint agrees with its report: kit version and seed (the document is checked whole already)."""
    if PARTITION_MEMBER not in good:
        return
    try:
        partition = json.loads(good[PARTITION_MEMBER])
        shard = partition["shard"]
        result.notes.append(f"shard {shard['index']} of {shard['count']} of a sharded run")
    except (ValueError, KeyError, TypeError):
        result.findings.append(
            f"{PARTITION_MEMBER}: not a partition fingerprint (kit_version, spec_sha256, seed, shard)"
        )
        return
    run = report.get("run", {})
    for key in ("kit_version", "seed"):
        if str(partition.get(key)) != str(run.get(key)):
            result.findings.append(
                f"{PARTITION_MEMBER} says {key} {partition.get(key)}, conformance.json says {run.get(key)}"
            )


def verify_bundle(path: Path, *, public_key: Path | None = None) -> Verification:
    """Check the bundle at `path`; a file that is not a bundle (or a bad key file) raises UsageError."""
    result = Verification()
    with open_bundle(path) as archive:
        if MANIFEST not in archive.namelist():  # reports without their manifest: a bundle that lost it
            result.findings.append(f"{MANIFEST} is missing: nothing in the bundle can be checked against it")
            return result
        try:
            manifest_raw, manifest = read_manifest(path, archive)
        except _Damaged as exc:
            result.findings.append(str(exc))
            return result
        _check_signature(archive, manifest_raw, public_key, result)  # over the manifest's bytes, whatever they hold
        if manifest is None:
            result.findings.append(f"{MANIFEST} is not JSON: the bundle was changed")
            return result
        good = _check_files(archive, manifest, result)
    _check_kit_files(good, manifest, result)
    report = _check_reports(good, manifest, result)
    if report is not None:
        _check_complete(report, result)
        _check_put_back(good, report, result)
        _check_partition(good, report, result)
    return result
