"""`drs-conformance report bundle / verify / show`: the evidence bundle's commands (their parsers and handlers)."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import webbrowser
from pathlib import Path
from typing import Any

from drs_conformance.errors import ExitCode, UsageError

__all__ = ["ACTIONS", "add_report_actions", "run_action"]

ACTIONS = ("bundle", "verify", "show")


def _examples(*lines: str) -> str:
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def add_report_actions(report_commands: Any, formatter: type[argparse.HelpFormatter]) -> list[argparse.ArgumentParser]:
    """Add bundle, verify and show under `drs-conformance report`; returns their parsers."""
    bundle = report_commands.add_parser(
        "bundle",
        help="pack a finished run (reports, exchanges, catalogue, document, manifest) into one verifiable zip",
        description="Pack the run in REPORT_DIR into one zip: its reports, junit.xml, every test's exchanges, the "
        "catalogue, document and known deviations it judged by, its options (no secret), the put-back summary, "
        "and a manifest with the SHA-256 of every file, signed with --sign-key.",
        formatter_class=formatter,
        epilog=_examples(
            "drs-conformance report bundle reports -o evidence.zip",
            "drs-conformance report bundle reports -o evidence.zip --sign-key vendor-key.pem",
        ),
    )
    bundle.add_argument("report_dir", type=Path, metavar="REPORT_DIR")
    bundle.add_argument("-o", "--output", type=Path, required=True, metavar="FILE.zip", help="the bundle to write")
    bundle.add_argument("--sign-key", type=Path, metavar="KEY.pem", help="Ed25519 private key (PEM) to sign with")
    verify = report_commands.add_parser(
        "verify",
        help="check a bundle: files against the manifest, signature, catalogue, verdicts, completeness, put-back",
        description="Check a bundle: every file matches the manifest, the signature verifies (with --public-key), "
        "the catalogue and document are the ones this kit ships, every report states the same verdict, the run "
        "judged every MUST and EITHER requirement and put back every job. Exit 0 when all hold, 1 with one line "
        "per finding otherwise, 2 when the file is not a bundle.",
        formatter_class=formatter,
        epilog=_examples(
            "drs-conformance report verify evidence.zip",
            "drs-conformance report verify evidence.zip --public-key vendor-key.pub",
        ),
    )
    verify.add_argument("bundle", type=Path, metavar="FILE.zip")
    verify.add_argument("--public-key", type=Path, metavar="KEY.pub", help="the signer's Ed25519 public key (PEM)")
    show = report_commands.add_parser(
        "show",
        help="open a bundle's HTML report in the browser (unpacked into a temporary directory)",
        description="Unpack a bundle into a temporary directory and open its conformance.html in the browser.",
        formatter_class=formatter,
        epilog=_examples(
            "drs-conformance report show evidence.zip", "drs-conformance report show evidence.zip --print-path"
        ),
    )
    show.add_argument("bundle", type=Path, metavar="FILE.zip")
    show.add_argument(
        "--print-path", action="store_true", help="print where conformance.html was unpacked; open no browser"
    )
    return [bundle, verify, show]


def _bundle(args: argparse.Namespace) -> int:
    from drs_conformance.evidence.bundle import write_bundle

    if args.output.is_dir():
        raise UsageError(f"-o {args.output} is a directory; give a file name ending in .zip")
    try:
        written = write_bundle(args.report_dir, args.output, sign_key=args.sign_key)
    except OSError as exc:
        raise UsageError(f"cannot write the bundle {args.output}: {exc.strerror or exc}") from None
    signed = f", signed by key sha256 {written.signed_by[:16]}…" if written.signed_by else ", not signed"
    print(f"bundle {written.path}: {written.files} files and the manifest{signed}")
    return int(ExitCode.CONFORMANT)


def _verify(args: argparse.Namespace) -> int:
    from drs_conformance.evidence.verify import verify_bundle

    result = verify_bundle(args.bundle, public_key=args.public_key)
    for finding in result.findings:
        print(f"{args.bundle}: {finding}")
    for note in result.notes:
        print(f"{args.bundle}: note: {note}")
    verdict = f"verdict {result.verdict or 'unknown'}" + (f" ({result.coverage})" if result.coverage else "")
    if result.ok:
        signed = " and the signature verifies" if result.signed_by and args.public_key else ""
        print(f"{args.bundle}: verified: {result.files} files match the manifest{signed}; {verdict}")
        return int(ExitCode.CONFORMANT)
    print(f"{args.bundle}: NOT verified: {len(result.findings)} findings; {verdict}")
    return int(ExitCode.NON_CONFORMANT)


def _show(args: argparse.Namespace) -> int:
    from drs_conformance.evidence.verify import check_is_bundle, open_bundle

    folder = Path(tempfile.mkdtemp(prefix="drs-conformance-bundle-"))
    try:
        with open_bundle(args.bundle) as archive:
            check_is_bundle(args.bundle, archive)
            if "conformance.html" not in archive.namelist():
                raise UsageError(f"{args.bundle} holds no conformance.html")
            archive.extractall(folder)  # zipfile drops absolute paths and '..' from member names
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise
    page = folder / "conformance.html"
    if args.print_path:
        print(page)
        return int(ExitCode.CONFORMANT)
    print(f"opening {page} (check the bundle with: drs-conformance report verify {args.bundle})")
    if not webbrowser.open(page.as_uri()):
        print(f"no browser could be started; open {page} yourself", file=sys.stderr)
    return int(ExitCode.CONFORMANT)


def run_action(args: argparse.Namespace) -> int:
    """Run `drs-conformance report ACTION` for one of ACTIONS."""
    handlers = {"bundle": _bundle, "verify": _verify, "show": _show}
    return handlers[args.report_command](args)
