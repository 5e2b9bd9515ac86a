"""`drs-conformance restore`: put back every job the journal holds open for one target, one line per job.

Exit 0 when every job is back (or nothing was open), 1 when some job is not (they are listed); 2 for bad
options, as for `run`. It touches only jobs of the journal, and resumes a job only while it reads PAUSING.
"""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from drs_conformance.errors import UsageError
from drs_conformance.live import interruption
from drs_conformance.live.journal import Journal, RunJournal, new_run_id
from drs_conformance.live.putback import restore_command, restore_entries
from drs_conformance.live.target import open_target
from drs_conformance.plugin.live_run import control_for
from drs_conformance.plugin.options import (
    add_argparse_options,
    argparse_to_given,
    resolve_options,
)
from drs_conformance.plugin.output_paths import check_journal

__all__ = ["RESTORE_OPTIONS", "add_arguments", "run"]

# The target options of `run` (so one config file, environment or command line serves both).
RESTORE_OPTIONS = (
    "config",
    "base_url",
    "project_id",
    "auth_token",
    "ak",
    "sk",
    "control_api",
    "inventory",
    "report_dir",
    "journal",
    "resume_timeout",
    "timeout",
    "rate_limit",
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of `drs-conformance restore`: the target options of `run`."""
    add_argparse_options(parser, only=RESTORE_OPTIONS)


def run(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Put back the journal's open entries for the target; 0 if every job is back, else 1."""
    out = out or sys.stdout
    options = resolve_options(argparse_to_given(args))
    if options.embedded:
        raise UsageError(
            "restore needs --base-url (or DRS_BASE_URL): the target a run left jobs on; the embedded "
            "sandbox ends with its run and needs no restore"
        )
    path = options.journal_path
    if not path.exists():
        print(f"nothing to put back: there is no journal at {path} (a live run writes it; see --journal)", file=out)
        return 0
    check_journal(path)
    interruption.install()
    target = open_target(options, check=False)  # no preflight: restore sends no pause
    try:
        ledger = RunJournal(Journal(path), target.base_url, target.project_id, f"restore-{new_run_id()}")
        entries = ledger.open_entries()
        others = [e for e in ledger.journal.open_entries(target=ledger.target) if e.project_id != target.project_id]
        if others:
            print(
                f"{len(others)} open entr{'y' if len(others) == 1 else 'ies'} of other project(s) on this target "
                f"left alone (give that project's credentials): {', '.join(sorted({e.project_id for e in others}))}",
                file=out,
            )
        if not entries:
            print(
                f"nothing to put back: the journal {path} holds no open entry for {ledger.target} "
                f"(project {target.project_id})",
                file=out,
            )
            return 0
        print(
            f"putting back {len(entries)} job(s) from the journal {path} (within --resume-timeout "
            f"{options.resume_timeout:g} s)",
            file=out,
            flush=True,
        )
        restored = restore_entries(
            ledger.journal,
            entries,
            api=target.client,
            control=control_for(target, entries),
            locks=ledger.locks,
            holder=ledger.holder,
            timeout=options.resume_timeout,
            lock_wait=options.resume_timeout,
            command=restore_command(options),
            out=out,
        )
        ledger.journal.compact()
    finally:
        target.close()
    for entry in entries:
        if entry.job_id in restored.how:
            print(
                f"{entry.job_id}: back ({restored.how[entry.job_id]}; before the run: {entry.status_before})", file=out
            )
        elif entry.job_id in restored.left:
            print(f"{entry.job_id}: NOT back: {restored.left[entry.job_id].reason}", file=out)
        else:
            print(f"{entry.job_id}: back (put back meanwhile by another process)", file=out)
    if restored.left:
        print(
            f"{len(restored.left)} job(s) not back: {', '.join(sorted(restored.left))}; run this command again "
            "(raise --resume-timeout if the target is slow to resume)",
            file=out,
        )
        return 1
    print(f"every job is back ({len(entries)})", file=out)
    return 0
