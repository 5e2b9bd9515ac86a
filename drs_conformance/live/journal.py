"""The write-ahead journal: jobs a run may have changed and not yet put back, on disk before the change.

A run appends an *open* entry (job id, project, status before, run id, time, target) and fsyncs it before
it sends a pause that could succeed to a job it does not own; it appends a *close* entry once the job is
seen back. Whatever stops the run (SIGKILL included), the open entries say what to put back:
`drs-conformance restore` and the next run read them.

One file serves every run of a user on a machine (xdist workers, runs side by side): each append is one
`write` on an `O_APPEND` descriptor under an exclusive `flock`, followed by `fsync`. Beside it,
`JobLocks` holds one lock file per job (in `<journal>.locks/`): the lock a run takes before it touches a job keeps a second run
(or worker) off that job until it is put back.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import os
import time
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "PAUSED",
    "REPLACED",
    "Entry",
    "JobLock",
    "JobLocks",
    "Journal",
    "RunJournal",
    "default_journal_path",
    "new_run_id",
    "target_key",
]

PAUSED = "paused"  # a job a pause may have paused: put back with batch-retry-task
REPLACED = "replaced"  # a control-API job the run overwrote: put back its earlier record (PUT)
_KINDS = (PAUSED, REPLACED)


def default_journal_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_STATE_HOME/drs-conformance/journal.jsonl` (by default `~/.local/state/...`).

    Not in the report directory: report writing cleans that, two runs may use two report directories on
    one inventory, and `drs-conformance restore` must find the journal without being told where.
    """
    environ = os.environ if environ is None else environ
    state = environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(state) / "drs-conformance" / "journal.jsonl"


def target_key(base_url: str) -> str:
    """The target as the journal names it: scheme, host, port and path, without user-info (never a secret)."""
    parts = urlsplit(base_url.strip())
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme.lower(), netloc.lower(), parts.path.rstrip("/"), "", ""))


@dataclass(frozen=True, kw_only=True)
class Entry:
    """One job a run may have changed: what it was, so that it can be put back."""

    job_id: str
    project_id: str  # the project whose credentials put it back
    target: str  # target_key(base URL)
    run_id: str
    status_before: str | None
    kind: str = PAUSED
    record_before: Mapping[str, Any] | None = None  # REPLACED: the control API's record before the run
    opened_at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"kind={self.kind!r} is not one of {_KINDS}")

    @property
    def key(self) -> tuple[str, str]:
        return self.target, self.job_id

    def to_line(self) -> dict[str, Any]:
        return {"event": "open", **asdict(self)}

    @classmethod
    def from_line(cls, data: Mapping[str, Any]) -> Entry:
        names = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in names})


class Journal:
    """An append-only JSON-lines file of open and close events; the open entries are what is not back yet."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __repr__(self) -> str:
        return f"Journal({str(self.path)!r})"

    @property
    def locks_dir(self) -> Path:
        """Where the per-job locks live: beside the journal (`journal.jsonl.locks/`)."""
        return self.path.with_name(self.path.name + ".locks")

    def locks(self, base_url: str) -> JobLocks:
        return JobLocks(self.locks_dir, base_url)

    # -- writing ----------------------------------------------------------------------------------

    def open(self, entry: Entry) -> None:
        """Record, durably, that `entry.job_id` may be changed from now on (call before sending the change)."""
        self._append([entry.to_line()])

    def close(self, entry: Entry, *, how: str) -> None:
        """Record that the job is back (seen out of PAUSING, or its earlier record put back)."""
        self._append(
            [
                {
                    "event": "close",
                    "target": entry.target,
                    "job_id": entry.job_id,
                    "run_id": entry.run_id,
                    "how": how,
                    "at": time.time(),
                }
            ]
        )

    def _append(self, lines: list[dict[str, Any]]) -> None:
        data = "".join(json.dumps(line, sort_keys=True, ensure_ascii=True) + "\n" for line in lines).encode()
        created = not self.path.exists()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            written = os.write(fd, data)
            if written != len(data):  # a full disk: the rest would come as a second, interleavable write
                raise OSError(errno.ENOSPC, f"the journal {self.path} took {written} of {len(data)} bytes")
            os.fsync(fd)
        finally:
            os.close(fd)  # releases the flock
        if created:
            _fsync_dir(self.path.parent)

    # -- reading ----------------------------------------------------------------------------------

    def _events(self) -> Iterator[dict[str, Any]]:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        with os.fdopen(fd, "rb") as handle:
            fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
            raw = handle.read()
        for line in raw.splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash mid-write (never a whole entry: entries are one write)
            if isinstance(event, dict) and event.get("event") in ("open", "close"):
                yield event

    def open_entries(
        self, *, target: str | None = None, project_id: str | None = None, run_id: str | None = None
    ) -> list[Entry]:
        """Entries opened and not closed since, oldest first (optionally of one target, project or run).

        A close closes every open entry of its job on its target, whichever run opened it: the job is back.
        """
        open_: dict[tuple[str, str], Entry] = {}
        for event in self._events():
            key = (event.get("target"), event.get("job_id"))
            if event["event"] == "close":
                open_.pop(key, None)  # type: ignore[arg-type]
                continue
            try:
                entry = Entry.from_line(event)
            except (TypeError, ValueError):
                continue
            open_.setdefault(entry.key, entry)  # the oldest entry holds the earliest "before"
        return [
            entry
            for entry in open_.values()
            if (target is None or entry.target == target)
            and (project_id is None or entry.project_id == project_id)
            and (run_id is None or entry.run_id == run_id)
        ]

    def compact(self) -> None:
        """Drop closed entries (the file keeps only what is still open), under the same lock as appends."""
        try:
            fd = os.open(self.path, os.O_RDWR)
        except FileNotFoundError:
            return
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            raw = b""
            while chunk := os.read(fd, 1 << 20):
                raw += chunk
            keep = _open_lines(raw)
            if len(keep) == len(raw.splitlines()):
                return
            data = b"".join(line + b"\n" for line in keep)
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            os.fsync(fd)
        finally:
            os.close(fd)


def _open_lines(raw: bytes) -> list[bytes]:
    """The lines of still-open entries, in their order."""
    lines: dict[tuple[Any, Any], bytes] = {}
    for line in raw.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        key = (event.get("target"), event.get("job_id"))
        if event.get("event") == "close":
            lines.pop(key, None)
        elif event.get("event") == "open":
            lines.setdefault(key, line)
    return list(lines.values())


def _fsync_dir(directory: Path) -> None:
    """Make a new file's directory entry durable too."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@dataclass
class JobLock:
    """An exclusive lock on one job of one target, held until `release()` (or the process ends)."""

    job_id: str
    path: Path
    _fd: int | None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the flock
            self._fd = None

    @property
    def held(self) -> bool:
        return self._fd is not None


class JobLocks:
    """One lock file per job of one target, beside the journal; `flock`ed, so a dead holder frees it."""

    def __init__(self, directory: Path, base_url: str) -> None:
        digest = hashlib.sha256(target_key(base_url).encode()).hexdigest()[:16]
        self.directory = Path(directory) / digest

    def _path(self, job_id: str) -> Path:
        return self.directory / f"{job_id}.lock"

    def try_acquire(self, job_id: str, holder: str) -> JobLock | None:
        """The job's lock if no other process (or other lock in this one) holds it, else None at once."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self._path(job_id)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        except BaseException:
            os.close(fd)
            raise
        os.ftruncate(fd, 0)
        os.pwrite(fd, holder.encode(), 0)
        return JobLock(job_id, path, fd)

    def acquire(self, job_id: str, holder: str, *, timeout: float, poll: float = 0.2) -> JobLock | None:
        """The job's lock, waiting up to `timeout` seconds for its holder to let go; None if it did not."""
        deadline = time.monotonic() + timeout
        while True:
            lock = self.try_acquire(job_id, holder)
            if lock is not None or time.monotonic() >= deadline:
                return lock
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())))

    def holder(self, job_id: str) -> str:
        """Who holds (or last held) the job's lock, as its holder wrote it (e.g. "pid 123, run ...")."""
        try:
            return self._path(job_id).read_text(encoding="utf-8", errors="replace").strip() or "another process"
        except OSError:
            return "another process"


def new_run_id() -> str:
    """A run's id in the journal: when it started, and a random part (two runs may start in one second)."""
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.urandom(3).hex()}"


@dataclass(frozen=True)
class RunJournal:
    """The journal and the job locks as one run uses them on one target."""

    journal: Journal
    base_url: str
    project_id: str
    run_id: str

    @property
    def target(self) -> str:
        return target_key(self.base_url)

    @property
    def locks(self) -> JobLocks:
        return self.journal.locks(self.base_url)

    @property
    def holder(self) -> str:
        """What a lock says about who holds it."""
        return f"pid {os.getpid()}, run {self.run_id}"

    def entry(
        self,
        job_id: str,
        status_before: str | None,
        *,
        kind: str = PAUSED,
        record_before: Mapping[str, Any] | None = None,
    ) -> Entry:
        return Entry(
            job_id=job_id,
            project_id=self.project_id,
            target=self.target,
            run_id=self.run_id,
            status_before=status_before,
            kind=kind,
            record_before=record_before,
        )

    def open_entries(self, *, this_run: bool = False) -> list[Entry]:
        """Open entries on this target and project (of this run only, or of every run)."""
        return self.journal.open_entries(
            target=self.target, project_id=self.project_id, run_id=self.run_id if this_run else None
        )
