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
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import FrameType
from typing import Any

__all__ = ["exit_code", "install", "note_stop", "reset", "shielded", "stopped_by", "uninstall"]

_HANDLED = (signal.SIGINT, signal.SIGTERM)
_SIGNAL_NAMES = frozenset(signal.Signals(signum).name for signum in _HANDLED)


class _State:
    """The process's stop state (one per process: signals are per process)."""

    def __init__(self) -> None:
        self.signal: int | None = None  # the first signal that stopped the run
        self.shields: list[str] = []  # what is running shielded, innermost last
        self.pending: int | None = None  # a signal deferred by a shield
        self.previous: dict[int, Any] = {}
        self.previous_unraisable_hook: Any = sys.__unraisablehook__


_STATE = _State()


def _name(signum: int) -> str:
    return signal.Signals(signum).name


def note_stop(signum: int) -> None:
    """Remember that the run was stopped by `signum` (the first stop wins)."""
    if _STATE.signal is None:
        _STATE.signal = signum


_REDELIVER_AFTER_S = 0.05


def _redeliver_unraisable(unraisable: Any) -> None:
    """sys.unraisablehook while the kit routes signals: its own KeyboardInterrupt, raised where Python cannot
    raise (a gc callback, a weakref callback, a __del__), would be printed as "Exception ignored" and dropped.
    It is sent again a moment later, when that code has returned; anything else goes to the hook before."""
    error = unraisable.exc_value
    if isinstance(error, KeyboardInterrupt) and error.args and error.args[0] in _SIGNAL_NAMES:
        threading.Timer(_REDELIVER_AFTER_S, os.kill, (os.getpid(), signal.Signals[error.args[0]])).start()
        return
    _STATE.previous_unraisable_hook(unraisable)


def _raise_stop(signum: int) -> None:
    """KeyboardInterrupt for this signal, with the unraisable hook in front of whatever hook is there now
    (pytest installs its own once configured)."""
    if sys.unraisablehook is not _redeliver_unraisable:
        _STATE.previous_unraisable_hook = sys.unraisablehook
        sys.unraisablehook = _redeliver_unraisable
    raise KeyboardInterrupt(_name(signum))


def _handle(signum: int, frame: FrameType | None) -> None:
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
        _raise_stop(signum)
    _raise_stop(signum)


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
    if sys.unraisablehook is _redeliver_unraisable:
        sys.unraisablehook = _STATE.previous_unraisable_hook


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
