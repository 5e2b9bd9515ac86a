"""A live run and its journal: put back what earlier runs left before any test, tell apart the jobs someone
else paused, and put back at the end whatever this run (any worker) still holds open.

Used by the pytest plugin (`LiveRun`, registered for inventory and external control-API runs) and by
`drs-conformance run` before pytest starts (`replay_journal`, so that a refusal is one line, exit 2).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

import pytest

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.spec import contract
from drs_conformance.errors import KitError, TargetUnreachable, UsageError
from drs_conformance.live import interruption
from drs_conformance.live.journal import REPLACED, Entry, Journal, RunJournal, new_run_id
from drs_conformance.live.putback import (
    HELD,
    observe_statuses,
    restore_command,
    restore_entries,
)
from drs_conformance.live.target import ControlApi, Target, open_target
from drs_conformance.plugin.options import KitOptions
from drs_conformance.plugin.run_preset import preset_of

__all__ = ["LiveRun", "census", "control_for", "replay", "replay_journal"]

_HANDOFF = "drs_conformance_live_run"  # key of what an xdist worker gets from the controller


def _ledger(options: KitOptions, target: Target, run_id: str) -> RunJournal:
    return RunJournal(Journal(options.journal_path), target.base_url, target.project_id, run_id)


def control_for(target: Target, entries: list[Entry]) -> Any:
    """The control API to put back overwritten records with (an entry of that kind proves the target has one)."""
    if target.control is not None or not any(entry.kind == REPLACED for entry in entries):
        return target.control
    return ControlApi(target.options.request_url or target.base_url, target.options.timeout)


def replay(target: Target, ledger: RunJournal) -> list[Entry]:
    """Put back every open journal entry of this target and project that no live process holds.

    Raises a UsageError (exit 2) naming what cannot be put back now and the command that can, later: a run
    does not start on jobs an earlier run left changed.
    """
    entries = ledger.open_entries()
    if not entries:
        return []
    command = restore_command(target.options)
    restored = restore_entries(
        ledger.journal,
        entries,
        api=target.client,
        control=control_for(target, entries),
        locks=ledger.locks,
        holder=ledger.holder,
        timeout=target.options.resume_timeout,
        command=command,
        label="start: restore",
    )
    stuck = {job_id: left for job_id, left in restored.left.items() if left.cause != HELD}
    if stuck:
        listed = ", ".join(f"{job_id} ({left.reason})" for job_id, left in sorted(stuck.items()))
        raise UsageError(
            f"the journal {ledger.journal.path} holds job(s) an earlier run left changed that cannot be put back "
            f"now: {listed}; the run does not start on them: put them back with: {command}, then run again"
        )
    return restored.back


def census(target: Target, ledger: RunJournal) -> frozenset[str]:
    """Inventory jobs PAUSING now that no journal entry explains: paused by someone else, never to be resumed.

    A job another live run holds (its lock is taken) is that run's, not someone else's. Unreadable statuses
    leave the set empty: leases read each job's status anyway, and never take a PAUSING one.
    """
    if target.inventory is None:
        return frozenset()
    paused = contract().paused_status
    ids = [job.id for job in target.inventory.jobs]
    try:
        statuses = observe_statuses(target.client, ids, "start: batch-status")
    except (NonConformance, TargetUnreachable):
        return frozenset()
    others: set[str] = set()
    for job_id in (job_id for job_id, status in statuses.items() if status == paused):
        lock = ledger.locks.try_acquire(job_id, ledger.holder)
        if lock is None:
            continue  # a live run holds it: its own pause
        try:
            journaled = {entry.job_id for entry in ledger.open_entries()}
            if (
                job_id not in journaled
                and observe_statuses(target.client, [job_id], "start: batch-status")[job_id] == paused
            ):
                others.add(job_id)
        except (NonConformance, TargetUnreachable):
            continue
        finally:
            lock.release()
    return frozenset(others)


def replay_journal(options: KitOptions, out: TextIO | None = None) -> None:
    """Before pytest starts (`drs-conformance run`): put back what earlier runs left, or refuse in one line."""
    target = open_target(options)
    try:
        ledger = _ledger(options, target, new_run_id())
        back = replay(target, ledger)
    finally:
        target.close()
    if back:
        print(
            f"drs-conformance: put back {len(back)} job(s) an earlier run had left changed: "
            f"{', '.join(entry.job_id for entry in back)}",
            file=out or sys.stderr,
            flush=True,
        )


class LiveRun:
    """The plugin's side of a live run: replay and census at the start, put back at the end, report both."""

    def __init__(self, config: pytest.Config, options: KitOptions, fatal: Callable[[KitError], Any]) -> None:
        self.options = options
        self._config = config
        self._fatal = fatal
        self.is_worker = hasattr(config, "workerinput")
        handoff = getattr(config, "workerinput", {}).get(_HANDOFF) or {}
        self.run_id: str = handoff.get("run_id") or new_run_id()
        self.paused_by_others: frozenset[str] = frozenset(handoff.get("paused_by_others", ()))
        self.put_back_at_start: list[str] = []
        self.left: dict[str, str] = {}
        self.command = restore_command(options)
        self._target: Target | None = None  # this process's own connection (controller or single process)
        self._attached: list[Target] = []

    @property
    def journal_path(self) -> str:
        return str(self.options.journal_path)

    def attach(self, target: Target) -> None:
        """Give a target (the `target` fixture's) this run's journal and what the census found."""
        target.journal = _ledger(self.options, target, self.run_id)
        target.paused_by_others = self.paused_by_others
        self._attached.append(target)
        interruption.install()

    # -- hooks ----------------------------------------------------------------------------------------

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Before any test (before xdist starts its workers): replay the journal, then find others' pauses."""
        if self.is_worker:
            return
        interruption.install()
        try:
            self._target = open_target(self.options)
            ledger = _ledger(self.options, self._target, self.run_id)
            self.put_back_at_start = [entry.job_id for entry in replay(self._target, ledger)]
            self.paused_by_others = census(self._target, ledger)
        except KitError as exc:
            self._close()
            self._fatal(exc)

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node: Any) -> None:
        """xdist controller: every worker journals under this run's id and leaves others' pauses alone."""
        node.workerinput[_HANDOFF] = {"run_id": self.run_id, "paused_by_others": sorted(self.paused_by_others)}

    @property
    def finished(self) -> bool:
        """Whether the end-of-session put-back ran (or has nothing to do in this process)."""
        return self.is_worker or self._target is None

    def finish_session(self) -> None:
        """At the session's end, after every test's teardown (and every worker's end; called by the plugin's
        session-finish before it writes the reports): put back what this run still holds open."""
        if self.finished:
            return
        try:
            self.finish()
        finally:
            self._close()
            self._target = None

    def finish(self) -> None:
        assert self._target is not None
        ledger = _ledger(self.options, self._target, self.run_id)
        entries = ledger.open_entries(this_run=True)
        if entries:
            restored = restore_entries(
                ledger.journal,
                entries,
                api=self._target.client,
                control=control_for(self._target, entries),
                locks=ledger.locks,
                holder=ledger.holder,
                timeout=self.options.resume_timeout,
                lock_wait=self.options.resume_timeout,
                command=self.command,
                label="end of run: restore",
            )
            self.left = {job_id: left.reason for job_id, left in restored.left.items()}
        ledger.journal.compact()
        preset = preset_of(self._config)
        if preset is not None and self.left:
            preset.left_paused = f"{self._left_line()}; put them back with: {self.command}"

    def _close(self) -> None:
        if self._target is not None:
            self._target.close()

    @pytest.hookimpl(trylast=True)
    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        """The last lines: what was put back first, what someone else paused, what is not back (and how)."""
        if self.is_worker:
            return
        lines = self.terminal_lines()
        if lines:
            terminalreporter.section("drs-conformance: jobs")
            for line in lines:
                terminalreporter.write_line(line)

    def terminal_lines(self) -> list[str]:
        lines = []
        if self.put_back_at_start:
            lines.append(
                f"put back before the tests (left changed by an earlier run): {', '.join(self.put_back_at_start)}"
            )
        if self.paused_by_others:
            lines.append(
                f"paused by someone else (PAUSING before this run and not in its journal; not leased, "
                f"not resumed): {', '.join(sorted(self.paused_by_others))}"
            )
        undeleted = sum(target.undeleted for target in self._attached)
        if undeleted:
            lines.append(
                f"{undeleted} job(s) this run created are left on the target (its control API has no "
                "DELETE /_sandbox/jobs/{id}); reset the sandbox to remove them"
            )
        if self.left:
            lines.append(self._left_line())
            lines.append(f"put them back with: {self.command}")
        return lines

    def _left_line(self) -> str:
        return "NOT PUT BACK: " + ", ".join(f"{job_id} ({why})" for job_id, why in sorted(self.left.items()))

    def report_data(self) -> dict[str, Any]:
        """What the reports show about the jobs of a live run (conformance.json: run.live_jobs)."""
        return {
            "journal": self.journal_path,
            "run_id": self.run_id,
            "put_back_at_start": list(self.put_back_at_start),
            "paused_by_others": sorted(self.paused_by_others),
            "left_paused": [{"job_id": job_id, "why": why} for job_id, why in sorted(self.left.items())],
            "restore_command": self.command if self.left else None,
        }
