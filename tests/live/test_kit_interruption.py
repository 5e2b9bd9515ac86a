"""Signals: SIGINT and SIGTERM stop a run once, are remembered, and cannot cut a shielded block silently."""

from __future__ import annotations

import gc
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from drs_conformance.live import interruption


@pytest.fixture(autouse=True)
def _kit_signals() -> Iterator[None]:
    """The kit's handlers for the test, pytest's own (and no remembered stop) afterwards."""
    interruption.reset()
    interruption.install()
    yield
    interruption.uninstall()
    interruption.reset()


@pytest.mark.parametrize(
    ("signum", "code"),
    [
        pytest.param(signal.SIGINT, 130, id="sigint"),
        pytest.param(signal.SIGTERM, 143, id="sigterm"),
    ],
)
def test_a_signal_stops_with_its_exit_code(signum: int, code: int) -> None:
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signum)
    assert interruption.stopped_by() == signum, f"received {interruption.stopped_by()}, sent {signum}"
    assert interruption.exit_code() == code


def test_the_first_signal_is_the_one_remembered() -> None:
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGTERM)
    with pytest.raises(KeyboardInterrupt):
        signal.raise_signal(signal.SIGINT)
    assert interruption.exit_code() == 143, "a Ctrl-C after SIGTERM must not turn 143 into 130"


def test_nothing_stopped_the_run() -> None:
    assert interruption.stopped_by() is None and interruption.exit_code() is None


def test_a_shield_finishes_its_block_then_the_stop_goes_on(capsys: pytest.CaptureFixture[str]) -> None:
    finished = []
    with pytest.raises(KeyboardInterrupt), interruption.shielded("resuming 2 jobs"):
        signal.raise_signal(signal.SIGTERM)
        finished.append("restore")
    assert finished == ["restore"], "the signal cut the shielded block"
    assert "finishing resuming 2 jobs first" in capsys.readouterr().err
    assert interruption.exit_code() == 143


def test_a_second_signal_interrupts_the_shielded_block() -> None:
    reached = []
    with pytest.raises(KeyboardInterrupt), interruption.shielded("resuming 2 jobs"):
        signal.raise_signal(signal.SIGINT)
        reached.append("after the first")
        signal.raise_signal(signal.SIGINT)
        reached.append("after the second")
    assert reached == ["after the first"]


def test_nested_shields_defer_to_the_outermost() -> None:
    order = []
    with pytest.raises(KeyboardInterrupt), interruption.shielded("writing reports"):
        with interruption.shielded("writing conformance.json"):
            signal.raise_signal(signal.SIGTERM)
        order.append("inner done")
        order.append("outer done")
    assert order == ["inner done", "outer done"]


def test_a_shield_without_a_signal_changes_nothing() -> None:
    with interruption.shielded("resuming 1 job"):
        pass
    assert interruption.stopped_by() is None


class _Finalized:
    """An object whose weakref callback sends the signal (Python cannot raise from a weakref callback either)."""


def _in_gc_callback(send: Callable[[], None]) -> Callable[[], None]:
    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            gc.callbacks.remove(callback)
            send()

    def run() -> None:
        gc.callbacks.append(callback)
        try:
            gc.collect()
        finally:
            if callback in gc.callbacks:
                gc.callbacks.remove(callback)

    return run


def _in_weakref_callback(send: Callable[[], None]) -> Callable[[], None]:
    def run() -> None:
        doomed = _Finalized()
        weakref.finalize(doomed, send)
        del doomed  # the finalizer runs here, and the signal's handler with it

    return run


@pytest.mark.parametrize(
    "where",
    [pytest.param(_in_gc_callback, id="gc-callback"), pytest.param(_in_weakref_callback, id="weakref-callback")],
)
def test_a_signal_that_lands_where_python_cannot_raise_is_delivered_after_it(
    where: Callable[[Callable[[], None]], Callable[[], None]],
) -> None:
    """There the KeyboardInterrupt would be printed as "Exception ignored" (a traceback) and the stop lost."""
    ignored: list[Any] = []  # what Python would print as "Exception ignored"

    def send() -> None:
        signal.raise_signal(signal.SIGINT)  # its handler runs at the next instruction: inside the callback

    hook, sys.unraisablehook = sys.unraisablehook, ignored.append
    interruption.install()
    try:
        with pytest.raises(KeyboardInterrupt):
            where(send)()
            for _ in range(3000):  # the stop comes back within a moment, outside the callback (30 s at most)
                threading.Event().wait(0.01)
    finally:
        interruption.uninstall()
        interruption.reset()
        sys.unraisablehook = hook
    assert not ignored, f"received {[u.exc_value for u in ignored]} as unraisable, documented: delivered again"
