"""Effects are awaited, not assumed: the pauses and resumes a target answered `success`, waited for within a window.

The documents never promise read-after-write (contract notes, "Timing of effects"): a pause answered
`success` may show as PAUSING only a moment later, and a resumed job may read PAUSING for a moment. The
kit's client notes every such answer here (`EFFECTS.note`); a read of a job with an effect still due
(`settle`) polls with backoff until the job shows it, reads a third status (neither the one it had nor
the one it is due: the caller judges that read), or the window (`--settle-timeout`) ends. A job that
still reads its earlier status at the end fails the requirement its effect rests on, saying how long the
kit waited. Each process keeps its own record (a test sends and reads in one process); the slowest settle
seen is handed to the reports.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from drs_conformance.contract.checks import NonConformance
from drs_conformance.contract.requirement_ids import Req
from drs_conformance.contract.spec import contract

__all__ = ["EFFECTS", "Effect", "Effects", "SettleStats", "settle", "settle_text"]

_FIRST_POLL_S = 0.05
_MAX_POLL_S = 0.5
_PAUSE = "pause"
_RESUME = "resume"
_PATHS = {"/batch-pause-task": _PAUSE, "/batch-retry-task": _RESUME}

State = TypeVar("State")


@dataclass(frozen=True, kw_only=True)
class Effect:
    """What a `success` answer promised of one job: paused (with a mode) or resumed, and when it was answered."""

    job_id: str
    kind: str  # "pause" | "resume"
    modes: frozenset[str]  # the modes the batch asked for this job (a job named twice may ask for two)
    answered_at: float

    def shown(self, status: str | None, pause_mode: str | None, *, with_mode: bool) -> bool:
        """Whether a read (status, and the control API's pause mode when `with_mode`) shows the effect."""
        paused = contract().paused_status
        if self.kind == _RESUME:
            return status != paused
        return status == paused and (not with_mode or pause_mode in self.modes)

    def describe(self) -> str:
        return "the pause" if self.kind == _PAUSE else "the resume (batch-retry-task)"


@dataclass(frozen=True, kw_only=True)
class SettleStats:
    """What one process saw of settling: the window, the slowest settle and how many effects were awaited."""

    window: float
    slowest: float | None
    settled: int
    unsettled: int

    def to_dict(self) -> dict[str, Any]:
        """As conformance.json's run.settle holds it (seconds rounded to the millisecond)."""
        return {
            "window_s": self.window,
            "slowest_s": None if self.slowest is None else round(self.slowest, 3),
            "settled": self.settled,
            "unsettled": self.unsettled,
        }


def settle_text(data: Mapping[str, Any]) -> str:
    """conformance.json's run.settle as one line: 'effects awaited within 10 s (--settle-timeout); slowest ...'."""
    slowest = data.get("slowest_s")
    seen = (
        f"slowest settle {slowest:.2f} s ({data.get('settled', 0)} effects awaited)"
        if slowest is not None
        else "no effect awaited"
    )
    never = f"; {data['unsettled']} not seen as due" if data.get("unsettled") else ""
    return f"effects awaited within {data['window_s']:g} s (--settle-timeout); {seen}{never}"


class Effects:
    """The effects this process's requests were promised and has not yet seen (thread-safe)."""

    def __init__(self, *, window: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.window = window
        self._clock = clock
        self._lock = threading.Lock()
        self._due: dict[str, Effect] = {}
        self._slowest: float | None = None
        self._settled = 0
        self._unsettled = 0

    def reset(self, *, window: float) -> None:
        """A new run: the window it uses, nothing due, no figures."""
        with self._lock:
            self.window = window
            self._due.clear()
            self._slowest, self._settled, self._unsettled = None, 0, 0

    def note(self, operation_path: str, content: bytes | None, status: int, body: bytes) -> None:
        """Remember what a 200 answer of batch-pause-task or batch-retry-task promised, item by item (by id)."""
        kind = next((kind for tail, kind in _PATHS.items() if operation_path.endswith(tail)), None)
        if kind is None or status != 200 or not content:
            return
        try:
            request, answer = json.loads(content), json.loads(body)
        except ValueError:
            return
        asked = _asked(request)
        results = answer.get("results") if isinstance(answer, dict) else None
        if not asked or not isinstance(results, list):
            return
        now = self._clock()
        success = contract().success_word
        with self._lock:
            for result in results:
                if not isinstance(result, dict) or result.get("status") != success:
                    continue
                job_id = result.get("id")
                if isinstance(job_id, str) and job_id in asked:
                    modes = asked[job_id] if kind == _PAUSE else frozenset()
                    self._due[job_id] = Effect(job_id=job_id, kind=kind, modes=modes, answered_at=now)

    def due(self, job_ids: Iterable[str]) -> dict[str, Effect]:
        with self._lock:
            return {job_id: effect for job_id in job_ids if (effect := self._due.get(job_id)) is not None}

    def pauses_settling(self, job_ids: Iterable[str]) -> set[str]:
        """The jobs whose pause was answered success less than the window ago (they may not read PAUSING yet)."""
        now = self._clock()
        with self._lock:
            return {
                job_id
                for job_id in job_ids
                if (effect := self._due.get(job_id)) is not None
                and effect.kind == _PAUSE
                and now < effect.answered_at + self.window
            }

    def _done(self, effect: Effect, *, seen: bool) -> None:
        with self._lock:
            if self._due.get(effect.job_id) is effect:
                del self._due[effect.job_id]
            if seen:
                self._settled += 1
                took = self._clock() - effect.answered_at
                self._slowest = took if self._slowest is None else max(self._slowest, took)
            else:
                self._unsettled += 1

    def forget(self, job_ids: Iterable[str]) -> None:
        """Jobs overwritten or removed through the control API: nothing is due on them any more."""
        with self._lock:
            for job_id in job_ids:
                self._due.pop(job_id, None)

    def merge(self, part: Mapping[str, Any]) -> None:
        """Add another process's figures (an xdist worker's `stats().to_dict()`) to this one's."""
        with self._lock:
            self._settled += int(part.get("settled", 0))
            self._unsettled += int(part.get("unsettled", 0))
            slowest = part.get("slowest_s")
            if slowest is not None:
                self._slowest = slowest if self._slowest is None else max(self._slowest, slowest)

    def stats(self) -> SettleStats:
        with self._lock:
            return SettleStats(
                window=self.window, slowest=self._slowest, settled=self._settled, unsettled=self._unsettled
            )

    @property
    def clock(self) -> Callable[[], float]:
        return self._clock


def _asked(request: Any) -> dict[str, frozenset[str]]:
    """The job ids a pause or retry request named, each with the modes asked for (none for a retry)."""
    items = request.get("jobs") if isinstance(request, dict) else None
    if not isinstance(items, list):
        return {}
    asked: dict[str, frozenset[str]] = {}
    for item in items:
        if isinstance(item, dict) and isinstance(item.get("job_id"), str):
            mode = item.get("pause_mode")
            asked[item["job_id"]] = asked.get(item["job_id"], frozenset()) | (
                {mode} if isinstance(mode, str) else set()
            )
    return asked


EFFECTS = Effects()  # this process's (the plugin sets the run's window)


def settle(
    read: Callable[[list[str]], Mapping[str, State]],
    states: Mapping[str, State],
    view: Callable[[State], tuple[str | None, str | None]],
    *,
    with_mode: bool,
    effects: Effects = EFFECTS,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, State]:
    """`states` (just read), with each job that has an effect due read again until it shows it.

    `read` reads the given ids again (fresh); `view` gives a state's (status, pause mode). A job stops being
    awaited when it shows the effect, when it reads a status other than its first and its due one (a third
    status: the caller judges it, as a failure or as interference), or when the window has passed since the
    answer: then, still reading its earlier status, it fails the effect's requirement.
    """
    out = dict(states)
    due = effects.due(out)
    waiting: dict[str, tuple[Effect, State]] = {}
    for job_id, effect in due.items():
        status, mode = view(out[job_id])
        if effect.shown(status, mode, with_mode=with_mode):
            effects._done(effect, seen=True)
        elif status is None and effect.kind == _PAUSE:
            effects._done(effect, seen=False)  # not reported at all: the caller judges that read
        else:
            waiting[job_id] = (effect, out[job_id])
    delay = _FIRST_POLL_S
    while waiting:
        now = effects.clock()
        deadline = max(effect.answered_at for effect, _ in waiting.values()) + effects.window
        expired = [job_id for job_id, (effect, _) in waiting.items() if now >= effect.answered_at + effects.window]
        for job_id in expired:
            effect, first = waiting.pop(job_id)
            effects._done(effect, seen=False)
            status, mode = view(out[job_id])
            if status == view(first)[0] and not (effect.kind == _PAUSE and status == contract().paused_status):
                _fail(effect, status, now - effect.answered_at)
        if not waiting:
            break
        sleep(max(0.0, min(delay, deadline - now)))
        delay = min(delay * 1.6, _MAX_POLL_S)
        again = read(list(waiting))
        for job_id, state in again.items():
            if job_id not in waiting:
                continue
            out[job_id] = state
            effect, first = waiting[job_id]
            status, mode = view(state)
            if effect.shown(status, mode, with_mode=with_mode):
                effects._done(effect, seen=True)
                del waiting[job_id]
            elif status != view(first)[0] and not (effect.kind == _PAUSE and status == contract().paused_status):
                effects._done(effect, seen=False)  # a third status: the caller judges it (PAUSING: the mode may follow)
                del waiting[job_id]
    return out


def _fail(effect: Effect, status: str | None, waited: float) -> None:
    """A job that never showed what its `success` promised, within the window."""
    paused = contract().paused_status
    if effect.kind == _PAUSE:
        raise NonConformance(
            Req.PAUSABLE_SUCCEEDS,
            f"job {effect.job_id} still {status} {waited:.1f} s after {effect.describe()} was answered success; "
            f"documented {paused} (raise --settle-timeout if the target takes longer to apply a pause)",
        )
    raise NonConformance(
        Req.SUPPORT_RESUME,
        f"job {effect.job_id} still {status} {waited:.1f} s after {effect.describe()} was answered success; "
        f"documented: a resumed job leaves {paused} (raise --settle-timeout if the target is slower)",
    )
