"""Packing a finished run into one zip that can be checked: its reports, the exchanges of every test, what it
judged by (catalogue, document, known deviations), its options, the put-back summary and a manifest of SHA-256.

`drs-conformance run --bundle FILE.zip` writes it at the end of the run; `drs-conformance report bundle REPORT_DIR
-o FILE.zip` from a finished run's report directory. `bundle_verify` checks one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import sys
import tempfile
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from drs_conformance import __version__
from drs_conformance.errors import KitError, UsageError
from drs_conformance.evidence.run_evidence import (
    CATALOGUE_FILE,
    DEVIATIONS_FILE,
    EVIDENCE_DIR,
    EXCHANGES_DIR,
    SPEC_FILE,
)
from drs_conformance.live import interruption
from drs_conformance.plugin.options import KitOptions

__all__ = [
    "BUNDLE_FORMAT",
    "FORMAT_VERSION",
    "JOURNAL_MEMBER",
    "MANIFEST",
    "OPTIONS_MEMBER",
    "PARTITION_MEMBER",
    "REPORT_MEMBERS",
    "SIGNATURE",
    "BundleWritten",
    "bundle_members",
    "check_bundle_outputs",
    "write_bundle",
    "write_run_bundle",
]

BUNDLE_FORMAT = "drs-conformance-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
SIGNATURE = "manifest.sig.json"  # the manifest's signature, when the bundle was signed
REPORT_MEMBERS = ("conformance.json", "conformance.md", "conformance.html", "junit.xml")
OPTIONS_MEMBER = "options.json"
JOURNAL_MEMBER = "journal-summary.json"
PARTITION_MEMBER = "partition.json"  # a shard's fingerprint (written into the report directory of a sharded run)


@dataclass(frozen=True)
class BundleWritten:
    """What was bundled: where, how many files besides the manifest, and the key that signed it (if one did)."""

    path: Path
    files: int
    signed_by: str | None


def _json_bytes(data: Any) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8")


def _read_report(report_dir: Path) -> tuple[bytes, dict[str, Any]]:
    path = report_dir / "conformance.json"
    fix = "give the report directory of a finished run (its --report-dir)"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise UsageError(f"{report_dir} holds no conformance.json; {fix}") from None
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}; {fix}") from None
    try:
        report = json.loads(raw)
    except ValueError:
        raise UsageError(f"{path} is not JSON; {fix}") from None
    if not isinstance(report, dict) or not isinstance(report.get("run"), dict) or "summary" not in report:
        raise UsageError(f"{path} is not a drs-conformance report; {fix}")
    return raw, report


def _journal_summary(run: Mapping[str, Any]) -> dict[str, Any]:
    """Every job the run journaled and whether it was put back: the report's account and the journal's own."""
    live = run.get("live_jobs")
    if live is None:
        mode = run.get("target", {}).get("mode")
        return {"kept": False, "mode": mode, "why": "no journal: the run paused only jobs it created itself"}
    summary: dict[str, Any] = {"kept": True, **{k: live.get(k) for k in ("journal", "run_id", "restore_command")}}
    summary["put_back_at_start"] = live.get("put_back_at_start", [])
    summary["paused_by_others"] = live.get("paused_by_others", [])
    summary["left_paused"] = live.get("left_paused", [])
    opened: set[str] = set()
    closed: set[str] = set()
    try:
        lines = Path(str(live.get("journal"))).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        summary["journal_read"] = f"not read: {exc.strerror or exc}"
        lines = []
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue  # a line torn by a crash mid-write
        if isinstance(event, dict) and event.get("run_id") == live.get("run_id"):
            (opened if event.get("event") == "open" else closed).add(str(event.get("job_id")))
    if lines:
        summary["journal_read"] = "read"
    summary["journaled"] = sorted(opened)
    summary["not_closed"] = sorted(opened - closed)
    return summary


def bundle_members(report_dir: Path) -> dict[str, bytes]:
    """Every file of the bundle but the manifest, by its name in the zip (a UsageError names what is missing)."""
    raw, report = _read_report(report_dir)
    members: dict[str, bytes] = {"conformance.json": raw}
    for name in REPORT_MEMBERS[1:]:
        if (report_dir / name).is_file():
            members[name] = (report_dir / name).read_bytes()
    evidence = report_dir / EVIDENCE_DIR
    for name in (CATALOGUE_FILE, SPEC_FILE):
        if not (evidence / name).is_file():
            raise UsageError(
                f"{evidence / name} is missing: the run's evidence is incomplete (a kit before bundles, or removed); "
                "run again to bundle it"
            )
        members[name] = (evidence / name).read_bytes()
    if (evidence / DEVIATIONS_FILE).is_file():
        members[DEVIATIONS_FILE] = (evidence / DEVIATIONS_FILE).read_bytes()
    for path in sorted((evidence / EXCHANGES_DIR).glob("*.jsonl")):
        members[f"{EXCHANGES_DIR}/{path.name}"] = path.read_bytes()
    if (report_dir / PARTITION_MEMBER).is_file():
        members[PARTITION_MEMBER] = (report_dir / PARTITION_MEMBER).read_bytes()
    members[OPTIONS_MEMBER] = _json_bytes(report["run"].get("options", {}))  # as the reports show them: no secret
    members[JOURNAL_MEMBER] = _json_bytes(_journal_summary(report["run"]))
    return members


def _manifest(members: Mapping[str, bytes], report: Mapping[str, Any]) -> bytes:
    run = report["run"]
    return _json_bytes(
        {
            "format": BUNDLE_FORMAT,
            "format_version": FORMAT_VERSION,
            "kit_version": run.get("kit_version"),
            "bundled_by": __version__,
            "spec_version": run.get("spec_version"),
            "seed": run.get("seed"),
            "target": run.get("target"),
            "verdict": report["summary"].get("verdict"),
            "created_at": dt.datetime.now(tz=dt.UTC).isoformat(),
            "files": {
                name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
                for name, data in sorted(members.items())
            },
        }
    )


def write_bundle(report_dir: Path, out: Path, *, sign_key: Path | None = None) -> BundleWritten:
    """Write the bundle of the run in `report_dir` to `out` (through a temporary file: never half a zip)."""
    members = bundle_members(report_dir)
    manifest = _manifest(members, json.loads(members["conformance.json"]))
    signed_by = None
    signature: bytes | None = None
    if sign_key is not None:
        from drs_conformance.evidence.signing import load_private_key, sign

        signed = sign(load_private_key(sign_key), manifest)
        signature, signed_by = _json_bytes(signed.to_dict()), signed.public_key_sha256
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=".tmp")
    os.close(handle)
    try:
        with zipfile.ZipFile(temporary, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(MANIFEST, manifest)
            if signature is not None:
                archive.writestr(SIGNATURE, signature)
            for name, data in sorted(members.items()):
                archive.writestr(name, data)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(temporary, 0o666 & ~mask)  # as any file the user writes (mkstemp made it private)
        Path(temporary).replace(out)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return BundleWritten(path=out, files=len(members), signed_by=signed_by)


def check_bundle_outputs(options: KitOptions) -> None:
    """Before the run: the bundle's directory is writable, the name is not a directory, the key is an Ed25519 key."""
    assert options.bundle is not None, "only a run with --bundle has a bundle to check"
    bundle = options.bundle
    fix = "choose another with --bundle"
    if bundle.is_dir():
        raise UsageError(f"--bundle {bundle} is a directory; give a file name, e.g. {bundle / 'evidence.zip'}")
    if bundle.suffix.lower() != ".zip":
        raise UsageError(f"--bundle {bundle}: a bundle is a zip; give a name ending in .zip")
    try:
        bundle.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=bundle.parent, prefix=".drs-write-check-"):
            pass
    except OSError as exc:
        raise UsageError(f"cannot write the bundle {bundle}: {exc.strerror or exc}; {fix}") from None
    if options.sign_key is not None:
        from drs_conformance.evidence.signing import load_private_key

        load_private_key(options.sign_key)


def write_run_bundle(options: KitOptions) -> BundleWritten | None:
    """The end of `run --bundle`: the bundle written and named in one line (or why it was not, in one line)."""
    assert options.bundle is not None, "only a run with --bundle writes a bundle"
    written: BundleWritten | None = None
    try:
        with interruption.shielded("writing the bundle"):  # a stop now waits for it (a second one abandons it)
            written = write_bundle(options.report_dir, options.bundle, sign_key=options.sign_key)
    except KeyboardInterrupt:
        if written is None:
            print("drs-conformance: bundle not written: a second signal abandoned it", file=sys.stderr, flush=True)
            return None
    except KitError as exc:
        print(f"drs-conformance: bundle not written: {exc}", file=sys.stderr, flush=True)
        return None
    except OSError as exc:
        print(f"drs-conformance: bundle not written to {options.bundle}: {exc.strerror or exc}", file=sys.stderr)
        return None
    signed = f", signed by key sha256 {written.signed_by[:16]}…" if written.signed_by else ""
    print(
        f"drs-conformance: bundle {written.path} ({written.files} files{signed}); "
        f"check it with: drs-conformance report verify {written.path}",
        flush=True,
    )
    return written
