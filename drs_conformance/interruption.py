"""How a run is stopped: SIGINT and SIGTERM become a KeyboardInterrupt that is remembered for the verdict.

`timeout`, `docker stop`, Kubernetes and CI cancellation send SIGTERM; a person presses Ctrl-C (SIGINT),
often twice. Both must end a run the same way: stop testing, put back what the run took, write reports
marked interrupted, and exit 128 + the signal number (130, 143).

Work that must not be cut halfway (resuming jobs, writing reports) runs inside `shielded(what)`: a signal
that arrives there is deferred and announced; the block finishes and the stop goes on after it. A second
signal inside the same block raises KeyboardInterrupt there, and the block's own code says what it leaves
undone (the restore prints the job ids and the command that puts them back).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["exit_code", "install", "note_stop", "reset", "shielded", "stopped_by", "uninstall"]

_HANDLED = (signal.SIGINT, signal.SIGTERM)


class _State:
    """The process's stop state (one per process: signals are per process)."""

    def __init__(self) -> None:
        self.signal: int | None = None  # the first signal that stopped the run
        self.shields: list[str] = []  # what is running shielded, innermost last
        self.pending: int | None = None  # a signal deferred by a shield
        self.previous: dict[int, Any] = {}


_STATE = _State()


def _name(signum: int) -> str:
    return signal.Signals(signum).name


def note_stop(signum: int) -> None:
    """Remember that the run was stopped by `signum` (the first stop wins)."""
    if _STATE.signal is None:
        _STATE.signal = signum


_REDELIVER_AFTER_S = 0.05


def _in_gc_callback(frame: FrameType | None) -> bool:
    """Whether the signal landed in a garbage-collector callback (hypothesis keeps one), where Python would print
    the KeyboardInterrupt as "Exception ignored" and drop it."""
    codes = {getattr(callback, "__code__", None) for callback in gc.callbacks}
    while frame is not None:
        if frame.f_code in codes:
            return True
        frame = frame.f_back
    return False


def _handle(signum: int, frame: FrameType | None) -> None:
    if _in_gc_callback(frame):
        # Sent again a moment later, when the callback has returned: the stop is neither lost nor a traceback.
        threading.Timer(_REDELIVER_AFTER_S, os.kill, (os.getpid(), signum)).start()
        return
    note_stop(signum)
    if _STATE.shields:
        if _STATE.pending is None:
            _STATE.pending = signum
            print(
                f"drs-conformance: {_name(signum)} received: finishing {_STATE.shields[-1]} first; send it again "
                "to abandon that (what is left is then listed with the command that puts it back)",
                file=sys.stderr,
                flush=True,
            )
            return
        raise KeyboardInterrupt(_name(signum))
    raise KeyboardInterrupt(_name(signum))


def install() -> None:
    """Route SIGINT and SIGTERM through the kit (main thread only; elsewhere a no-op)."""
    if threading.current_thread() is not threading.main_thread() or _STATE.previous:
        return
    for signum in _HANDLED:
        _STATE.previous[signum] = signal.signal(signum, _handle)


def uninstall() -> None:
    """Put back the handlers that were there before `install`."""
    if threading.current_thread() is not threading.main_thread():
        return
    for signum, previous in _STATE.previous.items():
        signal.signal(signum, previous)
    _STATE.previous.clear()


def stopped_by() -> int | None:
    """The signal that stopped the run (SIGINT or SIGTERM), or None if nothing stopped it."""
    return _STATE.signal


def exit_code() -> int | None:
    """128 + the stopping signal (130 for SIGINT, 143 for SIGTERM), or None."""
    return None if _STATE.signal is None else 128 + _STATE.signal


@contextlib.contextmanager
def shielded(what: str) -> Iterator[None]:
    """Run the block to its end even if a signal arrives (one is deferred; a second one interrupts it).

    When the outermost shield ends and a signal was deferred, KeyboardInterrupt is raised so the stop goes on.
    """
    _STATE.shields.append(what)
    failed = False
    try:
        yield
    except BaseException:
        failed = True
        raise
    finally:
        _STATE.shields.pop()
        if not _STATE.shields and _STATE.pending is not None:
            signum, _STATE.pending = _STATE.pending, None
            if not failed:
                raise KeyboardInterrupt(_name(signum))


def reset() -> None:
    """Forget any stop (for the kit's own tests, and for a process that runs the suites twice)."""
    _STATE.signal = None
    _STATE.pending = None
    _STATE.shields.clear()
