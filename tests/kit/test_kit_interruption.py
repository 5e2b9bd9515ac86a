"""Signals: SIGINT and SIGTERM stop a run once, are remembered, and cannot cut a shielded block silently."""

from __future__ import annotations

import gc
import signal
import threading
from collections.abc import Iterator

import pytest

from drs_conformance import interruption


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


def test_a_signal_that_lands_in_a_gc_callback_is_delivered_after_it() -> None:
    """Raised inside a gc callback, the KeyboardInterrupt would be printed as "Exception ignored" and lost."""
    landed: list[str] = []

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start" and not landed:
            landed.append(phase)
            signal.raise_signal(signal.SIGINT)  # its handler runs at the next instruction: inside this callback
            landed.append("callback went on")

    interruption.install()
    gc.callbacks.append(callback)
    try:
        with pytest.raises(KeyboardInterrupt):
            gc.collect()
            for _ in range(200):  # the stop comes back within a moment, outside the callback
                threading.Event().wait(0.01)
    finally:
        gc.callbacks.remove(callback)
        interruption.uninstall()
        interruption.reset()
    assert landed == ["start", "callback went on"], f"received {landed}, documented: the callback ran to its end"
