"""Putting jobs back: resume paused jobs (retrying what a flaky target fails, within a deadline), put back a
control-API record the run overwrote, and close the journal entries of what is back.

A job is sent batch-retry-task only while batch-status shows it PAUSING: a retry of a job that already left
PAUSING would restart it if it came back in a *_FAILED status, which is more than putting it back.
"""

from __future__ import annotations

import functools
import shlex
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TextIO

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.reply import Reply
from drs_conformance.contract.settle import EFFECTS, settle
from drs_conformance.contract.spec import contract
from drs_conformance.errors import TargetUnreachable
from drs_conformance.live.interruption import shielded
from drs_conformance.live.journal import PAUSED, REPLACED, Entry, JobLock, JobLocks, Journal
from drs_conformance.plugin.options import KitOptions
from drs_conformance.transport.client import DrsClient

__all__ = [
    "Left",
    "Restored",
    "Resumed",
    "observe_settled",
    "observe_statuses",
    "restore_command",
    "restore_entries",
    "resume_jobs",
]

_FIRST_DELAY_S = 0.1
_MAX_DELAY_S = 5.0

# Why a job is not back (Left.cause): decides how a test's teardown reports it.
NO_ANSWER = "no answer"  # the target did not answer (reset, timeout, refused connection)
SERVER_ERROR = "server error"  # 5xx or 429, every time it was asked
REFUSED = "refused"  # a 4xx other than 429: asking again will not help
STILL_PAUSED = "still paused"  # the resume was accepted, the job stayed PAUSING
UNREPORTED = "unreported"  # batch-status does not report the job
HELD = "held"  # another live process holds the job's lock


def observe_statuses(api: DrsClient, job_ids: Iterable[str], label: str) -> dict[str, str | None]:
    """Each job's status through batch-status, matched by id, a page at a time (None: not reported).

    batch-status answers one page; without `page_req` the platform's page holds per_page's documented
    default (5). The kit asks for at most that many ids at a time, whatever the target pages.
    """
    ids = list(dict.fromkeys(job_ids))
    size = contract().status_page_size
    found: dict[str, str | None] = {}
    for start in range(0, len(ids), size):
        page = ids[start : start + size]
        reply = api.batch_status(page, label=label)
        if reply.status != 200:
            raise NonConformance(
                "SUPPORT-STATUS", f"batch-status of {len(page)} job(s) answered {reply.status}, documented 200"
            )
        found.update(_reported(reply.json(), page))
    return found


def observe_settled(api: DrsClient, job_ids: Iterable[str], label: str) -> dict[str, str | None]:
    """`observe_statuses`, with every job whose pause or resume is still due read again until it shows (settle.py)."""
    read = functools.partial(observe_statuses, api, label=label)
    return settle(read, read(job_ids), lambda status: (status, None), with_mode=False)


def _reported(document: Any, page: list[str]) -> dict[str, str | None]:
    results = document.get("results", []) if isinstance(document, dict) else []
    reported = {r.get("id"): r.get("status") for r in results if isinstance(r, dict)}
    return {job_id: reported.get(job_id) for job_id in page}


def _transient(status: int) -> bool:
    return status == 429 or status >= 500


@dataclass(frozen=True)
class Left:
    """A job not back, and why."""

    reason: str
    cause: str


@dataclass
class Resumed:
    """What resuming some jobs came to."""

    back: dict[str, str | None] = field(default_factory=dict)  # job id -> the status it left PAUSING for
    left: dict[str, Left] = field(default_factory=dict)
    # Every 5xx or missing answer met on the way, in order ("batch-retry-task answered 503"): evidence.
    troubles: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # the 5xx among them (NO-5XX evidence)


class _Hopeless(Exception):
    """A refusal that asking again will not change (401, 403, 400...)."""


def resume_jobs(api: DrsClient, job_ids: Iterable[str], *, timeout: float, label: str = "restore") -> Resumed:
    """Bring the jobs out of PAUSING: batch-retry-task the ones batch-status shows PAUSING, until each has left.

    5xx, 429, resets and timeouts are retried with backoff until `timeout` seconds have passed; a job whose
    resume was accepted is waited for, not sent again.
    """
    paused = contract().paused_status
    deadline = time.monotonic() + timeout
    pending = list(dict.fromkeys(job_ids))
    result = Resumed()
    why: dict[str, Left] = {}
    accepted: set[str] = set()
    delay = _FIRST_DELAY_S
    look_again_now = False  # a resume was just accepted: most targets resume at once, so read before waiting
    while pending:
        try:
            statuses = _read_statuses(api, pending, label, result, why)
            if statuses is not None:
                settling = EFFECTS.pauses_settling(pending)  # paused a moment ago: not back, PAUSING soon
                for job_id in pending:
                    status = statuses[job_id]
                    if status is None:
                        why[job_id] = Left("batch-status does not report it", UNREPORTED)
                    elif status != paused and job_id not in settling:
                        result.back[job_id] = status
                pending = [job_id for job_id in pending if job_id not in result.back]
                still = [job_id for job_id in pending if statuses[job_id] == paused and job_id not in accepted]
                # Accepted jobs are never sent again, so this cannot spin: the next round sends nothing.
                look_again_now = bool(still) and _send_resume(api, still, label, result, why, accepted)
        except _Hopeless:
            break
        if not pending or time.monotonic() >= deadline:
            break
        if not look_again_now:
            time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, _MAX_DELAY_S)
    for job_id in pending:
        result.left[job_id] = why.get(job_id) or Left(f"still PAUSING after {timeout:g} s", STILL_PAUSED)
    return result


def _trouble(result: Resumed, text: str, *, server: bool) -> None:
    result.troubles.append(text)
    if server:
        result.server_errors.append(text)


def _served(
    send: Callable[[], Reply], operation: str, job_ids: list[str], result: Resumed, why: dict[str, Left]
) -> Reply | None:
    """The operation's 200 answer; None after noting why the jobs are not back yet (no answer, a 5xx or 429 that
    may pass); _Hopeless when the target refuses the operation for good."""
    try:
        reply = send()
    except TargetUnreachable as exc:
        _trouble(result, f"{operation}: no answer ({_first_line(exc)})", server=False)
        why.update({job_id: Left(f"{operation} got no answer", NO_ANSWER) for job_id in job_ids})
        return None
    if reply.status != 200:
        text = f"{operation} answered {reply.status}"
        _trouble(result, text, server=reply.status >= 500)
        cause = SERVER_ERROR if _transient(reply.status) else REFUSED
        why.update({job_id: Left(text, cause) for job_id in job_ids})
        if cause == REFUSED:
            raise _Hopeless(text)
        return None
    return reply


def _read_statuses(
    api: DrsClient, job_ids: list[str], label: str, result: Resumed, why: dict[str, Left]
) -> dict[str, str | None] | None:
    """The statuses, or None when batch-status gave no usable answer this time (it is asked again)."""
    size = contract().status_page_size
    found: dict[str, str | None] = {}
    for start in range(0, len(job_ids), size):
        page = job_ids[start : start + size]
        send = functools.partial(api.batch_status, page, label=f"{label}: batch-status", validate=False)
        reply = _served(send, "batch-status", job_ids, result, why)
        if reply is None:
            return None
        try:
            found.update(_reported(reply.json(), page))
        except ValueError:
            _trouble(result, "batch-status answered 200 without a JSON body", server=False)
            return None
    return found


def _send_resume(
    api: DrsClient, job_ids: list[str], label: str, result: Resumed, why: dict[str, Left], accepted: set[str]
) -> bool:
    """Resume the jobs (batch-retry-task); True when the target accepted every one of them."""
    send = functools.partial(api.retry, job_ids, label=f"{label}: batch-retry-task", validate=False)
    reply = _served(send, "batch-retry-task", job_ids, result, why)
    if reply is None:
        return False
    try:
        items = dict(_items(reply.json()))
    except ValueError:
        items = {}
    for job_id in job_ids:
        item = items.get(job_id)
        if item is not None and item.get("status") == contract().success_word:
            accepted.add(job_id)  # waited for from now on, not sent again
            why[job_id] = Left("batch-retry-task accepted the resume, but it stayed PAUSING", STILL_PAUSED)
        else:
            code = item.get("error_code") if isinstance(item, dict) else None
            why[job_id] = Left(f"batch-retry-task failed its item ({code or 'no result for it'})", STILL_PAUSED)
    return all(job_id in accepted for job_id in job_ids)


def _items(document: Any) -> Iterable[tuple[str, dict[str, Any]]]:
    results = document.get("results", []) if isinstance(document, dict) else []
    return ((item["id"], item) for item in results if isinstance(item, dict) and isinstance(item.get("id"), str))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


# -- control-API records ------------------------------------------------------------------------------


def put_back_record(control: Any, entry: Entry, *, timeout: float) -> Left | None:
    """PUT the record the run overwrote back through the control API and check it reads as before (None: back)."""
    record = entry.record_before or {}
    wanted = {key: record.get(key) for key in ("project_id", "status", "type")}
    deadline = time.monotonic() + timeout
    delay = _FIRST_DELAY_S
    problem = Left("not tried", NO_ANSWER)
    while True:
        try:
            control.put_job(entry.job_id, **wanted)
            now = control.get_job(entry.job_id) or {}
            if {key: now.get(key) for key in wanted} == wanted:
                return None
            problem = Left(f"the control API reads {now} after the PUT", REFUSED)
        except TargetUnreachable as exc:  # NoAnswer: the control API sent it again as often as it may
            problem = Left(f"the control API did not answer ({_first_line(exc)})", NO_ANSWER)
        except AssertionError as exc:  # ControlApi: an answer other than the documented one
            problem = Left(_first_line(exc), SERVER_ERROR)
        if time.monotonic() >= deadline:
            return problem
        time.sleep(min(delay, max(0.0, deadline - time.monotonic())))
        delay = min(delay * 2, _MAX_DELAY_S)


# -- journal entries ------------------------------------------------------------------------------------


@dataclass
class Restored:
    """What putting back some journal entries came to."""

    back: list[Entry] = field(default_factory=list)
    how: dict[str, str] = field(default_factory=dict)  # job id -> how it is back ("seen FULL_TRANSFER_STARTED")
    left: dict[str, Left] = field(default_factory=dict)
    troubles: list[str] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return not self.left


def restore_entries(
    journal: Journal,
    entries: list[Entry],
    *,
    api: DrsClient,
    control: Any = None,
    locks: JobLocks,
    holder: str,
    timeout: float,
    lock_wait: float = 0.0,
    held: Mapping[str, JobLock] | None = None,
    command: str,
    label: str = "restore",
    out: TextIO | None = None,
) -> Restored:
    """Put back every entry and close the ones that are back; a second signal lists what is left, then stops.

    Each job's lock is taken first (waiting up to `lock_wait`; `held` are locks the caller holds already):
    a job another live process holds is left to it. Runs shielded: one SIGINT/SIGTERM waits for the end.
    """
    held = dict(held or {})
    taken: list[JobLock] = []
    result = Restored()
    remaining = {entry.job_id for entry in entries}
    try:
        with shielded(f"putting back {len(entries)} job(s)"):
            mine: list[Entry] = []
            for entry in entries:
                if entry.job_id in held:
                    mine.append(entry)
                    continue
                lock = locks.acquire(entry.job_id, holder, timeout=lock_wait)
                if lock is None:
                    result.left[entry.job_id] = Left(f"held by a running process ({locks.holder(entry.job_id)})", HELD)
                    remaining.discard(entry.job_id)
                    continue
                taken.append(lock)
                mine.append(entry)
            still_open = {entry.key for entry in journal.open_entries()}
            for entry in [e for e in mine if e.key not in still_open]:  # put back meanwhile by someone else
                remaining.discard(entry.job_id)
            mine = [entry for entry in mine if entry.key in still_open]
            paused = [entry for entry in mine if entry.kind == PAUSED]
            if paused:
                resumed = resume_jobs(api, [entry.job_id for entry in paused], timeout=timeout, label=label)
                result.troubles += resumed.troubles
                result.server_errors += resumed.server_errors
                result.left.update(resumed.left)
                for entry in paused:
                    if entry.job_id in resumed.back:
                        _close(journal, entry, f"seen {resumed.back[entry.job_id]}", result)
                        remaining.discard(entry.job_id)
            for entry in (e for e in mine if e.kind == REPLACED):
                problem = (
                    put_back_record(control, entry, timeout=timeout)
                    if control is not None
                    else Left("needs the control API to put its record back: give --control-api", REFUSED)
                )
                if problem is None:
                    _close(journal, entry, f"record put back ({(entry.record_before or {}).get('status')})", result)
                    remaining.discard(entry.job_id)
                else:
                    result.left[entry.job_id] = problem
    except KeyboardInterrupt:
        print(
            f"drs-conformance: stopped while putting jobs back; not back yet: {', '.join(sorted(remaining))}; "
            f"put them back with: {command}",
            file=out or sys.stderr,
            flush=True,
        )
        raise
    finally:
        for lock in taken:
            lock.release()
    return result


def _close(journal: Journal, entry: Entry, how: str, result: Restored) -> None:
    journal.close(entry, how=how)
    result.back.append(entry)
    result.how[entry.job_id] = how


def restore_command(options: KitOptions) -> str:
    """The `drs-conformance restore` command that puts back what this run's options left (no secret in it)."""
    from drs_conformance.live.journal import target_key

    parts = ["drs-conformance", "restore"]
    if options.config is not None:
        parts += ["--config", str(options.config)]
    if options.base_url:
        parts += ["--base-url", target_key(options.base_url)]
    if options.project_id:
        parts += ["--project-id", options.project_id]
    if options.inventory is not None:
        parts += ["--inventory", str(options.inventory)]
    if options.control_api:
        parts.append("--control-api")
    if options.journal is not None:
        parts += ["--journal", str(options.journal)]
    credentials = "DRS_AK and DRS_SK" if options.ak else "DRS_AUTH_TOKEN"
    return f"{shlex.join(parts)} (with {credentials} set)"
